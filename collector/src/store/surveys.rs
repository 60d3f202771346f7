//! Survey versions: definitions as the shared [`Survey`] type, with a status.
//!
//! Reads of published versions go through the store's [`super::catalog`]
//! (parsed once, then shared); every function here that writes `surveys`
//! (inserting, publishing, pausing a version) must end with
//! `self.catalog.invalidate()` so that the next request sees the change.

use manyi_shared::{SiteKey, Survey, SurveyId};
use std::sync::Arc;

use super::catalog::PublishedSurvey;
use super::{Store, StoreError, now_timestamp};

/// Lifecycle of one survey version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyStatus {
    /// Being edited; not shown to customers.
    Draft,
    /// Shown to customers and accepting responses.
    Published,
    /// Temporarily not shown and not accepting responses.
    Paused,
}

impl SurveyStatus {
    /// The value in the `surveys.status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyStatus::Draft => "draft",
            SurveyStatus::Published => "published",
            SurveyStatus::Paused => "paused",
        }
    }
}

/// Deserialises a stored definition. A failure means the row was written by
/// code with another idea of the `Survey` type: a bug, reported as such.
fn decode(survey_id: &SurveyId, version: i64, definition: &str) -> Result<Survey, StoreError> {
    serde_json::from_str(definition).map_err(|e| {
        StoreError::Inconsistent(format!(
            "stored definition of survey {survey_id} v{version} does not parse: {e}"
        ))
    })
}

impl Store {
    /// The highest published version of a survey, if any (an owned copy of
    /// [`Store::latest_published`]).
    pub async fn latest_published_survey(
        &self,
        survey_id: &SurveyId,
    ) -> Result<Option<Survey>, StoreError> {
        Ok(self
            .latest_published(survey_id)
            .await?
            .map(|s| Survey::clone(&s)))
    }

    /// The highest published version of a survey, if any, from the catalog
    /// when it holds a fresh copy (see [`super::catalog`]).
    pub async fn latest_published(
        &self,
        survey_id: &SurveyId,
    ) -> Result<Option<Arc<Survey>>, StoreError> {
        if let Some(survey) = self.catalog.latest(survey_id.as_str()) {
            return Ok(Some(survey));
        }
        let generation = self.catalog.generation();
        let survey = self.load_latest_published(survey_id).await?.map(Arc::new);
        if let Some(survey) = &survey {
            self.catalog
                .put_latest(generation, survey_id.as_str(), Arc::clone(survey));
        }
        Ok(survey)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn load_latest_published(
        &self,
        survey_id: &SurveyId,
    ) -> Result<Option<Survey>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT version, definition FROM surveys
             WHERE survey_id = ? AND status = 'published'
             ORDER BY version DESC LIMIT 1",
        )
        .bind(survey_id.as_str())
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(version, def)| decode(survey_id, version, &def))
            .transpose()
    }

    /// One published version of a survey of `site`; `None` when the survey
    /// does not exist, belongs to another site, or that version is not
    /// published. (An owned copy of [`Store::published`].)
    pub async fn published_survey(
        &self,
        site: &SiteKey,
        survey_id: &SurveyId,
        version: u32,
    ) -> Result<Option<Survey>, StoreError> {
        Ok(self
            .published(site, survey_id, version)
            .await?
            .map(|s| Survey::clone(&s)))
    }

    /// [`Store::published_survey`], shared: from the catalog when it holds a
    /// fresh copy (see [`super::catalog`]), else read and parsed once. Only
    /// published versions are cached; other answers ask the database each
    /// time.
    pub async fn published(
        &self,
        site: &SiteKey,
        survey_id: &SurveyId,
        version: u32,
    ) -> Result<Option<Arc<Survey>>, StoreError> {
        let found = match self.catalog.published(survey_id.as_str(), version) {
            Some(found) => found,
            None => {
                let generation = self.catalog.generation();
                let Some(found) = self.load_published(survey_id, version).await? else {
                    return Ok(None);
                };
                let found = Arc::new(found);
                self.catalog.put_published(
                    generation,
                    survey_id.as_str(),
                    version,
                    Arc::clone(&found),
                );
                found
            }
        };
        // (survey_id, version) is the key: one row, of one site. A survey of
        // another site is "not found", as the query by site would say.
        Ok((found.site_key == site.as_str()).then(|| Arc::clone(&found.survey)))
    }

    /// A published version, whatever its site.
    #[tracing::instrument(level = "debug", skip(self))]
    async fn load_published(
        &self,
        survey_id: &SurveyId,
        version: u32,
    ) -> Result<Option<PublishedSurvey>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT site_key, definition FROM surveys
             WHERE survey_id = ? AND version = ? AND status = 'published'",
        )
        .bind(survey_id.as_str())
        .bind(version)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(site_key, def)| {
            Ok(PublishedSurvey {
                site_key,
                survey: Arc::new(decode(survey_id, i64::from(version), &def)?),
            })
        })
        .transpose()
    }

    /// Stores a survey version unless that (survey id, version) exists (then
    /// nothing changes: a stored version is never overwritten). Returns
    /// whether it was stored. The caller validates the definition.
    #[tracing::instrument(level = "debug", skip(self, survey), fields(survey_id = %survey.id, version = survey.version))]
    pub async fn insert_survey_if_absent(
        &self,
        site: &SiteKey,
        survey: &Survey,
        status: SurveyStatus,
    ) -> Result<bool, StoreError> {
        let definition = serde_json::to_string(survey)?;
        let done = sqlx::query(
            "INSERT INTO surveys (site_key, survey_id, version, definition, status, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (survey_id, version) DO NOTHING",
        )
        .bind(site.as_str())
        .bind(survey.id.as_str())
        .bind(survey.version)
        .bind(definition)
        .bind(status.as_str())
        .bind(now_timestamp())
        .execute(&self.writer)
        .await?;
        self.catalog.invalidate();
        Ok(done.rows_affected() == 1)
    }
}
