//! The response-analysis pipeline in SQL: reading the responses past the
//! cursor and what analysing them needs (definitions, settings, keywords,
//! rules, earlier responses of the same customers), and writing a batch's
//! results together with the cursor; plus the admin API's settings.
//!
//! [`Store::commit_analysis`] writes a whole batch in one transaction on the
//! write connection: the analysis rows, the tags, the cases (through
//! [`super::cases::open_in`]), the `response.created` events and the new
//! cursor. So a crash leaves either all of it or none of it, and every
//! response is analysed exactly once. Lists are passed to SQLite as one JSON
//! array bound to `json_each(?)`, so each lookup is one query per batch.

use serde_json::{Value, json};
use sqlx::{QueryBuilder, Row as _, Sqlite};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

use super::cases::{self, NewCase};
use super::outbox::{self, OutboxEvent};
use super::{Store, StoreError, format_timestamp, now_timestamp};
use crate::analytics::case_rules::{Conditions, Rule, ScoreAtMost};
use crate::analytics::facts::ScoreKind;
use crate::analytics::keywords::KeywordEntry;
use crate::analytics::quality::QualitySettings;
use crate::cases::Priority;

/// The analysis worker's row in `pipeline_cursors`.
pub const CURSOR: &str = "analysis";

/// A stored response not analysed yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingResponse {
    /// Its rowid (the cursor's unit).
    pub rowid: i64,
    /// Response id.
    pub response_id: String,
    /// Site.
    pub site_key: String,
    /// Survey.
    pub survey_id: String,
    /// Survey version.
    pub survey_version: i64,
    /// Merchant order id.
    pub order_id: Option<String>,
    /// Merchant customer id.
    pub customer: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Segment.
    pub segment: Option<String>,
    /// Locale shown.
    pub locale: Option<String>,
    /// The answers JSON.
    pub answers: String,
    /// Client clock.
    pub shown_at: Option<String>,
    /// Client clock.
    pub submitted_at: Option<String>,
    /// Collector clock.
    pub received_at: String,
}

/// "Has this customer answered before, within the window?" for one response.
#[derive(Debug, Clone)]
pub struct DuplicateProbe<'a> {
    /// The response asking.
    pub response_id: &'a str,
    /// Its rowid: only responses stored before it count.
    pub rowid: i64,
    /// Site.
    pub site: &'a str,
    /// Customer.
    pub customer: &'a str,
    /// Its order (another response for the same order is not a duplicate:
    /// several surveys may ask about one order).
    pub order_id: Option<&'a str>,
    /// Start of the window (stored timestamp format).
    pub from: String,
    /// Its received_at.
    pub at: &'a str,
}

/// The case a response opens.
#[derive(Debug, Clone)]
pub struct CaseToOpen {
    /// Who to call back.
    pub customer: String,
    /// Priority.
    pub priority: Priority,
    /// Why.
    pub reason: String,
    /// The rule's id.
    pub rule: String,
    /// Who calls back.
    pub owner: Option<String>,
    /// Opening time: the response's receive time, so the due time counts
    /// from the answer, however late the analysis ran.
    pub opened_at: OffsetDateTime,
}

/// One analysed response, ready to write.
#[derive(Debug, Clone)]
pub struct AnalysedResponse {
    /// The response.
    pub response_id: String,
    /// Its site.
    pub site: String,
    /// Its survey.
    pub survey_id: String,
    /// Its receive time.
    pub received_at: String,
    /// Flag codes, in their fixed order.
    pub flags: Vec<&'static str>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Whether an alert keyword matched.
    pub alert: bool,
    /// Client-side completion time.
    pub duration_ms: Option<i64>,
    /// The case to open, if a rule matched.
    pub case: Option<CaseToOpen>,
    /// The `data` of its `response.created` event (`None` when nobody
    /// subscribes to it).
    pub event: Option<Value>,
}

/// What a committed batch wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchWritten {
    /// Analysis rows written.
    pub analysed: usize,
    /// Cases opened.
    pub cases: usize,
}

/// A custom keyword (`tag_keywords`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordRow {
    /// Row id.
    pub id: i64,
    /// Site, `None`: every site.
    pub site: Option<String>,
    /// The entry.
    pub entry: KeywordEntry,
    /// Creation time.
    pub created_at: String,
}

/// A site's rule (`case_rules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// Row id.
    pub id: i64,
    /// Site.
    pub site: String,
    /// The rule (its `id` is the row id as text).
    pub rule: Rule,
    /// Creation time.
    pub created_at: String,
}

/// A rule to insert.
#[derive(Debug, Clone)]
pub struct NewRule<'a> {
    /// Site.
    pub site: &'a str,
    /// Only this survey.
    pub survey_id: Option<&'a str>,
    /// Conditions.
    pub conditions: &'a Conditions,
    /// Priority.
    pub priority: Priority,
    /// Owner.
    pub owner: Option<&'a str>,
    /// Tie-break.
    pub position: i64,
}

/// A `tag_keywords` row as selected.
#[derive(sqlx::FromRow)]
struct KeywordDbRow {
    id: i64,
    site_key: Option<String>,
    locale: String,
    keyword: String,
    tag: String,
    alert: i64,
    created_at: String,
}

fn json_list<T: serde::Serialize>(items: &[T]) -> Result<String, StoreError> {
    Ok(serde_json::to_string(items)?)
}

impl Store {
    /// The last rowid analysed.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn analysis_cursor(&self) -> Result<i64, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT last_rowid FROM pipeline_cursors WHERE name = ?")
                .bind(CURSOR)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map_or(0, |r| r.0))
    }

    /// The rowid of the latest stored response (0: none).
    pub async fn last_response_rowid(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(rowid), 0) FROM responses")
            .fetch_one(&self.reader)
            .await?;
        Ok(n)
    }

    /// Up to `limit` responses with a rowid above `after`, in rowid order.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn pending_responses(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<PendingResponse>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT rowid, response_id, site_key, survey_id, survey_version, order_id, customer,
                    channel, segment, locale, answers, shown_at, submitted_at, received_at
             FROM responses WHERE rowid > ? ORDER BY rowid LIMIT ?",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The stored definitions of these (survey, version) pairs, as JSON text.
    #[tracing::instrument(level = "debug", skip_all, fields(n = keys.len()))]
    pub async fn survey_definitions(
        &self,
        keys: &[(String, i64)],
    ) -> Result<Vec<(String, i64, String)>, StoreError> {
        let list: Vec<Value> = keys.iter().map(|(s, v)| json!([s, v])).collect();
        let rows = sqlx::query(
            "SELECT s.survey_id, s.version, s.definition
             FROM json_each(?) k
             JOIN surveys s ON s.survey_id = json_extract(k.value, '$[0]')
                           AND s.version = json_extract(k.value, '$[1]')",
        )
        .bind(json_list(&list)?)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// The stored quality settings of these surveys (absent: defaults).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn quality_settings_of(
        &self,
        survey_ids: &[&str],
    ) -> Result<HashMap<String, QualitySettings>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT survey_id, min_seconds, duplicate_window_minutes FROM survey_quality
             WHERE survey_id IN (SELECT value FROM json_each(?))",
        )
        .bind(json_list(survey_ids)?)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, min, window)| {
                (
                    id,
                    QualitySettings {
                        // The table's CHECKs bound both to u32 ranges.
                        min_seconds: u32::try_from(min).unwrap_or(0),
                        duplicate_window_minutes: u32::try_from(window).unwrap_or(0),
                    },
                )
            })
            .collect())
    }

    /// The quality settings of one survey and when they were set.
    pub async fn quality_settings(
        &self,
        survey_id: &str,
    ) -> Result<Option<(QualitySettings, String)>, StoreError> {
        let row: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT min_seconds, duplicate_window_minutes, updated_at FROM survey_quality
             WHERE survey_id = ?",
        )
        .bind(survey_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(min, window, at)| {
            (
                QualitySettings {
                    min_seconds: u32::try_from(min).unwrap_or(0),
                    duplicate_window_minutes: u32::try_from(window).unwrap_or(0),
                },
                at,
            )
        }))
    }

    /// Sets a survey's quality settings (they apply to responses analysed
    /// from now on). Returns the time stored.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn set_quality_settings(
        &self,
        survey_id: &str,
        settings: QualitySettings,
    ) -> Result<String, StoreError> {
        let now = now_timestamp();
        sqlx::query(
            "INSERT INTO survey_quality (survey_id, min_seconds, duplicate_window_minutes, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (survey_id) DO UPDATE
             SET min_seconds = ?2, duplicate_window_minutes = ?3, updated_at = ?4",
        )
        .bind(survey_id)
        .bind(i64::from(settings.min_seconds))
        .bind(i64::from(settings.duplicate_window_minutes))
        .bind(&now)
        .execute(&self.writer)
        .await?;
        Ok(now)
    }

    /// The site of a survey (any version), or `None` when no survey has the id.
    pub async fn survey_site(&self, survey_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT site_key FROM surveys WHERE survey_id = ? LIMIT 1")
                .bind(survey_id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// Whether a site has this key.
    pub async fn site_exists(&self, site: &str) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM sites WHERE key = ?")
            .bind(site)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.is_some())
    }

    /// Custom keywords: those of every site (`site_key` NULL) and, when
    /// `sites` is given, of these sites only; otherwise all of them.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn keyword_rows(
        &self,
        sites: Option<&[&str]>,
    ) -> Result<Vec<KeywordRow>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT id, site_key, locale, keyword, tag, alert, created_at FROM tag_keywords",
        );
        if let Some(sites) = sites {
            q.push(" WHERE site_key IS NULL OR site_key IN (SELECT value FROM json_each(")
                .push_bind(json_list(sites)?)
                .push("))");
        }
        q.push(" ORDER BY id");
        let rows: Vec<KeywordDbRow> = q.build_query_as().fetch_all(&self.reader).await?;
        Ok(rows
            .into_iter()
            .map(|r| KeywordRow {
                id: r.id,
                site: r.site_key,
                entry: KeywordEntry {
                    locale: r.locale,
                    keyword: r.keyword,
                    tag: r.tag,
                    alert: r.alert != 0,
                },
                created_at: r.created_at,
            })
            .collect())
    }

    /// Adds a keyword; `None` when the same (site, locale, keyword, tag)
    /// exists already.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn insert_keyword(
        &self,
        site: Option<&str>,
        entry: &KeywordEntry,
    ) -> Result<Option<KeywordRow>, StoreError> {
        let now = now_timestamp();
        let done = sqlx::query(
            "INSERT INTO tag_keywords (site_key, locale, keyword, tag, alert, created_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(site)
        .bind(&entry.locale)
        .bind(&entry.keyword)
        .bind(&entry.tag)
        .bind(i64::from(entry.alert))
        .bind(&now)
        .execute(&self.writer)
        .await?;
        Ok((done.rows_affected() == 1).then(|| KeywordRow {
            id: done.last_insert_rowid(),
            site: site.map(str::to_owned),
            entry: entry.clone(),
            created_at: now,
        }))
    }

    /// Deletes a keyword; false when no row has the id.
    pub async fn delete_keyword(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM tag_keywords WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The case rules of these sites (all sites when `None`), in order.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rule_rows(&self, sites: Option<&[&str]>) -> Result<Vec<RuleRow>, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT id, site_key, survey_id, score_kind, score_max, alert, tag, segment,
                    priority, owner, position, created_at
             FROM case_rules",
        );
        if let Some(sites) = sites {
            q.push(" WHERE site_key IN (SELECT value FROM json_each(")
                .push_bind(json_list(sites)?)
                .push("))");
        }
        q.push(" ORDER BY site_key, position, id");
        let rows = q.build().fetch_all(&self.reader).await?;
        rows.into_iter().map(|r| rule_row(&r)).collect()
    }

    /// Adds a rule.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn insert_rule(&self, rule: &NewRule<'_>) -> Result<RuleRow, StoreError> {
        let now = now_timestamp();
        let c = rule.conditions;
        let id = sqlx::query(
            "INSERT INTO case_rules (site_key, survey_id, score_kind, score_max, alert, tag,
                                     segment, priority, owner, position, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(rule.site)
        .bind(rule.survey_id)
        .bind(c.score.map(|s| s.kind.as_str()))
        .bind(c.score.map(|s| s.max))
        .bind(i64::from(c.alert))
        .bind(c.tag.as_deref())
        .bind(c.segment.as_deref())
        .bind(rule.priority.as_str())
        .bind(rule.owner)
        .bind(rule.position)
        .bind(&now)
        .execute(&self.writer)
        .await?
        .last_insert_rowid();
        Ok(RuleRow {
            id,
            site: rule.site.to_owned(),
            rule: Rule {
                id: id.to_string(),
                survey_id: rule.survey_id.map(str::to_owned),
                conditions: c.clone(),
                priority: rule.priority,
                owner: rule.owner.map(str::to_owned),
                position: rule.position,
            },
            created_at: now,
        })
    }

    /// Deletes a rule; false when no row has the id.
    pub async fn delete_rule(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM case_rules WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Of `probes`, the response ids whose customer has another response
    /// on the same site stored before it, received within its window, for
    /// another order or without one. One query for the whole batch (on the
    /// `responses_by_site_customer` index).
    #[tracing::instrument(level = "debug", skip_all, fields(n = probes.len()))]
    pub async fn earlier_answers_of_customers(
        &self,
        probes: &[DuplicateProbe<'_>],
    ) -> Result<HashSet<String>, StoreError> {
        if probes.is_empty() {
            return Ok(HashSet::new());
        }
        let list: Vec<Value> = probes
            .iter()
            .map(|p| {
                json!({"id": p.response_id, "rowid": p.rowid, "site": p.site,
                       "customer": p.customer, "order": p.order_id,
                       "from": p.from, "at": p.at})
            })
            .collect();
        let rows: Vec<(String,)> = sqlx::query_as(
            // MATERIALIZED: the JSON is taken apart once per probe, not
            // again inside every index lookup of the correlated subquery.
            "WITH probe AS MATERIALIZED (
                 SELECT json_extract(value, '$.id') AS id,
                        json_extract(value, '$.rowid') AS rid,
                        json_extract(value, '$.site') AS site,
                        json_extract(value, '$.customer') AS customer,
                        json_extract(value, '$.order') AS order_id,
                        json_extract(value, '$.from') AS from_at,
                        json_extract(value, '$.at') AS at
                 FROM json_each(?))
             SELECT p.id FROM probe p
             WHERE EXISTS (
                 SELECT 1 FROM responses r
                 WHERE r.site_key = p.site AND r.customer = p.customer
                   AND r.received_at >= p.from_at AND r.received_at <= p.at
                   AND r.rowid < p.rid
                   AND (r.order_id IS NULL OR p.order_id IS NULL OR r.order_id <> p.order_id))",
        )
        .bind(json_list(&list)?)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Whether an active webhook endpoint (of any site) subscribes to
    /// `response.created`: when none does, the pipeline does not even build
    /// the events.
    pub async fn response_created_subscribed(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query_as::<_, (i64,)>(RESPONSE_CREATED_SUBSCRIBED)
            .fetch_optional(&self.reader)
            .await?
            .is_some())
    }

    /// Writes a batch's analysis, tags, cases and `response.created` events
    /// and moves the cursor from `from_rowid` to `to_rowid`, in one
    /// transaction. A response analysed already (its row exists) is skipped
    /// whole. When the cursor is no longer at `from_rowid` (another worker
    /// moved it), nothing is written and `None` is returned.
    ///
    /// Analysis rows and tags go in multi-row INSERTs (a statement per
    /// [`ROWS_PER_INSERT`] rows, not per row): this transaction holds the
    /// one write connection that ingest also needs.
    #[tracing::instrument(level = "debug", skip_all, fields(n = batch.len()))]
    pub async fn commit_analysis(
        &self,
        from_rowid: i64,
        to_rowid: i64,
        batch: &[AnalysedResponse],
    ) -> Result<Option<BatchWritten>, StoreError> {
        let mut tx = self.writer.begin().await?;
        // From here to COMMIT the response writer waits for the connection:
        // logged, since it bounds ingest latency while a backlog is analysed.
        let began = std::time::Instant::now();
        // First, so the transaction takes the write lock before reading.
        let moved = sqlx::query(
            "UPDATE pipeline_cursors SET last_rowid = ?1 WHERE name = ?2 AND last_rowid = ?3",
        )
        .bind(to_rowid)
        .bind(CURSOR)
        .bind(from_rowid)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let now = now_timestamp();
        // Checked again inside the transaction: an endpoint added since the
        // batch was analysed gets no event for it (its events were not
        // built), one removed gets none either (enqueue writes nothing).
        let subscribed = sqlx::query_as::<_, (i64,)>(RESPONSE_CREATED_SUBSCRIBED)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();

        let encoded: Vec<(String, String)> = batch
            .iter()
            .map(|r| {
                Ok((
                    serde_json::to_string(&r.flags)?,
                    serde_json::to_string(&r.tags)?,
                ))
            })
            .collect::<Result<_, serde_json::Error>>()?;
        let mut inserted: HashSet<String> = HashSet::with_capacity(batch.len());
        for (rows, encoded) in batch
            .chunks(ROWS_PER_INSERT)
            .zip(encoded.chunks(ROWS_PER_INSERT))
        {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO response_analysis (response_id, flags, flagged, tags, alert,
                                                duration_ms, analyzed_at) ",
            );
            q.push_values(rows.iter().zip(encoded), |mut b, (r, (flags, tags))| {
                b.push_bind(&r.response_id)
                    .push_bind(flags)
                    .push_bind(i64::from(!r.flags.is_empty()))
                    .push_bind(tags)
                    .push_bind(i64::from(r.alert))
                    .push_bind(r.duration_ms)
                    .push_bind(&now);
            });
            q.push(" ON CONFLICT (response_id) DO NOTHING RETURNING response_id");
            let ids: Vec<(String,)> = q.build_query_as().fetch_all(&mut *tx).await?;
            inserted.extend(ids.into_iter().map(|(id,)| id));
        }
        let fresh: Vec<&AnalysedResponse> = batch
            .iter()
            .filter(|r| inserted.contains(&r.response_id))
            .collect();

        let tags: Vec<(&AnalysedResponse, &String)> = fresh
            .iter()
            .flat_map(|r| r.tags.iter().map(move |t| (*r, t)))
            .collect();
        for chunk in tags.chunks(ROWS_PER_INSERT) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO response_tags (tag, response_id, survey_id, received_at) ",
            );
            q.push_values(chunk, |mut b, (r, tag)| {
                b.push_bind(*tag)
                    .push_bind(&r.response_id)
                    .push_bind(&r.survey_id)
                    .push_bind(&r.received_at);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *tx).await?;
        }

        let mut written = BatchWritten {
            analysed: fresh.len(),
            cases: 0,
        };
        for r in &fresh {
            if subscribed && let Some(event) = &r.event {
                outbox::enqueue(
                    &mut tx,
                    &OutboxEvent {
                        site: &r.site,
                        event_type: "response.created",
                        data: event,
                        now: &now,
                    },
                )
                .await?;
            }
            if let Some(case) = &r.case {
                let opened = cases::open_in(
                    &mut tx,
                    &NewCase {
                        site: &r.site,
                        customer: &case.customer,
                        survey_id: Some(&r.survey_id),
                        response_id: Some(&r.response_id),
                        priority: case.priority,
                        reason: &case.reason,
                        rule: Some(&case.rule),
                        owner: case.owner.as_deref(),
                        opened_at: case.opened_at,
                    },
                )
                .await?;
                written.cases += usize::from(opened.is_some());
            }
        }
        tx.commit().await?;
        tracing::debug!(
            rows = batch.len(),
            cases = written.cases,
            held_ms = began.elapsed().as_secs_f64() * 1e3,
            "analysis batch committed"
        );
        Ok(Some(written))
    }
}

/// Rows per multi-row INSERT: 7 parameters each stays far below SQLite's
/// limit of 32,766 bound parameters per statement.
const ROWS_PER_INSERT: usize = 500;

/// Whether some active endpoint subscribes to `response.created`.
const RESPONSE_CREATED_SUBSCRIBED: &str = "SELECT 1 FROM webhook_endpoints e
     WHERE e.active = 1
       AND EXISTS (SELECT 1 FROM json_each(e.event_types) t WHERE t.value = 'response.created')
     LIMIT 1";

/// Reads one `case_rules` row.
fn rule_row(r: &sqlx::sqlite::SqliteRow) -> Result<RuleRow, StoreError> {
    let id: i64 = r.try_get("id")?;
    let kind: Option<String> = r.try_get("score_kind")?;
    let max: Option<i64> = r.try_get("score_max")?;
    let priority: String = r.try_get("priority")?;
    let score = match (kind, max) {
        (Some(kind), Some(max)) => Some(ScoreAtMost {
            kind: ScoreKind::parse(&kind).ok_or_else(|| {
                StoreError::Inconsistent(format!("case rule {id}: score_kind {kind:?}"))
            })?,
            max,
        }),
        _ => None,
    };
    let alert: i64 = r.try_get("alert")?;
    Ok(RuleRow {
        id,
        site: r.try_get("site_key")?,
        rule: Rule {
            id: id.to_string(),
            survey_id: r.try_get("survey_id")?,
            conditions: Conditions {
                score,
                alert: alert != 0,
                tag: r.try_get("tag")?,
                segment: r.try_get("segment")?,
            },
            priority: Priority::parse(&priority).ok_or_else(|| {
                StoreError::Inconsistent(format!("case rule {id}: priority {priority:?}"))
            })?,
            owner: r.try_get("owner")?,
            position: r.try_get("position")?,
        },
        created_at: r.try_get("created_at")?,
    })
}

/// The start of a duplicate window ending at `received_at` (stored format).
pub fn window_start(received_at: OffsetDateTime, minutes: u32) -> String {
    format_timestamp(received_at - time::Duration::minutes(i64::from(minutes)))
}
