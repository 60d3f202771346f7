//! `GET /api/templates`, `GET /api/templates/{id}`: the template catalogue.

use axum::Json;
use axum::extract::Path;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::admin::AdminError;
use crate::http::{ApiError, AppState};
use crate::templates::{self, Template};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(get_template))
}

/// A template in the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateSummary {
    /// Template id (pass it as `template` to `POST /api/surveys`).
    pub id: String,
    /// Display name by locale.
    #[schema(value_type = Object)]
    pub name: serde_json::Value,
    /// Description by locale.
    #[schema(value_type = Object)]
    pub description: serde_json::Value,
    /// Catalogue section, e.g. `transaction`, `loyalty`.
    pub category: String,
    /// Expected time to complete, in seconds.
    pub estimated_seconds: u32,
    /// Search tags.
    pub tags: Vec<String>,
    /// The question ids, in order.
    pub questions: Vec<String>,
}

/// A template with its survey definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDetail {
    /// Catalogue information.
    #[schema(value_type = Object)]
    pub template: serde_json::Value,
    /// The survey definition it starts from (version 1).
    #[schema(value_type = Object)]
    pub survey: serde_json::Value,
}

/// The catalogue entry of a template.
pub fn summary(t: &Template) -> TemplateSummary {
    let meta = serde_json::to_value(&t.meta).unwrap_or_default();
    TemplateSummary {
        id: t.meta.id.to_string(),
        name: meta["name"].clone(),
        description: meta["description"].clone(),
        category: meta["category"].as_str().unwrap_or_default().to_owned(),
        estimated_seconds: t.meta.estimated_seconds,
        tags: t.meta.tags.clone(),
        questions: t
            .survey
            .questions
            .iter()
            .map(|q| q.id.to_string())
            .collect(),
    }
}

/// Every template, in catalogue order.
#[utoipa::path(get, path = "/api/templates", tag = "templates",
    responses(
        (status = 200, description = "The catalogue", body = [TemplateSummary]),
        (status = 401, description = "No or invalid token", body = super::ErrorBody),
    ))]
async fn list_templates() -> Json<Vec<TemplateSummary>> {
    Json(templates::all().iter().map(summary).collect())
}

/// One template with its survey definition.
#[utoipa::path(get, path = "/api/templates/{id}", tag = "templates",
    params(("id" = String, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = TemplateDetail),
        (status = 404, description = "`template_not_found`", body = super::ErrorBody),
    ))]
async fn get_template(Path(id): Path<String>) -> Result<Json<TemplateDetail>, ApiError> {
    let t = templates::get(&id).ok_or(AdminError::TemplateNotFound(id))?;
    Ok(Json(TemplateDetail {
        template: serde_json::to_value(&t.meta).map_err(crate::store::StoreError::from)?,
        survey: serde_json::to_value(&t.survey).map_err(crate::store::StoreError::from)?,
    }))
}
