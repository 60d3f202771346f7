//! `/api/sites`: create a site (its signing secret is returned once), list
//! sites, change one (name, allowed origins, signature requirement, a new
//! secret).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, json_body};
use crate::admin::{AdminError, sites};
use crate::http::{ApiError, AppState};
use crate::store::site_admin::SiteSummary;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites, create_site))
        .routes(routes!(update_site))
}

/// `POST /api/sites`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSiteRequest {
    /// The public key, as in `data-site="…"`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Origins allowed to post (`*`, or `https://host[:port]`); none: only
    /// the collector's own pages and non-browser clients.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Refuse responses without a valid signature.
    #[serde(default)]
    pub require_signature: bool,
}

/// A site just created, with its signing secret: shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSiteResponse {
    /// The site key.
    pub key: String,
    /// The allowed origins as stored (normalised).
    pub allowed_origins: Vec<String>,
    /// Whether signatures are required.
    pub require_signature: bool,
    /// The HMAC signing secret (64 hex digits). Not retrievable later.
    pub secret: String,
}

/// A site in `GET /api/sites` (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    /// The site key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Allowed origins.
    pub allowed_origins: Vec<String>,
    /// Whether signatures are required.
    pub require_signature: bool,
    /// Whether a signing secret is set.
    pub has_secret: bool,
    /// When it was created (RFC 3339 UTC).
    pub created_at: String,
}

impl From<SiteSummary> for SiteView {
    fn from(s: SiteSummary) -> Self {
        Self {
            key: s.key.to_string(),
            name: s.name,
            allowed_origins: s.allowed_origins,
            require_signature: s.require_signature,
            has_secret: s.has_secret,
            created_at: s.created_at,
        }
    }
}

/// `PATCH /api/sites/{key}`: every field optional; absent ones stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSiteRequest {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New allowed origins, replacing the list (`[]`: only the collector's
    /// own pages and non-browser clients).
    #[serde(default)]
    pub allowed_origins: Option<Vec<String>>,
    /// New signature requirement.
    #[serde(default)]
    pub require_signature: Option<bool>,
    /// `true`: make a new signing secret, returned once; signatures made
    /// with the old one are refused from now on.
    #[serde(default)]
    pub rotate_secret: bool,
}

/// A site after a change, with its new secret when one was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatedSiteResponse {
    /// The site as now stored.
    pub site: SiteView,
    /// The new signing secret (only when `rotate_secret` was asked; shown
    /// only now).
    pub secret: Option<String>,
}

/// Every site.
#[utoipa::path(get, path = "/api/sites", tag = "sites",
    responses((status = 200, description = "Every site", body = [SiteView])))]
#[tracing::instrument(skip_all)]
async fn list_sites(State(state): State<AppState>) -> Result<Json<Vec<SiteView>>, ApiError> {
    let sites = sites::list(state.store()).await?;
    Ok(Json(sites.into_iter().map(SiteView::from).collect()))
}

/// Changes a site's name, allowed origins or signature requirement, or
/// gives it a new signing secret.
#[utoipa::path(patch, path = "/api/sites/{key}", tag = "sites",
    params(("key" = String, Path, description = "Site key")),
    request_body = UpdateSiteRequest,
    responses(
        (status = 200, description = "Changed", body = UpdatedSiteResponse),
        (status = 404, description = "`unknown_site`", body = ErrorBody),
        (status = 422, description = "`invalid_request` (paths `name`, `allowed_origins[i]`)", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state, body))]
async fn update_site(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Json<UpdatedSiteResponse>, ApiError> {
    let request: UpdateSiteRequest = serde_json::from_value(json_body(&body)?)
        .map_err(|e| AdminError::InvalidRequest(e.to_string()))?;
    let (site, secret) = sites::update(
        state.store(),
        &key,
        &sites::SiteUpdate {
            name: request.name.as_deref(),
            origins: request.allowed_origins.as_deref(),
            require_signature: request.require_signature,
            rotate_secret: request.rotate_secret,
        },
    )
    .await?;
    Ok(Json(UpdatedSiteResponse {
        site: site.into(),
        secret: secret.map(|s| s.expose_secret().to_owned()),
    }))
}

/// Creates a site with a fresh signing secret, returned once.
#[utoipa::path(post, path = "/api/sites", tag = "sites",
    request_body = CreateSiteRequest,
    responses(
        (status = 201, description = "Created; keep the secret on your servers", body = CreatedSiteResponse),
        (status = 409, description = "`site_exists`", body = ErrorBody),
        (status = 422, description = "`invalid_request`", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn create_site(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedSiteResponse>), ApiError> {
    let request: CreateSiteRequest = serde_json::from_value(json_body(&body)?)
        .map_err(|e| AdminError::InvalidRequest(e.to_string()))?;
    let created = sites::create(
        state.store(),
        &sites::SiteSpec {
            key: &request.key,
            name: &request.name,
            origins: &request.allowed_origins,
            require_signature: request.require_signature,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSiteResponse {
            key: created.key.to_string(),
            allowed_origins: created.origins,
            require_signature: request.require_signature,
            secret: created.secret.expose_secret().to_owned(),
        }),
    ))
}
