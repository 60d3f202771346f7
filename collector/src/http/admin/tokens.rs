//! `/api/tokens`: list admin tokens, create one (returned once), revoke one.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use manyi_shared::{ErrorCode, ValidationError};

use super::{ErrorBody, json_body};
use crate::admin::{AdminError, tokens};
use crate::http::{ApiError, AppState};
use crate::store::admin_tokens::AdminToken;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// `POST /api/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// What the token is for, e.g. `ops laptop` (1 to 100 characters).
    pub name: String,
}

/// A token just created: the token itself is shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenResponse {
    /// Its id (`DELETE /api/tokens/{id}` revokes it).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The token, to send as `Authorization: Bearer …`. Not retrievable
    /// later: only its SHA-256 is stored.
    pub token: String,
}

/// A token in `GET /api/tokens` (never the token nor its hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Its id.
    pub id: i64,
    /// What it is for.
    pub name: String,
    /// When it was created (RFC 3339 UTC).
    pub created_at: String,
    /// When it was last used (RFC 3339 UTC, refreshed about once a minute),
    /// if ever.
    pub last_used_at: Option<String>,
    /// Whether this is the token of the request asking.
    pub current: bool,
}

/// Every admin token, oldest first.
#[utoipa::path(get, path = "/api/tokens", tag = "tokens",
    responses((status = 200, description = "Every token (names and dates only)", body = [TokenView])))]
#[tracing::instrument(skip_all)]
async fn list_tokens(
    State(state): State<AppState>,
    Extension(me): Extension<AdminToken>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let list = tokens::list(state.store()).await?;
    Ok(Json(
        list.into_iter()
            .map(|t| TokenView {
                current: t.id == me.id,
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
            })
            .collect(),
    ))
}

/// Creates a token, returned once.
#[utoipa::path(post, path = "/api/tokens", tag = "tokens",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "Created; the token is shown only now", body = CreatedTokenResponse),
        (status = 422, description = "`invalid_request` (path `name`)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn create_token(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedTokenResponse>), ApiError> {
    let request: CreateTokenRequest = serde_json::from_value(json_body(&body)?)
        .map_err(|e| AdminError::InvalidRequest(e.to_string()))?;
    let created = tokens::create(state.store(), &request.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenResponse {
            id: created.id,
            name: created.name,
            token: created.token.expose_secret().to_owned(),
        }),
    ))
}

/// Revokes a token: the next request presenting it gets 401 `invalid_token`.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id (from `GET /api/tokens`)")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "`token_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    // Parsed here, not by the extractor, so that a bad id gets the JSON
    // error body every admin endpoint answers with.
    let id = id.parse::<i64>().map_err(|_| {
        AdminError::InvalidFields(vec![ValidationError::new(
            "id",
            ErrorCode::WrongType,
            format!("token id {id:?} is not an integer"),
        )])
    })?;
    tokens::revoke(state.store(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
