//! Webhook endpoints, deliveries and attempts in SQL (events are written by
//! [`super::outbox`]; delivery logic is in `crate::webhooks`).
//!
//! The delivery worker *claims* due deliveries by pushing their
//! `next_attempt_at` past the POST's time limit (a lease) in one
//! statement, so two workers (or a worker and a manual re-send) never send
//! the same delivery at once, and a worker that dies mid-POST leaves the
//! delivery due again once the lease runs out: at least once.

use sqlx::FromRow;

use super::{Store, StoreError};

/// The columns of [`EndpointRow`].
const ENDPOINT_COLUMNS: &str = "id, site_key, url, event_types, active, created_at";

/// The columns of [`DeliveryRow`] (on `webhook_deliveries d JOIN outbox o`).
const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, o.message_id, o.event_type, d.status,
    d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.delivered_at, d.created_at";

/// An endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EndpointRow {
    /// Endpoint id.
    pub id: i64,
    /// Its site (`None`: every site).
    pub site_key: Option<String>,
    /// Where events are POSTed.
    pub url: String,
    /// JSON array of subscribed event types.
    pub event_types: String,
    /// 1 active, 0 disabled.
    pub active: i64,
    /// When created.
    pub created_at: String,
}

/// An endpoint to create.
#[derive(Debug, Clone, Copy)]
pub struct NewEndpoint<'a> {
    /// Its site (`None`: every site).
    pub site: Option<&'a str>,
    /// The URL.
    pub url: &'a str,
    /// `whsec_…`.
    pub secret: &'a str,
    /// JSON array of event types.
    pub event_types: &'a str,
    /// Now, as stored.
    pub now: &'a str,
}

/// One delivery in the log.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DeliveryRow {
    /// Delivery id.
    pub id: i64,
    /// Its endpoint.
    pub endpoint_id: i64,
    /// The Standard Webhooks message id.
    pub message_id: String,
    /// The event type.
    pub event_type: String,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    /// Attempts since it was created or last re-sent.
    pub attempts: i64,
    /// When it is due (or, while claimed, when the claim lapses).
    pub next_attempt_at: String,
    /// HTTP status of the last attempt.
    pub last_status_code: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// When a 2xx came.
    pub delivered_at: Option<String>,
    /// When the event was written.
    pub created_at: String,
}

/// One attempt in the log.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AttemptRow {
    /// The delivery.
    pub delivery_id: i64,
    /// When it started.
    pub attempted_at: String,
    /// The HTTP status, when an answer came.
    pub status_code: Option<i64>,
    /// What went wrong (transport error or non-2xx).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// A delivery claimed for sending, with what it needs.
#[derive(Debug, Clone, FromRow)]
pub struct DueDelivery {
    /// Delivery id.
    pub id: i64,
    /// Attempts before this one.
    pub attempts: i64,
    /// Endpoint URL.
    pub url: String,
    /// Endpoint secret.
    pub secret: String,
    /// `webhook-id`.
    pub message_id: String,
    /// The body.
    pub payload: String,
}

/// The result of one attempt, to record.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    /// The delivery.
    pub delivery_id: i64,
    /// When the attempt started, as stored.
    pub attempted_at: &'a str,
    /// HTTP status, when an answer came.
    pub status_code: Option<u16>,
    /// What went wrong; `None` for a 2xx.
    pub error: Option<&'a str>,
    /// Duration.
    pub duration_ms: i64,
    /// What the delivery becomes.
    pub next: NextStep<'a>,
}

/// What a delivery becomes after an attempt.
#[derive(Debug, Clone, Copy)]
pub enum NextStep<'a> {
    /// 2xx: done.
    Delivered,
    /// Try again at this time (as stored).
    RetryAt(&'a str),
    /// Out of attempts.
    Failed,
}

impl Store {
    /// Creates an endpoint; `None` when its site does not exist.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_endpoint(
        &self,
        endpoint: &NewEndpoint<'_>,
    ) -> Result<Option<EndpointRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO webhook_endpoints (site_key, url, secret, event_types, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5
             WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM sites WHERE key = ?1)
             RETURNING {ENDPOINT_COLUMNS}"
        ))
        .bind(endpoint.site)
        .bind(endpoint.url)
        .bind(endpoint.secret)
        .bind(endpoint.event_types)
        .bind(endpoint.now)
        .fetch_optional(&self.writer)
        .await?)
    }

    /// Every endpoint, oldest first.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn list_endpoints(&self) -> Result<Vec<EndpointRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
        ))
        .fetch_all(&self.reader)
        .await?)
    }

    /// One endpoint.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn endpoint(&self, id: i64) -> Result<Option<EndpointRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// Disables an endpoint: no new deliveries, pending ones stop. `None`
    /// when there is no such endpoint.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn disable_endpoint(&self, id: i64) -> Result<Option<EndpointRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "UPDATE webhook_endpoints SET active = 0 WHERE id = ? RETURNING {ENDPOINT_COLUMNS}"
        ))
        .bind(id)
        .fetch_optional(&self.writer)
        .await?)
    }

    /// A page of an endpoint's deliveries, newest first, and how many it has.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn endpoint_deliveries(
        &self,
        endpoint_id: i64,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<DeliveryRow>, i64), StoreError> {
        let (total,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ?")
                .bind(endpoint_id)
                .fetch_one(&self.reader)
                .await?;
        let rows = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
             WHERE d.endpoint_id = ? ORDER BY d.id DESC LIMIT ? OFFSET ?"
        ))
        .bind(endpoint_id)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.reader)
        .await?;
        Ok((rows, total))
    }

    /// The attempts of these deliveries, oldest first.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn delivery_attempts(
        &self,
        delivery_ids: &[i64],
    ) -> Result<Vec<AttemptRow>, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(delivery_ids)?;
        Ok(sqlx::query_as(
            "SELECT delivery_id, attempted_at, status_code, error, duration_ms
             FROM webhook_attempts
             WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY id",
        )
        .bind(ids)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Makes a delivery pending and due at `now` with a fresh attempt
    /// budget (its earlier attempts stay in the log). `None`: no such
    /// delivery.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn resend_delivery(
        &self,
        id: i64,
        now: &str,
    ) -> Result<Option<DeliveryRow>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries
             SET status = 'pending', attempts = 0, next_attempt_at = ?, delivered_at = NULL
             WHERE id = ?",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
             WHERE d.id = ?"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(row))
    }

    /// Claims up to `limit` pending deliveries due at `now` (of active
    /// endpoints), moving them to `lease_until` so nobody else takes them.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn claim_due_deliveries(
        &self,
        now: &str,
        lease_until: &str,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        // The worker polls every second; asking a reader first keeps the
        // one write connection (which the response writer needs) free when
        // nothing is due, i.e. almost always.
        let any_due: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM webhook_deliveries
             WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&self.reader)
        .await?;
        if any_due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.writer.begin().await?;
        let claimed: Vec<(i64,)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET next_attempt_at = ?2
             WHERE id IN (
                 SELECT d.id FROM webhook_deliveries d
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND e.active = 1
                 ORDER BY d.next_attempt_at, d.id LIMIT ?3)
             RETURNING id",
        )
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let ids = serde_json::to_string(&claimed.iter().map(|(id,)| *id).collect::<Vec<_>>())?;
        let due = sqlx::query_as(
            "SELECT d.id, d.attempts, e.url, e.secret, o.message_id, o.payload
             FROM webhook_deliveries d
             JOIN webhook_endpoints e ON e.id = d.endpoint_id
             JOIN outbox o ON o.id = d.outbox_id
             WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.id",
        )
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(due)
    }

    /// Logs an attempt and moves its delivery on, in one transaction.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn record_attempt(&self, attempt: &AttemptRecord<'_>) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(attempt.delivery_id)
        .bind(attempt.attempted_at)
        .bind(attempt.status_code.map(i64::from))
        .bind(attempt.error)
        .bind(attempt.duration_ms)
        .execute(&mut *tx)
        .await?;
        let (status, next_at, delivered_at) = match attempt.next {
            NextStep::Delivered => ("delivered", None, Some(attempt.attempted_at)),
            NextStep::RetryAt(at) => ("pending", Some(at), None),
            NextStep::Failed => ("failed", None, None),
        };
        sqlx::query(
            "UPDATE webhook_deliveries
             SET status = ?, attempts = attempts + 1,
                 next_attempt_at = COALESCE(?, next_attempt_at),
                 last_status_code = ?, last_error = ?, delivered_at = ?
             WHERE id = ?",
        )
        .bind(status)
        .bind(next_at)
        .bind(attempt.status_code.map(i64::from))
        .bind(attempt.error)
        .bind(delivered_at)
        .bind(attempt.delivery_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
