//! `/api/webhooks`: endpoints (create with a secret shown once, list,
//! disable), an endpoint's delivery log, and the manual re-send of a
//! delivery. The domain side is [`crate::webhooks::endpoints`]; the
//! contract is `docs/cases-api.md`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::refusal;
use super::{ErrorBody, json_body};
use crate::admin::AdminError;
use crate::http::{ApiError, AppState};
use crate::store::now_timestamp;
use crate::store::webhooks::{AttemptRow, DeliveryRow, EndpointRow};
use crate::webhooks::endpoints::{self, LoggedDelivery, WebhookError};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_endpoints, create_endpoint))
        .routes(routes!(disable_endpoint))
        .routes(routes!(list_deliveries))
        .routes(routes!(resend_delivery))
}

const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 200;

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebhookError::EndpointNotFound(_)
            | WebhookError::DeliveryNotFound(_)
            | WebhookError::UnknownSite(_) => StatusCode::NOT_FOUND,
            WebhookError::InvalidRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebhookError::Store(_) | WebhookError::Random(_) => {
                return match self {
                    WebhookError::Store(e) => ApiError::Store(e),
                    other => ApiError::Admin(AdminError::Random(other.to_string())),
                }
                .into_response();
            }
        };
        refusal(status, self.code(), self.to_string())
    }
}

/// An endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// Endpoint id.
    pub id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// Subscribed event types.
    pub event_types: Vec<String>,
    /// Its site (`null`: every site).
    pub site: Option<String>,
    /// Whether it receives events.
    pub active: bool,
    /// When created.
    pub created_at: String,
}

impl TryFrom<EndpointRow> for EndpointView {
    type Error = WebhookError;

    fn try_from(e: EndpointRow) -> Result<Self, Self::Error> {
        Ok(Self {
            event_types: serde_json::from_str(&e.event_types)
                .map_err(crate::store::StoreError::from)?,
            id: e.id,
            url: e.url,
            site: e.site_key,
            active: e.active != 0,
            created_at: e.created_at,
        })
    }
}

/// An endpoint just created, with its secret: shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// `whsec_…`: the Standard Webhooks signing secret. Not retrievable later.
    pub secret: String,
}

/// `POST /api/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointRequest {
    /// An absolute `http` or `https` URL.
    pub url: String,
    /// Any of `response.created`, `case.opened`, `case.overdue`, `case.verified`.
    pub event_types: Vec<String>,
    /// Only this site's events (absent or `null`: every site).
    #[serde(default)]
    pub site: Option<String>,
}

/// Every endpoint.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, description = "Every endpoint, oldest first", body = [EndpointView])))]
#[tracing::instrument(skip_all)]
async fn list_endpoints(
    State(state): State<AppState>,
) -> Result<Json<Vec<EndpointView>>, WebhookError> {
    let rows = state.store().list_endpoints().await?;
    Ok(Json(
        rows.into_iter()
            .map(EndpointView::try_from)
            .collect::<Result<_, _>>()?,
    ))
}

/// Creates an endpoint with a fresh `whsec_` secret, returned once.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks",
    request_body = CreateEndpointRequest,
    responses(
        (status = 201, description = "Created; keep the secret", body = CreatedEndpoint),
        (status = 404, description = "`unknown_site`", body = ErrorBody),
        (status = 422, description = "`invalid_request`: bad URL, unknown or no event type", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn create_endpoint(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedEndpoint>), Response> {
    let request: CreateEndpointRequest =
        serde_json::from_value(json_body(&body).map_err(IntoResponse::into_response)?)
            .map_err(|e| WebhookError::InvalidRequest(e.to_string()).into_response())?;
    let created = endpoints::create(
        state.store(),
        request.site.as_deref(),
        request.url.trim(),
        &request.event_types,
    )
    .await
    .map_err(IntoResponse::into_response)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint {
            endpoint: EndpointView::try_from(created.endpoint)
                .map_err(IntoResponse::into_response)?,
            secret: created.secret,
        }),
    ))
}

/// The id of the path: not a number → 422 `invalid_request`.
fn path_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, WebhookError> {
    path.map(|Path(id)| id)
        .map_err(|_| WebhookError::InvalidRequest("id: expected a number".to_owned()))
}

/// Disables an endpoint: no new deliveries, pending ones stop.
#[utoipa::path(post, path = "/api/webhooks/{id}/disable", tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint, inactive", body = EndpointView),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn disable_endpoint(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<EndpointView>, WebhookError> {
    let id = path_id(id)?;
    let row = state
        .store()
        .disable_endpoint(id)
        .await?
        .ok_or(WebhookError::EndpointNotFound(id))?;
    Ok(Json(EndpointView::try_from(row)?))
}

/// One attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// When it started.
    pub attempted_at: String,
    /// HTTP status (`null`: no answer).
    pub status_code: Option<i64>,
    /// What went wrong (`null` for a 2xx).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

impl From<AttemptRow> for AttemptView {
    fn from(a: AttemptRow) -> Self {
        Self {
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// One delivery with its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Delivery id (what `resend` takes).
    pub id: i64,
    /// The `webhook-id` header, the same on every re-send.
    pub message_id: String,
    /// Event type.
    pub event_type: String,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    /// Attempts since created or last re-sent.
    pub attempts: i64,
    /// When the next attempt is due (pending).
    pub next_attempt_at: String,
    /// HTTP status of the last attempt.
    pub last_status_code: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// When a 2xx came.
    pub delivered_at: Option<String>,
    /// When the event was written.
    pub created_at: String,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptView>,
}

impl DeliveryView {
    fn of(d: DeliveryRow, attempts: Vec<AttemptRow>) -> Self {
        Self {
            id: d.id,
            message_id: d.message_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
            attempt_log: attempts.into_iter().map(AttemptView::from).collect(),
        }
    }
}

/// A page of a delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    /// Newest first.
    pub items: Vec<DeliveryView>,
    /// How many the endpoint has.
    pub total: i64,
    /// This page (from 1).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
}

/// Paging of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page, from 1 (default 1).
    pub page: Option<u32>,
    /// Page size, 1–200 (default 50).
    pub per_page: Option<u32>,
}

/// An endpoint's deliveries, newest first, with every attempt.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Endpoint id"), Paging),
    responses(
        (status = 200, description = "The delivery log", body = DeliveryPage),
        (status = 404, description = "`webhook_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_request`: bad paging", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state, paging))]
async fn list_deliveries(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<DeliveryPage>, WebhookError> {
    let id = path_id(id)?;
    let Query(paging) = paging.map_err(|e| WebhookError::InvalidRequest(e.body_text()))?;
    let page = paging.page.unwrap_or(1);
    let per_page = paging.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 || page > u32::MAX / MAX_PER_PAGE || !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(WebhookError::InvalidRequest(format!(
            "page from 1, per_page from 1 to {MAX_PER_PAGE}"
        )));
    }
    let (logged, total) =
        endpoints::delivery_log(state.store(), id, (page - 1) * per_page, per_page).await?;
    Ok(Json(DeliveryPage {
        items: logged
            .into_iter()
            .map(|LoggedDelivery { delivery, attempts }| DeliveryView::of(delivery, attempts))
            .collect(),
        total,
        page,
        per_page,
    }))
}

/// Sends a delivery again: pending and due now, with a fresh attempt
/// budget (a delivered one is sent once more: receivers deduplicate on
/// `webhook-id`).
#[utoipa::path(post, path = "/api/webhooks/deliveries/{id}/resend", tag = "webhooks",
    params(("id" = i64, Path, description = "Delivery id")),
    responses(
        (status = 202, description = "Queued", body = DeliveryView),
        (status = 404, description = "`delivery_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn resend_delivery(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<(StatusCode, Json<DeliveryView>), WebhookError> {
    let id = path_id(id)?;
    let row = state
        .store()
        .resend_delivery(id, &now_timestamp())
        .await?
        .ok_or(WebhookError::DeliveryNotFound(id))?;
    let attempts = state.store().delivery_attempts(&[id]).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryView::of(row, attempts))))
}
