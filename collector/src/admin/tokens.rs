//! Admin API tokens.
//!
//! A token is 32 bytes from the OS generator, shown once as `manyi_` +
//! unpadded base64url (43 characters). Only the lowercase hex SHA-256 of the
//! whole string is stored (`admin_tokens.token_hash`), so the database alone
//! grants no access.
//!
//! # Why no constant-time comparison
//! A request is authenticated by hashing the presented token and looking
//! the hash up through the UNIQUE index. Lookup timing can at most reveal how
//! much of the *hash* of a guess matches a stored hash; turning that into a
//! token would need SHA-256 preimages, and the token itself has 256 bits of
//! entropy. The secret is never compared byte by byte, so there is nothing a
//! constant-time comparison would protect.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use manyi_shared::{ErrorCode, ValidationError};
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};

use super::AdminError;
use crate::store::Store;
use crate::store::admin_tokens::{AdminToken, AdminTokenListing};

/// Every token starts with this (so leaked tokens are easy to grep for).
pub const PREFIX: &str = "manyi_";

/// The name of the token `--seed-demo` makes on every start.
pub const DEMO_TOKEN_NAME: &str = "demo";

/// Length of the base64url part: 32 bytes, unpadded.
const ENCODED_LEN: usize = 43;

/// `last_used_at` is refreshed at most this often per token, so that a busy
/// admin UI does not turn every read into a write.
const TOUCH_EVERY: time::Duration = time::Duration::minutes(1);

/// Lowercase hex SHA-256 of the token string, as stored.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `s` has the shape of a token (prefix + 43 base64url characters).
pub fn is_well_formed(s: &str) -> bool {
    s.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == ENCODED_LEN
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A fresh token and its hash.
fn generate() -> Result<(SecretString, String), AdminError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AdminError::Random(e.to_string()))?;
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hashed = hash(&token);
    Ok((SecretString::from(token), hashed))
}

/// The longest token name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// A token just created.
#[derive(Debug)]
pub struct CreatedToken {
    /// Its id (for revoking it).
    pub id: i64,
    /// Its name, trimmed.
    pub name: String,
    /// The token itself: shown now, never again (only its hash is stored).
    pub token: SecretString,
}

/// Creates a token named `name` and returns it: the only time it is seen.
/// An empty or over-long name is refused with the path `name`.
#[tracing::instrument(skip(store))]
pub async fn create(store: &Store, name: &str) -> Result<CreatedToken, AdminError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(AdminError::InvalidFields(vec![ValidationError::new(
            "name",
            ErrorCode::Required,
            format!(
                "a token name has 1 to {MAX_NAME_CHARS} characters, none of them control characters"
            ),
        )]));
    }
    let (token, hashed) = generate()?;
    let id = store.insert_admin_token(name, &hashed).await?;
    Ok(CreatedToken {
        id,
        name: name.to_owned(),
        token,
    })
}

/// Replaces the `demo` token with a fresh one and returns it. Only hashes
/// are stored, so the previous demo token cannot be shown again: every
/// `--seed-demo` start revokes it and prints a new one.
#[tracing::instrument(skip(store))]
pub async fn rotate_demo(store: &Store) -> Result<SecretString, AdminError> {
    let (token, hashed) = generate()?;
    store
        .replace_admin_tokens_named(DEMO_TOKEN_NAME, &hashed)
        .await?;
    Ok(token)
}

/// Every token (names and dates, never the tokens), oldest first.
pub async fn list(store: &Store) -> Result<Vec<AdminTokenListing>, AdminError> {
    Ok(store.list_admin_tokens().await?)
}

/// Revokes the token with this id: the next request presenting it gets 401
/// `invalid_token`. Revoking the token of the current session is allowed
/// (the admin UI then logs out).
#[tracing::instrument(skip(store))]
pub async fn revoke(store: &Store, id: i64) -> Result<(), AdminError> {
    if store.delete_admin_token(id).await? {
        tracing::info!(id, "admin token revoked");
        Ok(())
    } else {
        Err(AdminError::TokenNotFound(id))
    }
}

/// The token a request presents (the value after `Bearer `), checked:
/// [`AdminError::Unauthorized`] when it is not shaped like a token,
/// [`AdminError::InvalidToken`] when no stored token has its hash.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate(store: &Store, presented: &str) -> Result<AdminToken, AdminError> {
    if !is_well_formed(presented) {
        return Err(AdminError::Unauthorized);
    }
    let token = store
        .find_admin_token(&hash(presented))
        .await?
        .ok_or(AdminError::InvalidToken)?;
    let stale = crate::store::format_timestamp(time::OffsetDateTime::now_utc() - TOUCH_EVERY);
    // Fixed-width UTC timestamps: text order is time order.
    if token
        .last_used_at
        .as_deref()
        .is_none_or(|t| t < stale.as_str())
    {
        store.touch_admin_token(token.id).await?;
    }
    Ok(token)
}

/// Reads the token out of an `Authorization` header value
/// (`Bearer <token>`, scheme case-insensitive).
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    fn expose(token: &SecretString) -> &str {
        token.expose_secret()
    }

    #[test]
    fn generated_tokens_are_well_formed_and_distinct() {
        let (a, ha) = generate().expect("token");
        let (b, _) = generate().expect("token");
        assert!(is_well_formed(expose(&a)), "{}", expose(&a));
        assert_ne!(expose(&a), expose(&b));
        assert_eq!(ha, hash(expose(&a)));
        assert_eq!(ha.len(), 64);
    }

    #[test]
    fn malformed_tokens_and_headers_are_refused() {
        assert!(!is_well_formed("manyi_short"));
        assert!(!is_well_formed(&format!("other_{}", "a".repeat(43))));
        assert!(!is_well_formed(&format!("manyi_{}", "a/".repeat(22))));
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
