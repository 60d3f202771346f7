//! Follow-up cases in SQL (the domain rules are in `crate::cases`): opening
//! (by the analysis pipeline), the queue, changes by staff with their
//! history, notes, the customer's verification answer and the overdue sweep.
//!
//! Verification links are stored as the SHA-256 of their token (see
//! `crate::cases::verification`): the token itself is only returned by the
//! call that made it ([`Updated::new_token`], [`Store::renew_verification_link`]).
//!
//! [`open_in`] runs on the caller's connection inside the caller's
//! transaction, so the analysis pipeline opens a case in the same
//! transaction that records the answer's analysis: the case, its history
//! row and its `case.opened` event exist together or not at all.

use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::outbox::{self, OutboxEvent};
use super::{Store, StoreError, format_timestamp};
use crate::cases::overdue::escalate;
use crate::cases::verification::{
    Answer, LinkFilter, LinkState, link_state, new_token, token_hash,
};
use crate::cases::workflow::{Actor, check_transition};
use crate::cases::{CaseError, Priority, Status, due_after_priority_change};

/// A case to open.
#[derive(Debug, Clone, Copy)]
pub struct NewCase<'a> {
    /// The site.
    pub site: &'a str,
    /// The customer to call back.
    pub customer: &'a str,
    /// The survey whose answer opened it.
    pub survey_id: Option<&'a str>,
    /// The response that opened it (at most one case per response).
    pub response_id: Option<&'a str>,
    /// Sets the due time.
    pub priority: Priority,
    /// What opened it, for people (e.g. `NPS 3 ≤ 6`).
    pub reason: &'a str,
    /// The id of the rule that opened it.
    pub rule: Option<&'a str>,
    /// Who calls back.
    pub owner: Option<&'a str>,
    /// Opening time.
    pub opened_at: OffsetDateTime,
}

/// Opens `case` on `conn` (inside the caller's transaction): the case row,
/// an `opened` history row and a `case.opened` outbox event. Returns the new
/// case id, or `None` when its response already has a case (nothing written).
pub async fn open_in(
    conn: &mut SqliteConnection,
    case: &NewCase<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    let now = format_timestamp(case.opened_at);
    let due = format_timestamp(case.priority.due_at(case.opened_at));
    let done = sqlx::query(
        "INSERT INTO cases (site_key, customer, survey_id, response_id, status, priority,
                            reason, rule, owner, due_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8, ?9, ?10, ?10)
         ON CONFLICT (response_id) DO NOTHING",
    )
    .bind(case.site)
    .bind(case.customer)
    .bind(case.survey_id)
    .bind(case.response_id)
    .bind(case.priority.as_str())
    .bind(case.reason)
    .bind(case.rule)
    .bind(case.owner)
    .bind(&due)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let id = done.last_insert_rowid();
    sqlx::query(
        "INSERT INTO case_history (case_id, change, from_value, to_value, actor, at)
         VALUES (?, 'opened', NULL, 'open', 'system', ?)",
    )
    .bind(id)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    let data = json!({
        "case_id": id,
        "site": case.site,
        "customer": case.customer,
        "survey_id": case.survey_id,
        "response_id": case.response_id,
        "priority": case.priority.as_str(),
        "reason": case.reason,
        "rule": case.rule,
        "owner": case.owner,
        "due_at": due,
    });
    outbox::enqueue(
        conn,
        &OutboxEvent {
            site: case.site,
            event_type: "case.opened",
            data: &data,
            now: &now,
        },
    )
    .await?;
    Ok(Some(id))
}

/// The columns of [`CaseRow`], in its order.
const CASE_COLUMNS: &str = "id, site_key, customer, survey_id, response_id, status, priority,
    reason, rule, owner, due_at, escalation_level, escalated_at, verification_token_hash,
    verification_sent_at, verification_expires_at, verification_resolved, verification_score,
    verification_comment, verification_answered_at, verified_at, created_at, updated_at,
    contacted_at, resolved_at, closed_at, reopened_at";

/// One stored case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseRow {
    /// Case id.
    pub id: i64,
    /// Site key.
    pub site_key: String,
    /// The customer to call back.
    pub customer: String,
    /// The survey whose answer opened it.
    pub survey_id: Option<String>,
    /// The response that opened it.
    pub response_id: Option<String>,
    /// [`Status::as_str`].
    pub status: String,
    /// [`Priority::as_str`].
    pub priority: String,
    /// What opened it, for people.
    pub reason: Option<String>,
    /// The rule that opened it.
    pub rule: Option<String>,
    /// Who calls back.
    pub owner: Option<String>,
    /// When the merchant must have acted.
    pub due_at: String,
    /// How many times it escalated.
    pub escalation_level: i64,
    /// When it last escalated.
    pub escalated_at: Option<String>,
    /// SHA-256 (hex) of the verification link's token (since the case was
    /// first resolved); the token itself is not stored.
    pub verification_token_hash: Option<String>,
    /// When that link was made.
    pub verification_sent_at: Option<String>,
    /// When that link stops working.
    pub verification_expires_at: Option<String>,
    /// The customer's "resolved?" (1 yes, 0 no) once answered.
    pub verification_resolved: Option<i64>,
    /// The customer's 1–5 score once answered.
    pub verification_score: Option<i64>,
    /// The customer's comment.
    pub verification_comment: Option<String>,
    /// When the customer answered.
    pub verification_answered_at: Option<String>,
    /// When the answer verified the case.
    pub verified_at: Option<String>,
    /// Opening time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Status times.
    pub contacted_at: Option<String>,
    /// When it was (last) resolved.
    pub resolved_at: Option<String>,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// When it was last reopened (its current response window began).
    pub reopened_at: Option<String>,
}

impl CaseRow {
    /// The status, parsed.
    pub fn status(&self) -> Result<Status, StoreError> {
        Status::parse(&self.status)
            .ok_or_else(|| StoreError::Inconsistent(format!("case status {:?}", self.status)))
    }

    /// The priority, parsed.
    pub fn priority(&self) -> Result<Priority, StoreError> {
        Priority::parse(&self.priority)
            .ok_or_else(|| StoreError::Inconsistent(format!("case priority {:?}", self.priority)))
    }

    /// What its verification link shows at `now` (a stored timestamp).
    pub fn link_state(&self, now: &str) -> Result<LinkState, StoreError> {
        Ok(link_state(
            self.status()?,
            self.verification_answered_at.is_some(),
            self.verification_expires_at.as_deref(),
            now,
        ))
    }

    /// Open or contacted and past its due time at `now` (a stored timestamp).
    pub fn is_overdue(&self, now: &str) -> bool {
        Status::parse(&self.status).is_some_and(Status::awaits_merchant)
            && self.due_at.as_str() < now
    }
}

/// A note on a case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoteRow {
    /// Note id.
    pub id: i64,
    /// The admin token's name.
    pub author: String,
    /// The text.
    pub body: String,
    /// When written.
    pub created_at: String,
}

/// One change in a case's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HistoryRow {
    /// Row id (history order).
    pub id: i64,
    /// `opened`, `status`, `owner`, `priority`, `escalated`, `verification`.
    pub change: String,
    /// The value before.
    pub from_value: Option<String>,
    /// The value after.
    pub to_value: Option<String>,
    /// Admin token name, `system` or `customer`.
    pub actor: String,
    /// When.
    pub at: String,
}

/// The response that opened a case, as shown with it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseResponse {
    /// Response id.
    pub response_id: String,
    /// Survey version answered.
    pub survey_version: i64,
    /// Merchant's order id.
    pub order_id: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// When the collector accepted it.
    pub received_at: String,
    /// The answers (JSON object text).
    pub answers: String,
}

/// Filters of the case queue; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Any of these statuses (empty: any).
    pub statuses: Vec<Status>,
    /// Any of these priorities (empty: any).
    pub priorities: Vec<Priority>,
    /// `Some(None)`: unassigned.
    pub owner: Option<Option<String>>,
    /// Open or contacted and past due at `now` (or the opposite).
    pub overdue: Option<bool>,
    /// Where the verification stands at `now`.
    pub verification: Option<LinkFilter>,
    /// Site key.
    pub site: Option<String>,
    /// Survey id.
    pub survey: Option<String>,
    /// Now, as stored (for `overdue`).
    pub now: String,
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return.
    pub limit: u32,
}

/// A change asked through the admin API; `None` = unchanged.
#[derive(Debug, Clone, Default)]
pub struct CaseChange {
    /// New status.
    pub status: Option<Status>,
    /// New owner (`Some(None)` unassigns).
    pub owner: Option<Option<String>>,
    /// New priority.
    pub priority: Option<Priority>,
}

/// A case after [`Store::update_case`].
#[derive(Debug, Clone)]
pub struct Updated {
    /// The case as stored now.
    pub case: CaseRow,
    /// The token of the verification link this change made (on resolving):
    /// the only time it is seen, only its hash is stored.
    pub new_token: Option<String>,
}

/// What became of a verification answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// Satisfied: the case is verified (and `case.verified` emitted).
    Verified,
    /// Not satisfied: the case is open again.
    Reopened,
    /// No case has this token.
    UnknownToken,
    /// This link was already answered; nothing changed.
    AlreadyAnswered,
    /// This link has expired; nothing changed.
    Expired,
    /// The case no longer waits for this verification (closed, or reopened
    /// by staff); nothing changed.
    NoLongerAwaited,
}

/// One history row, written on `conn`.
async fn history(
    conn: &mut SqliteConnection,
    case_id: i64,
    change: &str,
    from: Option<&str>,
    to: Option<&str>,
    actor: &str,
    at: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_history (case_id, change, from_value, to_value, actor, at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(case_id)
    .bind(change)
    .bind(from)
    .bind(to)
    .bind(actor)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn case_in(conn: &mut SqliteConnection, id: i64) -> Result<Option<CaseRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Writes every mutable column of `case`.
async fn write_case(conn: &mut SqliteConnection, case: &CaseRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE cases SET status = ?, priority = ?, owner = ?, due_at = ?,
             escalation_level = ?, escalated_at = ?, verification_token_hash = ?,
             verification_sent_at = ?, verification_expires_at = ?, verification_resolved = ?,
             verification_score = ?, verification_comment = ?, verification_answered_at = ?,
             verified_at = ?, updated_at = ?, contacted_at = ?, resolved_at = ?, closed_at = ?,
             reopened_at = ?
         WHERE id = ?",
    )
    .bind(&case.status)
    .bind(&case.priority)
    .bind(&case.owner)
    .bind(&case.due_at)
    .bind(case.escalation_level)
    .bind(&case.escalated_at)
    .bind(&case.verification_token_hash)
    .bind(&case.verification_sent_at)
    .bind(&case.verification_expires_at)
    .bind(case.verification_resolved)
    .bind(case.verification_score)
    .bind(&case.verification_comment)
    .bind(&case.verification_answered_at)
    .bind(&case.verified_at)
    .bind(&case.updated_at)
    .bind(&case.contacted_at)
    .bind(&case.resolved_at)
    .bind(&case.closed_at)
    .bind(&case.reopened_at)
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn parse_stored(t: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(t, &Rfc3339)
        .map_err(|e| StoreError::Inconsistent(format!("stored time {t:?}: {e}")))
}

/// Gives `case` a fresh verification link made at `now`, valid for `ttl`,
/// forgetting an earlier link and its answer; returns the token (only its
/// hash goes into `case`).
fn new_link(case: &mut CaseRow, now: OffsetDateTime, ttl: Duration) -> Result<String, StoreError> {
    let token = new_token()
        .map_err(|e| StoreError::Inconsistent(format!("no randomness for a token: {e}")))?;
    case.verification_token_hash = Some(token_hash(&token));
    case.verification_sent_at = Some(format_timestamp(now));
    case.verification_expires_at = Some(format_timestamp(now + ttl));
    case.verification_resolved = None;
    case.verification_score = None;
    case.verification_comment = None;
    case.verification_answered_at = None;
    Ok(token)
}

/// Reopens `case` at `now`: a new response window at its priority.
fn reopen(case: &mut CaseRow, now: OffsetDateTime) -> Result<(), StoreError> {
    case.due_at = format_timestamp(case.priority()?.due_at(now));
    case.reopened_at = Some(format_timestamp(now));
    Ok(())
}

/// Appends the queue's filters to `q` (after a `WHERE 1 = 1`).
fn push_filters<'a>(q: &mut QueryBuilder<'a, Sqlite>, f: &'a CaseQuery) {
    if !f.statuses.is_empty() {
        q.push(" AND status IN (");
        let mut list = q.separated(", ");
        for s in &f.statuses {
            list.push_bind(s.as_str());
        }
        q.push(")");
    }
    if !f.priorities.is_empty() {
        q.push(" AND priority IN (");
        let mut list = q.separated(", ");
        for p in &f.priorities {
            list.push_bind(p.as_str());
        }
        q.push(")");
    }
    match &f.owner {
        Some(Some(owner)) => {
            q.push(" AND owner = ").push_bind(owner.as_str());
        }
        Some(None) => {
            q.push(" AND owner IS NULL");
        }
        None => {}
    }
    if let Some(overdue) = f.overdue {
        q.push(if overdue { " AND " } else { " AND NOT " });
        q.push("(status IN ('open', 'contacted') AND due_at < ")
            .push_bind(f.now.as_str())
            .push(")");
    }
    // The same rules as `link_state`, in SQL.
    match f.verification {
        Some(LinkFilter::Awaiting) => {
            q.push(
                " AND status = 'resolved' AND verification_answered_at IS NULL
                  AND (verification_expires_at IS NULL OR verification_expires_at > ",
            )
            .push_bind(f.now.as_str())
            .push(")");
        }
        Some(LinkFilter::Expired) => {
            q.push(
                " AND status = 'resolved' AND verification_answered_at IS NULL
                  AND verification_expires_at <= ",
            )
            .push_bind(f.now.as_str());
        }
        Some(LinkFilter::Answered) => {
            q.push(" AND verification_answered_at IS NOT NULL");
        }
        None => {}
    }
    if let Some(site) = &f.site {
        q.push(" AND site_key = ").push_bind(site.as_str());
    }
    if let Some(survey) = &f.survey {
        q.push(" AND survey_id = ").push_bind(survey.as_str());
    }
}

impl Store {
    /// Opens `case` in a transaction of its own ([`open_in`] for callers
    /// without one, e.g. a case opened by hand). `None`: its response
    /// already has a case.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn open_case(&self, case: &NewCase<'_>) -> Result<Option<i64>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id = open_in(&mut tx, case).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The case queue: a page of cases matching `query`, soonest due first,
    /// and how many match in all.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn list_cases(&self, query: &CaseQuery) -> Result<(Vec<CaseRow>, i64), StoreError> {
        let mut count = QueryBuilder::new("SELECT count(*) FROM cases WHERE 1 = 1");
        push_filters(&mut count, query);
        let (total,): (i64,) = count.build_query_as().fetch_one(&self.reader).await?;
        let mut page = QueryBuilder::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE 1 = 1"));
        push_filters(&mut page, query);
        page.push(" ORDER BY due_at, id LIMIT ")
            .push_bind(i64::from(query.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(query.offset));
        let rows = page.build_query_as().fetch_all(&self.reader).await?;
        Ok((rows, total))
    }

    /// One case.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn case(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        Ok(case_in(&mut conn, id).await?)
    }

    /// The case a verification token belongs to (looked up by its hash).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn case_by_token(&self, token: &str) -> Result<Option<CaseRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE verification_token_hash = ?"
        ))
        .bind(token_hash(token))
        .fetch_optional(&self.reader)
        .await?)
    }

    /// A case's notes, oldest first.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn case_notes(&self, id: i64) -> Result<Vec<NoteRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, author, body, created_at FROM case_notes WHERE case_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// A case's history, oldest first.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn case_history(&self, id: i64) -> Result<Vec<HistoryRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, change, from_value, to_value, actor, at
             FROM case_history WHERE case_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// The stored response a case was opened from.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn case_response(
        &self,
        response_id: &str,
    ) -> Result<Option<CaseResponse>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT response_id, survey_version, order_id, channel, locale, received_at, answers
             FROM responses WHERE response_id = ?",
        )
        .bind(response_id)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// Applies `change` by staff member `actor` at `now`, in one
    /// transaction with one history row per field that changed. Resolving
    /// makes a fresh verification link valid for `link_ttl` (the
    /// collector's setting, [`crate::cases::Settings`]), returned in
    /// [`Updated::new_token`]; an earlier link and its answer are
    /// forgotten. Reopening starts a new response window at `now`; a new
    /// priority moves the due time as [`due_after_priority_change`] says.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn update_case(
        &self,
        id: i64,
        change: &CaseChange,
        actor: &str,
        now: OffsetDateTime,
        link_ttl: Duration,
    ) -> Result<Updated, CaseError> {
        let at = format_timestamp(now);
        let mut tx = self.writer.begin().await?;
        let before = case_in(&mut tx, id).await?.ok_or(CaseError::NotFound(id))?;
        let from = before.status()?;
        let mut case = before.clone();
        let mut changes: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
        let mut new_token = None;

        if let Some(to) = change.status.filter(|to| *to != from) {
            check_transition(from, to, Actor::Staff)?;
            case.status = to.as_str().to_owned();
            match to {
                Status::Contacted => case.contacted_at = Some(at.clone()),
                Status::Resolved => {
                    case.resolved_at = Some(at.clone());
                    new_token = Some(new_link(&mut case, now, link_ttl)?);
                }
                Status::Open => reopen(&mut case, now)?,
                Status::Closed => case.closed_at = Some(at.clone()),
                Status::Verified => {}
            }
            changes.push((
                "status",
                Some(from.as_str().to_owned()),
                Some(to.as_str().to_owned()),
            ));
        }
        let edits_fields = change.owner.is_some() || change.priority.is_some();
        if edits_fields && from.is_final() {
            return Err(CaseError::Final { id, status: from });
        }
        if let Some(owner) = &change.owner
            && *owner != before.owner
        {
            case.owner.clone_from(owner);
            changes.push(("owner", before.owner.clone(), owner.clone()));
        }
        if let Some(priority) = change.priority {
            let old = before.priority()?;
            if priority != old {
                case.priority = priority.as_str().to_owned();
                // After a reopen in the same change, `case` holds the new
                // window; the clock started at the reopening then.
                let clock_start = case.reopened_at.as_deref().unwrap_or(&case.created_at);
                case.due_at = format_timestamp(due_after_priority_change(
                    old,
                    priority,
                    parse_stored(&case.due_at)?,
                    parse_stored(clock_start)?,
                    now,
                ));
                changes.push((
                    "priority",
                    Some(old.as_str().to_owned()),
                    Some(priority.as_str().to_owned()),
                ));
            }
        }
        if changes.is_empty() {
            tx.commit().await?;
            return Ok(Updated {
                case: before,
                new_token: None,
            });
        }
        case.updated_at.clone_from(&at);
        write_case(&mut tx, &case).await?;
        for (what, old, new) in &changes {
            history(
                &mut tx,
                id,
                what,
                old.as_deref(),
                new.as_deref(),
                actor,
                &at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Updated { case, new_token })
    }

    /// Replaces the verification link of resolved case `id` by a fresh one
    /// valid for `ttl` from `now` (a lost or expired link: the old one
    /// stops working at once), with a history row by `actor`. Returns the
    /// case and the new token (only its hash is stored).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn renew_verification_link(
        &self,
        id: i64,
        actor: &str,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<(CaseRow, String), CaseError> {
        let at = format_timestamp(now);
        let mut tx = self.writer.begin().await?;
        let mut case = case_in(&mut tx, id).await?.ok_or(CaseError::NotFound(id))?;
        let status = case.status()?;
        // A resolved case is never answered: any answer moves it on.
        if status != Status::Resolved {
            return Err(CaseError::NotAwaitingVerification { id, status });
        }
        let old_expiry = case.verification_expires_at.clone();
        let token = new_link(&mut case, now, ttl)?;
        case.updated_at.clone_from(&at);
        write_case(&mut tx, &case).await?;
        history(
            &mut tx,
            id,
            "verification_link",
            old_expiry.as_deref(),
            case.verification_expires_at.as_deref(),
            actor,
            &at,
        )
        .await?;
        tx.commit().await?;
        Ok((case, token))
    }

    /// Hashes the verification tokens stored in plaintext by schema
    /// versions before 12 (see migration 0012): each moves into
    /// `verification_token_hash` and its plaintext is cleared, all in one
    /// transaction; a link without an expiry gets `now + ttl` (a full
    /// period from the upgrade). Idempotent: a second run finds nothing.
    /// Returns how many tokens it hashed. Run at start, before serving.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn hash_legacy_verification_tokens(
        &self,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<u64, StoreError> {
        let mut conn = self.writer.acquire().await?;
        let legacy: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, verification_token FROM cases WHERE verification_token IS NOT NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        if legacy.is_empty() {
            return Ok(0);
        }
        // Clearing a column leaves its old bytes in the page's free space
        // (and the index's): zero them, so the plaintext tokens are not
        // recoverable from the file. Only for this step: the setting
        // belongs to the connection, which goes back to the pool and serves
        // ingest, so it is switched off again whether the step worked or not.
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *conn)
            .await?;
        let hashed = hash_tokens(&mut conn, &legacy, &format_timestamp(now + ttl)).await;
        let off = sqlx::query("PRAGMA secure_delete = OFF")
            .execute(&mut *conn)
            .await;
        hashed?;
        off?;
        drop(conn);
        // The log still holds the earlier page images with the tokens:
        // copy the new ones back and empty it.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await?;
        tracing::info!(
            count = legacy.len(),
            "verification tokens of earlier versions hashed"
        );
        Ok(legacy.len() as u64)
    }

    /// Adds a note by `author`.
    #[tracing::instrument(level = "debug", skip(self, body))]
    pub async fn add_case_note(
        &self,
        id: i64,
        author: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<NoteRow, CaseError> {
        let at = format_timestamp(now);
        // The foreign key would refuse an unknown case too, but as an opaque
        // constraint error; the sub-select makes it a clean "no row".
        let note: Option<NoteRow> = sqlx::query_as(
            "INSERT INTO case_notes (case_id, author, body, created_at)
             SELECT id, ?2, ?3, ?4 FROM cases WHERE id = ?1
             RETURNING id, author, body, created_at",
        )
        .bind(id)
        .bind(author)
        .bind(body)
        .bind(&at)
        .fetch_optional(&self.writer)
        .await?;
        note.ok_or(CaseError::NotFound(id))
    }

    /// Records the customer's answer to the verification link `token`:
    /// satisfied → `verified` with a `case.verified` event; otherwise the
    /// case reopens with a new due time. Either way the answer is stored on
    /// the case and in its history. A second answer changes nothing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn answer_verification(
        &self,
        token: &str,
        answer: &Answer,
        now: OffsetDateTime,
    ) -> Result<AnswerOutcome, StoreError> {
        let at = format_timestamp(now);
        let mut tx = self.writer.begin().await?;
        let found: Option<CaseRow> = sqlx::query_as(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE verification_token_hash = ?"
        ))
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = found else {
            return Ok(AnswerOutcome::UnknownToken);
        };
        // Decided again inside the write transaction: the page's own check
        // may have lost a race with another answer or a change by staff.
        match before.link_state(&at)? {
            LinkState::Awaited => {}
            LinkState::Answered => return Ok(AnswerOutcome::AlreadyAnswered),
            LinkState::Expired => return Ok(AnswerOutcome::Expired),
            LinkState::NoLongerAwaited => return Ok(AnswerOutcome::NoLongerAwaited),
        }
        let from = before.status()?;
        let satisfied = answer.is_satisfied();
        let to = if satisfied {
            Status::Verified
        } else {
            Status::Open
        };
        check_transition(from, to, Actor::Customer).map_err(|e| {
            StoreError::Inconsistent(format!("the workflow refuses the customer's answer: {e}"))
        })?;
        let mut case = before.clone();
        case.status = to.as_str().to_owned();
        case.verification_resolved = Some(i64::from(answer.resolved));
        case.verification_score = Some(i64::from(answer.score));
        case.verification_comment.clone_from(&answer.comment);
        case.verification_answered_at = Some(at.clone());
        case.updated_at.clone_from(&at);
        if satisfied {
            case.verified_at = Some(at.clone());
        } else {
            reopen(&mut case, now)?;
        }
        write_case(&mut tx, &case).await?;
        // The whole answer goes into the history: a later resolution clears
        // it from the case, and the customer's words must not be lost.
        let mut summary = format!(
            "resolved: {}, score: {}",
            if answer.resolved { "yes" } else { "no" },
            answer.score
        );
        if let Some(comment) = &answer.comment {
            summary.push_str(", comment: ");
            summary.push_str(comment);
        }
        history(
            &mut tx,
            case.id,
            "verification",
            None,
            Some(&summary),
            "customer",
            &at,
        )
        .await?;
        history(
            &mut tx,
            case.id,
            "status",
            Some(from.as_str()),
            Some(to.as_str()),
            "customer",
            &at,
        )
        .await?;
        if satisfied {
            let data = json!({
                "case_id": case.id,
                "site": case.site_key,
                "customer": case.customer,
                "survey_id": case.survey_id,
                "response_id": case.response_id,
                "owner": case.owner,
                "resolved": answer.resolved,
                "score": answer.score,
                "comment": answer.comment,
                "verified_at": at,
            });
            outbox::enqueue(
                &mut tx,
                &OutboxEvent {
                    site: &case.site_key,
                    event_type: "case.verified",
                    data: &data,
                    now: &at,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(if satisfied {
            AnswerOutcome::Verified
        } else {
            AnswerOutcome::Reopened
        })
    }

    /// Escalates every open or contacted case whose due time is before
    /// `now` (see [`crate::cases::overdue`]). Returns the escalated ids.
    ///
    /// Exactly once per due time: each escalation moves `due_at` forward,
    /// and the `UPDATE` only applies while `due_at` and `priority` are
    /// still the ones read, so two sweeps racing over the same case escalate
    /// it once, and a priority changed by staff meanwhile (which may keep
    /// the due time, see [`due_after_priority_change`]) is never overwritten
    /// by an escalation computed from the old one.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn sweep_overdue(&self, now: OffsetDateTime) -> Result<Vec<i64>, StoreError> {
        let at = format_timestamp(now);
        let due: Vec<CaseRow> = sqlx::query_as(&format!(
            "SELECT {CASE_COLUMNS} FROM cases
             WHERE status IN ('open', 'contacted') AND due_at < ? ORDER BY due_at, id"
        ))
        .bind(&at)
        .fetch_all(&self.reader)
        .await?;
        let mut escalated = Vec::with_capacity(due.len());
        for case in due {
            let old = case.priority()?;
            let step = escalate(old, now);
            let new_due = format_timestamp(step.due_at);
            let mut tx = self.writer.begin().await?;
            let done = sqlx::query(
                "UPDATE cases SET escalation_level = escalation_level + 1, escalated_at = ?1,
                     priority = ?2, due_at = ?3, updated_at = ?1
                 WHERE id = ?4 AND due_at = ?5 AND priority = ?6
                   AND status IN ('open', 'contacted')",
            )
            .bind(&at)
            .bind(step.priority.as_str())
            .bind(&new_due)
            .bind(case.id)
            .bind(&case.due_at)
            .bind(old.as_str())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                continue; // changed meanwhile (another sweep, or staff)
            }
            let level = case.escalation_level + 1;
            history(
                &mut tx,
                case.id,
                "escalated",
                Some(&case.escalation_level.to_string()),
                Some(&level.to_string()),
                "system",
                &at,
            )
            .await?;
            if step.priority != old {
                history(
                    &mut tx,
                    case.id,
                    "priority",
                    Some(old.as_str()),
                    Some(step.priority.as_str()),
                    "system",
                    &at,
                )
                .await?;
            }
            let data = json!({
                "case_id": case.id,
                "site": case.site_key,
                "customer": case.customer,
                "survey_id": case.survey_id,
                "response_id": case.response_id,
                "status": case.status,
                "owner": case.owner,
                "missed_due_at": case.due_at,
                "escalation_level": level,
                "priority": step.priority.as_str(),
                "due_at": new_due,
            });
            outbox::enqueue(
                &mut tx,
                &OutboxEvent {
                    site: &case.site_key,
                    event_type: "case.overdue",
                    data: &data,
                    now: &at,
                },
            )
            .await?;
            tx.commit().await?;
            escalated.push(case.id);
        }
        Ok(escalated)
    }
}

/// Replaces each plaintext verification token by its hash, in one
/// transaction (all or none). Links made by earlier versions had no expiry:
/// they get `expires` (a full validity from the upgrade).
async fn hash_tokens(
    conn: &mut SqliteConnection,
    legacy: &[(i64, String)],
    expires: &str,
) -> Result<(), sqlx::Error> {
    use sqlx::Connection as _;
    let mut tx = conn.begin().await?;
    for (id, token) in legacy {
        sqlx::query(
            "UPDATE cases SET verification_token_hash = ?, verification_token = NULL,
                 verification_expires_at = COALESCE(verification_expires_at, ?)
             WHERE id = ?",
        )
        .bind(token_hash(token))
        .bind(expires)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
