//! The analysis settings the admin API manages: per-survey quality
//! thresholds, per-site keywords, per-site case rules. Checks input, then
//! calls the store; the HTTP layer only parses and maps [`SettingsError`].

use super::case_rules::{self, RuleInput};
use super::keywords::{self, KeywordEntry};
use super::quality::{self, QualitySettings};
use crate::store::analysis::{KeywordRow, NewRule, RuleRow};
use crate::store::{Store, StoreError};

/// One problem with a request field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field, e.g. `min_seconds`.
    pub field: String,
    /// Stable code, e.g. `out_of_range`.
    pub code: &'static str,
    /// A human sentence.
    pub message: String,
}

/// Everything a settings operation can fail with; each has a stable code
/// ([`SettingsError::code`]).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Request fields are wrong; every problem is listed.
    #[error("the request is invalid ({} problem(s))", .0.len())]
    Invalid(Vec<FieldProblem>),
    /// No survey has this id.
    #[error("no survey {0:?}")]
    SurveyNotFound(String),
    /// No site has this key.
    #[error("no site has the key {0:?}")]
    UnknownSite(String),
    /// The same keyword (site, locale, keyword, tag) exists.
    #[error("this keyword exists already for this site, locale and tag")]
    KeywordExists,
    /// No keyword has this id.
    #[error("no keyword {0:?}")]
    KeywordNotFound(String),
    /// No rule has this id.
    #[error("no case rule {0:?}")]
    RuleNotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SettingsError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::Invalid(_) => "invalid_request",
            SettingsError::SurveyNotFound(_) => "survey_not_found",
            SettingsError::UnknownSite(_) => "unknown_site",
            SettingsError::KeywordExists => "keyword_exists",
            SettingsError::KeywordNotFound(_) => "keyword_not_found",
            SettingsError::RuleNotFound(_) => "rule_not_found",
            SettingsError::Store(_) => "internal",
        }
    }
}

fn invalid(
    problems: impl IntoIterator<Item = (&'static str, &'static str, String)>,
) -> SettingsError {
    SettingsError::Invalid(
        problems
            .into_iter()
            .map(|(field, code, message)| FieldProblem {
                field: field.to_owned(),
                code,
                message,
            })
            .collect(),
    )
}

/// A survey's quality settings as applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveQuality {
    /// The survey.
    pub survey_id: String,
    /// The stored settings, `None`: defaults apply.
    pub stored: Option<QualitySettings>,
    /// When they were stored.
    pub updated_at: Option<String>,
}

/// A survey's quality settings.
pub async fn quality(store: &Store, survey_id: &str) -> Result<EffectiveQuality, SettingsError> {
    if store.survey_site(survey_id).await?.is_none() {
        return Err(SettingsError::SurveyNotFound(survey_id.to_owned()));
    }
    let stored = store.quality_settings(survey_id).await?;
    Ok(EffectiveQuality {
        survey_id: survey_id.to_owned(),
        stored: stored.as_ref().map(|s| s.0),
        updated_at: stored.map(|s| s.1),
    })
}

/// Sets a survey's quality settings; they apply to responses analysed from
/// now on (flags already stored do not change).
pub async fn set_quality(
    store: &Store,
    survey_id: &str,
    min_seconds: i64,
    duplicate_window_minutes: i64,
) -> Result<EffectiveQuality, SettingsError> {
    let problems = quality::check_settings(min_seconds, duplicate_window_minutes);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    if store.survey_site(survey_id).await?.is_none() {
        return Err(SettingsError::SurveyNotFound(survey_id.to_owned()));
    }
    let settings = QualitySettings {
        // Both checked to be within 0..=u32 ranges above.
        min_seconds: u32::try_from(min_seconds).unwrap_or(0),
        duplicate_window_minutes: u32::try_from(duplicate_window_minutes).unwrap_or(0),
    };
    let at = store.set_quality_settings(survey_id, settings).await?;
    Ok(EffectiveQuality {
        survey_id: survey_id.to_owned(),
        stored: Some(settings),
        updated_at: Some(at),
    })
}

/// Custom keywords (of `site` and of every site, or all when `None`).
pub async fn list_keywords(
    store: &Store,
    site: Option<&str>,
) -> Result<Vec<KeywordRow>, SettingsError> {
    let sites = site.map(|s| [s]);
    Ok(store.keyword_rows(sites.as_ref().map(|s| &s[..])).await?)
}

/// Adds a keyword for `site` (`None`: every site).
pub async fn add_keyword(
    store: &Store,
    site: Option<&str>,
    entry: KeywordEntry,
) -> Result<KeywordRow, SettingsError> {
    let problems = keywords::check_entry(&entry.locale, &entry.keyword, &entry.tag);
    if !problems.is_empty() {
        return Err(invalid(
            problems.into_iter().map(|p| (p.field, p.code, p.message)),
        ));
    }
    if let Some(site) = site
        && !store.site_exists(site).await?
    {
        return Err(SettingsError::UnknownSite(site.to_owned()));
    }
    // Stored trimmed: a stray space would never match inside a sentence.
    let entry = KeywordEntry {
        keyword: entry.keyword.trim().to_owned(),
        ..entry
    };
    store
        .insert_keyword(site, &entry)
        .await?
        .ok_or(SettingsError::KeywordExists)
}

/// Deletes a keyword.
pub async fn delete_keyword(store: &Store, id: i64) -> Result<(), SettingsError> {
    if store.delete_keyword(id).await? {
        Ok(())
    } else {
        Err(SettingsError::KeywordNotFound(id.to_string()))
    }
}

/// Case rules (of `site`, or of every site when `None`).
pub async fn list_rules(store: &Store, site: Option<&str>) -> Result<Vec<RuleRow>, SettingsError> {
    let sites = site.map(|s| [s]);
    Ok(store.rule_rows(sites.as_ref().map(|s| &s[..])).await?)
}

/// A rule to add, as received.
#[derive(Debug, Clone)]
pub struct AddRule<'a> {
    /// The site.
    pub site: &'a str,
    /// Only this survey (it must exist on the site).
    pub survey_id: Option<&'a str>,
    /// Conditions, priority and owner.
    pub input: RuleInput<'a>,
    /// Tie-break.
    pub position: i64,
}

/// Adds a case rule. From then on the site's own rules replace the
/// built-in ones.
pub async fn add_rule(store: &Store, add: &AddRule<'_>) -> Result<RuleRow, SettingsError> {
    let checked = case_rules::check_rule(&add.input).map_err(invalid)?;
    if !store.site_exists(add.site).await? {
        return Err(SettingsError::UnknownSite(add.site.to_owned()));
    }
    if let Some(survey) = add.survey_id
        && store.survey_site(survey).await?.as_deref() != Some(add.site)
    {
        return Err(SettingsError::SurveyNotFound(survey.to_owned()));
    }
    Ok(store
        .insert_rule(&NewRule {
            site: add.site,
            survey_id: add.survey_id,
            conditions: &checked.conditions,
            priority: checked.priority,
            owner: add.input.owner,
            position: add.position,
        })
        .await?)
}

/// Deletes a case rule.
pub async fn delete_rule(store: &Store, id: i64) -> Result<(), SettingsError> {
    if store.delete_rule(id).await? {
        Ok(())
    } else {
        Err(SettingsError::RuleNotFound(id.to_string()))
    }
}
