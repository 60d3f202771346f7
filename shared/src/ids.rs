//! Validated identifiers. Each is a newtype with a private field, built only
//! through `parse` / `TryFrom`, so an id that exists is an id that is valid.

use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    /// Which kind of identifier was being parsed, e.g. `"survey id"`.
    pub kind: &'static str,
    /// A human sentence saying what is wrong.
    pub reason: String,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.kind, self.reason)
    }
}

impl std::error::Error for IdError {}

/// Checks a slug: 1..=max chars of `[a-z0-9_-]`, starting with a letter or digit.
fn check_slug(kind: &'static str, s: &str, max: usize, allow_dash: bool) -> Result<(), IdError> {
    let err = |reason: String| IdError { kind, reason };
    if s.is_empty() {
        return Err(err("must not be empty".into()));
    }
    if s.len() > max {
        return Err(err(format!("must be at most {max} characters")));
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(err("must start with a lowercase letter or a digit".into()));
    }
    let ok = s.bytes().all(|b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || (allow_dash && b == b'-')
    });
    if !ok {
        let allowed = if allow_dash {
            "a-z, 0-9, '_' and '-'"
        } else {
            "a-z, 0-9 and '_'"
        };
        return Err(err(format!("may contain only {allowed}")));
    }
    Ok(())
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal, $dash:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses and validates an identifier.
            pub fn parse(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                check_slug($kind, &s, $max, $dash)?;
                Ok(Self(s))
            }

            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// A survey's id, e.g. `post-payment`: 1–64 chars of `a-z 0-9 _ -`.
    SurveyId, "survey id", 64, true
);
slug_id!(
    /// A question's id within a survey, e.g. `overall`: 1–64 chars of `a-z 0-9 _`.
    /// No `-` or `.` so ids can be used as form field names and CSV columns.
    QuestionId, "question id", 64, false
);
slug_id!(
    /// A choice option's id, e.g. `slow_delivery`: 1–64 chars of `a-z 0-9 _ -`.
    OptionId, "option id", 64, true
);
slug_id!(
    /// A site's public key, as in `data-site="SITE_KEY"`: 1–64 chars of `a-z 0-9 _ -`.
    SiteKey, "site key", 64, true
);

/// A response's id: a UUID v4 made by the client, the idempotency key.
///
/// Parsed and formatted by hand (hyphenated form only), which is all manyi
/// needs and keeps a UUID library out of the widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResponseId([u8; 16]);

/// Where the hyphens of a hyphenated UUID are.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

impl ResponseId {
    /// Parses a hyphenated UUID v4 (the form the widget sends).
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let err = |reason: &str| IdError {
            kind: "response id",
            reason: reason.into(),
        };
        if s.len() != 36 {
            return Err(err("must be a hyphenated UUID (36 characters)"));
        }
        let mut bytes = [0u8; 16];
        let mut nibbles = 0;
        for (i, c) in s.bytes().enumerate() {
            if HYPHENS.contains(&i) {
                if c != b'-' {
                    return Err(err("must be a hyphenated UUID"));
                }
                continue;
            }
            let Some(n) = (c as char).to_digit(16) else {
                return Err(err("must be a hyphenated UUID"));
            };
            bytes[nibbles / 2] |= (n as u8) << if nibbles % 2 == 0 { 4 } else { 0 };
            nibbles += 1;
        }
        if bytes[6] >> 4 != 4 {
            return Err(err("must be a version 4 (random) UUID"));
        }
        Ok(Self(bytes))
    }

    /// Wraps random bytes as a v4 UUID (sets the version and variant bits).
    pub fn from_random_bytes(mut bytes: [u8; 16]) -> Self {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Self(bytes)
    }

    /// The 16 bytes of the UUID, in the order they are written.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl TryFrom<String> for ResponseId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<ResponseId> for String {
    fn from(id: ResponseId) -> String {
        id.to_string()
    }
}

impl fmt::Display for ResponseId {
    /// The lowercase hyphenated form, e.g. `0b9f6b1e-8a3c-4d2e-9f10-1234567890ab`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; 36];
        let mut pos = 0;
        for b in self.0 {
            if HYPHENS.contains(&pos) {
                pos += 1;
            }
            out[pos] = HEX[usize::from(b >> 4)];
            out[pos + 1] = HEX[usize::from(b & 0x0f)];
            pos += 2;
        }
        // Only ASCII hex digits and hyphens were written.
        f.write_str(std::str::from_utf8(&out).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_id_accepts_slugs() {
        assert_eq!(
            SurveyId::parse("post-payment").unwrap().as_str(),
            "post-payment"
        );
        assert!(SurveyId::parse("nps_2").is_ok());
    }

    #[test]
    fn survey_id_rejects_empty() {
        assert!(SurveyId::parse("").is_err());
    }

    #[test]
    fn survey_id_rejects_too_long() {
        assert!(SurveyId::parse("a".repeat(65)).is_err());
        assert!(SurveyId::parse("a".repeat(64)).is_ok());
    }

    #[test]
    fn survey_id_rejects_uppercase_and_symbols() {
        for bad in ["Post", "a b", "a/b", "-a", "a.b", "满意"] {
            assert!(SurveyId::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn question_id_rejects_dash() {
        assert!(QuestionId::parse("a-b").is_err());
        assert!(QuestionId::parse("a_b").is_ok());
    }

    #[test]
    fn response_id_requires_v4() {
        assert!(ResponseId::parse("0b9f6b1e-8a3c-4d2e-9f10-1234567890ab").is_ok());
        // version 1
        assert!(ResponseId::parse("0b9f6b1e-8a3c-1d2e-9f10-1234567890ab").is_err());
        assert!(ResponseId::parse("0b9f6b1e8a3c4d2e9f101234567890ab").is_err());
        assert!(ResponseId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn response_id_round_trips_like_the_uuid_crate() {
        for text in [
            "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
        ] {
            let ours = ResponseId::parse(text).unwrap();
            let theirs = uuid::Uuid::try_parse(text).unwrap();
            assert_eq!(ours.as_bytes(), theirs.as_bytes());
            assert_eq!(ours.to_string(), theirs.hyphenated().to_string());
            assert_eq!(String::from(ours), text.to_ascii_lowercase());
        }
        for bad in [
            "0b9f6b1e-8a3c-4d2e-9f10-1234567890a",
            "0b9f6b1e+8a3c-4d2e-9f10-1234567890ab",
            "0b9f6b1e-8a3c-4d2e-9f10-1234567890ag",
            "0b9f6b1e-8a3c-4d2e-9f1-01234567890ab",
            "{b9f6b1e-8a3c-4d2e-9f10-1234567890a}",
            "0b9f6b1e-8a3c-4d2e-9f10-12345678900é",
        ] {
            assert!(ResponseId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn random_bytes_become_a_v4_uuid() {
        for seed in [0u8, 0x5a, 0xff] {
            let ours = ResponseId::from_random_bytes([seed; 16]);
            let theirs = uuid::Builder::from_random_bytes([seed; 16]).into_uuid();
            assert_eq!(ours.to_string(), theirs.to_string());
            assert_eq!(ResponseId::parse(&ours.to_string()), Ok(ours));
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn ids_deserialize_through_validation() {
        let bad: Result<SurveyId, _> = serde_json::from_str("\"Bad Id\"");
        assert!(bad.is_err());
        let good: SurveyId = serde_json::from_str("\"ok\"").unwrap();
        assert_eq!(good.as_str(), "ok");
    }
}
