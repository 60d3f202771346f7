//! The background worker that analyses responses after they are stored,
//! and its handle ([`Pipeline`], kept in the HTTP state).
//!
//! Ingest never waits for analysis: the worker wakes every
//! [`INTERVAL`], analyses whatever was stored since its cursor in batches of
//! [`LOOP_BATCH_SIZE`], and sleeps again; during load peaks it holds back
//! (see [`Pacing`]). Code that needs the analysis up to date
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

    /// Whether the background loop was started and has not ended (a loop
    /// that panicked leaves reports to analyse what they need themselves
    /// instead of waiting for it with 503s).
    pub fn is_running(&self) -> bool {
        self.inner
            .task
            .lock()
            .is_ok_and(|t| t.as_ref().is_some_and(|task| !task.is_finished()))
    }

    /// Analyses everything stored before the call, in batches, then
    /// returns. Waits for a batch the loop is running.
    pub async fn catch_up(&self) -> Result<CatchUp, StoreError> {
        let target = self.inner.store.last_response_rowid().await?;
        let mut done = CatchUp::default();
        while self.inner.store.analysis_cursor().await? < target {
            // Someone waits for this: the larger batch, for throughput.
            match self.inner.step(BATCH_SIZE).await? {
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
    /// Analyses and commits up to `limit` pending responses.
    async fn step(&self, limit: i64) -> Result<Option<BatchReport>, StoreError> {
        let mut analyzer = self.analyzer.lock().await;
        analyzer.run_batch(&self.store, limit).await
    }
}

/// Responses per transaction of the background loop. Each transaction holds
/// the one write connection, and the response writer waits for it. Measured
/// after a 10 s peak (~100k responses queued, two thirds of them opening a
/// case), with 1,000 responses/s arriving meanwhile: 1,000-row
/// transactions ([`BATCH_SIZE`]) held the connection p50 78–90 ms (max
/// 212–316 ms) and ingest p99 was 152–254 ms; 200 rows: held p50 16 ms,
/// ingest p99 58 ms; 100 rows: held p50 7 ms (p99 36), ingest p99 38 ms
/// (analytics off on that machine: 49 ms). The price: a backlog drains
/// ~30 % slower (71k against 103k responses in 15 s), from the per-batch
/// reads; the hold per response is the same (~90 µs).
pub const LOOP_BATCH_SIZE: i64 = 100;

/// The arrival rate of new responses, from the latest response rowid seen
/// at each look.
#[derive(Debug, Default, Clone, Copy)]
struct Arrivals {
    /// The latest rowid at the previous look, and when.
    seen: Option<(i64, Instant)>,
}

impl Arrivals {
    /// Responses per second since the previous look (0 at the first).
    fn rate(&mut self, last: i64, now: Instant) -> f64 {
        let rate = self.seen.map_or(0.0, |(before, at)| {
            let secs = now.duration_since(at).as_secs_f64().max(1e-3);
            (last - before) as f64 / secs
        });
        self.seen = Some((last, now));
        rate
    }

    /// [`Self::rate`], but only over at least `window` since the previous
    /// look (`None` before that, and the look is not counted). Inside a
    /// drain a look comes every few milliseconds, and the writer commits in
    /// lumps between the analysis transactions that hold it up: over such a
    /// short window two lumps read as twice the real rate, and a false
    /// "busy" stopped the drain each round at a steady 1,500/s, so the
    /// backlog grew without end.
    fn rate_over(&mut self, last: i64, now: Instant, window: Duration) -> Option<f64> {
        match self.seen {
            Some((_, at)) if now.duration_since(at) < window => None,
            _ => Some(self.rate(last, now)),
        }
    }
}

/// Above this many new responses per second, ingest is busy (a load peak):
/// the loop holds back (see [`Pacing`]).
pub const BUSY_ARRIVALS_PER_SEC: f64 = 2000.0;

/// The longest the loop holds back during a peak; after that it analyses up
/// to [`BATCH_SIZE`] responses per wake even while ingest stays busy.
pub const MAX_LAG: Duration = Duration::from_secs(30);

/// How the loop shares the machine with ingest. Analysis is back-office
/// work; accepting answers is what customers wait for. During a load peak
/// (more than [`BUSY_ARRIVALS_PER_SEC`] new responses per second) the loop
/// holds back for up to [`MAX_LAG`], so the CPU and the one write connection
/// go to ingest; then, while the peak lasts, it analyses at most
/// [`BATCH_SIZE`] responses per wake ([`INTERVAL`]), and drains freely once
/// the peak is over, until ingest gets busy again. Flags, tags and cases of a peak's responses come late, at
/// most about `MAX_LAG` plus the backlog; reports and exports analyse a
/// small rest themselves and answer 503 `reports_warming_up` past a large
/// backlog (see `http::admin::reports::analyse_first`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Ingest is quiet: analyse everything pending.
    Drain,
    /// A peak, for less than [`MAX_LAG`]: analyse nothing this round.
    HoldBack,
    /// A long peak: [`BATCH_SIZE`] responses this round (in transactions
    /// of [`LOOP_BATCH_SIZE`]).
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
    let mut arrivals = Arrivals::default();
    let mut holding_since: Option<Instant> = None;
    loop {
        let pacing = match inner.store.last_response_rowid().await {
            Ok(last) => {
                let now = Instant::now();
                let rate = arrivals.rate(last, now);
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
                // Drain (or one batch's worth during a long peak), in
                // transactions of LOOP_BATCH_SIZE: a full one suggests more
                // is waiting.
                let mut budget = match pacing {
                    Pacing::OneBatch => BATCH_SIZE,
                    _ => i64::MAX,
                };
                loop {
                    if *stop.borrow() {
                        return;
                    }
                    match inner.step(LOOP_BATCH_SIZE).await {
                        Ok(Some(report)) => {
                            backoff = INTERVAL;
                            tracing::debug!(
                                read = report.read,
                                analysed = report.analysed,
                                cases = report.cases,
                                "analysed a batch"
                            );
                            let read = i64::try_from(report.read).unwrap_or(i64::MAX);
                            budget = budget.saturating_sub(read);
                            if read < LOOP_BATCH_SIZE || budget <= 0 {
                                break;
                            }
                            // Still draining a backlog: stop as soon as
                            // ingest is busy again (a new peak) instead of
                            // taking the write connection all through it;
                            // the next round holds back.
                            if pacing == Pacing::Drain
                                && let Ok(last) = inner.store.last_response_rowid().await
                                && arrivals
                                    .rate_over(last, Instant::now(), INTERVAL)
                                    .is_some_and(|rate| rate > BUSY_ARRIVALS_PER_SEC)
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
    fn a_drain_judges_the_arrival_rate_over_a_whole_interval_only() {
        let start = Instant::now();
        let mut arrivals = Arrivals::default();
        assert_eq!(arrivals.rate_over(0, start, INTERVAL), Some(0.0));
        // Two lumps of 100 a few milliseconds apart: no verdict yet, and the
        // looks are not counted.
        let soon = start + Duration::from_millis(5);
        assert_eq!(arrivals.rate_over(100, soon, INTERVAL), None);
        let later = start + Duration::from_millis(10);
        assert_eq!(arrivals.rate_over(200, later, INTERVAL), None);
        // Over the whole interval: 300 in 200 ms = 1,500/s, not busy.
        let whole = start + INTERVAL;
        let rate = arrivals.rate_over(300, whole, INTERVAL).unwrap_or(f64::NAN);
        assert!((rate - 1500.0).abs() < 1e-6, "{rate}");
        assert!(rate <= BUSY_ARRIVALS_PER_SEC);
    }

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
    fn arrivals_are_counted_per_second_between_looks() {
        let mut arrivals = Arrivals::default();
        let t0 = Instant::now();
        assert_eq!(arrivals.rate(500, t0), 0.0, "nothing to compare with yet");
        assert_eq!(
            arrivals.rate(1_500, t0 + Duration::from_millis(200)),
            5_000.0
        );
        // From the previous look, not the first.
        assert_eq!(
            arrivals.rate(1_530, t0 + Duration::from_millis(210)),
            3_000.0
        );
        assert_eq!(arrivals.rate(1_530, t0 + Duration::from_millis(410)), 0.0);
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
