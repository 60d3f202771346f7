//! The single response writer: every response insert goes through one task
//! that commits them in groups.
//!
//! Handlers send a [`PreparedResponse`] with a oneshot reply over a bounded
//! channel. The writer takes everything queued (up to [`MAX_BATCH`]), opens
//! one `BEGIN IMMEDIATE` transaction on the write connection, runs `INSERT …
//! ON CONFLICT DO NOTHING` per row and works out each row's outcome inside
//! that same transaction (so a duplicate of a row earlier in the batch is
//! seen), commits, and only then answers every waiter. One commit (one WAL
//! sync) then covers many responses: on this disk ~18 k rows/s one per
//! transaction against ~40 k/s at 100 per transaction (see DESIGN.md).
//!
//! Failure rules, so that no 2xx is ever sent for a row that is not
//! committed:
//! - a failed `BEGIN`/`COMMIT` (or any error that is not the row's own
//!   constraint violation) answers an error to every waiter of the batch;
//! - a row breaking a constraint other than the two dedupe keys (a foreign
//!   key, a CHECK) gets its error, and the rest of the batch is retried
//!   without it in a fresh transaction;
//! - after any failure the connection is discarded rather than returned to
//!   the pool, so a half-finished transaction cannot leak into the next batch.
//!
//! Shutdown: the writer stops when every sender is gone, or when
//! [`ResponseWriter::close`] asks it to; either way it first answers
//! everything already queued.

use metrics::{Gauge, Histogram};
use sqlx::error::ErrorKind;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{Sqlite, SqlitePool};
use sqlx::{Connection as _, SqliteConnection};
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::responses::{InsertOutcome, PreparedResponse};
use super::{StoreError, now_timestamp};

/// Most rows committed in one transaction. Large enough that a burst is one
/// commit (DESIGN.md: 100 rows per transaction already doubles the rate),
/// small enough that one batch's transaction stays in the low milliseconds.
pub const MAX_BATCH: usize = 256;

/// Responses that may wait for the writer before senders wait themselves
/// (backpressure on the handlers instead of unbounded memory).
pub const QUEUE_CAPACITY: usize = 4 * MAX_BATCH;

/// What the writer reports to metrics. Both are no-ops unless given real
/// handles (see [`WriterMetrics::noop`]).
#[derive(Debug, Clone)]
pub struct WriterMetrics {
    /// Rows per committed (or attempted) batch.
    pub batch_size: Histogram,
    /// Responses waiting for the writer, the current batch included.
    pub queue_depth: Gauge,
}

impl WriterMetrics {
    /// Metrics that go nowhere (stores opened outside a collector, tests).
    pub fn noop() -> Self {
        Self {
            batch_size: Histogram::noop(),
            queue_depth: Gauge::noop(),
        }
    }
}

/// One queued insert and where its outcome goes.
#[derive(Debug)]
struct WriteRequest {
    row: PreparedResponse,
    reply: oneshot::Sender<Result<InsertOutcome, StoreError>>,
}

/// The handle to the writer task, shared by every clone of the store.
#[derive(Debug)]
pub struct ResponseWriter {
    queue: mpsc::Sender<WriteRequest>,
    /// Taken by the first [`ResponseWriter::close`].
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl ResponseWriter {
    /// Starts the writer task over `pool` (the store's one write connection;
    /// other writes share it between batches). Needs a Tokio runtime.
    pub fn spawn(pool: SqlitePool, metrics: WriterMetrics) -> Self {
        let (queue, requests) = mpsc::channel(QUEUE_CAPACITY);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(pool, requests, stopped, metrics));
        Self {
            queue,
            stop: Mutex::new(Some(stop)),
            task: Mutex::new(Some(task)),
        }
    }

    /// Queues `row` and waits until its batch is committed (or failed).
    pub async fn write(&self, row: PreparedResponse) -> Result<InsertOutcome, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.queue
            .send(WriteRequest { row, reply })
            .await
            .map_err(|_| StoreError::WriterClosed)?;
        // The writer answers every request it took, even on failure; a
        // dropped reply means the task itself died (a panic).
        outcome.await.map_err(|_| StoreError::WriterClosed)?
    }

    /// Stops taking new rows, lets the writer commit and answer everything
    /// already queued, and waits for it to finish. Later writes fail with
    /// [`StoreError::WriterClosed`]. Idempotent.
    pub async fn close(&self) {
        let stop = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(stop) = stop {
            // Err: the writer already stopped on its own.
            let _ = stop.send(());
        }
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "the response writer panicked");
        }
    }
}

/// The writer task: batches until the queue is closed and empty.
async fn run(
    pool: SqlitePool,
    mut requests: mpsc::Receiver<WriteRequest>,
    mut stopped: oneshot::Receiver<()>,
    metrics: WriterMetrics,
) {
    let mut batch: Vec<WriteRequest> = Vec::with_capacity(MAX_BATCH);
    let mut stopping = false;
    loop {
        let taken = if stopping {
            requests.recv_many(&mut batch, MAX_BATCH).await
        } else {
            tokio::select! {
                taken = requests.recv_many(&mut batch, MAX_BATCH) => taken,
                // Asked to stop (or the store is gone): refuse new rows but
                // keep going until what is queued is answered.
                _ = &mut stopped => {
                    requests.close();
                    stopping = true;
                    continue;
                }
            }
        };
        if taken == 0 {
            // Closed and drained, or every sender dropped.
            break;
        }
        metrics.queue_depth.set((taken + requests.len()) as f64);
        metrics.batch_size.record(taken as f64);

        let rows: Vec<&PreparedResponse> = batch.iter().map(|r| &r.row).collect();
        let outcomes = write_batch(&pool, &rows).await;
        for (request, outcome) in batch.drain(..).zip(outcomes) {
            // Err: the client went away; its row is committed all the same,
            // and a retry will be answered 200.
            let _ = request.reply.send(outcome);
        }
        metrics.queue_depth.set(requests.len() as f64);
    }
    tracing::debug!("response writer stopped");
}

/// How one transaction over a batch ended.
enum Attempt {
    /// Committed; one outcome per row, in order.
    Committed(Vec<InsertOutcome>),
    /// Row `index` broke a constraint of its own; nothing was committed.
    RowFailed { index: usize, error: StoreError },
    /// Nothing was committed, for a reason that is not one row's fault.
    BatchFailed(String),
}

/// Writes `rows` in one transaction and returns one result per row, in
/// order. `Ok` only for rows whose transaction committed.
pub async fn write_batch(
    pool: &SqlitePool,
    rows: &[&PreparedResponse],
) -> Vec<Result<InsertOutcome, StoreError>> {
    let mut results: Vec<Option<Result<InsertOutcome, StoreError>>> =
        rows.iter().map(|_| None).collect();
    loop {
        let pending: Vec<usize> = (0..rows.len()).filter(|&i| results[i].is_none()).collect();
        if pending.is_empty() {
            break;
        }
        let batch: Vec<&PreparedResponse> = pending.iter().map(|&i| rows[i]).collect();
        match attempt(pool, &batch).await {
            Attempt::Committed(outcomes) => {
                for (&i, outcome) in pending.iter().zip(outcomes) {
                    results[i] = Some(Ok(outcome));
                }
            }
            Attempt::RowFailed { index, error } => {
                // Everything else was rolled back with it: try again without
                // it. Each round settles at least one row, so this ends.
                results[pending[index]] = Some(Err(error));
            }
            Attempt::BatchFailed(message) => {
                tracing::error!(rows = pending.len(), error = %message, "a write batch failed");
                for &i in &pending {
                    results[i] = Some(Err(StoreError::BatchFailed(message.clone())));
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                // Unreachable: the loop ends only when every row has a result.
                Err(StoreError::Inconsistent(
                    "a row of the batch got no result".into(),
                ))
            })
        })
        .collect()
}

/// One transaction over `rows`.
async fn attempt(pool: &SqlitePool, rows: &[&PreparedResponse]) -> Attempt {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return Attempt::BatchFailed(format!("no write connection: {e}")),
    };
    let result = attempt_on(&mut conn, rows).await;
    if !matches!(result, Attempt::Committed(_)) {
        // The transaction may be half-open (a failed COMMIT leaves it open;
        // some errors end it behind sqlx's back): start the next batch on a
        // fresh connection instead of guessing.
        conn.close_on_drop();
    }
    result
}

async fn attempt_on(conn: &mut PoolConnection<Sqlite>, rows: &[&PreparedResponse]) -> Attempt {
    // IMMEDIATE takes the write lock now: a second process (`manyi site
    // create`) then makes this wait (busy timeout) instead of failing the
    // batch half-way with "database is locked".
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return Attempt::BatchFailed(format!("BEGIN IMMEDIATE: {e}")),
    };
    let mut outcomes = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        match insert_one(&mut tx, row).await {
            Ok(Some(outcome)) => outcomes.push(outcome),
            Ok(None) => {
                return Attempt::RowFailed {
                    index,
                    error: StoreError::Inconsistent(format!(
                        "insert of response {} conflicted, but no conflicting row was found",
                        row.response_id
                    )),
                };
            }
            Err(e) if is_row_error(&e) => {
                // Dropping `tx` rolls back.
                return Attempt::RowFailed {
                    index,
                    error: StoreError::Db(e),
                };
            }
            Err(e) => return Attempt::BatchFailed(format!("insert: {e}")),
        }
    }
    match tx.commit().await {
        Ok(()) => Attempt::Committed(outcomes),
        Err(e) => Attempt::BatchFailed(format!("COMMIT: {e}")),
    }
}

/// Whether `e` is this row's own fault (a foreign key, CHECK or NOT NULL
/// violation), which SQLite reports without ending the transaction. Anything
/// else (I/O, a full disk, a trigger's RAISE) fails the whole batch.
fn is_row_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => matches!(
            db.kind(),
            ErrorKind::ForeignKeyViolation
                | ErrorKind::CheckViolation
                | ErrorKind::NotNullViolation
        ),
        _ => false,
    }
}

/// Inserts one row inside the batch's transaction and tells what happened
/// (`None`: a conflict without a conflicting row, which these two keys make
/// impossible; reported as the row's failure rather than guessed at).
async fn insert_one(
    conn: &mut SqliteConnection,
    row: &PreparedResponse,
) -> Result<Option<InsertOutcome>, sqlx::Error> {
    let received_at = now_timestamp();
    // No conflict target: DO NOTHING covers both the primary key and the
    // UNIQUE (survey_id, order_id); which one fired is worked out below.
    // Foreign-key failures are not conflicts and still error.
    let done = sqlx::query(
        "INSERT INTO responses (
             response_id, site_key, survey_id, survey_version,
             order_id, customer, channel, segment, locale, page,
             answers, payload_hash, shown_at, submitted_at, received_at, signed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING",
    )
    .bind(&row.response_id)
    .bind(&row.site)
    .bind(&row.survey_id)
    .bind(row.survey_version)
    .bind(row.order_id.as_deref())
    .bind(row.customer.as_deref())
    .bind(row.channel.as_deref())
    .bind(row.segment.as_deref())
    .bind(row.locale.as_deref())
    .bind(row.page.as_deref())
    .bind(&row.answers)
    .bind(&row.payload_hash)
    .bind(row.shown_at.as_deref())
    .bind(row.submitted_at.as_deref())
    .bind(&received_at)
    .bind(row.signed)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Some(InsertOutcome::Created { received_at }));
    }

    // Nothing inserted: the conflicting row is committed or earlier in this
    // transaction (rows are never deleted), and these lookups on the same
    // connection see both. The response_id comes first: a retry of an
    // accepted response also conflicts on its order.
    let same_id: Option<(String, String)> =
        sqlx::query_as("SELECT payload_hash, received_at FROM responses WHERE response_id = ?")
            .bind(&row.response_id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((stored_hash, received_at)) = same_id {
        return Ok(Some(if stored_hash == row.payload_hash {
            InsertOutcome::Duplicate { received_at }
        } else {
            InsertOutcome::ResponseIdConflict
        }));
    }
    if let Some(order_id) = row.order_id.as_deref() {
        let answered: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM responses WHERE survey_id = ? AND order_id = ?")
                .bind(&row.survey_id)
                .bind(order_id)
                .fetch_optional(&mut *conn)
                .await?;
        if answered.is_some() {
            return Ok(Some(InsertOutcome::AlreadyAnswered));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, connect_options_at};

    /// A store over a fresh file with the demo site and survey.
    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = connect_options_at(&dir.path().join("manyi.db"), None).expect("options");
        let store = Store::open(options).await.expect("open");
        crate::seed::seed_demo(&store).await.expect("seed");
        (dir, store)
    }

    fn row(response_id: &str, order_id: &str, answers: &str) -> PreparedResponse {
        PreparedResponse {
            response_id: response_id.to_owned(),
            site: "demo".into(),
            survey_id: "post-payment".into(),
            survey_version: 1,
            order_id: Some(order_id.to_owned()),
            customer: Some("c-1".into()),
            channel: None,
            segment: None,
            locale: None,
            page: None,
            answers: answers.to_owned(),
            // The hash stands for the body: same answers, same hash.
            payload_hash: format!("hash-of-{response_id}-{answers}"),
            shown_at: None,
            submitted_at: None,
            signed: false,
        }
    }

    async fn stored_ids(store: &Store) -> Vec<String> {
        sqlx::query_scalar("SELECT response_id FROM responses ORDER BY response_id")
            .fetch_all(&store.reader)
            .await
            .expect("select")
    }

    #[tokio::test]
    async fn the_same_response_twice_in_one_batch_is_one_insert_and_one_retry() {
        let (_dir, store) = store().await;
        let a = row("r-1", "A1", r#"{"nps":9}"#);
        let results = write_batch(&store.writer, &[&a, &a.clone()]).await;
        let Ok(InsertOutcome::Created { received_at }) = &results[0] else {
            panic!("first: {:?}", results[0]);
        };
        assert_eq!(
            results[1].as_ref().expect("second"),
            &InsertOutcome::Duplicate {
                received_at: received_at.clone()
            }
        );
        assert_eq!(stored_ids(&store).await, ["r-1"]);
        store.close().await;
    }

    #[tokio::test]
    async fn conflicts_inside_one_batch_are_told_apart() {
        let (_dir, store) = store().await;
        let first = row("r-1", "A1", r#"{"nps":9}"#);
        let same_order = row("r-2", "A1", r#"{"nps":9}"#);
        let reused_id = row("r-1", "A9", r#"{"nps":3}"#);
        let results = write_batch(&store.writer, &[&first, &same_order, &reused_id]).await;
        assert!(matches!(results[0], Ok(InsertOutcome::Created { .. })));
        assert_eq!(
            results[1].as_ref().expect("order"),
            &InsertOutcome::AlreadyAnswered
        );
        assert_eq!(
            results[2].as_ref().expect("id"),
            &InsertOutcome::ResponseIdConflict
        );
        assert_eq!(stored_ids(&store).await, ["r-1"]);
        store.close().await;
    }

    #[tokio::test]
    async fn a_row_breaking_a_foreign_key_fails_alone() {
        let (_dir, store) = store().await;
        let mut orphan = row("r-2", "A2", "{}");
        orphan.survey_version = 99;
        let (a, c) = (row("r-1", "A1", "{}"), row("r-3", "A3", "{}"));
        let results = write_batch(&store.writer, &[&a, &orphan, &c]).await;
        assert!(matches!(results[0], Ok(InsertOutcome::Created { .. })));
        assert!(
            matches!(results[1], Err(StoreError::Db(_))),
            "{:?}",
            results[1]
        );
        assert!(matches!(results[2], Ok(InsertOutcome::Created { .. })));
        assert_eq!(stored_ids(&store).await, ["r-1", "r-3"]);
        store.close().await;
    }

    /// A trigger whose deferred foreign key breaks only at COMMIT: a real
    /// commit failure, without a test hook in the writer.
    pub(crate) async fn poison_commits(store: &Store, customer: &str) {
        sqlx::raw_sql(&format!(
            "CREATE TABLE poison (site TEXT REFERENCES sites (key) DEFERRABLE INITIALLY DEFERRED);
             CREATE TRIGGER poison_commit AFTER INSERT ON responses
                 WHEN NEW.customer = '{customer}'
                 BEGIN INSERT INTO poison VALUES ('no-such-site'); END;"
        ))
        .execute(&store.writer)
        .await
        .expect("create the poison trigger");
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_row_of_the_batch_and_the_next_batch_works() {
        let (_dir, store) = store().await;
        poison_commits(&store, "poison").await;
        let mut bad = row("r-2", "A2", "{}");
        bad.customer = Some("poison".into());
        let (a, c) = (row("r-1", "A1", "{}"), row("r-3", "A3", "{}"));
        let results = write_batch(&store.writer, &[&a, &bad, &c]).await;
        for r in &results {
            assert!(matches!(r, Err(StoreError::BatchFailed(_))), "{r:?}");
        }
        assert!(stored_ids(&store).await.is_empty());

        let results = write_batch(&store.writer, &[&a, &c]).await;
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Ok(InsertOutcome::Created { .. })))
        );
        assert_eq!(stored_ids(&store).await, ["r-1", "r-3"]);
        store.close().await;
    }

    #[tokio::test]
    async fn queued_writes_are_committed_before_close_returns() {
        let (_dir, store) = store().await;
        let writes: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let r = row(&format!("r-{i:02}"), &format!("A{i}"), "{}");
                    (r.response_id.clone(), store.responses.write(r).await)
                })
            })
            .collect();
        // Let every task queue its row (current-thread runtime: they run
        // now, and wait for the writer).
        tokio::task::yield_now().await;
        store.close().await;
        let mut acknowledged = Vec::new();
        for w in writes {
            let (id, result) = w.await.expect("task");
            match result {
                Ok(InsertOutcome::Created { .. }) => acknowledged.push(id),
                Err(StoreError::WriterClosed) => {}
                other => panic!("{id}: {other:?}"),
            }
        }
        assert_eq!(acknowledged.len(), 50, "all were queued before close");
        let db = SqlitePool::connect_with(
            connect_options_at(&_dir.path().join("manyi.db"), None).expect("options"),
        )
        .await
        .expect("reopen");
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM responses")
            .fetch_one(&db)
            .await
            .expect("count");
        assert_eq!(n, 50);
        // And the writer refuses new rows.
        assert!(matches!(
            store.responses.write(row("late", "Z", "{}")).await,
            Err(StoreError::WriterClosed)
        ));
        db.close().await;
    }
}
