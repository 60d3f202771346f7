//! `POST /v1/eligibility`: may this customer be asked now?
//!
//! Body (JSON, as `application/json` or `text/plain` like responses):
//! `{site, survey, order_id?, customer?, segment?, event_at, sig?, exp?}`,
//! `event_at` in RFC 3339 (the payment or ticket-close time). Answers 200
//! `{"eligible": true}` or `{"eligible": false, "reason": "…"}` with a
//! reason of [`crate::eligibility::Reason`]. Errors: 400 not JSON, 422 wrong
//! shape, 404 unknown site or survey, 401 bad or expired signature (when the
//! site requires one, or one is sent, over `site|survey|order_id|customer|exp`
//! as for responses), 403 origin not allowed for the site, 429 rate limited.
//! The same trust checks as `POST /v1/responses` ([`super::trust::admit`]).
//!
//! The rules are in [`crate::eligibility`]; this handler only reads the
//! facts and the clock.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use axum::{Json, Router};
use manyi_shared::signing::SignedParts;
use manyi_shared::{SiteKey, SurveyId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{ApiError, AppState, cors, trust};
use crate::eligibility::{Check, Decision, Reason, decide};
use crate::ingest::verify_signature;
use crate::store::eligibility::SurveyState;

/// An eligibility request is a few hundred bytes.
const MAX_BODY_BYTES: usize = 8 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/eligibility", post(check))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EligibilityRequest {
    site: SiteKey,
    survey: SurveyId,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    segment: Option<String>,
    /// RFC 3339.
    event_at: String,
    #[serde(default)]
    sig: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
}

/// The 200 body.
#[derive(Debug, Serialize)]
struct Answer {
    eligible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
}

/// Decides whether the customer may be asked now. The origin, once found
/// allowed for the site, is echoed in CORS headers on whatever follows.
#[tracing::instrument(name = "eligibility", skip_all, fields(site, survey))]
async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut cors_echo: Option<HeaderValue> = None;
    let result = decide_request(&state, &headers, body, &mut cors_echo).await;
    cors::allow_origin(result.into_response(), cors_echo)
}

async fn decide_request(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    cors_echo: &mut Option<HeaderValue>,
) -> Result<Json<Answer>, ApiError> {
    let body = body.map_err(ApiError::from_body_rejection)?;
    let request: EligibilityRequest =
        serde_json::from_slice(&body).map_err(ApiError::from_json_error)?;
    let span = tracing::Span::current();
    span.record("site", tracing::field::display(&request.site));
    span.record("survey", tracing::field::display(&request.survey));
    let event_at = OffsetDateTime::parse(&request.event_at, &Rfc3339)
        .map_err(|e| ApiError::InvalidPayload(format!("event_at is not an RFC 3339 time: {e}")))?;

    // Site exists, origin allowed, site under its rate limit.
    let site = trust::admit(state, headers, &request.site, cors_echo).await?;
    let now = OffsetDateTime::now_utc();
    let parts = SignedParts {
        site: request.site.as_str(),
        survey: request.survey.as_str(),
        order_id: request.order_id.as_deref(),
        customer: request.customer.as_deref(),
        exp: request.exp,
    };
    verify_signature(&site, &parts, request.sig.as_deref(), now.unix_timestamp())
        .map_err(ApiError::Signature)?;

    let inputs = state
        .store
        .eligibility_inputs(
            &request.site,
            &request.survey,
            request.order_id.as_deref(),
            request.customer.as_deref(),
            request.segment.as_deref(),
        )
        .await?;
    if inputs.state == SurveyState::Missing {
        return Err(ApiError::SurveyNotFound(format!(
            "site {:?} has no survey {:?}",
            request.site.as_str(),
            request.survey.as_str()
        )));
    }
    let decision = decide(
        &inputs.policy,
        &inputs.facts,
        &Check {
            survey: &request.survey,
            order_id: request.order_id.as_deref(),
            customer: request.customer.as_deref(),
            event_at,
            now,
        },
    );
    Ok(Json(match decision {
        Decision::Eligible => Answer {
            eligible: true,
            reason: None,
        },
        Decision::Ineligible(reason) => Answer {
            eligible: false,
            reason: Some(reason),
        },
    }))
}
