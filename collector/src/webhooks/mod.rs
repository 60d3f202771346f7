//! Webhooks: events of the closed loop (`response.created`, `case.opened`,
//! `case.overdue`, `case.verified`) delivered at least once to the
//! merchant's endpoints.
//!
//! Events are written to the outbox in the transaction of the change they
//! report (`crate::store::outbox`), one delivery row per subscribed
//! endpoint. The [`delivery`] worker claims due deliveries, POSTs them
//! signed per Standard Webhooks ([`signing`]) and records every attempt;
//! failures are retried with exponential back-off and jitter ([`backoff`])
//! until a 2xx or the attempt limit. A crash between a POST and its record
//! re-sends after the claim's lease expires: receivers deduplicate on
//! `webhook-id`, which is the same on every re-send.
//!
//! - [`endpoints`]: managing endpoints and the delivery log (admin API);
//! - [`background`]: the periodic tasks' plumbing, shared with the overdue
//!   sweep of `crate::cases::overdue`.

pub mod background;
pub mod backoff;
pub mod delivery;
pub mod endpoints;
pub mod signing;

use std::time::Duration;

use crate::store::Store;
use background::Background;

/// How the background work of the closed loop runs. [`Settings::default`]
/// for production; tests shorten every delay.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often the delivery worker looks for due deliveries.
    pub poll_every: Duration,
    /// How long one POST may take (connect, send, answer).
    pub timeout: Duration,
    /// Delays before the 2nd, 3rd, … attempt; the last one repeats.
    pub retry_delays: Vec<Duration>,
    /// Attempts before a delivery is `failed` (a manual re-send restarts it).
    pub max_attempts: u32,
    /// Deliveries claimed (and sent concurrently) per poll.
    pub batch: u32,
    /// How often the overdue sweep runs (the first run at start); `None`:
    /// never in the background (tests call `Store::sweep_overdue` with
    /// explicit times, and a background run racing them would escalate
    /// their back-dated cases).
    pub sweep_every: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            poll_every: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            // 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then hourly: a receiver
            // that is down for a deploy gets the event within seconds of
            // coming back, one down for a night within the hour.
            retry_delays: [5, 30, 120, 600, 1800, 3600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            max_attempts: 10,
            batch: 20,
            sweep_every: Some(Duration::from_secs(60)),
        }
    }
}

impl Settings {
    /// Every delay in milliseconds, for tests (retries after 50, 100, 200 ms).
    pub fn fast() -> Self {
        Self {
            poll_every: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
            retry_delays: [50, 100, 200]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            max_attempts: 6,
            batch: 20,
            sweep_every: Some(Duration::from_millis(200)),
        }
    }
}

/// The running background tasks of the closed loop.
#[derive(Debug)]
pub struct Workers {
    tasks: Vec<Background>,
}

impl Workers {
    /// Starts the webhook delivery worker and the overdue sweep on `store`.
    pub fn start(store: &Store, settings: &Settings) -> anyhow::Result<Self> {
        let mut tasks = vec![delivery::spawn(store.clone(), settings.clone())?];
        if let Some(every) = settings.sweep_every {
            tasks.push(crate::cases::overdue::spawn(store.clone(), every));
        }
        Ok(Self { tasks })
    }

    /// Stops every task after its current run.
    pub async fn stop(self) {
        for task in self.tasks {
            task.stop().await;
        }
    }
}
