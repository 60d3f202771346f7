//! `/api/surveys/{id}/quality`, `/api/keywords`, `/api/case-rules`: the
//! settings of the response analysis (data-quality thresholds per survey,
//! tagging keywords and follow-up case rules per site). Changes apply to
//! responses analysed from then on.
//!
//! Handlers parse and call [`crate::analytics::settings`]. Refusals keep the
//! admin API's body (`{code, message, errors}`): 422 `invalid_request` lists
//! each bad field as `{question: <field>, code, message}` (codes such as
//! `out_of_range`, `required`, `unknown_locale`, `bad_tag`,
//! `unknown_priority`, `no_condition`); 404 `survey_not_found`,
//! `unknown_site`, `keyword_not_found`, `rule_not_found`; 409
//! `keyword_exists`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, json_body};
use crate::analytics::case_rules::{self, Rule, RuleInput};
use crate::analytics::keywords::{self, KeywordEntry};
use crate::analytics::quality;
use crate::analytics::settings::{self, AddRule, EffectiveQuality, FieldProblem, SettingsError};
use crate::http::{ApiError, AppState};
use crate::store::analysis::{KeywordRow, RuleRow};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_quality, set_quality))
        .routes(routes!(list_keywords, add_keyword))
        .routes(routes!(delete_keyword))
        .routes(routes!(list_rules, add_rule))
        .routes(routes!(delete_rule))
}

/// A refusal of these endpoints.
#[derive(Debug)]
pub enum AnalysisApiError {
    /// A refusal shared with the rest of the API (malformed JSON, internal).
    Api(ApiError),
    /// A settings refusal.
    Settings(SettingsError),
}

impl From<ApiError> for AnalysisApiError {
    fn from(e: ApiError) -> Self {
        AnalysisApiError::Api(e)
    }
}

impl From<SettingsError> for AnalysisApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            // Internal: the shared error type logs it and answers opaquely.
            SettingsError::Store(e) => AnalysisApiError::Api(ApiError::Store(e)),
            e => AnalysisApiError::Settings(e),
        }
    }
}

/// One listed problem, in the shape of the API's other validation errors.
#[derive(Debug, Serialize)]
struct ProblemBody<'a> {
    question: &'a str,
    code: &'a str,
    message: &'a str,
}

#[derive(Debug, Serialize)]
struct RefusalBody<'a> {
    code: &'a str,
    message: String,
    errors: Vec<ProblemBody<'a>>,
}

impl IntoResponse for AnalysisApiError {
    fn into_response(self) -> Response {
        let e = match self {
            AnalysisApiError::Api(e) => return e.into_response(),
            AnalysisApiError::Settings(SettingsError::Store(e)) => {
                return ApiError::Store(e).into_response();
            }
            AnalysisApiError::Settings(e) => e,
        };
        let status = match &e {
            SettingsError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            SettingsError::KeywordExists => StatusCode::CONFLICT,
            SettingsError::SurveyNotFound(_)
            | SettingsError::UnknownSite(_)
            | SettingsError::KeywordNotFound(_)
            | SettingsError::RuleNotFound(_) => StatusCode::NOT_FOUND,
            SettingsError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let errors = match &e {
            SettingsError::Invalid(problems) => problems
                .iter()
                .map(|p| ProblemBody {
                    question: &p.field,
                    code: p.code,
                    message: &p.message,
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = RefusalBody {
            code: e.code(),
            message: e.to_string(),
            errors,
        };
        (status, Json(body)).into_response()
    }
}

/// Parses a JSON body into `T`: not JSON → 400 `malformed_json`; the wrong
/// shape (unknown field, wrong type, missing field) → 422 `invalid_request`
/// with the serde message under `body`.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, AnalysisApiError> {
    serde_json::from_value(json_body(body)?).map_err(|e| {
        SettingsError::Invalid(vec![FieldProblem {
            field: "body".to_owned(),
            code: "invalid_body",
            message: e.to_string(),
        }])
        .into()
    })
}

/// An id in the path: anything but an integer names nothing.
fn path_id(raw: &str, missing: fn(String) -> SettingsError) -> Result<i64, AnalysisApiError> {
    raw.parse::<i64>()
        .map_err(|_| missing(raw.to_owned()).into())
}

// ---- quality ---------------------------------------------------------------

/// A survey's data-quality settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct QualityView {
    /// The survey.
    pub survey_id: String,
    /// Whether settings were stored; otherwise the defaults apply.
    pub configured: bool,
    /// Too fast below this many seconds (0: never). `null` when not
    /// configured: the survey's `display.min_seconds`, else
    /// `default_seconds_per_answer` per answered question.
    pub min_seconds: Option<u32>,
    /// Suspected duplicate within this many minutes (0: never).
    pub duplicate_window_minutes: u32,
    /// The default per answered question (seconds).
    pub default_seconds_per_answer: u32,
    /// When the settings were stored.
    pub updated_at: Option<String>,
}

impl From<EffectiveQuality> for QualityView {
    fn from(q: EffectiveQuality) -> Self {
        Self {
            survey_id: q.survey_id,
            configured: q.stored.is_some(),
            min_seconds: q.stored.map(|s| s.min_seconds),
            duplicate_window_minutes: q
                .stored
                .map_or(quality::DEFAULT_DUPLICATE_WINDOW_MINUTES, |s| {
                    s.duplicate_window_minutes
                }),
            default_seconds_per_answer: quality::DEFAULT_SECONDS_PER_ANSWER,
            updated_at: q.updated_at,
        }
    }
}

/// `PUT /api/surveys/{id}/quality`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQualityRequest {
    /// Too fast below this many seconds, 0..=3600 (0 disables `too_fast`).
    pub min_seconds: i64,
    /// Same customer, another order, within this many minutes:
    /// 0..=525600 (0 disables `suspected_duplicate`).
    pub duplicate_window_minutes: i64,
}

/// A survey's data-quality settings (stored or default).
#[utoipa::path(get, path = "/api/surveys/{id}/quality", tag = "analysis",
    params(("id" = String, Path, description = "Survey id")),
    responses(
        (status = 200, description = "The settings", body = QualityView),
        (status = 404, description = "`survey_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn get_quality(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<QualityView>, AnalysisApiError> {
    Ok(Json(settings::quality(state.store(), &id).await?.into()))
}

/// Sets a survey's data-quality settings, for responses analysed from now on.
#[utoipa::path(put, path = "/api/surveys/{id}/quality", tag = "analysis",
    params(("id" = String, Path, description = "Survey id")),
    request_body = SetQualityRequest,
    responses(
        (status = 200, description = "Stored", body = QualityView),
        (status = 404, description = "`survey_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_request` (`out_of_range`, `invalid_body`)", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state, body))]
async fn set_quality(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<QualityView>, AnalysisApiError> {
    let request: SetQualityRequest = parse(&body)?;
    let stored = settings::set_quality(
        state.store(),
        &id,
        request.min_seconds,
        request.duplicate_window_minutes,
    )
    .await?;
    Ok(Json(stored.into()))
}

// ---- keywords --------------------------------------------------------------

/// `?site=KEY`: only what applies to this site.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SiteFilter {
    /// A site key.
    pub site: Option<String>,
}

/// A built-in keyword.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordView {
    /// `zh-CN`, `zh-TW` or `en`.
    pub locale: String,
    /// The word or phrase (matched case-insensitively inside any free text).
    pub keyword: String,
    /// The tag it sets.
    pub tag: String,
    /// Alert keywords make the follow-up case urgent.
    pub alert: bool,
}

impl From<&KeywordEntry> for KeywordView {
    fn from(e: &KeywordEntry) -> Self {
        Self {
            locale: e.locale.clone(),
            keyword: e.keyword.clone(),
            tag: e.tag.clone(),
            alert: e.alert,
        }
    }
}

/// A keyword added through the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomKeywordView {
    /// Its id (for `DELETE`).
    pub id: i64,
    /// The site; `null`: every site.
    pub site: Option<String>,
    /// `zh-CN`, `zh-TW` or `en`.
    pub locale: String,
    /// The word or phrase.
    pub keyword: String,
    /// The tag it sets.
    pub tag: String,
    /// Whether it is an alert keyword.
    pub alert: bool,
    /// When it was added.
    pub created_at: String,
}

impl From<KeywordRow> for CustomKeywordView {
    fn from(k: KeywordRow) -> Self {
        Self {
            id: k.id,
            site: k.site,
            locale: k.entry.locale,
            keyword: k.entry.keyword,
            tag: k.entry.tag,
            alert: k.entry.alert,
            created_at: k.created_at,
        }
    }
}

/// The dictionaries: built-in and added.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordsView {
    /// Shipped with the collector (`collector/src/analytics/keywords.json`).
    pub builtin: Vec<KeywordView>,
    /// Added through the API.
    pub custom: Vec<CustomKeywordView>,
}

/// `POST /api/keywords`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddKeywordRequest {
    /// The site; absent: every site.
    #[serde(default)]
    pub site: Option<String>,
    /// `zh-CN`, `zh-TW` or `en` (the dictionary; matching ignores the
    /// response's locale).
    pub locale: String,
    /// 1..=100 characters.
    pub keyword: String,
    /// `a-z`, `0-9`, `_`; 1..=64 characters.
    pub tag: String,
    /// An alert keyword (makes the case urgent).
    #[serde(default)]
    pub alert: bool,
}

/// The built-in dictionaries and the keywords added (of `site` and of every
/// site, or all of them).
#[utoipa::path(get, path = "/api/keywords", tag = "analysis",
    params(SiteFilter),
    responses((status = 200, description = "Keywords", body = KeywordsView)))]
#[tracing::instrument(skip(state))]
async fn list_keywords(
    State(state): State<AppState>,
    Query(filter): Query<SiteFilter>,
) -> Result<Json<KeywordsView>, AnalysisApiError> {
    let custom = settings::list_keywords(state.store(), filter.site.as_deref()).await?;
    Ok(Json(KeywordsView {
        builtin: keywords::builtin().iter().map(KeywordView::from).collect(),
        custom: custom.into_iter().map(CustomKeywordView::from).collect(),
    }))
}

/// Adds a keyword to a site's dictionary (or every site's).
#[utoipa::path(post, path = "/api/keywords", tag = "analysis",
    request_body = AddKeywordRequest,
    responses(
        (status = 201, description = "Added", body = CustomKeywordView),
        (status = 404, description = "`unknown_site`", body = ErrorBody),
        (status = 409, description = "`keyword_exists`", body = ErrorBody),
        (status = 422, description = "`invalid_request` (`unknown_locale`, `required`, `too_long`, `control_characters`, `bad_tag`, `invalid_body`)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn add_keyword(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<CustomKeywordView>), AnalysisApiError> {
    let r: AddKeywordRequest = parse(&body)?;
    let row = settings::add_keyword(
        state.store(),
        r.site.as_deref(),
        KeywordEntry {
            locale: r.locale,
            keyword: r.keyword,
            tag: r.tag,
            alert: r.alert,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Deletes an added keyword.
#[utoipa::path(delete, path = "/api/keywords/{id}", tag = "analysis",
    params(("id" = i64, Path, description = "Keyword id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`keyword_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn delete_keyword(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AnalysisApiError> {
    let id = path_id(&id, SettingsError::KeywordNotFound)?;
    settings::delete_keyword(state.store(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- case rules ------------------------------------------------------------

/// A case rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// `builtin:…`, or the id of a site's rule (for `DELETE`).
    pub id: String,
    /// The site (`null` for built-in rules).
    pub site: Option<String>,
    /// Only this survey; `null`: every survey.
    pub survey_id: Option<String>,
    /// Condition: the lowest answer to a question of this kind …
    pub score_kind: Option<String>,
    /// … is at most this.
    pub score_max: Option<i64>,
    /// Condition: an alert keyword matched.
    pub alert: bool,
    /// Condition: this tag was found.
    pub tag: Option<String>,
    /// Condition: the response's segment.
    pub segment: Option<String>,
    /// `urgent` (due in 1 h), `high` (4 h), `normal` (24 h).
    pub priority: String,
    /// Who calls back.
    pub owner: Option<String>,
    /// Tie-break among rules of equal priority: lower first.
    pub position: i64,
    /// When it was added (`null` for built-in rules).
    pub created_at: Option<String>,
}

impl RuleView {
    fn new(rule: Rule, site: Option<String>, created_at: Option<String>) -> Self {
        let c = rule.conditions;
        Self {
            id: rule.id,
            site,
            survey_id: rule.survey_id,
            score_kind: c.score.map(|s| s.kind.as_str().to_owned()),
            score_max: c.score.map(|s| s.max),
            alert: c.alert,
            tag: c.tag,
            segment: c.segment,
            priority: rule.priority.as_str().to_owned(),
            owner: rule.owner,
            position: rule.position,
            created_at,
        }
    }
}

impl From<RuleRow> for RuleView {
    fn from(r: RuleRow) -> Self {
        RuleView::new(r.rule, Some(r.site), Some(r.created_at))
    }
}

/// Built-in and site rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    /// Apply to sites without rules of their own.
    pub builtin: Vec<RuleView>,
    /// Sites' own rules (a site with any uses only its own).
    pub custom: Vec<RuleView>,
}

/// `POST /api/case-rules`: at least one condition.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRuleRequest {
    /// The site.
    pub site: String,
    /// Only this survey of the site.
    #[serde(default)]
    pub survey_id: Option<String>,
    /// `nps`, `csat`, `ces` or `likert`, with `score_max`.
    #[serde(default)]
    pub score_kind: Option<String>,
    /// Inclusive threshold within the kind's scale.
    #[serde(default)]
    pub score_max: Option<i64>,
    /// Require an alert keyword.
    #[serde(default)]
    pub alert: bool,
    /// Require this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// Require this segment (e.g. `vip`).
    #[serde(default)]
    pub segment: Option<String>,
    /// `urgent`, `high` or `normal`.
    pub priority: String,
    /// Who calls back.
    #[serde(default)]
    pub owner: Option<String>,
    /// Tie-break (default 0).
    #[serde(default)]
    pub position: i64,
}

/// The built-in rules and the sites' own (of `site`, or all).
#[utoipa::path(get, path = "/api/case-rules", tag = "analysis",
    params(SiteFilter),
    responses((status = 200, description = "Rules", body = RulesView)))]
#[tracing::instrument(skip(state))]
async fn list_rules(
    State(state): State<AppState>,
    Query(filter): Query<SiteFilter>,
) -> Result<Json<RulesView>, AnalysisApiError> {
    let custom = settings::list_rules(state.store(), filter.site.as_deref()).await?;
    Ok(Json(RulesView {
        builtin: case_rules::builtin()
            .into_iter()
            .map(|r| RuleView::new(r, None, None))
            .collect(),
        custom: custom.into_iter().map(RuleView::from).collect(),
    }))
}

/// Adds a rule to a site; from then on the site's own rules replace the
/// built-in ones.
#[utoipa::path(post, path = "/api/case-rules", tag = "analysis",
    request_body = AddRuleRequest,
    responses(
        (status = 201, description = "Added", body = RuleView),
        (status = 404, description = "`unknown_site`, `survey_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_request` (`unknown_kind`, `out_of_range`, `required`, `too_long`, `bad_tag`, `unknown_priority`, `no_condition`, `invalid_body`)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn add_rule(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<RuleView>), AnalysisApiError> {
    let r: AddRuleRequest = parse(&body)?;
    let row = settings::add_rule(
        state.store(),
        &AddRule {
            site: &r.site,
            survey_id: r.survey_id.as_deref(),
            input: RuleInput {
                score_kind: r.score_kind.as_deref(),
                score_max: r.score_max,
                alert: r.alert,
                tag: r.tag.as_deref(),
                segment: r.segment.as_deref(),
                priority: &r.priority,
                owner: r.owner.as_deref(),
            },
            position: r.position,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Deletes a site's rule.
#[utoipa::path(delete, path = "/api/case-rules/{id}", tag = "analysis",
    params(("id" = i64, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`rule_not_found`", body = ErrorBody),
    ))]
#[tracing::instrument(skip(state))]
async fn delete_rule(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AnalysisApiError> {
    let id = path_id(&id, SettingsError::RuleNotFound)?;
    settings::delete_rule(state.store(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
