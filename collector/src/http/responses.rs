//! `POST /v1/responses`: validate a response with the shared rule book and
//! store it exactly once.
//!
//! The body is read as raw bytes whatever its content type: the widget posts
//! `text/plain` (a "simple" request, so no CORS preflight round trip on slow
//! mobile links), other clients `application/json`.
//!
//! Statuses: 201 stored; 200 the same response again (idempotent retry, same
//! body as the first acceptance); 400 not JSON; 404 unknown site or survey;
//! 409 response id reused or order already answered; 413 too large; 422
//! wrong shape or invalid answers.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use manyi_shared::{ResponseId, ResponsePayload, rules};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::store::responses::{InsertOutcome, NewResponse};

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

/// Accepts one response.
#[tracing::instrument(name = "submit_response", skip_all, fields(response_id, survey_id))]
async fn submit(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let body = body.map_err(ApiError::from_body_rejection)?;
    let payload: ResponsePayload =
        serde_json::from_slice(&body).map_err(ApiError::from_json_error)?;
    let span = tracing::Span::current();
    span.record("response_id", tracing::field::display(&payload.response_id));
    span.record("survey_id", tracing::field::display(&payload.survey_id));

    if state.store.find_site(&payload.site).await?.is_none() {
        return Err(ApiError::UnknownSite(payload.site.to_string()));
    }
    let survey = state
        .store
        .published_survey(&payload.site, &payload.survey_id, payload.survey_version)
        .await?
        .ok_or_else(|| {
            ApiError::SurveyNotFound(format!(
                "survey {:?} has no published version {} for site {:?}",
                payload.survey_id.as_str(),
                payload.survey_version,
                payload.site.as_str()
            ))
        })?;
    let answers = rules::validate_response(&survey, &payload).map_err(ApiError::InvalidResponse)?;

    let new = NewResponse {
        payload: &payload,
        answers: &answers,
    };
    let (status, received_at) = match state.store.insert_response(&new).await? {
        InsertOutcome::Created { received_at } => (StatusCode::CREATED, received_at),
        InsertOutcome::Duplicate { received_at } => (StatusCode::OK, received_at),
        InsertOutcome::ResponseIdConflict => {
            return Err(ApiError::ResponseIdConflict(payload.response_id));
        }
        InsertOutcome::AlreadyAnswered => {
            return Err(ApiError::AlreadyAnswered {
                survey_id: payload.survey_id.to_string(),
                order_id: payload.context.order_id.clone().unwrap_or_default(),
            });
        }
    };
    Ok((
        status,
        Json(Accepted {
            response_id: payload.response_id,
            status: "accepted",
            received_at,
        }),
    ))
}
