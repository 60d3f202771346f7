//! Who may post for a site: the checks every browser-facing POST that names a
//! site runs after parsing its body and before validating or storing
//! anything — the site exists, the `Origin` is one it allows, the site is
//! under its rate limit — and, for responses, the signed context.
//!
//! Origins are a browser-side protection (a script on another site cannot
//! post in a customer's name); non-browser clients send whatever `Origin`
//! they like, or none, and are not judged by it. Signatures are what stop
//! those (see `docs/signing.md`).

use axum::http::{HeaderMap, HeaderValue, header};
use manyi_shared::signing::SignedParts;
use manyi_shared::{ResponsePayload, SiteKey};
use std::sync::Arc;

use super::{ApiError, AppState};
use crate::ingest;
use crate::store::sites::Site;

/// Looks up the site named in a body (in the store's in-memory catalog,
/// so usually without a query), checks the request's origin against it
/// and counts the request against the site's rate limit.
///
/// `cors_echo` receives the request's origin as soon as it is known to be
/// allowed, so that the caller can attach it to the response (with
/// [`super::cors::allow_origin`]) even when a later check fails: the page
/// may then read the error.
pub async fn admit(
    state: &AppState,
    headers: &HeaderMap,
    key: &SiteKey,
    cors_echo: &mut Option<HeaderValue>,
) -> Result<Arc<Site>, ApiError> {
    let site = state
        .store
        .site(key)
        .await?
        .ok_or_else(|| ApiError::UnknownSite(key.to_string()))?;
    *cors_echo = check_origin(&site, headers)?;
    state.limits.check_site(&site.key)?;
    Ok(site)
}

/// Checks the `Origin` header against the site's allowed origins.
///
/// Allowed: no `Origin` header (not a cross-origin browser request); a site
/// allowing `"*"`; an exact match (ASCII case-insensitive, a trailing `/` in
/// the stored origin ignored); the collector's own origin (its demo and
/// hosted pages), i.e. `http(s)://` + the request's `Host`. Returns the
/// origin to echo in CORS headers, if any.
pub fn check_origin(site: &Site, headers: &HeaderMap) -> Result<Option<HeaderValue>, ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    // A non-ASCII origin matches nothing but "*".
    let text = origin.to_str().unwrap_or("\u{0}");
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if origin_allowed(&site.allowed_origins, text, host) {
        Ok(Some(origin.clone()))
    } else {
        Err(ApiError::OriginNotAllowed {
            origin: String::from_utf8_lossy(origin.as_bytes()).into_owned(),
            site: site.key.to_string(),
        })
    }
}

fn origin_allowed(allowed: &[String], origin: &str, host: Option<&str>) -> bool {
    let listed = allowed
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin));
    let same_origin = host.is_some_and(|host| {
        origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
    });
    listed || same_origin
}

/// Applies the site's signature policy to a response at `now_unix`
/// (seconds). Returns whether the response is signed (its signature
/// verified). The policy itself is [`crate::ingest::check_signature`] (one
/// rule for every door); this only adapts it to a payload and to
/// [`ApiError`] (401 with the precise [`manyi_shared::signing::SignatureError`] code).
pub fn check_signature(
    site: &Site,
    payload: &ResponsePayload,
    now_unix: i64,
) -> Result<bool, ApiError> {
    ingest::verify_signature(
        site,
        &SignedParts::from_payload(payload),
        payload.sig.as_deref(),
        now_unix,
    )
    .map_err(ApiError::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use manyi_shared::signing;
    use secrecy::SecretString;

    fn site(origins: &[&str], secret: Option<&str>, require: bool) -> Site {
        Site {
            key: SiteKey::parse("shop").expect("key"),
            name: "Shop".into(),
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            require_signature: require,
            signing_secret: secret.map(SecretString::from),
        }
    }

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).expect("host"));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).expect("origin"));
        }
        h
    }

    fn origin_ok(origins: &[&str], origin: Option<&str>) -> bool {
        check_origin(
            &site(origins, None, false),
            &headers(origin, "collector.example"),
        )
        .is_ok()
    }

    #[test]
    fn origins_match_exactly_or_by_wildcard_or_same_origin() {
        let shop = ["https://shop.example/"];
        assert!(origin_ok(&shop, Some("https://shop.example")));
        assert!(origin_ok(&shop, Some("HTTPS://Shop.Example")));
        assert!(origin_ok(&shop, None));
        assert!(origin_ok(&shop, Some("https://collector.example")));
        assert!(!origin_ok(&shop, Some("http://shop.example")));
        assert!(!origin_ok(&shop, Some("https://shop.example:8443")));
        assert!(!origin_ok(&shop, Some("https://evil.example")));
        assert!(!origin_ok(&shop, Some("null")));
        assert!(!origin_ok(&[], Some("https://shop.example")));
        assert!(origin_ok(&["*"], Some("null")));
        let err = check_origin(
            &site(&shop, None, false),
            &headers(Some("https://evil.example"), "c"),
        )
        .expect_err("refused");
        assert_eq!(err.code(), "origin_not_allowed");
    }

    fn payload(sig: Option<&str>, exp: i64) -> ResponsePayload {
        let mut json = serde_json::json!({
            "response_id": "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "site": "shop", "survey_id": "post-payment", "survey_version": 1, "answers": {},
            "context": {"order_id": "A1001", "customer": "c-42", "exp": exp}
        });
        if let Some(sig) = sig {
            json["sig"] = sig.into();
        }
        serde_json::from_value(json).expect("payload")
    }

    fn signed(secret: &str, exp: i64) -> ResponsePayload {
        let unsigned = payload(None, exp);
        let sig = signing::sign(secret.as_bytes(), &SignedParts::from_payload(&unsigned));
        payload(Some(&sig), exp)
    }

    fn outcome(site: &Site, p: &ResponsePayload) -> Result<bool, &'static str> {
        check_signature(site, p, 1_000).map_err(|e| e.code())
    }

    #[test]
    fn a_site_requiring_signatures_refuses_all_but_a_valid_one() {
        let s = site(&["*"], Some("k"), true);
        assert_eq!(outcome(&s, &signed("k", 2_000)), Ok(true));
        assert_eq!(outcome(&s, &payload(None, 2_000)), Err("signature_missing"));
        assert_eq!(
            outcome(&s, &payload(Some("xyz"), 2_000)),
            Err("signature_malformed")
        );
        assert_eq!(
            outcome(&s, &signed("other", 2_000)),
            Err("signature_mismatch")
        );
        assert_eq!(outcome(&s, &signed("k", 1_000)), Err("signature_expired"));
    }

    #[test]
    fn optional_signatures_are_checked_when_sent() {
        let s = site(&["*"], Some("k"), false);
        assert_eq!(outcome(&s, &payload(None, 2_000)), Ok(false));
        assert_eq!(outcome(&s, &signed("k", 2_000)), Ok(true));
        assert_eq!(
            outcome(&s, &signed("other", 2_000)),
            Err("signature_mismatch")
        );
    }

    #[test]
    fn without_a_secret_nothing_is_signed() {
        let open = site(&["*"], None, false);
        assert_eq!(outcome(&open, &signed("k", 2_000)), Ok(false));
        let broken = site(&["*"], None, true);
        assert_eq!(
            outcome(&broken, &payload(None, 2_000)),
            Err("signature_missing")
        );
        assert_eq!(
            outcome(&broken, &signed("k", 2_000)),
            Err("signature_mismatch")
        );
    }
}
