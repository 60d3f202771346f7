//! The signed context: proof from the merchant's backend that this customer
//! really was asked about this order.
//!
//! The merchant's server (never the browser: it holds the site secret) signs
//! the context it passes to `manyi('show', { …, sig })`; the collector checks
//! the signature on the response, so nobody can answer for someone else's
//! order by editing the page.
//!
//! # Format
//!
//! The canonical string is the five parts joined by `|`:
//!
//! ```text
//! site|survey|order_id|customer|exp
//! ```
//!
//! with an empty string for a missing part and `exp` as decimal unix seconds.
//! The signature is HMAC-SHA256 of that string (UTF-8) keyed with the site
//! secret, written as 64 lowercase hex digits. Parts must not contain `|`:
//! the string would become ambiguous, so [`verify`] rejects such parts.
//!
//! Worked example (asserted in this module's tests): secret `s3cr3t`, site
//! `demo`, survey `post-payment`, order `A1001`, customer `c-42`, exp
//! `1790000000` give the string `demo|post-payment|A1001|c-42|1790000000` and
//! the signature
//! `c07aaab7b130ef741bbd9743995ca1b785815ae6f0f813fbe919725033303221`.
//! In a merchant's Python backend:
//!
//! ```text
//! hmac.new(b"s3cr3t", b"demo|post-payment|A1001|c-42|1790000000", hashlib.sha256).hexdigest()
//! ```
//!
//! A signature without `exp` never expires; the collector decides whether it
//! accepts those.

use crate::response::ResponsePayload;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// The parts covered by the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignedParts<'a> {
    /// The site key.
    pub site: &'a str,
    /// The survey id.
    pub survey: &'a str,
    /// The merchant's order id.
    pub order_id: Option<&'a str>,
    /// The merchant's customer id.
    pub customer: Option<&'a str>,
    /// Expiry, unix seconds.
    pub exp: Option<i64>,
}

impl<'a> SignedParts<'a> {
    /// The parts a response claims: its site, survey and context.
    pub fn from_payload(p: &'a ResponsePayload) -> Self {
        Self {
            site: p.site.as_str(),
            survey: p.survey_id.as_str(),
            order_id: p.context.order_id.as_deref(),
            customer: p.context.customer.as_deref(),
            exp: p.context.exp,
        }
    }

    /// The canonical string `site|survey|order_id|customer|exp`.
    pub fn canonical(&self) -> String {
        let exp = self.exp.map(|e| e.to_string()).unwrap_or_default();
        format!(
            "{}|{}|{}|{}|{}",
            self.site,
            self.survey,
            self.order_id.unwrap_or(""),
            self.customer.unwrap_or(""),
            exp
        )
    }

    /// Whether a part contains the separator, which would make the canonical
    /// string ambiguous (`a|b` + `c` vs `a` + `b|c`).
    fn is_ambiguous(&self) -> bool {
        [
            self.site,
            self.survey,
            self.order_id.unwrap_or(""),
            self.customer.unwrap_or(""),
        ]
        .iter()
        .any(|p| p.contains('|'))
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No signature (absent or empty).
    Missing,
    /// Not 64 hex digits, or a signed part contains `|`.
    Malformed,
    /// Well-formed but not made with this site's secret over these parts.
    Mismatch,
    /// Authentic, but `exp` has passed.
    Expired,
}

impl SignatureError {
    /// A stable snake_case code for error bodies, e.g. `signature_expired`.
    pub fn code(self) -> &'static str {
        match self {
            SignatureError::Missing => "signature_missing",
            SignatureError::Malformed => "signature_malformed",
            SignatureError::Mismatch => "signature_mismatch",
            SignatureError::Expired => "signature_expired",
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::Missing => "the signature is missing",
            SignatureError::Malformed => "the signature is not well-formed",
            SignatureError::Mismatch => "the signature does not match",
            SignatureError::Expired => "the signature has expired",
        })
    }
}

impl std::error::Error for SignatureError {}

fn mac(secret: &[u8], parts: &SignedParts<'_>) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(parts.canonical().as_bytes());
    mac
}

/// Signs `parts` with the site secret: lowercase hex HMAC-SHA256 of
/// [`SignedParts::canonical`]. Parts must not contain `|` (see the module docs).
pub fn sign(secret: &[u8], parts: &SignedParts<'_>) -> String {
    hex::encode(mac(secret, parts).finalize().into_bytes())
}

/// Checks a signature at `now_unix` (seconds).
///
/// Checks run in this order: present, well-formed (hex of either case is
/// accepted), authentic (constant-time comparison), then not expired (valid
/// while `now_unix < exp`). Expiry is checked last so that `Expired` is only
/// ever said about a genuine signature.
pub fn verify(
    secret: &[u8],
    parts: &SignedParts<'_>,
    sig_hex: Option<&str>,
    now_unix: i64,
) -> Result<(), SignatureError> {
    let sig_hex = sig_hex
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Missing)?;
    if sig_hex.len() != 64 || parts.is_ambiguous() {
        return Err(SignatureError::Malformed);
    }
    let sig = hex::decode(sig_hex).map_err(|_| SignatureError::Malformed)?;
    mac(secret, parts)
        .verify_slice(&sig)
        .map_err(|_| SignatureError::Mismatch)?;
    match parts.exp {
        Some(exp) if now_unix >= exp => Err(SignatureError::Expired),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"s3cr3t";
    const EXAMPLE_SIG: &str = "c07aaab7b130ef741bbd9743995ca1b785815ae6f0f813fbe919725033303221";

    fn example() -> SignedParts<'static> {
        SignedParts {
            site: "demo",
            survey: "post-payment",
            order_id: Some("A1001"),
            customer: Some("c-42"),
            exp: Some(1_790_000_000),
        }
    }

    #[test]
    fn the_documented_example_signs_to_the_documented_hex() {
        assert_eq!(
            example().canonical(),
            "demo|post-payment|A1001|c-42|1790000000"
        );
        // Computed independently with Python's hmac module (see the module docs).
        assert_eq!(sign(SECRET, &example()), EXAMPLE_SIG);
    }

    #[test]
    fn missing_parts_are_empty_strings() {
        let parts = SignedParts {
            site: "demo",
            survey: "post-payment",
            ..Default::default()
        };
        assert_eq!(parts.canonical(), "demo|post-payment|||");
        assert_eq!(
            sign(SECRET, &parts),
            "51ed3ddd448d00a12898127b4253e4bd8be7ffd72c9df920957f67e74ef9ab73"
        );
    }

    #[test]
    fn a_genuine_unexpired_signature_verifies() {
        assert_eq!(
            verify(SECRET, &example(), Some(EXAMPLE_SIG), 1_789_999_999),
            Ok(())
        );
        let upper = EXAMPLE_SIG.to_ascii_uppercase();
        assert_eq!(verify(SECRET, &example(), Some(&upper), 0), Ok(()));
    }

    #[test]
    fn no_signature_is_missing() {
        assert_eq!(
            verify(SECRET, &example(), None, 0),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, &example(), Some(""), 0),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn a_signature_that_is_not_64_hex_digits_is_malformed() {
        for bad in [
            "abc",
            &EXAMPLE_SIG[..63],
            &format!("{EXAMPLE_SIG}0"),
            &"z".repeat(64),
        ] {
            assert_eq!(
                verify(SECRET, &example(), Some(bad), 0),
                Err(SignatureError::Malformed)
            );
        }
    }

    #[test]
    fn a_part_containing_the_separator_is_malformed() {
        let parts = SignedParts {
            order_id: Some("A1001|c-42"),
            customer: None,
            ..example()
        };
        let sig = sign(SECRET, &parts);
        assert_eq!(
            verify(SECRET, &parts, Some(&sig), 0),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn another_secret_or_any_changed_part_is_a_mismatch() {
        let check = |secret: &[u8], parts: SignedParts<'_>| {
            assert_eq!(
                verify(secret, &parts, Some(EXAMPLE_SIG), 0),
                Err(SignatureError::Mismatch)
            );
        };
        check(b"other", example());
        check(
            SECRET,
            SignedParts {
                site: "demo2",
                ..example()
            },
        );
        check(
            SECRET,
            SignedParts {
                survey: "nps",
                ..example()
            },
        );
        check(
            SECRET,
            SignedParts {
                order_id: Some("A1002"),
                ..example()
            },
        );
        check(
            SECRET,
            SignedParts {
                customer: None,
                ..example()
            },
        );
        check(
            SECRET,
            SignedParts {
                exp: Some(1_790_000_001),
                ..example()
            },
        );
    }

    #[test]
    fn a_genuine_signature_past_exp_is_expired() {
        let at = |now| verify(SECRET, &example(), Some(EXAMPLE_SIG), now);
        assert_eq!(at(1_790_000_000), Err(SignatureError::Expired));
        assert_eq!(at(1_800_000_000), Err(SignatureError::Expired));
        // A forged signature is a mismatch, expired or not: expiry says nothing
        // about signatures that are not genuine.
        let forged = "0".repeat(64);
        assert_eq!(
            verify(SECRET, &example(), Some(&forged), 1_800_000_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_without_exp_does_not_expire() {
        let parts = SignedParts {
            exp: None,
            ..example()
        };
        let sig = sign(SECRET, &parts);
        assert_eq!(verify(SECRET, &parts, Some(&sig), i64::MAX), Ok(()));
    }

    #[test]
    fn parts_come_from_the_payload() {
        let p = ResponsePayload::from_json(json!({
            "response_id": "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "site": "demo", "survey_id": "post-payment", "survey_version": 1, "answers": {},
            "context": {"order_id": "A1001", "customer": "c-42", "exp": 1_790_000_000i64}
        }))
        .unwrap();
        assert_eq!(SignedParts::from_payload(&p), example());
    }
}
