//! `/api/surveys`: create from a template, list, show, edit, publish, pause.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, json_body};
use crate::admin::surveys::{
    self, CreateSurvey, EditSurvey, Overrides, SurveyDetail, SurveyListItem,
};
use crate::http::{ApiError, AppState};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_surveys, create_survey))
        .routes(routes!(get_survey, edit_survey))
        .routes(routes!(publish_survey))
        .routes(routes!(pause_survey))
}

/// Every survey: latest version and status, newest published version.
#[utoipa::path(get, path = "/api/surveys", tag = "surveys",
    responses((status = 200, description = "Every survey", body = [SurveyListItem])))]
#[tracing::instrument(skip_all)]
async fn list_surveys(
    State(state): State<AppState>,
) -> Result<Json<Vec<SurveyListItem>>, ApiError> {
    Ok(Json(surveys::list(state.store()).await?))
}

/// Creates a survey from a template with overrides, as version 1, a draft.
#[utoipa::path(post, path = "/api/surveys", tag = "surveys",
    request_body(content = CreateSurvey, description = "The template, the new id and site, and overrides (see `Overrides`)"),
    responses(
        (status = 201, description = "Created (draft v1)", body = SurveyDetail),
        (status = 404, description = "`template_not_found`, `unknown_site`", body = ErrorBody),
        (status = 409, description = "`survey_exists`", body = ErrorBody),
        (status = 422, description = "`invalid_survey` (every problem, with its path) or `invalid_request`", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn create_survey(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<SurveyDetail>), ApiError> {
    let request = CreateSurvey::from_json(json_body(&body)?)?;
    let detail = surveys::create(state.store(), &request).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// The latest version, every version's status, the sampling settings.
#[utoipa::path(get, path = "/api/surveys/{id}", tag = "surveys",
    params(("id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "The survey", body = SurveyDetail),
        (status = 404, description = "`survey_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn get_survey(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SurveyDetail>, ApiError> {
    Ok(Json(surveys::get(state.store(), &id).await?))
}

/// Edits a survey: `{"definition": {…}}` and/or override fields. A draft
/// latest version is updated in place; otherwise the next version is stored
/// as a draft (published versions never change).
#[utoipa::path(put, path = "/api/surveys/{id}", tag = "surveys",
    params(("id" = String, Path, description = "Survey id")),
    request_body(content = Overrides, description = "Override fields, plus optionally `definition`: a complete survey definition"),
    responses(
        (status = 200, description = "The edited survey", body = SurveyDetail),
        (status = 404, description = "`survey_not_found`", body = ErrorBody),
        (status = 409, description = "`edit_conflict`: changed meanwhile, retry", body = ErrorBody),
        (status = 422, description = "`invalid_survey` or `invalid_request`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state, body))]
async fn edit_survey(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<SurveyDetail>, ApiError> {
    let edit = EditSurvey::from_json(json_body(&body)?)?;
    Ok(Json(surveys::edit(state.store(), &id, &edit).await?))
}

/// Publishes the latest version (a draft, or a paused one: resumes).
/// Older published versions stay answerable; `GET /v1/surveys/{id}` serves
/// the newest.
#[utoipa::path(post, path = "/api/surveys/{id}/publish", tag = "surveys",
    params(("id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "Published", body = SurveyDetail),
        (status = 404, description = "`survey_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn publish_survey(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SurveyDetail>, ApiError> {
    Ok(Json(surveys::publish(state.store(), &id).await?))
}

/// Pauses every published version: not served, responses refused,
/// eligibility `survey_paused`.
#[utoipa::path(post, path = "/api/surveys/{id}/pause", tag = "surveys",
    params(("id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "Paused", body = SurveyDetail),
        (status = 404, description = "`survey_not_found`", body = ErrorBody),
        (status = 409, description = "`not_published`: never published", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn pause_survey(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SurveyDetail>, ApiError> {
    Ok(Json(surveys::pause(state.store(), &id).await?))
}
