//! The background worker that analyses responses after they are stored,
//! and its handle ([`Pipeline`], kept in the HTTP state).
//!
//! Ingest never waits for analysis: the worker wakes every
//! [`INTERVAL`], analyses whatever was stored since its cursor in batches of
//! [`BATCH_SIZE`], and sleeps again; during load peaks it holds back (see
//! [`Pacing`]). Code that needs the analysis up to date
//! (reports, tests) calls [`Pipeline::catch_up`]; batches are serialised
//! with the background loop, so both never analyse the same rows.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

use super::batch::{Analyzer, BATCH_SIZE, BatchReport};
use crate::store::{Store, StoreError};

/// How often the worker looks for new responses when idle.
pub const INTERVAL: Duration = Duration::from_millis(200);

/// Longest pause after repeated failures (the database is unwell: do not
/// flood the log).
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Handle to the analysis pipeline. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    /// Held for one batch at a time: the loop and `catch_up` take turns.
    analyzer: Mutex<Analyzer>,
    stop: watch::Sender<bool>,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

/// What [`Pipeline::catch_up`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Batches committed.
    pub batches: usize,
    /// Responses analysed.
    pub analysed: usize,
    /// Cases opened.
    pub cases: usize,
}

impl Pipeline {
    /// A pipeline without a background loop (`--analytics off`): nothing is
    /// analysed until someone calls [`Pipeline::catch_up`] (reports do, so
    /// their figures stay right, only later).
    pub fn manual(store: Store) -> Self {
        let (stop, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                store,
                analyzer: Mutex::new(Analyzer::default()),
                stop,
                task: std::sync::Mutex::new(None),
            }),
        }
    }

    /// A pipeline with its background loop running (needs a Tokio runtime).
    pub fn start(store: Store) -> Self {
        let pipeline = Self::manual(store);
        let inner = Arc::clone(&pipeline.inner);
        let stop = pipeline.inner.stop.subscribe();
        let task = tokio::spawn(run(inner, stop));
        if let Ok(mut slot) = pipeline.inner.task.lock() {
            *slot = Some(task);
        }
        pipeline
    }

    /// Whether the background loop was started.
    pub fn is_running(&self) -> bool {
        self.inner.task.lock().is_ok_and(|t| t.is_some())
    }

    /// Analyses everything stored before the call, in batches, then
    /// returns. Waits for a batch the loop is running.
    pub async fn catch_up(&self) -> Result<CatchUp, StoreError> {
        let target = self.inner.store.last_response_rowid().await?;
        let mut done = CatchUp::default();
        while self.inner.store.analysis_cursor().await? < target {
            match self.inner.step().await? {
                Some(report) => {
                    done.batches += 1;
                    done.analysed += report.analysed;
                    done.cases += report.cases;
                }
                // Nothing pending (or the cursor moved under another
                // process's worker): the loop condition decides.
                None => tokio::task::yield_now().await,
            }
        }
        Ok(done)
    }

    /// Stops the background loop after its current batch and waits for it.
    /// Responses stored afterwards are analysed at the next start.
    pub async fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let task = self.inner.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "the analysis worker panicked");
        }
    }
}

impl Inner {
    async fn step(&self) -> Result<Option<BatchReport>, StoreError> {
        let mut analyzer = self.analyzer.lock().await;
        analyzer.run_batch(&self.store, BATCH_SIZE).await
    }
}

/// Above this many new responses per second, ingest is busy (a load peak):
/// the loop holds back (see [`Pacing`]).
pub const BUSY_ARRIVALS_PER_SEC: f64 = 2000.0;

/// The longest the loop holds back during a peak; after that it analyses one
/// batch per wake even while ingest stays busy.
pub const MAX_LAG: Duration = Duration::from_secs(30);

/// How the loop shares the machine with ingest. Analysis is back-office
/// work; accepting answers is what customers wait for. During a load peak
/// (more than [`BUSY_ARRIVALS_PER_SEC`] new responses per second) the loop
/// holds back for up to [`MAX_LAG`], so the CPU and the one write connection
/// go to ingest; then, while the peak lasts, it analyses one batch per wake
/// (at most [`BATCH_SIZE`] per [`INTERVAL`]), and drains freely once the
/// peak is over. Flags, tags and cases of a peak's responses come late, at
/// most about `MAX_LAG` plus the backlog; reports are not affected, they
/// call [`Pipeline::catch_up`] first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Ingest is quiet: analyse everything pending.
    Drain,
    /// A peak, for less than [`MAX_LAG`]: analyse nothing this round.
    HoldBack,
    /// A long peak: one batch this round.
    OneBatch,
}

impl Pacing {
    /// The pacing for `arrivals_per_sec` new responses per second since the
    /// last round, with the loop holding back since `held_for` (`None`:
    /// not holding back).
    pub fn decide(arrivals_per_sec: f64, held_for: Option<Duration>) -> Self {
        if arrivals_per_sec <= BUSY_ARRIVALS_PER_SEC {
            Pacing::Drain
        } else if held_for.is_none_or(|h| h < MAX_LAG) {
            Pacing::HoldBack
        } else {
            Pacing::OneBatch
        }
    }
}

/// The background loop: drain, sleep, repeat, until told to stop.
async fn run(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    let mut backoff = INTERVAL;
    // Arrival rate: the latest rowid at the previous round, and when.
    let mut seen: Option<(i64, Instant)> = None;
    let mut holding_since: Option<Instant> = None;
    loop {
        let pacing = match inner.store.last_response_rowid().await {
            Ok(last) => {
                let now = Instant::now();
                let rate = seen.map_or(0.0, |(before, at)| {
                    let secs = now.duration_since(at).as_secs_f64().max(1e-3);
                    (last - before) as f64 / secs
                });
                seen = Some((last, now));
                Pacing::decide(rate, holding_since.map(|h| now.duration_since(h)))
            }
            // The batch would fail the same way; it reports the error.
            Err(_) => Pacing::Drain,
        };
        match pacing {
            Pacing::HoldBack => {
                holding_since.get_or_insert_with(Instant::now);
            }
            Pacing::OneBatch | Pacing::Drain => {
                if pacing == Pacing::Drain {
                    holding_since = None;
                }
                // Drain (or one batch): a full batch suggests more is waiting.
                loop {
                    if *stop.borrow() {
                        return;
                    }
                    match inner.step().await {
                        Ok(Some(report)) => {
                            backoff = INTERVAL;
                            tracing::debug!(
                                read = report.read,
                                analysed = report.analysed,
                                cases = report.cases,
                                "analysed a batch"
                            );
                            if pacing == Pacing::OneBatch
                                || i64::try_from(report.read).unwrap_or(i64::MAX) < BATCH_SIZE
                            {
                                break;
                            }
                        }
                        Ok(None) => {
                            backoff = INTERVAL;
                            break;
                        }
                        Err(e) => {
                            // The batch rolled back whole; the cursor did not
                            // move, so the same rows are tried again.
                            tracing::error!(error = %e, retry_in_ms = backoff.as_millis() as u64,
                                "analysis batch failed");
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            break;
                        }
                    }
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            changed = stop.changed() => {
                // Err: the handle is gone; stop as well.
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_ingest_is_drained_at_once() {
        assert_eq!(Pacing::decide(0.0, None), Pacing::Drain);
        assert_eq!(Pacing::decide(2000.0, None), Pacing::Drain);
        // A peak that ended: drain, however long the loop held back.
        assert_eq!(
            Pacing::decide(10.0, Some(Duration::from_secs(5))),
            Pacing::Drain
        );
    }

    #[test]
    fn a_peak_holds_analysis_back_for_at_most_max_lag() {
        assert_eq!(Pacing::decide(2001.0, None), Pacing::HoldBack);
        assert_eq!(
            Pacing::decide(15_000.0, Some(Duration::from_secs(29))),
            Pacing::HoldBack
        );
        assert_eq!(Pacing::decide(15_000.0, Some(MAX_LAG)), Pacing::OneBatch);
    }
}
