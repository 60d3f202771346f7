//! What the eligibility check reads (survey state, sampling settings, earlier
//! responses, open cases), the settings and cases it is fed with, and the
//! widget events of `POST /v1/events`.

use manyi_shared::{SiteKey, SurveyId};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Store, StoreError, now_timestamp};
use crate::eligibility::{Facts, Policy};

/// The segment name of the fallback `survey_sampling` row.
pub const DEFAULT_SEGMENT: &str = "default";

/// Whether a survey of a site can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyState {
    /// Some version is published.
    Live,
    /// No version is published, and one is paused.
    Paused,
    /// The site has no such survey, or only drafts of it.
    Missing,
}

/// Everything the check needs, read in one go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EligibilityInputs {
    /// Whether the survey exists and is live.
    pub state: SurveyState,
    /// The settings for the customer's segment.
    pub policy: Policy,
    /// What is known about the order and the customer.
    pub facts: Facts,
}

/// One `survey_sampling` row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingRow<'a> {
    /// The survey.
    pub survey: &'a SurveyId,
    /// A segment name, or [`DEFAULT_SEGMENT`].
    pub segment: &'a str,
    /// The settings.
    pub policy: Policy,
}

/// A widget event (`shown`, `started`, `dismissed`).
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    /// The site.
    pub site: &'a SiteKey,
    /// The survey.
    pub survey: &'a SurveyId,
    /// `shown`, `started` or `dismissed` (checked by the table too).
    pub event: &'a str,
    /// The response id the widget made for this showing, if known.
    pub response_id: Option<&'a str>,
    /// The order, if known.
    pub order_id: Option<&'a str>,
    /// Where the widget was shown (migration 0011); `None` from loaders
    /// older than it.
    pub context: Option<EventContext<'a>>,
}

/// The survey version and context of an impression: what the response
/// to it will carry.
#[derive(Debug, Clone, Copy)]
pub struct EventContext<'a> {
    /// The survey version mounted.
    pub version: i64,
    /// Channel, if any.
    pub channel: Option<&'a str>,
    /// Segment, if any.
    pub segment: Option<&'a str>,
    /// Locale, if any.
    pub locale: Option<&'a str>,
}

impl Store {
    /// Reads the survey's state, the sampling row for `segment` (else the
    /// default row, else built-in defaults), whether the order was answered,
    /// whether the customer has an open case, and their latest response on
    /// the site.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn eligibility_inputs(
        &self,
        site: &SiteKey,
        survey: &SurveyId,
        order_id: Option<&str>,
        customer: Option<&str>,
        segment: Option<&str>,
    ) -> Result<EligibilityInputs, StoreError> {
        let (published, paused): (Option<bool>, Option<bool>) = sqlx::query_as(
            "SELECT MAX(status = 'published'), MAX(status = 'paused')
             FROM surveys WHERE survey_id = ? AND site_key = ?",
        )
        .bind(survey.as_str())
        .bind(site.as_str())
        .fetch_one(&self.reader)
        .await?;
        let state = match (published, paused) {
            (Some(true), _) => SurveyState::Live,
            (_, Some(true)) => SurveyState::Paused,
            _ => SurveyState::Missing,
        };

        // The segment's own row sorts first; the default row is the fallback.
        let policy: Option<(f64, i64, i64)> = sqlx::query_as(
            "SELECT rate, recontact_days, trigger_hours FROM survey_sampling
             WHERE survey_id = ? AND segment IN (?, ?)
             ORDER BY segment = ? LIMIT 1",
        )
        .bind(survey.as_str())
        .bind(segment.unwrap_or(DEFAULT_SEGMENT))
        .bind(DEFAULT_SEGMENT)
        .bind(DEFAULT_SEGMENT)
        .fetch_optional(&self.reader)
        .await?;
        let policy = match policy {
            None => Policy::default(),
            Some((rate, recontact_days, trigger_hours)) => Policy {
                rate,
                recontact_days: u32::try_from(recontact_days).map_err(|_| {
                    StoreError::Inconsistent(format!("recontact_days {recontact_days}"))
                })?,
                trigger_hours: u32::try_from(trigger_hours).map_err(|_| {
                    StoreError::Inconsistent(format!("trigger_hours {trigger_hours}"))
                })?,
            },
        };

        let order_answered = match order_id {
            Some(order) => self.order_answered(survey, order).await?,
            None => false,
        };
        let (open_case, last_response_at) = match customer {
            Some(customer) => (
                self.has_open_case(site, customer).await?,
                self.last_response_at(site, customer).await?,
            ),
            None => (false, None),
        };
        Ok(EligibilityInputs {
            state,
            policy,
            facts: Facts {
                survey_paused: state == SurveyState::Paused,
                order_answered,
                open_case,
                last_response_at,
            },
        })
    }

    /// Whether a response for this survey and order is stored.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn order_answered(
        &self,
        survey: &SurveyId,
        order_id: &str,
    ) -> Result<bool, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM responses WHERE survey_id = ? AND order_id = ?")
                .bind(survey.as_str())
                .bind(order_id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.is_some())
    }

    /// Whether the customer has an open or contacted case on the site.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn has_open_case(&self, site: &SiteKey, customer: &str) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM cases
             WHERE site_key = ? AND customer = ? AND status IN ('open', 'contacted')
             LIMIT 1",
        )
        .bind(site.as_str())
        .bind(customer)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.is_some())
    }

    /// When the customer's latest response on the site was received.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn last_response_at(
        &self,
        site: &SiteKey,
        customer: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let (latest,): (Option<String>,) = sqlx::query_as(
            "SELECT MAX(received_at) FROM responses WHERE site_key = ? AND customer = ?",
        )
        .bind(site.as_str())
        .bind(customer)
        .fetch_one(&self.reader)
        .await?;
        latest
            .map(|t| {
                OffsetDateTime::parse(&t, &Rfc3339).map_err(|e| {
                    StoreError::Inconsistent(format!("responses.received_at {t:?}: {e}"))
                })
            })
            .transpose()
    }

    /// Creates or replaces the settings of one survey segment.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn upsert_sampling(&self, row: &SamplingRow<'_>) -> Result<(), StoreError> {
        self.write_sampling(row, true).await.map(|_| ())
    }

    /// Creates the settings of one survey segment unless they exist (seeding
    /// must not undo an operator's change). Returns whether it created them.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn insert_sampling_if_absent(
        &self,
        row: &SamplingRow<'_>,
    ) -> Result<bool, StoreError> {
        self.write_sampling(row, false).await
    }

    async fn write_sampling(
        &self,
        row: &SamplingRow<'_>,
        replace: bool,
    ) -> Result<bool, StoreError> {
        let on_conflict = if replace {
            "DO UPDATE SET rate = excluded.rate, recontact_days = excluded.recontact_days,
                 trigger_hours = excluded.trigger_hours, updated_at = excluded.updated_at"
        } else {
            "DO NOTHING"
        };
        let sql = format!(
            "INSERT INTO survey_sampling
                 (survey_id, segment, rate, recontact_days, trigger_hours, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (survey_id, segment) {on_conflict}"
        );
        let done = sqlx::query(&sql)
            .bind(row.survey.as_str())
            .bind(row.segment)
            .bind(row.policy.rate)
            .bind(row.policy.recontact_days)
            .bind(row.policy.trigger_hours)
            .bind(now_timestamp())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a widget event.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn insert_event(&self, event: &NewEvent<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO events (site_key, survey_id, event, response_id, order_id, received_at,
                 version, channel, segment, locale)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(event.site.as_str())
        .bind(event.survey.as_str())
        .bind(event.event)
        .bind(event.response_id)
        .bind(event.order_id)
        .bind(now_timestamp())
        .bind(event.context.map(|c| c.version))
        .bind(event.context.and_then(|c| c.channel))
        .bind(event.context.and_then(|c| c.segment))
        .bind(event.context.and_then(|c| c.locale))
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
