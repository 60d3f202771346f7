//! Standard Webhooks signatures (<https://www.standardwebhooks.com>):
//!
//! - the secret is `whsec_` + base64 of the key bytes;
//! - the signed content is `{webhook-id}.{webhook-timestamp}.{body}`;
//! - `webhook-signature` is `v1,` + base64(HMAC-SHA256(key, content)).
//!
//! Receivers check the HMAC in constant time, refuse timestamps far from
//! their clock (replays), and deduplicate on `webhook-id`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The secret's prefix.
pub const SECRET_PREFIX: &str = "whsec_";

/// Key bytes of a new secret (the spec asks for 24 to 64).
const KEY_BYTES: usize = 32;

/// A stored secret that is not `whsec_` + base64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the webhook secret is not whsec_ followed by base64")]
pub struct BadSecret;

/// A fresh random secret, `whsec_` + base64 of 32 bytes.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key)?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The `webhook-signature` header value for message `id` sent at unix
/// second `timestamp` with `body`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, BadSecret> {
    let key = secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| STANDARD.decode(b64).ok())
        .filter(|key| !key.is_empty())
        .ok_or(BadSecret)?;
    // HMAC accepts keys of any length; the error is unreachable.
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector of the official `standardwebhooks` crate 1.0.1
    /// (`src/lib.rs`, test `test_sign`).
    #[test]
    fn matches_the_reference_implementation() {
        let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let id = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
        let timestamp = 1_649_367_553;
        let body = r#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            sign(secret, id, timestamp, body).expect("sign"),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn new_secrets_are_random_and_usable() {
        let a = new_secret().expect("secret");
        assert_ne!(a, new_secret().expect("secret"));
        assert!(a.starts_with("whsec_"));
        assert_eq!(STANDARD.decode(&a[6..]).expect("base64").len(), 32);
        assert!(sign(&a, "msg_1", 1, "{}").is_ok());
    }

    #[test]
    fn a_malformed_secret_is_refused() {
        assert_eq!(sign("nope", "msg_1", 1, "{}"), Err(BadSecret));
        assert_eq!(sign("whsec_!!!", "msg_1", 1, "{}"), Err(BadSecret));
        assert_eq!(sign("whsec_", "msg_1", 1, "{}"), Err(BadSecret));
    }
}
