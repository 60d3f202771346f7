//! Survey versions: definitions as the shared [`Survey`] type, with a status.

use manyi_shared::{SiteKey, Survey, SurveyId};

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
    /// The highest published version of a survey, if any.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn latest_published_survey(
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
    /// published.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn published_survey(
        &self,
        site: &SiteKey,
        survey_id: &SurveyId,
        version: u32,
    ) -> Result<Option<Survey>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT definition FROM surveys
             WHERE survey_id = ? AND version = ? AND site_key = ? AND status = 'published'",
        )
        .bind(survey_id.as_str())
        .bind(version)
        .bind(site.as_str())
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(def,)| decode(survey_id, i64::from(version), &def))
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
        Ok(done.rows_affected() == 1)
    }
}
