//! Taking in one response, whatever door it came through (`POST
//! /v1/responses` as JSON, `POST /s/{survey_id}` as a form): the site and
//! survey must exist, the signed context must hold when the site requires
//! one, the answers must pass the shared rule book, and the response is
//! stored exactly once.
//!
//! Both doors call [`ingest`] (or [`accept`] when they already hold the site
//! and survey), so a response the hosted page accepts is exactly a response
//! the JSON API accepts.
//!
//! Order of the checks: site → survey → signature → answers → store. The
//! signature comes before the answers so that a caller without a valid
//! signature learns nothing about what a valid answer would be.

use manyi_shared::signing::{self, SignatureError, SignedParts};
use manyi_shared::{ResponseId, ResponsePayload, Survey, ValidationError, rules};

use crate::store::responses::{InsertOutcome, NewResponse};
use crate::store::sites::Site;
use crate::store::{Store, StoreError};
use secrecy::ExposeSecret as _;

/// Why a response was not taken in.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No site has this key.
    #[error("no site has the key {0:?}")]
    UnknownSite(String),
    /// The survey does not exist for the site, or that version is not published.
    #[error("survey {survey_id:?} has no published version {version} for site {site:?}")]
    SurveyNotFound {
        /// The site.
        site: String,
        /// The survey.
        survey_id: String,
        /// The version asked for.
        version: u32,
    },
    /// The site requires a signature and this one does not hold.
    #[error("{0}")]
    Signature(SignatureError),
    /// The answers break the survey's rules; every problem is listed.
    #[error("the response is invalid ({} problem(s))", .0.len())]
    Invalid(Vec<ValidationError>),
    /// The response id was already used for a different response.
    #[error("response_id {0} was already used for a different response")]
    ResponseIdConflict(ResponseId),
    /// Another response already answered this survey for this order.
    #[error("survey {survey_id} was already answered for order {order_id:?}")]
    AlreadyAnswered {
        /// The survey.
        survey_id: String,
        /// The order.
        order_id: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// The stable error code of a refusal (as over HTTP, see
    /// `crate::http::ApiError::code`); `None` for a failure of the store,
    /// which is not a refusal.
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            IngestError::UnknownSite(_) => "unknown_site",
            IngestError::SurveyNotFound { .. } => "survey_not_found",
            IngestError::Signature(e) => e.code(),
            IngestError::Invalid(_) => "invalid_response",
            IngestError::ResponseIdConflict(_) => "response_id_conflict",
            IngestError::AlreadyAnswered { .. } => "already_answered",
            IngestError::Store(_) => return None,
        })
    }
}

/// A response taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    /// `true` when stored now, `false` when this exact response was stored
    /// before (an idempotent retry).
    pub created: bool,
    /// When the collector first accepted it (the same on retries).
    pub received_at: String,
}

/// Looks up the payload's site and survey version, then [`accept`]s it.
#[tracing::instrument(level = "debug", skip_all, fields(response_id = %payload.response_id))]
pub async fn ingest(
    store: &Store,
    payload: &ResponsePayload,
    now_unix: i64,
) -> Result<Ingested, IngestError> {
    let site = store
        .site(&payload.site)
        .await?
        .ok_or_else(|| IngestError::UnknownSite(payload.site.to_string()))?;
    let survey = store
        .published(&payload.site, &payload.survey_id, payload.survey_version)
        .await?
        .ok_or_else(|| IngestError::SurveyNotFound {
            site: payload.site.to_string(),
            survey_id: payload.survey_id.to_string(),
            version: payload.survey_version,
        })?;
    accept(store, &site, &survey, payload, now_unix).await
}

/// Checks the signature (when `site` requires one) and the answers of a
/// payload for `survey` (the published version it names, of `site`), then
/// stores it once.
#[tracing::instrument(level = "debug", skip_all, fields(response_id = %payload.response_id))]
pub async fn accept(
    store: &Store,
    site: &Site,
    survey: &Survey,
    payload: &ResponsePayload,
    now_unix: i64,
) -> Result<Ingested, IngestError> {
    let signed = verify_signature(
        site,
        &SignedParts::from_payload(payload),
        payload.sig.as_deref(),
        now_unix,
    )
    .map_err(IngestError::Signature)?;
    let answers = rules::validate_response(survey, payload).map_err(IngestError::Invalid)?;
    let new = NewResponse {
        payload,
        answers: &answers,
    };
    match store.insert_response_signed(&new, signed).await? {
        InsertOutcome::Created { received_at } => Ok(Ingested {
            created: true,
            received_at,
        }),
        InsertOutcome::Duplicate { received_at } => Ok(Ingested {
            created: false,
            received_at,
        }),
        InsertOutcome::ResponseIdConflict => {
            Err(IngestError::ResponseIdConflict(payload.response_id))
        }
        InsertOutcome::AlreadyAnswered => Err(IngestError::AlreadyAnswered {
            survey_id: payload.survey_id.to_string(),
            order_id: payload.context.order_id.clone().unwrap_or_default(),
        }),
    }
}

/// The signed-context rule, shared by responses, the hosted page and the
/// eligibility check: [`check_signature`] with the site's secret and policy.
/// Returns whether the request is signed (a signature verified).
pub fn verify_signature(
    site: &Site,
    parts: &SignedParts<'_>,
    sig: Option<&str>,
    now_unix: i64,
) -> Result<bool, SignatureError> {
    let secret = site.signing_secret.as_ref().map(|s| s.expose_secret());
    if secret.is_none() && site.require_signature {
        // Misconfigured rather than attacked: say so once per refusal, since
        // the site refuses every request until it gets a secret.
        tracing::warn!(site = %site.key, "the site requires signatures but has no secret");
    }
    check_signature(secret, site.require_signature, parts, sig, now_unix)
}

/// The signature policy, given a site's secret (whose UTF-8 bytes are the
/// HMAC key) and whether it requires signatures. Returns whether the
/// request is signed:
///
/// - secret and `require_signature`: the signature must verify;
/// - secret, signatures optional: a signature that is sent must verify (a
///   bad one is refused, not silently ignored); none is accepted unsigned;
/// - no secret: nothing can be verified; a site requiring signatures without
///   a secret refuses everything (fail closed), others accept unsigned.
pub fn check_signature(
    secret: Option<&str>,
    require_signature: bool,
    parts: &SignedParts<'_>,
    sig: Option<&str>,
    now_unix: i64,
) -> Result<bool, SignatureError> {
    let sig = sig.filter(|s| !s.is_empty());
    match (secret, require_signature, sig) {
        (Some(secret), true, _) | (Some(secret), false, Some(_)) => {
            signing::verify(secret.as_bytes(), parts, sig, now_unix).map(|()| true)
        }
        (None, true, None) => Err(SignatureError::Missing),
        (None, true, Some(_)) => Err(SignatureError::Mismatch),
        (_, false, _) => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> SignedParts<'static> {
        SignedParts {
            site: "demo",
            survey: "post-payment",
            order_id: Some("A1001"),
            customer: Some("c-42"),
            exp: Some(2_000),
        }
    }

    #[test]
    fn a_genuine_signature_passes_and_an_expired_one_does_not() {
        let sig = signing::sign(b"s3cr3t", &parts());
        let check = |secret, sig, now| check_signature(Some(secret), true, &parts(), sig, now);
        assert_eq!(check("s3cr3t", Some(&sig), 1_999), Ok(true));
        assert_eq!(
            check("s3cr3t", Some(&sig), 2_000),
            Err(SignatureError::Expired)
        );
        assert_eq!(check("other", Some(&sig), 0), Err(SignatureError::Mismatch));
        assert_eq!(check("s3cr3t", None, 0), Err(SignatureError::Missing));
    }

    #[test]
    fn optional_signatures_are_checked_only_when_sent() {
        let sig = signing::sign(b"s3cr3t", &parts());
        let check = |sig| check_signature(Some("s3cr3t"), false, &parts(), sig, 0);
        assert_eq!(check(None), Ok(false));
        assert_eq!(check(Some(sig.as_str())), Ok(true));
        assert_eq!(
            check(Some("0".repeat(64).as_str())),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn without_a_secret_nothing_is_signed_and_requiring_sites_refuse_all() {
        let sig = signing::sign(b"s3cr3t", &parts());
        assert_eq!(
            check_signature(None, false, &parts(), Some(&sig), 0),
            Ok(false)
        );
        assert_eq!(
            check_signature(None, true, &parts(), Some(&sig), 0),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check_signature(None, true, &parts(), None, 0),
            Err(SignatureError::Missing)
        );
    }
}
