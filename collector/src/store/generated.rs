//! Bulk inserts of generated demo data (`manyi seed-responses`): responses
//! and widget events written in large transactions with multi-row INSERTs,
//! bypassing the response writer (no validation or dedupe round trip: the
//! generator makes valid, unique rows itself).

use sqlx::QueryBuilder;

use super::{Store, StoreError};

/// A generated response row.
#[derive(Debug, Clone)]
pub struct GeneratedResponse {
    /// UUID v4.
    pub response_id: String,
    /// Survey id.
    pub survey_id: String,
    /// Survey version.
    pub version: i64,
    /// Order id (unique per survey).
    pub order_id: String,
    /// Customer id.
    pub customer: String,
    /// Channel.
    pub channel: &'static str,
    /// Segment.
    pub segment: &'static str,
    /// Locale.
    pub locale: &'static str,
    /// Answers JSON in the stored wire shape.
    pub answers: String,
    /// Hash standing in for the payload hash.
    pub payload_hash: String,
    /// Client shown time.
    pub shown_at: String,
    /// Client submit time.
    pub submitted_at: String,
    /// Receive time.
    pub received_at: String,
}

/// A generated widget event.
#[derive(Debug, Clone)]
pub struct GeneratedEvent {
    /// Survey id.
    pub survey_id: String,
    /// 'shown', 'started' or 'dismissed'.
    pub event: &'static str,
    /// Survey version shown.
    pub version: i64,
    /// Channel, as the response to it would carry.
    pub channel: &'static str,
    /// Segment.
    pub segment: &'static str,
    /// Locale.
    pub locale: &'static str,
    /// Receive time.
    pub received_at: String,
}

/// Rows per INSERT statement: 14 columns × 500 stays far below SQLite's
/// 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// Inserts `responses` and `events` of site `site` in one transaction.
    pub async fn insert_generated(
        &self,
        site: &str,
        responses: &[GeneratedResponse],
        events: &[GeneratedEvent],
    ) -> Result<(), StoreError> {
        // A bulk load: a large page cache keeps the random-order unique
        // indexes (response_id, order id) in memory. Set on the one write
        // connection of this process (the seed command's own).
        sqlx::query("PRAGMA cache_size = -262144")
            .execute(&self.writer)
            .await?;
        let mut tx = self.writer.begin().await?;
        for chunk in responses.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO responses (response_id, site_key, survey_id, survey_version, order_id,
                     customer, channel, segment, locale, page, answers, payload_hash, shown_at,
                     submitted_at, received_at, signed) ",
            );
            q.push_values(chunk, |mut v, r| {
                v.push_bind(r.response_id.as_str())
                    .push_bind(site)
                    .push_bind(r.survey_id.as_str())
                    .push_bind(r.version)
                    .push_bind(r.order_id.as_str())
                    .push_bind(r.customer.as_str())
                    .push_bind(r.channel)
                    .push_bind(r.segment)
                    .push_bind(r.locale)
                    .push("NULL")
                    .push_bind(r.answers.as_str())
                    .push_bind(r.payload_hash.as_str())
                    .push_bind(r.shown_at.as_str())
                    .push_bind(r.submitted_at.as_str())
                    .push_bind(r.received_at.as_str())
                    .push("0");
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO events (site_key, survey_id, event, received_at, version, channel,
                     segment, locale) ",
            );
            q.push_values(chunk, |mut v, e| {
                v.push_bind(site)
                    .push_bind(e.survey_id.as_str())
                    .push_bind(e.event)
                    .push_bind(e.received_at.as_str())
                    .push_bind(e.version)
                    .push_bind(e.channel)
                    .push_bind(e.segment)
                    .push_bind(e.locale);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
