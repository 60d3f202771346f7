//! The admin API under `/api/`: templates, surveys, sites and tokens, behind a
//! bearer token ([`require_token`]), documented by an OpenAPI document
//! generated from the handlers (`GET /api/openapi.json`, public: it
//! describes the API and holds no data).
//!
//! Handlers only parse and call [`crate::admin`], which the `manyi` CLI
//! calls too.

pub mod analysis;
pub mod cases;
pub mod exports;
pub mod reports;
pub mod sites;
pub mod surveys;
pub mod templates;
pub mod tokens;
pub mod webhooks;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use super::{ApiError, AppState};
use crate::admin::{AdminError, tokens as token_auth};

/// The document's frame; paths and schemas are added by the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "manyi admin API",
        description = "Survey management: templates, surveys (versions, publish, pause), sites and admin tokens. \
                       Every path needs `Authorization: Bearer manyi_…` (see `manyi admin-token create`). \
                       Errors are `{code, message, errors}`; 422 `invalid_survey` lists every problem \
                       as `{question: <path>, code, message}`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(ErrorBody, ErrorItem))
)]
struct ApiDoc;

/// Adds the `bearer` security scheme.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The error body of every admin endpoint (documentation only; see
/// [`ApiError`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `invalid_survey`, `unauthorized`.
    pub code: String,
    /// A human sentence.
    pub message: String,
    /// Every validation problem (empty unless 422 `invalid_survey`).
    pub errors: Vec<ErrorItem>,
}

/// One validation problem (documentation only).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorItem {
    /// Path into the definition or request, e.g. `theme.brand_color`,
    /// `questions[2].show_if.value`, `thresholds.nps`.
    pub question: String,
    /// Stable code, e.g. `bad_color`.
    pub code: String,
    /// A human sentence.
    pub message: String,
}

/// The admin routes and their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(templates::router())
        .merge(surveys::router())
        .merge(sites::router())
        .merge(analysis::router())
        .merge(reports::router())
        .merge(exports::router())
        .merge(tokens::router())
        .merge(cases::router())
        .merge(webhooks::router())
        .split_for_parts()
}

/// The admin API: every documented route behind [`require_token`], plus
/// `GET /api/openapi.json`.
pub fn router(state: AppState) -> Router<AppState> {
    let (routes, doc) = api();
    let doc = Arc::new(doc);
    routes
        .route_layer(middleware::from_fn_with_state(state, require_token))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { Json(doc) }
            }),
        )
}

/// Middleware: the request must carry `Authorization: Bearer <token>` with
/// a known token. No header, another scheme or a malformed token → 401
/// `unauthorized`; a well-formed but unknown (or revoked) token → 401
/// `invalid_token`.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(token_auth::bearer)
        .ok_or(AdminError::Unauthorized)?;
    let token = token_auth::authenticate(state.store(), presented).await?;
    tracing::debug!(token = %token.name, "admin request");
    // Handlers may ask which token is calling (`GET /api/tokens` marks it).
    request.extensions_mut().insert(token);
    Ok(next.run(request).await)
}

/// Parses a JSON request body: not JSON → 400 `malformed_json`.
pub(crate) fn json_body(body: &Bytes) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::from_json_error)
}
