//! `POST /v1/events`: widget impressions (`shown`, `started`, `dismissed`),
//! the denominator of the response rate.
//!
//! Body (JSON, as `application/json` or `text/plain`): `{site, survey,
//! event, response_id?, order_id?, version?, channel?, segment?, locale?}`.
//! `version` (the survey version the widget mounted, an integer ≥ 1) and
//! the context strings are what the response to this showing will carry,
//! so the response rate can be reported per version, channel, segment and
//! locale (docs/reports-api.md, "Response rate"); the loader sends them
//! (docs/internal-contracts.md). An event's context counts only with its
//! version: `channel`, `segment` or `locale` without `version` is refused.
//! Context strings follow the response context's rules (at most
//! [`CONTEXT_MAX_CHARS`] characters, no control characters).
//!
//! Answers 204 once recorded. Same trust checks as responses (site exists,
//! origin allowed, site rate limit); errors: 400 `malformed_json`, 422
//! `invalid_payload` (unknown field, wrong type, unknown event, version
//! below 1, over-long or control-character string, context without
//! version), 403, 404 unknown site, 429.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use axum::routing::post;
use manyi_shared::rules::CONTEXT_MAX_CHARS;
use manyi_shared::{ResponseId, SiteKey, SurveyId};
use serde::Deserialize;

use super::{ApiError, AppState, cors, trust};
use crate::store::eligibility::{EventContext, NewEvent};

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
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    segment: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

impl EventRequest {
    /// The context, checked: `Ok(None)` when the event carries none.
    fn context(&self) -> Result<Option<EventContext<'_>>, ApiError> {
        let strings = [
            ("order_id", &self.order_id),
            ("channel", &self.channel),
            ("segment", &self.segment),
            ("locale", &self.locale),
        ];
        for (name, value) in strings {
            if value.as_deref().is_some_and(|v| {
                v.chars().count() > CONTEXT_MAX_CHARS || v.chars().any(char::is_control)
            }) {
                return Err(ApiError::InvalidPayload(format!(
                    "{name} must be at most {CONTEXT_MAX_CHARS} characters without control characters"
                )));
            }
        }
        let Some(version) = self.version else {
            if self.channel.is_some() || self.segment.is_some() || self.locale.is_some() {
                return Err(ApiError::InvalidPayload(
                    "channel, segment and locale count only with version: send the survey \
                     version shown"
                        .into(),
                ));
            }
            return Ok(None);
        };
        if version == 0 {
            return Err(ApiError::InvalidPayload("version must be 1 or more".into()));
        }
        Ok(Some(EventContext {
            version: i64::from(version),
            channel: self.channel.as_deref(),
            segment: self.segment.as_deref(),
            locale: self.locale.as_deref(),
        }))
    }
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
    let context = request.context()?;
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
            context,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
