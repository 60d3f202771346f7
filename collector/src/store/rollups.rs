//! Rollups (migration 0007; levels 0009/0010; impressions by context
//! 0011): reading the responses and events not yet folded, and adding a
//! batch of folded counts together with the cursor advance in one
//! transaction.
//!
//! Exactly once: the transaction first moves the cursor from the value the
//! batch was read at (`UPDATE … WHERE last_rowid = <read value>`); if another
//! catch-up folded the batch meanwhile, nothing matches and the transaction
//! is rolled back without adding anything. What to add is computed by
//! [`crate::reports::rollup`].

use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, Transaction};
use std::collections::BTreeMap;

use super::{Store, StoreError};

/// The cursor over `responses.rowid`.
pub const RESPONSES_CURSOR: &str = "rollups";
/// The cursor over `events.id`.
pub const EVENTS_CURSOR: &str = "rollup_events";
/// The analysis pipeline's cursor: rollups never pass it.
pub const ANALYSIS_CURSOR: &str = "analysis";

/// One stored response with what the analysis found, as the rollups need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingResponse {
    /// `responses.rowid`.
    pub rowid: i64,
    /// Survey id.
    pub survey_id: String,
    /// Survey version answered.
    pub survey_version: i64,
    /// Context channel.
    pub channel: Option<String>,
    /// Context segment.
    pub segment: Option<String>,
    /// Context locale.
    pub locale: Option<String>,
    /// The stored answers JSON.
    pub answers: String,
    /// Collector receive time.
    pub received_at: String,
    /// `response_analysis.flagged` (NULL: no analysis row, counted unflagged).
    pub flagged: Option<i64>,
    /// `response_analysis.tags` JSON array.
    pub tags: Option<String>,
    /// `response_analysis.duration_ms`.
    pub duration_ms: Option<i64>,
}

/// A batch of responses to fold, read at cursor `from`.
#[derive(Debug)]
pub struct ResponseBatch {
    /// The cursor value the batch was read at.
    pub from: i64,
    /// Up to the batch size of responses after `from`, by rowid, none past
    /// the analysis cursor.
    pub rows: Vec<PendingResponse>,
}

/// One 'shown' event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingEvent {
    /// `events.id`.
    pub id: i64,
    /// Survey id.
    pub survey_id: String,
    /// 'shown', 'started' or 'dismissed'.
    pub event: String,
    /// Collector receive time.
    pub received_at: String,
    /// Survey version shown; NULL when the event came without context
    /// (before migration 0011 or from an older loader).
    pub version: Option<i64>,
    /// Context channel.
    pub channel: Option<String>,
    /// Context segment.
    pub segment: Option<String>,
    /// Context locale.
    pub locale: Option<String>,
}

/// The key of `rollup_shown_context` (migration 0011): a reporting day ×
/// survey version × context; version 0 holds the events without context.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShownGrain {
    /// `YYYY-MM-DD` in the reporting offset.
    pub day: String,
    /// Survey id.
    pub survey_id: String,
    /// Survey version, 0 when unknown.
    pub version: i64,
    /// Channel, '' when none.
    pub channel: String,
    /// Segment, '' when none.
    pub segment: String,
    /// Locale, '' when none.
    pub locale: String,
}

/// What a batch of events adds to the two 'shown' rollups.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ShownDelta {
    /// Per (reporting day, survey): every 'shown' event.
    pub per_survey: BTreeMap<(String, String), u64>,
    /// Per day, version and context.
    pub per_context: BTreeMap<ShownGrain, u64>,
}

/// The rollup key: one reporting day × survey version × context × tag ×
/// flagged, at one level (see the migration).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grain {
    /// 0 total, 1 context, 2 tag × context, 3 channel, 4 segment,
    /// 5 locale, 6 tag (migrations 0007, 0009 and 0010).
    pub level: u8,
    /// `YYYY-MM-DD` in the reporting offset.
    pub day: String,
    /// Survey id.
    pub survey_id: String,
    /// Survey version.
    pub version: i64,
    /// Channel, '' when none or at level 0.
    pub channel: String,
    /// Segment, '' when none or at level 0.
    pub segment: String,
    /// Locale, '' when none or at level 0.
    pub locale: String,
    /// Tag at levels 2 and 6, else ''.
    pub tag: String,
    /// Flagged by data quality.
    pub flagged: bool,
}

/// Responses and completion times to add to one grain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseCounts {
    /// Responses.
    pub responses: u64,
    /// Of which with a completion time.
    pub timed: u64,
    /// Completion-time bucket → responses.
    pub durations: BTreeMap<u16, u64>,
}

/// Rating answers to add to one grain and question.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreCounts {
    /// 'nps', 'csat', 'ces' or 'likert'.
    pub kind: &'static str,
    /// SERVQUAL dimension name, '' when none.
    pub dimension: &'static str,
    /// Answers per value 0..=10.
    pub counts: [u64; 11],
}

/// Everything a batch adds.
#[derive(Debug, Default)]
pub struct RollupDelta {
    /// Per grain.
    pub responses: BTreeMap<Grain, ResponseCounts>,
    /// Per grain and question id.
    pub scores: BTreeMap<(Grain, String), ScoreCounts>,
    /// Per grain, question id and option id ('' = respondents), with the
    /// question's kind ('single_choice' / 'multi_choice').
    pub choices: BTreeMap<(Grain, String, String), (&'static str, u64)>,
}

/// Moves cursor `name` from `from` to `to` inside `tx`; false when it is no
/// longer at `from` (another catch-up folded this batch).
async fn advance(
    tx: &mut Transaction<'_, Sqlite>,
    name: &str,
    from: i64,
    to: i64,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE pipeline_cursors SET last_rowid = ? WHERE name = ? AND last_rowid = ?")
            .bind(to)
            .bind(name)
            .bind(from)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Rows per multi-row INSERT: 23 columns × 400 stays well below SQLite's
/// 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 400;

/// Pushes the grain's nine key columns, in table order.
fn push_grain<'q>(v: &mut Separated<'_, 'q, Sqlite, &'static str>, g: &'q Grain) {
    v.push_bind(i64::from(g.level))
        .push_bind(g.day.as_str())
        .push_bind(g.survey_id.as_str())
        .push_bind(g.version)
        .push_bind(g.channel.as_str())
        .push_bind(g.segment.as_str())
        .push_bind(g.locale.as_str())
        .push_bind(g.tag.as_str())
        .push_bind(i64::from(g.flagged));
}

impl Store {
    /// A cursor's position (0 when the row is missing).
    pub async fn pipeline_cursor(&self, name: &str) -> Result<i64, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT last_rowid FROM pipeline_cursors WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map_or(0, |(v,)| v))
    }

    /// How far the rollups are: (responses cursor, analysis cursor,
    /// events cursor, highest event id). Cursors are rowids, so the
    /// differences are the rows still to fold (responses and events are
    /// never deleted).
    pub async fn rollup_positions(&self) -> Result<(i64, i64, i64, i64), StoreError> {
        let row: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT
                 COALESCE((SELECT last_rowid FROM pipeline_cursors WHERE name = ?), 0),
                 COALESCE((SELECT last_rowid FROM pipeline_cursors WHERE name = ?), 0),
                 COALESCE((SELECT last_rowid FROM pipeline_cursors WHERE name = ?), 0),
                 COALESCE((SELECT MAX(id) FROM events), 0)",
        )
        .bind(RESPONSES_CURSOR)
        .bind(ANALYSIS_CURSOR)
        .bind(EVENTS_CURSOR)
        .fetch_one(&self.reader)
        .await?;
        Ok(row)
    }

    /// The next responses to fold: after the rollup cursor, at most
    /// `limit`, none past the analysis cursor.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn pending_rollup_responses(&self, limit: u32) -> Result<ResponseBatch, StoreError> {
        let from = self.pipeline_cursor(RESPONSES_CURSOR).await?;
        let until = self.pipeline_cursor(ANALYSIS_CURSOR).await?;
        if until <= from {
            return Ok(ResponseBatch {
                from,
                rows: Vec::new(),
            });
        }
        let rows = sqlx::query_as::<_, PendingResponse>(
            "SELECT r.rowid AS rowid, r.survey_id, r.survey_version, r.channel, r.segment, r.locale,
                    r.answers, r.received_at, a.flagged, a.tags, a.duration_ms
             FROM responses r LEFT JOIN response_analysis a ON a.response_id = r.response_id
             WHERE r.rowid > ? AND r.rowid <= ?
             ORDER BY r.rowid LIMIT ?",
        )
        .bind(from)
        .bind(until)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(ResponseBatch { from, rows })
    }

    /// The definition JSON of a survey version (any status), if stored.
    pub async fn survey_definition_json(
        &self,
        survey_id: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT definition FROM surveys WHERE survey_id = ? AND version = ?")
                .bind(survey_id)
                .bind(version)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|(d,)| d))
    }

    /// Adds `delta` and moves the responses cursor from `from` to `to`, in
    /// one transaction. False (nothing added) when the cursor had moved.
    #[tracing::instrument(level = "debug", skip(self, delta))]
    pub async fn apply_rollup(
        &self,
        from: i64,
        to: i64,
        delta: &RollupDelta,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        if !advance(&mut tx, RESPONSES_CURSOR, from, to).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let responses: Vec<_> = delta.responses.iter().collect();
        for chunk in responses.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO rollup_responses (level, day, survey_id, version, channel, segment,
                     locale, tag, flagged, responses, timed, durations) ",
            );
            q.push_values(chunk, |mut v, (g, add)| {
                push_grain(&mut v, g);
                v.push_bind(add.responses as i64)
                    .push_bind(add.timed as i64)
                    .push_bind(histogram_json(&add.durations));
            });
            // The histograms are summed bucket by bucket inside SQLite: no
            // read-modify-write round trip per row.
            q.push(
                " ON CONFLICT DO UPDATE SET responses = responses + excluded.responses,
                     timed = timed + excluded.timed,
                     durations = (SELECT json_group_object(b, n) FROM (
                         SELECT b, SUM(c) AS n FROM (
                             SELECT key AS b, value AS c FROM json_each(rollup_responses.durations)
                             UNION ALL
                             SELECT key, value FROM json_each(excluded.durations))
                         GROUP BY b))",
            );
            q.build().execute(&mut *tx).await?;
        }
        let scores: Vec<_> = delta.scores.iter().collect();
        for chunk in scores.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO rollup_scores (level, day, survey_id, version, channel, segment,
                     locale, tag, flagged, question, kind, dimension,
                     v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10) ",
            );
            q.push_values(chunk, |mut v, ((g, question), add)| {
                push_grain(&mut v, g);
                v.push_bind(question.as_str())
                    .push_bind(add.kind)
                    .push_bind(add.dimension);
                for c in add.counts {
                    v.push_bind(c as i64);
                }
            });
            q.push(
                " ON CONFLICT DO UPDATE SET
                     v0 = v0 + excluded.v0, v1 = v1 + excluded.v1, v2 = v2 + excluded.v2,
                     v3 = v3 + excluded.v3, v4 = v4 + excluded.v4, v5 = v5 + excluded.v5,
                     v6 = v6 + excluded.v6, v7 = v7 + excluded.v7, v8 = v8 + excluded.v8,
                     v9 = v9 + excluded.v9, v10 = v10 + excluded.v10",
            );
            q.build().execute(&mut *tx).await?;
        }
        let choices: Vec<_> = delta.choices.iter().collect();
        for chunk in choices.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO rollup_choices (level, day, survey_id, version, channel, segment,
                     locale, tag, flagged, question, kind, option, count) ",
            );
            q.push_values(chunk, |mut v, ((g, question, option), (kind, count))| {
                push_grain(&mut v, g);
                v.push_bind(question.as_str())
                    .push_bind(*kind)
                    .push_bind(option.as_str())
                    .push_bind(*count as i64);
            });
            q.push(" ON CONFLICT DO UPDATE SET count = count + excluded.count");
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The next events to fold (after the events cursor, at most `limit`)
    /// and the cursor they were read at.
    pub async fn pending_rollup_events(
        &self,
        limit: u32,
    ) -> Result<(i64, Vec<PendingEvent>), StoreError> {
        let from = self.pipeline_cursor(EVENTS_CURSOR).await?;
        let rows = sqlx::query_as::<_, PendingEvent>(
            "SELECT id, survey_id, event, received_at, version, channel, segment, locale
             FROM events WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(from)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok((from, rows))
    }

    /// Adds 'shown' counts per (day, survey) and per day, version and
    /// context, and moves the events cursor from `from` to `to`, in one
    /// transaction; false when it had moved.
    pub async fn apply_shown(
        &self,
        from: i64,
        to: i64,
        shown: &ShownDelta,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        if !advance(&mut tx, EVENTS_CURSOR, from, to).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let per_context: Vec<_> = shown.per_context.iter().collect();
        for chunk in per_context.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO rollup_shown_context (day, survey_id, version, channel, segment,
                     locale, shown) ",
            );
            q.push_values(chunk, |mut v, (g, n)| {
                v.push_bind(g.day.as_str())
                    .push_bind(g.survey_id.as_str())
                    .push_bind(g.version)
                    .push_bind(g.channel.as_str())
                    .push_bind(g.segment.as_str())
                    .push_bind(g.locale.as_str())
                    .push_bind(**n as i64);
            });
            q.push(" ON CONFLICT DO UPDATE SET shown = shown + excluded.shown");
            q.build().execute(&mut *tx).await?;
        }
        for ((day, survey), n) in &shown.per_survey {
            sqlx::query(
                "INSERT INTO rollup_shown (day, survey_id, shown) VALUES (?, ?, ?)
                 ON CONFLICT DO UPDATE SET shown = shown + excluded.shown",
            )
            .bind(day)
            .bind(survey)
            .bind(*n as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// Parses a stored histogram `{"bucket": count}`.
pub fn parse_histogram(json: &str) -> Result<BTreeMap<u16, u64>, StoreError> {
    let map: BTreeMap<String, u64> = serde_json::from_str(json)?;
    map.into_iter()
        .map(|(k, v)| {
            k.parse::<u16>()
                .map(|k| (k, v))
                .map_err(|_| StoreError::Inconsistent(format!("histogram bucket {k:?}")))
        })
        .collect()
}

/// The stored form of a histogram.
pub fn histogram_json(h: &BTreeMap<u16, u64>) -> String {
    let map: serde_json::Map<String, serde_json::Value> = h
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    serde_json::Value::Object(map).to_string()
}

impl Store {
    /// Whether [`Store::close`] was called (background workers stop then).
    pub fn is_closed(&self) -> bool {
        self.writer.is_closed()
    }
}
