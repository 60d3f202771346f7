//! Follow-up cases in SQL (the domain rules are in `crate::cases`).
//!
//! [`open_in`] runs on the caller's connection inside the caller's
//! transaction, so the analysis pipeline opens a case in the same
//! transaction that records the answer's analysis: the case, its history
//! row and its `case.opened` event exist together or not at all.

use serde_json::json;
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::format_timestamp;
use super::outbox::{self, OutboxEvent};
use crate::cases::Priority;

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
