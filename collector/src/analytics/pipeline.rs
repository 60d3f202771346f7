//! The background worker that analyses responses after they are stored,
//! and its handle ([`Pipeline`], kept in the HTTP state).
//!
//! Ingest never waits for analysis: the worker wakes every
//! [`INTERVAL`], analyses whatever was stored since its cursor in batches of
//! [`BATCH_SIZE`], and sleeps again. Code that needs the analysis up to date
//! (reports, tests) calls [`Pipeline::catch_up`]; batches are serialised
//! with the background loop, so both never analyse the same rows.

use std::sync::Arc;
use std::time::Duration;
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

/// The background loop: drain, sleep, repeat, until told to stop.
async fn run(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    let mut backoff = INTERVAL;
    loop {
        // Drain: a full batch suggests more is waiting.
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
                    if i64::try_from(report.read).unwrap_or(i64::MAX) < BATCH_SIZE {
                        break;
                    }
                }
                Ok(None) => {
                    backoff = INTERVAL;
                    break;
                }
                Err(e) => {
                    // The batch rolled back whole; the cursor did not move,
                    // so the same rows are tried again.
                    tracing::error!(error = %e, retry_in_ms = backoff.as_millis() as u64,
                        "analysis batch failed");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    break;
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
