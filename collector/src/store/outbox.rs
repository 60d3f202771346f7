//! The webhook outbox: how any part of the collector emits an event
//! (`response.created`, `case.opened`, `case.overdue`, `case.verified`).
//!
//! [`enqueue`] runs on the caller's connection, inside the caller's
//! transaction, so an event exists exactly when the change it reports was
//! committed (the transactional-outbox pattern): a crash can neither lose an
//! event of a committed change nor send one for a rolled-back change. It
//! writes the event once and one pending delivery per active endpoint that
//! subscribes to it; with no subscriber it writes nothing (there is nobody
//! to deliver to, and a million unsubscribed `response.created` rows would
//! only cost disk). Delivery, retries and signing are the webhook worker's
//! business (see `crate::webhooks`).

use serde_json::{Value, json};
use sqlx::SqliteConnection;

/// One event to emit.
#[derive(Debug, Clone, Copy)]
pub struct OutboxEvent<'a> {
    /// The site the event belongs to (endpoints of that site and site-less
    /// endpoints receive it).
    pub site: &'a str,
    /// One of [`EVENT_TYPES`].
    pub event_type: &'a str,
    /// The event's `data` object.
    pub data: &'a Value,
    /// Now, as stored in `*_at` columns (`super::now_timestamp`).
    pub now: &'a str,
}

/// Every event type an endpoint may subscribe to.
pub const EVENT_TYPES: [&str; 4] = [
    "response.created",
    "case.opened",
    "case.overdue",
    "case.verified",
];

/// Writes `event` and its deliveries on `conn` (inside the caller's
/// transaction). Returns the outbox id, or `None` when no active endpoint
/// subscribes to it (nothing written).
pub async fn enqueue(
    conn: &mut SqliteConnection,
    event: &OutboxEvent<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    const SUBSCRIBERS: &str = "FROM webhook_endpoints e
         WHERE e.active = 1
           AND (e.site_key IS NULL OR e.site_key = ?1)
           AND EXISTS (SELECT 1 FROM json_each(e.event_types) t WHERE t.value = ?2)";
    let subscribed: Option<(i64,)> = sqlx::query_as(&format!("SELECT 1 {SUBSCRIBERS} LIMIT 1"))
        .bind(event.site)
        .bind(event.event_type)
        .fetch_optional(&mut *conn)
        .await?;
    if subscribed.is_none() {
        return Ok(None);
    }
    // Standard Webhooks: the id identifies the message across re-sends, so a
    // receiver can deduplicate an at-least-once delivery.
    let message_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let payload = json!({
        "type": event.event_type,
        "timestamp": event.now,
        "data": event.data,
    });
    let outbox_id = sqlx::query(
        "INSERT INTO outbox (message_id, site_key, event_type, payload, created_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&message_id)
    .bind(event.site)
    .bind(event.event_type)
    .bind(payload.to_string())
    .bind(event.now)
    .execute(&mut *conn)
    .await?
    .last_insert_rowid();
    sqlx::query(&format!(
        "INSERT INTO webhook_deliveries (outbox_id, endpoint_id, next_attempt_at, created_at)
         SELECT ?3, e.id, ?4, ?4 {SUBSCRIBERS}"
    ))
    .bind(event.site)
    .bind(event.event_type)
    .bind(outbox_id)
    .bind(event.now)
    .execute(&mut *conn)
    .await?;
    Ok(Some(outbox_id))
}
