//! A periodic background task of the collector (the webhook delivery
//! worker, the overdue sweep) that stops cleanly on shutdown: a stop
//! request interrupts the wait between runs, never a run itself, so a
//! delivery being recorded is finished first.

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running periodic task.
#[derive(Debug)]
pub struct Background {
    name: &'static str,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Background {
    /// Runs `run` now and then every `every` (after each run ends) until
    /// [`Background::stop`].
    pub fn every<F, Fut>(name: &'static str, every: Duration, mut run: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                run().await;
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    // Err: the handle was dropped; stop as well.
                    _ = stopped.changed() => break,
                }
            }
            tracing::debug!(task = name, "background task stopped");
        });
        Self { name, stop, task }
    }

    /// Stops after the current run (if any) and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(task = self.name, error = %e, "background task panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn runs_at_once_then_every_interval_until_stopped() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let task = Background::every("test", Duration::from_millis(10), move || {
            let counted = Arc::clone(&counted);
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        task.stop().await;
        let at_stop = runs.load(Ordering::SeqCst);
        // At 0, 10, 20 … ms; a loaded machine may be late, never early.
        assert!((2..=11).contains(&at_stop), "{at_stop} runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(runs.load(Ordering::SeqCst), at_stop, "ran after stop");
    }
}
