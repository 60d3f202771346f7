//! `GET /v1/surveys/{survey_id}`: the published definition the widget renders.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use manyi_shared::SurveyId;

use super::{ApiError, AppState};

/// Browsers and CDNs may reuse a definition this long: publishing a new
/// version reaches customers within a minute, and a busy page does not ask
/// for the definition on every view.
const CACHE_CONTROL: &str = "public, max-age=60";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    // Definitions are fetched by every widget on a phone link: brotli them
    // (a 3-question survey goes from ~2.1 KB to well under 1 KB).
    Router::new()
        .route("/v1/surveys/{survey_id}", get(get_survey))
        .layer(tower_http::compression::CompressionLayer::new())
}

/// The latest published version of a survey, as the shared `Survey` type.
#[tracing::instrument(skip(state))]
async fn get_survey(
    State(state): State<AppState>,
    Path(survey_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let not_found = || ApiError::SurveyNotFound(format!("no published survey {survey_id:?}"));
    // An id that is not even well-formed cannot name a stored survey.
    let id = SurveyId::parse(survey_id.as_str()).map_err(|_| not_found())?;
    let survey = state
        .store
        .latest_published_survey(&id)
        .await?
        .ok_or_else(not_found)?;
    Ok(([(header::CACHE_CONTROL, CACHE_CONTROL)], Json(survey)))
}
