//! Surveys: created from a template with overrides, edited, published and
//! paused.
//!
//! # Versions
//! - `POST /api/surveys` (or `manyi survey create`) stores version 1 as a
//!   draft.
//! - An edit changes the latest version in place while it is a draft. Once a
//!   version has been published (now `published` or `paused`) it is
//!   immutable: an edit stores the next version as a new draft, so every
//!   stored response keeps pointing at the exact definition it answered.
//! - Publishing makes the latest version `published`. Older published
//!   versions **stay published**: `GET /v1/surveys/{id}` serves the newest,
//!   and a response still in flight for an older version (a customer who
//!   opened the survey before the publish) is validated against that older
//!   version and accepted. The admin API marks such a version
//!   *superseded* ([`VersionView::superseded_by`]): no longer served, still
//!   answerable, with its own response count.
//! - Pausing turns every published version into `paused`: the survey is not
//!   served, responses to it are refused (`survey_not_found`) and the
//!   eligibility check answers `survey_paused`. Publishing again resumes the
//!   latest version only.
//!
//! # Overrides
//! [`Overrides`] adjust a template (or the current definition) without
//! writing the JSON by hand; the result is checked with
//! [`manyi_shared::validate_survey`], and every problem is reported with its
//! path (`theme.brand_color`, `questions[1].show_if.value`, `thresholds.nps`).

use std::collections::BTreeMap;

use manyi_shared::{
    Condition, ErrorCode, Locale, QuestionId, SiteKey, Survey, SurveyId, ValidationError,
    condition::CompareOp, survey::DisplayMode, validate_survey,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AdminError;
use crate::eligibility::Policy;
use crate::store::Store;
use crate::store::eligibility::{DEFAULT_SEGMENT, SamplingRow};
use crate::store::survey_admin::{SurveySummary, VersionInfo};
use crate::store::surveys::SurveyStatus;
use crate::templates;

/// Adjustments applied on top of a template or of the current definition.
/// Every field is optional; absent fields change nothing.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// The declared locales, e.g. `["zh-CN", "en"]` (`zh-CN`, `zh-TW`, `en`).
    /// When `default_locale` is not given and the current default is not
    /// among them, the first becomes the default.
    #[serde(default)]
    pub locales: Option<Vec<String>>,
    /// The fallback locale (must be declared).
    #[serde(default)]
    pub default_locale: Option<String>,
    /// Brand colour, `#rrggbb`.
    #[serde(default)]
    pub brand_color: Option<String>,
    /// `auto`, `inline`, `bottom_sheet` or `modal`.
    #[serde(default)]
    pub display_mode: Option<String>,
    /// New question texts: question id → locale tag → text.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, BTreeMap<String, String>>>)]
    pub question_texts: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// Low-score thresholds: score question id → the highest score that
    /// still shows its "what went wrong" follow-ups. Every `lte`/`lt`
    /// comparison on that question in a `show_if` becomes `lte` this value.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, i64>>)]
    pub thresholds: Option<BTreeMap<String, i64>>,
    /// Sampling rates by customer segment, 0..=1 (`default` for everyone
    /// else), stored in the survey's eligibility settings.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, f64>>)]
    pub sampling: Option<BTreeMap<String, f64>>,
    /// Days before a customer who answered may be asked again (0: no rule).
    /// Applies to every segment in `sampling`; without `sampling`, it is
    /// set on the `default` segment (asking everyone).
    #[serde(default)]
    pub recontact_days: Option<u32>,
}

impl Overrides {
    /// Takes the override fields out of a JSON object, leaving the others.
    fn take_from(map: &mut serde_json::Map<String, serde_json::Value>) -> Result<Self, AdminError> {
        let mut own = serde_json::Map::new();
        for field in [
            "locales",
            "default_locale",
            "brand_color",
            "display_mode",
            "question_texts",
            "thresholds",
            "sampling",
            "recontact_days",
        ] {
            if let Some(v) = map.remove(field) {
                own.insert(field.to_owned(), v);
            }
        }
        serde_json::from_value(serde_json::Value::Object(own))
            .map_err(|e| AdminError::InvalidRequest(e.to_string()))
    }
}

/// `POST /api/surveys`: a new survey from a template.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct CreateSurvey {
    /// The template id (see `GET /api/templates`).
    pub template: String,
    /// The new survey's id, e.g. `checkout-2026`.
    pub survey_id: String,
    /// The site it belongs to.
    pub site: String,
    /// Adjustments.
    #[serde(flatten)]
    pub overrides: Overrides,
}

impl CreateSurvey {
    /// Parses the request body, refusing unknown fields (a typo must not be
    /// silently ignored).
    pub fn from_json(v: serde_json::Value) -> Result<Self, AdminError> {
        let serde_json::Value::Object(mut map) = v else {
            return Err(AdminError::InvalidRequest(
                "the body must be a JSON object".into(),
            ));
        };
        let overrides = Overrides::take_from(&mut map)?;
        let mut field = |name: &str| match map.remove(name) {
            Some(serde_json::Value::String(s)) => Ok(s),
            Some(_) => Err(AdminError::InvalidRequest(format!(
                "`{name}` must be a string"
            ))),
            None => Err(AdminError::InvalidRequest(format!("`{name}` is missing"))),
        };
        let template = field("template")?;
        let survey_id = field("survey_id")?;
        let site = field("site")?;
        if let Some(unknown) = map.keys().next() {
            return Err(AdminError::InvalidRequest(format!(
                "unknown field `{unknown}`"
            )));
        }
        Ok(Self {
            template,
            survey_id,
            site,
            overrides,
        })
    }
}

/// `PUT /api/surveys/{id}`: a full definition, overrides, or both (the
/// overrides then apply on top of the given definition).
#[derive(Debug, Clone, PartialEq, Default, ToSchema)]
pub struct EditSurvey {
    /// A complete definition (its `id` must be the survey's; its `version`
    /// is ignored: the collector numbers versions).
    #[schema(value_type = Option<Object>)]
    pub definition: Option<Survey>,
    /// Adjustments.
    pub overrides: Overrides,
}

impl EditSurvey {
    /// Parses the request body, refusing unknown fields.
    pub fn from_json(v: serde_json::Value) -> Result<Self, AdminError> {
        let serde_json::Value::Object(mut map) = v else {
            return Err(AdminError::InvalidRequest(
                "the body must be a JSON object".into(),
            ));
        };
        let overrides = Overrides::take_from(&mut map)?;
        let definition = map
            .remove("definition")
            .map(|d| {
                serde_json::from_value::<Survey>(d).map_err(|e| {
                    AdminError::InvalidRequest(format!("`definition` is not a survey: {e}"))
                })
            })
            .transpose()?;
        if let Some(unknown) = map.keys().next() {
            return Err(AdminError::InvalidRequest(format!(
                "unknown field `{unknown}`"
            )));
        }
        Ok(Self {
            definition,
            overrides,
        })
    }
}

/// One version in [`SurveyDetail::versions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VersionView {
    /// Version number.
    pub version: u32,
    /// `draft`, `published` or `paused` (the stored status).
    pub status: &'static str,
    /// The newer version that replaced this one for new customers, when
    /// there is one (this version was published and a later one has been
    /// published since). A superseded version is no longer served; it still
    /// accepts the responses in flight for it (customers who opened it
    /// before the newer publish) until the survey is paused.
    pub superseded_by: Option<u32>,
    /// How many stored responses answered this version (they keep it for
    /// good: reports count each under the version it answered).
    pub responses: u64,
    /// When it was stored (RFC 3339 UTC).
    pub created_at: String,
}

/// A sampling setting in [`SurveyDetail::sampling`].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SamplingView {
    /// Segment name, or `default`.
    pub segment: String,
    /// Share asked, 0..=1.
    pub rate: f64,
    /// Days before asking a customer again.
    pub recontact_days: u32,
    /// Hours after the triggering event during which a customer may be asked.
    pub trigger_hours: u32,
}

/// A survey as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SurveyDetail {
    /// The survey id.
    pub survey_id: String,
    /// Its site.
    pub site: String,
    /// The latest version number.
    pub version: u32,
    /// The latest version's status: `draft`, `published` or `paused`.
    pub status: &'static str,
    /// The newest published version (what customers get), if any.
    pub published_version: Option<u32>,
    /// The latest version's definition.
    #[schema(value_type = Object)]
    pub definition: Survey,
    /// Every version, oldest first.
    pub versions: Vec<VersionView>,
    /// Eligibility settings by segment.
    pub sampling: Vec<SamplingView>,
}

/// A survey in `GET /api/surveys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SurveyListItem {
    /// The survey id.
    pub survey_id: String,
    /// Its site.
    pub site: String,
    /// The latest version number.
    pub version: u32,
    /// The latest version's status.
    pub status: &'static str,
    /// The newest published version, if any.
    pub published_version: Option<u32>,
}

impl From<SurveySummary> for SurveyListItem {
    fn from(s: SurveySummary) -> Self {
        Self {
            survey_id: s.survey_id.to_string(),
            site: s.site.to_string(),
            version: s.latest_version,
            status: s.latest_status.as_str(),
            published_version: s.published_version,
        }
    }
}

fn parse_survey_id(id: &str) -> Result<SurveyId, AdminError> {
    SurveyId::parse(id).map_err(|_| AdminError::SurveyNotFound(id.to_owned()))
}

/// Every survey.
pub async fn list(store: &Store) -> Result<Vec<SurveyListItem>, AdminError> {
    Ok(store
        .list_surveys()
        .await?
        .into_iter()
        .map(SurveyListItem::from)
        .collect())
}

/// One survey: its latest version, every version's status, its sampling.
#[tracing::instrument(skip(store))]
pub async fn get(store: &Store, survey_id: &str) -> Result<SurveyDetail, AdminError> {
    let id = parse_survey_id(survey_id)?;
    let latest = store
        .latest_survey_version(&id)
        .await?
        .ok_or_else(|| AdminError::SurveyNotFound(survey_id.to_owned()))?;
    let versions = store.survey_versions(&id).await?;
    let sampling = store
        .survey_sampling(&id)
        .await?
        .into_iter()
        .map(|(segment, p)| SamplingView {
            segment,
            rate: p.rate,
            recontact_days: p.recontact_days,
            trigger_hours: p.trigger_hours,
        })
        .collect();
    let published_version = versions
        .iter()
        .filter(|v| v.status == SurveyStatus::Published)
        .map(|v| v.version)
        .max();
    Ok(SurveyDetail {
        survey_id: id.to_string(),
        site: latest.site.to_string(),
        version: latest.survey.version,
        status: latest.status.as_str(),
        published_version,
        definition: latest.survey,
        versions: version_views(versions),
        sampling,
    })
}

/// The versions as shown, each published-once version marked with the
/// first later version that was published too (drafts supersede nothing).
fn version_views(versions: Vec<VersionInfo>) -> Vec<VersionView> {
    let ever_published: Vec<u32> = versions
        .iter()
        .filter(|v| v.status != SurveyStatus::Draft)
        .map(|v| v.version)
        .collect();
    versions
        .into_iter()
        .map(|v| VersionView {
            superseded_by: if v.status == SurveyStatus::Draft {
                None
            } else {
                ever_published.iter().copied().find(|&n| n > v.version)
            },
            version: v.version,
            status: v.status.as_str(),
            responses: v.responses,
            created_at: v.created_at,
        })
        .collect()
}

/// Creates a survey from a template with overrides, as version 1, a draft.
#[tracing::instrument(skip(store, request), fields(template = %request.template, survey_id = %request.survey_id))]
pub async fn create(store: &Store, request: &CreateSurvey) -> Result<SurveyDetail, AdminError> {
    let template = templates::get(&request.template)
        .ok_or_else(|| AdminError::TemplateNotFound(request.template.clone()))?;
    let id = SurveyId::parse(request.survey_id.as_str()).map_err(|e| {
        AdminError::InvalidSurvey(vec![ValidationError::new(
            "survey_id",
            ErrorCode::WrongType,
            e.to_string(),
        )])
    })?;
    let site = SiteKey::parse(request.site.as_str())
        .map_err(|_| AdminError::UnknownSite(request.site.clone()))?;
    if store.find_site(&site).await?.is_none() {
        return Err(AdminError::UnknownSite(request.site.clone()));
    }
    let mut survey = template.survey.clone();
    survey.id = id.clone();
    survey.version = 1;
    let sampling = apply_checked(&mut survey, &request.overrides)?;
    if !store.insert_survey_draft(&site, &survey).await? {
        return Err(AdminError::SurveyExists(id.to_string()));
    }
    write_sampling(store, &id, &sampling).await?;
    get(store, id.as_str()).await
}

/// Edits a survey: updates the latest version while it is a draft, else
/// stores the next version as a draft.
#[tracing::instrument(skip(store, edit))]
pub async fn edit(
    store: &Store,
    survey_id: &str,
    edit: &EditSurvey,
) -> Result<SurveyDetail, AdminError> {
    let id = parse_survey_id(survey_id)?;
    let latest = store
        .latest_survey_version(&id)
        .await?
        .ok_or_else(|| AdminError::SurveyNotFound(survey_id.to_owned()))?;
    let mut survey = edit
        .definition
        .clone()
        .unwrap_or_else(|| latest.survey.clone());
    if survey.id != id {
        return Err(AdminError::InvalidSurvey(vec![ValidationError::new(
            "definition.id",
            ErrorCode::SurveyMismatch,
            format!(
                "the definition's id is {:?}, not {:?}",
                survey.id.as_str(),
                id.as_str()
            ),
        )]));
    }
    let in_place = latest.status == SurveyStatus::Draft;
    survey.version = if in_place {
        latest.survey.version
    } else {
        latest.survey.version.saturating_add(1)
    };
    let sampling = apply_checked(&mut survey, &edit.overrides)?;
    let stored = if in_place {
        store.update_survey_draft(&survey).await?
    } else {
        store.insert_survey_draft(&latest.site, &survey).await?
    };
    if !stored {
        // Published or created by a concurrent request since we read it.
        return Err(AdminError::EditConflict(id.to_string()));
    }
    write_sampling(store, &id, &sampling).await?;
    get(store, id.as_str()).await
}

/// Publishes the latest version (a draft, or a paused version: resuming).
/// Publishing an already published latest version changes nothing.
#[tracing::instrument(skip(store))]
pub async fn publish(store: &Store, survey_id: &str) -> Result<SurveyDetail, AdminError> {
    let id = parse_survey_id(survey_id)?;
    let (version, changed) = store
        .publish_latest_version(&id)
        .await?
        .ok_or_else(|| AdminError::SurveyNotFound(survey_id.to_owned()))?;
    tracing::info!(survey_id = %id, version, changed, "survey published");
    get(store, id.as_str()).await
}

/// Pauses the survey (every published version). Pausing a paused survey
/// changes nothing; a survey never published cannot be paused.
#[tracing::instrument(skip(store))]
pub async fn pause(store: &Store, survey_id: &str) -> Result<SurveyDetail, AdminError> {
    let id = parse_survey_id(survey_id)?;
    let paused = store.pause_survey(&id).await?;
    let detail = get(store, id.as_str()).await?;
    if paused == 0 && !detail.versions.iter().any(|v| v.status == "paused") {
        return Err(AdminError::NotPublished(id.to_string()));
    }
    tracing::info!(survey_id = %id, paused, "survey paused");
    Ok(detail)
}

/// Applies `overrides` to `survey` and validates the result; returns the
/// sampling rows to store, or every problem found.
fn apply_checked(
    survey: &mut Survey,
    overrides: &Overrides,
) -> Result<Vec<(String, Policy)>, AdminError> {
    let mut errors = Vec::new();
    apply(survey, overrides, &mut errors);
    let sampling = sampling_rows(overrides, &mut errors);
    errors.extend(validate_survey(survey));
    if errors.is_empty() {
        Ok(sampling)
    } else {
        Err(AdminError::InvalidSurvey(errors))
    }
}

fn locale(tag: &str, path: String, errors: &mut Vec<ValidationError>) -> Option<Locale> {
    let found = Locale::from_tag(tag);
    if found.is_none() {
        errors.push(ValidationError::new(
            path,
            ErrorCode::BadLocales,
            format!("unknown locale {tag:?}: use zh-CN, zh-TW or en"),
        ));
    }
    found
}

/// Applies every override it can, recording the ones it cannot.
pub fn apply(survey: &mut Survey, o: &Overrides, errors: &mut Vec<ValidationError>) {
    if let Some(tags) = &o.locales {
        let locales: Vec<Locale> = tags
            .iter()
            .enumerate()
            .filter_map(|(i, t)| locale(t, format!("locales[{i}]"), errors))
            .collect();
        if locales.len() == tags.len() {
            if o.default_locale.is_none()
                && !locales.contains(&survey.default_locale)
                && let Some(&first) = locales.first()
            {
                survey.default_locale = first;
            }
            survey.locales = locales;
        }
    }
    if let Some(tag) = &o.default_locale
        && let Some(l) = locale(tag, "default_locale".into(), errors)
    {
        survey.default_locale = l;
    }
    if let Some(color) = &o.brand_color {
        // Checked by the rule book (`theme.brand_color`).
        survey.theme.brand_color = color.clone();
    }
    if let Some(mode) = &o.display_mode {
        match display_mode(mode) {
            Some(m) => survey.display.mode = m,
            None => errors.push(ValidationError::new(
                "display_mode",
                ErrorCode::WrongType,
                format!("unknown display mode {mode:?}: use auto, inline, bottom_sheet or modal"),
            )),
        }
    }
    for (qid, texts) in o.question_texts.iter().flatten() {
        let Some(q) = survey.questions.iter_mut().find(|q| q.id.as_str() == qid) else {
            errors.push(ValidationError::new(
                format!("question_texts.{qid}"),
                ErrorCode::UnknownQuestion,
                format!("the survey has no question {qid:?}"),
            ));
            continue;
        };
        for (tag, text) in texts {
            let Some(l) = locale(tag, format!("question_texts.{qid}.{tag}"), errors) else {
                continue;
            };
            if text.trim().is_empty() {
                errors.push(ValidationError::new(
                    format!("question_texts.{qid}.{tag}"),
                    ErrorCode::MissingTranslation,
                    "the text is empty",
                ));
            } else {
                q.text.0.insert(l, text.clone());
            }
        }
    }
    for (qid, &threshold) in o.thresholds.iter().flatten() {
        let path = format!("thresholds.{qid}");
        let Some(q) = survey.question(qid) else {
            errors.push(ValidationError::new(
                path,
                ErrorCode::UnknownQuestion,
                format!("the survey has no question {qid:?}"),
            ));
            continue;
        };
        let Some((low, high)) = q.kind.scale() else {
            errors.push(ValidationError::new(
                path,
                ErrorCode::ConditionTypeMismatch,
                format!("{qid:?} is not a score question"),
            ));
            continue;
        };
        if !(low..=high).contains(&threshold) {
            errors.push(ValidationError::new(
                path,
                ErrorCode::OutOfRange,
                format!("{threshold} is outside the {low}..={high} scale of {qid:?}"),
            ));
            continue;
        }
        let target = q.id.clone();
        let mut rewritten = 0;
        for q in &mut survey.questions {
            if let Some(cond) = &mut q.show_if {
                rewritten += rewrite_threshold(cond, &target, threshold);
            }
        }
        if rewritten == 0 {
            errors.push(ValidationError::new(
                path,
                ErrorCode::UnknownQuestion,
                format!("no show_if compares {qid:?} with `lte`/`lt`: there is no low-score threshold to set"),
            ));
        }
    }
}

/// Rewrites every `lte`/`lt` comparison on `question` into `lte threshold`;
/// returns how many it rewrote.
fn rewrite_threshold(cond: &mut Condition, question: &QuestionId, threshold: i64) -> usize {
    match cond {
        Condition::All { all: cs } | Condition::Any { any: cs } => cs
            .iter_mut()
            .map(|c| rewrite_threshold(c, question, threshold))
            .sum(),
        Condition::Compare {
            question: q,
            op,
            value,
        } if q == question && matches!(op, CompareOp::Lte | CompareOp::Lt) => {
            *op = CompareOp::Lte;
            *value = Some(threshold.into());
            1
        }
        Condition::Compare { .. } => 0,
    }
}

fn display_mode(s: &str) -> Option<DisplayMode> {
    match s {
        "auto" => Some(DisplayMode::Auto),
        "inline" => Some(DisplayMode::Inline),
        "bottom_sheet" => Some(DisplayMode::BottomSheet),
        "modal" => Some(DisplayMode::Modal),
        _ => None,
    }
}

/// The longest segment name accepted.
const MAX_SEGMENT_CHARS: usize = 64;

fn sampling_rows(o: &Overrides, errors: &mut Vec<ValidationError>) -> Vec<(String, Policy)> {
    let base = Policy::default();
    let recontact_days = o.recontact_days.unwrap_or(base.recontact_days);
    let mut rows = Vec::new();
    match &o.sampling {
        Some(rates) => {
            for (segment, &rate) in rates {
                let path = format!("sampling.{segment}");
                if segment.trim().is_empty() || segment.chars().count() > MAX_SEGMENT_CHARS {
                    errors.push(ValidationError::new(
                        path,
                        ErrorCode::WrongType,
                        format!("a segment name has 1 to {MAX_SEGMENT_CHARS} characters"),
                    ));
                } else if !(0.0..=1.0).contains(&rate) {
                    errors.push(ValidationError::new(
                        path,
                        ErrorCode::OutOfRange,
                        format!("the sampling rate {rate} is outside 0..=1"),
                    ));
                } else {
                    rows.push((
                        segment.clone(),
                        Policy {
                            rate,
                            recontact_days,
                            ..base
                        },
                    ));
                }
            }
        }
        None if o.recontact_days.is_some() => rows.push((
            DEFAULT_SEGMENT.to_owned(),
            Policy {
                recontact_days,
                ..base
            },
        )),
        None => {}
    }
    rows
}

async fn write_sampling(
    store: &Store,
    survey: &SurveyId,
    rows: &[(String, Policy)],
) -> Result<(), AdminError> {
    for (segment, policy) in rows {
        store
            .upsert_sampling(&SamplingRow {
                survey,
                segment,
                policy: *policy,
            })
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nps() -> Survey {
        templates::get("nps").expect("nps template").survey.clone()
    }

    #[test]
    fn thresholds_rewrite_low_score_conditions_only() {
        let mut s = nps();
        let mut errors = Vec::new();
        let o = Overrides {
            thresholds: Some(BTreeMap::from([("nps".to_owned(), 5)])),
            ..Overrides::default()
        };
        apply(&mut s, &o, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let condition = |id: &str| {
            s.question(id)
                .and_then(|q| q.show_if.clone())
                .expect("a condition")
        };
        let nps_id = QuestionId::parse("nps").expect("id");
        assert_eq!(
            condition("reasons"),
            Condition::score(&nps_id, CompareOp::Lte, 5)
        );
        assert_eq!(
            condition("praise"),
            Condition::score(&nps_id, CompareOp::Gte, 9),
            "the promoter condition is untouched"
        );
    }

    #[test]
    fn a_version_is_superseded_by_the_next_one_ever_published() {
        let v = |version, status| VersionInfo {
            version,
            status,
            created_at: String::new(),
            responses: u64::from(version),
        };
        let views = version_views(vec![
            v(1, SurveyStatus::Paused),
            v(2, SurveyStatus::Paused),
            v(3, SurveyStatus::Published),
            v(4, SurveyStatus::Draft),
        ]);
        let got: Vec<(u32, &str, Option<u32>, u64)> = views
            .iter()
            .map(|v| (v.version, v.status, v.superseded_by, v.responses))
            .collect();
        assert_eq!(
            got,
            [
                (1, "paused", Some(2), 1),
                (2, "paused", Some(3), 2),
                (3, "published", None, 3),
                (4, "draft", None, 4)
            ],
            "a draft supersedes nothing"
        );
    }

    #[test]
    fn bad_overrides_are_reported_with_paths() {
        let mut s = nps();
        let mut errors = Vec::new();
        let o = Overrides {
            locales: Some(vec!["fr".into()]),
            display_mode: Some("popup".into()),
            thresholds: Some(BTreeMap::from([
                ("nps".to_owned(), 11),
                ("nope".to_owned(), 3),
            ])),
            question_texts: Some(BTreeMap::from([("nope".to_owned(), BTreeMap::new())])),
            sampling: Some(BTreeMap::from([("vip".to_owned(), 1.5)])),
            ..Overrides::default()
        };
        apply(&mut s, &o, &mut errors);
        sampling_rows(&o, &mut errors);
        let paths: Vec<&str> = errors.iter().map(|e| e.question.as_str()).collect();
        for p in [
            "locales[0]",
            "display_mode",
            "thresholds.nps",
            "thresholds.nope",
            "question_texts.nope",
            "sampling.vip",
        ] {
            assert!(paths.contains(&p), "{p} in {paths:?}");
        }
    }
}
