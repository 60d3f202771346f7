//! The delivery worker: claims due deliveries, POSTs each signed event and
//! records the attempt (see the module docs of `crate::webhooks`).
//!
//! Any 2xx is delivered. Anything else — another status, a redirect (not
//! followed: an endpoint that moved must be updated, not guessed), a
//! timeout, a refused connection — is retried after the back-off delay until
//! [`Settings::max_attempts`], then the delivery is `failed` until someone
//! re-sends it.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::background::Background;
use super::{Settings, backoff, signing};
use crate::store::webhooks::{AttemptRecord, DueDelivery, NextStep};
use crate::store::{Store, StoreError, format_timestamp};

/// Extra time past the POST's limit before a claimed delivery is due again
/// (a worker that died mid-POST; see `crate::store::webhooks`).
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// Sends due deliveries.
#[derive(Debug, Clone)]
pub struct Deliverer {
    store: Store,
    client: reqwest::Client,
    settings: Settings,
}

impl Deliverer {
    /// A deliverer over `store` with its own HTTP client.
    pub fn new(store: Store, settings: Settings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("manyi-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the webhook HTTP client")?;
        Ok(Self {
            store,
            client,
            settings,
        })
    }

    /// Claims the deliveries due at `now` (up to the batch size), sends
    /// them concurrently and records each attempt. Returns how many were
    /// attempted.
    pub async fn deliver_due(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let lease = now + self.settings.timeout + LEASE_MARGIN;
        let due = self
            .store
            .claim_due_deliveries(
                &format_timestamp(now),
                &format_timestamp(lease),
                self.settings.batch,
            )
            .await?;
        let count = due.len();
        let mut sends = JoinSet::new();
        for delivery in due {
            let this = self.clone();
            sends.spawn(async move { this.send(delivery).await });
        }
        while let Some(done) = sends.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "recording a webhook attempt failed"),
                Err(e) => tracing::error!(error = %e, "a webhook send panicked"),
            }
        }
        Ok(count)
    }

    /// One attempt of one delivery.
    #[tracing::instrument(skip_all, fields(delivery = delivery.id, message_id = %delivery.message_id))]
    async fn send(&self, delivery: DueDelivery) -> Result<(), StoreError> {
        let started_at = OffsetDateTime::now_utc();
        let started = Instant::now();
        let timestamp = started_at.unix_timestamp();
        let (status_code, error) = match signing::sign(
            &delivery.secret,
            &delivery.message_id,
            timestamp,
            &delivery.payload,
        ) {
            Ok(signature) => self.post(&delivery, timestamp, &signature).await,
            Err(e) => (None, Some(e.to_string())),
        };
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let attempts = u32::try_from(delivery.attempts)
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let retry_at;
        let next = if error.is_none() {
            NextStep::Delivered
        } else if attempts >= self.settings.max_attempts {
            NextStep::Failed
        } else {
            let delay = backoff::delay(
                &self.settings.retry_delays,
                attempts,
                backoff::random_jitter(),
            );
            retry_at = format_timestamp(OffsetDateTime::now_utc() + delay);
            NextStep::RetryAt(&retry_at)
        };
        match (&next, &error) {
            (NextStep::Delivered, _) => tracing::debug!(status_code, "webhook delivered"),
            (_, Some(e)) => tracing::warn!(attempts, error = %e, "webhook attempt failed"),
            _ => {}
        }
        self.store
            .record_attempt(&AttemptRecord {
                delivery_id: delivery.id,
                attempted_at: &format_timestamp(started_at),
                status_code,
                error: error.as_deref(),
                duration_ms,
                next,
            })
            .await
    }

    /// POSTs the event: the HTTP status (when an answer came) and the error
    /// (`None` for a 2xx).
    async fn post(
        &self,
        delivery: &DueDelivery,
        timestamp: i64,
        signature: &str,
    ) -> (Option<u16>, Option<String>) {
        let sent = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            // The body is not read: only the status counts, and a receiver
            // answering megabytes must not slow the worker.
            Ok(response) if response.status().is_success() => {
                (Some(response.status().as_u16()), None)
            }
            Ok(response) => {
                let status = response.status();
                (Some(status.as_u16()), Some(format!("HTTP {status}")))
            }
            Err(e) => (None, Some(e.without_url().to_string())),
        }
    }
}

/// Runs [`Deliverer::deliver_due`] every `settings.poll_every` until stopped.
/// A full batch is followed at once by the next one.
pub fn spawn(store: Store, settings: Settings) -> anyhow::Result<Background> {
    let every = settings.poll_every;
    let deliverer = Deliverer::new(store, settings)?;
    Ok(Background::every("webhook delivery", every, move || {
        let deliverer = deliverer.clone();
        async move {
            loop {
                match deliverer.deliver_due(OffsetDateTime::now_utc()).await {
                    Ok(n) if n >= deliverer.settings.batch as usize => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "claiming webhook deliveries failed");
                        break;
                    }
                }
            }
        }
    }))
}
