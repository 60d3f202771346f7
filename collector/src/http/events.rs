//! `POST /v1/events`: widget impressions (`shown`, `started`, `dismissed`),
//! the denominator of the response rate.
//!
//! Body (JSON, as `application/json` or `text/plain`): `{site, survey,
//! event, response_id?, order_id?}`. Answers 204 once recorded. Same trust
//! checks as responses (site exists, origin allowed, site rate limit);
//! errors: 400 not JSON, 422 wrong shape or unknown event, 403, 404 unknown
//! site, 429.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use manyi_shared::{ResponseId, SiteKey, SurveyId};
use serde::Deserialize;

use super::{ApiError, AppState, cors, trust};
use crate::store::eligibility::NewEvent;

/// An event is a few hundred bytes.
const MAX_BODY_BYTES: usize = 4 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/events", post(record))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// What happened to the widget.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventKind {
    Shown,
    Started,
    Dismissed,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::Shown => "shown",
            EventKind::Started => "started",
            EventKind::Dismissed => "dismissed",
        }
    }
}

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRequest {
    site: SiteKey,
    survey: SurveyId,
    event: EventKind,
    #[serde(default)]
    response_id: Option<ResponseId>,
    #[serde(default)]
    order_id: Option<String>,
}

/// Records one event.
#[tracing::instrument(name = "event", skip_all)]
async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let mut cors_echo: Option<HeaderValue> = None;
    let result = store_event(&state, &headers, body, &mut cors_echo).await;
    cors::allow_origin(result.into_response(), cors_echo)
}

async fn store_event(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    cors_echo: &mut Option<HeaderValue>,
) -> Result<StatusCode, ApiError> {
    let body = body.map_err(ApiError::from_body_rejection)?;
    let request: EventRequest = serde_json::from_slice(&body).map_err(ApiError::from_json_error)?;
    if request.order_id.as_deref().is_some_and(|o| {
        o.chars().count() > manyi_shared::rules::CONTEXT_MAX_CHARS
            || o.chars().any(char::is_control)
    }) {
        return Err(ApiError::InvalidPayload(
            "order_id is too long or contains control characters".into(),
        ));
    }
    let site = trust::admit(state, headers, &request.site, cors_echo).await?;
    let response_id = request.response_id.map(|id| id.to_string());
    state
        .store
        .insert_event(&NewEvent {
            site: &site.key,
            survey: &request.survey,
            event: request.event.as_str(),
            response_id: response_id.as_deref(),
            order_id: request.order_id.as_deref(),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
