//! `POST /v1/responses`: validate a response with the shared rule book and
//! store it exactly once.
//!
//! The body is read as raw bytes whatever its content type: the widget posts
//! `text/plain` (a "simple" request, so no CORS preflight round trip on slow
//! mobile links), other clients `application/json`.
//!
//! Order of checks: body → JSON → site exists, origin allowed, site under its
//! rate limit ([`super::trust::admit`]) → survey → signature → answers →
//! store, the last three in [`crate::ingest::accept`], the one path every
//! response takes (the hosted page's form posts too). Nothing is stored
//! unless every check passed, and the 2xx is sent only once the row is
//! committed. (The per-IP rate limit runs earlier, in middleware.)
//!
//! Statuses: 201 stored; 200 the same response again (idempotent retry, same
//! body as the first acceptance); 400 not JSON; 401 signature missing,
//! malformed, forged or expired; 403 origin not allowed for the site; 404
//! unknown site or survey; 409 response id reused or order already answered;
//! 413 too large; 422 wrong shape or invalid answers; 429 rate limited.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use axum::{Json, Router};
use manyi_shared::{ResponseId, ResponsePayload};
use serde::Serialize;

use super::{ApiError, AppState, cors, trust};
use crate::ingest;

/// Largest accepted body. A complete response with long comments is a few
/// KiB; anything near this is abuse.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/responses", post(submit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The body of 201 and 200.
#[derive(Debug, Serialize)]
struct Accepted {
    response_id: ResponseId,
    status: &'static str,
    /// When the collector first accepted the response (the same on retries).
    received_at: String,
}

/// Accepts one response. The origin, once found allowed for the site, is
/// echoed in CORS headers on whatever follows, errors included.
#[tracing::instrument(
    name = "submit_response",
    level = "debug",
    skip_all,
    fields(response_id, survey_id)
)]
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut cors_echo: Option<HeaderValue> = None;
    let result = accept(&state, &headers, body, &mut cors_echo).await;
    match &result {
        Ok((status, _)) => state.metrics.accepted(*status == StatusCode::CREATED),
        Err(e) if e.status_code().is_client_error() => state.metrics.rejected(e.code()),
        // 5xx: not a refusal; the request-duration histogram counts those.
        Err(_) => {}
    }
    cors::allow_origin(result.into_response(), cors_echo)
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    cors_echo: &mut Option<HeaderValue>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let body = body.map_err(ApiError::from_body_rejection)?;
    // One pass from bytes to the typed payload (no `serde_json::Value` of
    // the whole body); errors exactly as `serde_json::from_slice` gives them.
    let payload = ResponsePayload::from_json_slice(&body).map_err(ApiError::from_json_error)?;
    let span = tracing::Span::current();
    span.record("response_id", tracing::field::display(&payload.response_id));
    span.record("survey_id", tracing::field::display(&payload.survey_id));

    let site = trust::admit(state, headers, &payload.site, cors_echo).await?;
    let survey = state
        .store
        .published(&payload.site, &payload.survey_id, payload.survey_version)
        .await?
        .ok_or_else(|| ingest::IngestError::SurveyNotFound {
            site: payload.site.to_string(),
            survey_id: payload.survey_id.to_string(),
            version: payload.survey_version,
        })?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ingested = ingest::accept(&state.store, &site, &survey, &payload, now).await?;
    let status = if ingested.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Accepted {
            response_id: payload.response_id,
            status: "accepted",
            received_at: ingested.received_at,
        }),
    ))
}
