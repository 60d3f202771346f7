//! The single response writer: every response insert goes through one task
//! that commits them in groups.
//!
//! Handlers send a [`PreparedResponse`] with a oneshot reply over a bounded
//! channel. The writer (on a thread of its own, see [`spawn_writer_thread`])
//! takes everything queued (up to [`MAX_BATCH`]), opens one `BEGIN
//! IMMEDIATE` transaction on the write connection, and inside it runs one
//! multi-row `INSERT … VALUES … ON CONFLICT DO NOTHING RETURNING` of the
//! batch, then looks up only the rows the insert skipped to tell a retry
//! from a reused id from an answered order ([`insert_then_explain`]). Rows
//! sharing a key inside one batch (two copies of one response, two
//! responses for one order) take the same path: SQLite inserts the rows of
//! one statement in order, so each row's outcome is as if the rows were
//! inserted one after the other. Then it commits, and only then answers
//! every waiter. One commit (one WAL sync) then covers many responses: on
//! this disk ~18 k rows/s one per transaction against ~40 k/s at 100 per
//! transaction (see DESIGN.md).
//! Between back-to-back batches the writer keeps the connection for up to
//! [`HOLD_CONNECTION`]; while responses arrive back to back, a batch of
//! fewer than [`GATHER_BELOW`] rows waits [`GATHER`] (1 ms) for more.
//!
//! Why so few statements: every sqlx statement on SQLite is a round trip to
//! the connection's worker thread. With a statement per row, the writer
//! spent its time in thread hand-offs (about half of all CPU samples were
//! task switching at ~5 k responses/s on 2 cores).
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
use serde::Serialize;
use sqlx::QueryBuilder;
use sqlx::error::ErrorKind;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{Sqlite, SqlitePool};
use sqlx::{Connection as _, SqliteConnection};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
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

/// How often, while responses are being committed, another connection
/// copies the committed WAL frames into the database file (a `PASSIVE`
/// checkpoint, which runs alongside the writer). Left to SQLite's automatic
/// checkpoint, that copy and its fsyncs ran inside the writer's COMMIT every
/// 1,000 pages: a quarter of the writer thread's time in a profile, and a
/// pause for every waiter of that batch. The automatic checkpoint stays as a
/// backstop (`wal_autocheckpoint` in [`super::connect_options_at`]): it then
/// finds most frames already copied.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

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
    /// Fires when the writer thread has answered its last request.
    finished: Mutex<Option<oneshot::Receiver<()>>>,
    /// The background checkpoint task and its stop signal.
    checkpoints: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl ResponseWriter {
    /// Starts the writer over `pool` (the store's one write connection;
    /// other writes share it between batches) on a thread of its own (see
    /// [`spawn_writer_thread`]), and the checkpoint task over
    /// `checkpoint_pool` (any other connection to the same file; see
    /// [`CHECKPOINT_EVERY`]). Needs a Tokio runtime; fails only when the OS
    /// refuses a thread.
    pub fn spawn(
        pool: SqlitePool,
        checkpoint_pool: SqlitePool,
        metrics: WriterMetrics,
    ) -> std::io::Result<Self> {
        let (queue, requests) = mpsc::channel(QUEUE_CAPACITY);
        let (stop, stopped) = oneshot::channel();
        let committed = Arc::new(AtomicBool::new(false));
        let finished = spawn_writer_thread(run(
            pool,
            Handle::current(),
            requests,
            stopped,
            metrics,
            Arc::clone(&committed),
        ))?;
        let (stop_checkpoints, checkpoints_stopped) = oneshot::channel();
        let checkpoints = tokio::spawn(checkpoint_loop(
            checkpoint_pool,
            committed,
            checkpoints_stopped,
        ));
        Ok(Self {
            queue,
            stop: Mutex::new(Some(stop)),
            finished: Mutex::new(Some(finished)),
            checkpoints: Mutex::new(Some((stop_checkpoints, checkpoints))),
        })
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
        let finished = self
            .finished
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(finished) = finished
            && finished.await.is_err()
        {
            // The signal is sent after the loop; dropped unsent, the
            // thread unwound (a panic, logged by the panic hook).
            tracing::error!("the response writer thread panicked");
        }
        let checkpoints = self
            .checkpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((stop, task)) = checkpoints {
            // Err: the task already ended.
            let _ = stop.send(());
            if let Err(e) = task.await {
                tracing::error!(error = %e, "the checkpoint task panicked");
            }
        }
    }
}

/// Every [`CHECKPOINT_EVERY`], if the writer committed since the last
/// round, a `PASSIVE` checkpoint on `pool` (it copies what it can without
/// waiting for or blocking the writer). Stops on `stopped`, never in the
/// middle of a checkpoint (dropping a running sqlx query would cost the
/// connection).
async fn checkpoint_loop(
    pool: SqlitePool,
    committed: Arc<AtomicBool>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(CHECKPOINT_EVERY) => {}
            _ = &mut stopped => break,
        }
        if !committed.swap(false, Ordering::Relaxed) {
            continue;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            // Not fatal: the automatic checkpoint remains.
            tracing::warn!(error = %e, "background WAL checkpoint failed");
        }
    }
}

/// Runs the writer loop `run` on a thread of its own, with a
/// single-threaded Tokio runtime, and returns a signal that fires when the
/// loop has ended.
///
/// Why not a task on the server's runtime: every statement is a round trip
/// to sqlx's connection thread, and each answer wakes the writer from that
/// foreign thread. On the multi-threaded runtime such a wake-up joins the
/// global queue behind the HTTP tasks of every open connection, and the
/// next statement of the batch waits for a worker to come round to it.
/// While the writer waits, every response in the batch waits with it. On
/// its own thread a wake-up is an OS thread wake-up, scheduled at once.
fn spawn_writer_thread(
    run: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<oneshot::Receiver<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (done, finished) = oneshot::channel();
    std::thread::Builder::new()
        .name("manyi-writer".into())
        .spawn(move || {
            runtime.block_on(run);
            drop(runtime);
            // Err: nobody waits for the writer (the store was dropped
            // without `close`).
            let _ = done.send(());
        })?;
    Ok(finished)
}

/// How long the writer keeps the write connection across back-to-back
/// batches before handing it back to the pool, where the other writers
/// (events, analysis, rollups, admin) queue for it. Returning it after
/// every batch cost a ping (sqlx checks a connection on release) and an
/// acquire per batch; keeping it forever under sustained load would starve
/// those writers. They wait at most this long, plus one batch.
pub const HOLD_CONNECTION: Duration = Duration::from_millis(20);

/// The write connection as the writer holds it: acquired for a batch, kept
/// for the next one while responses keep coming (see [`HOLD_CONNECTION`]).
struct Lease<'a> {
    pool: &'a SqlitePool,
    /// The runtime the pool lives on. sqlx hands a dropped connection back
    /// to its pool in a task spawned on the current runtime; spawned on the
    /// writer thread's own runtime, the last one would be cancelled when
    /// that runtime ends (and sqlx panics without a runtime). So
    /// connections are dropped inside this runtime's context.
    home: Option<Handle>,
    held: Option<(PoolConnection<Sqlite>, Instant)>,
}

impl<'a> Lease<'a> {
    /// A lease on `pool`, whose connections go back from `home` (see the
    /// field).
    fn new(pool: &'a SqlitePool, home: Option<Handle>) -> Self {
        Self {
            pool,
            home,
            held: None,
        }
    }

    /// Hands the connection back to the pool, if held.
    fn release(&mut self) {
        if let Some((conn, _)) = self.held.take() {
            let _home = self.home.as_ref().map(Handle::enter);
            drop(conn);
        }
    }

    /// The connection: the held one, or a fresh acquire.
    async fn conn(&mut self) -> Result<&mut PoolConnection<Sqlite>, sqlx::Error> {
        if self.held.is_none() {
            let conn = self.pool.acquire().await?;
            self.held = Some((conn, Instant::now()));
        }
        match &mut self.held {
            Some((conn, _)) => Ok(conn),
            // Set just above.
            None => Err(sqlx::Error::PoolClosed),
        }
    }

    /// After a failed transaction: the connection may hold a half-open
    /// one (a failed COMMIT leaves it open; some errors end it behind
    /// sqlx's back), so it is closed instead of reused.
    fn discard(&mut self) {
        if let Some((conn, _)) = &mut self.held {
            conn.close_on_drop();
        }
        self.release();
    }

    /// Between batches: keeps the connection when `more_waiting` and it
    /// has been held for less than [`HOLD_CONNECTION`], else returns it to
    /// the pool.
    fn between_batches(&mut self, more_waiting: bool) {
        let keep = more_waiting
            && self
                .held
                .as_ref()
                .is_some_and(|(_, since)| since.elapsed() < HOLD_CONNECTION);
        if !keep {
            self.release();
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.release();
    }
}

/// The writer loop: batches until the queue is closed and empty.
async fn run(
    pool: SqlitePool,
    home: Handle,
    mut requests: mpsc::Receiver<WriteRequest>,
    mut stopped: oneshot::Receiver<()>,
    metrics: WriterMetrics,
    committed: Arc<AtomicBool>,
) {
    let mut batch: Vec<WriteRequest> = Vec::with_capacity(MAX_BATCH);
    let mut stopping = false;
    let mut lease = Lease::new(&pool, Some(home));
    // When the last batch was answered: rows arriving back to back.
    let mut last_batch: Option<Instant> = None;
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
        if !stopping
            && taken < GATHER_BELOW
            && last_batch.is_some_and(|at| at.elapsed() < GATHER_WHILE_WITHIN)
        {
            gather(&mut requests, &mut batch);
        }
        let taken = batch.len();
        metrics.queue_depth.set((taken + requests.len()) as f64);
        metrics.batch_size.record(taken as f64);

        let rows: Vec<&PreparedResponse> = batch.iter().map(|r| &r.row).collect();
        let outcomes = write_batch_on(&mut lease, &rows).await;
        committed.store(true, Ordering::Relaxed);
        for (request, outcome) in batch.drain(..).zip(outcomes) {
            // Err: the client went away; its row is committed all the same,
            // and a retry will be answered 200.
            let _ = request.reply.send(outcome);
        }
        let waiting = requests.len();
        metrics.queue_depth.set(waiting as f64);
        lease.between_batches(waiting > 0);
        last_batch = Some(Instant::now());
    }
    drop(lease);
    tracing::debug!("response writer stopped");
}

/// A batch smaller than this, taken while responses arrive back to back,
/// waits [`GATHER`] for more before it is written. Much of a batch's cost
/// does not depend on its size (BEGIN and COMMIT round trips to the
/// connection's thread, the wake-ups, the WAL frames of the pages every
/// commit touches: the table's last leaf, the time index's last leaf, page
/// 1), so a steady flow written in batches of a few rows costs far more per
/// row than a burst: at 5,000 responses/s (open loop, analytics on,
/// alternating runs on the shared 2-core machine) the collector used
/// 151–186 µs of CPU per request without waiting and 125–131 µs with it,
/// leaving the cores to the rest of the work. The wait adds about 1.3 ms to
/// those responses' median latency (1.0 → 2.4 ms).
pub const GATHER_BELOW: usize = 32;

/// How long a small batch waits for more rows (see [`GATHER_BELOW`]).
pub const GATHER: Duration = Duration::from_millis(1);

/// A small batch waits only if the previous batch was answered less than
/// this long ago: a lone response after a quiet spell is written at once.
pub const GATHER_WHILE_WITHIN: Duration = Duration::from_millis(10);

/// Waits [`GATHER`], then adds to `batch` what arrived meanwhile (up to
/// [`MAX_BATCH`]), without waiting further. A blocking sleep: the writer's
/// thread runs nothing else (see [`spawn_writer_thread`]), and Tokio's
/// timer would round the wait up to whole milliseconds and more.
fn gather(requests: &mut mpsc::Receiver<WriteRequest>, batch: &mut Vec<WriteRequest>) {
    std::thread::sleep(GATHER);
    while batch.len() < MAX_BATCH {
        match requests.try_recv() {
            Ok(request) => batch.push(request),
            // Empty, or closed: what is taken is written either way.
            Err(_) => break,
        }
    }
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
    write_batch_on(&mut Lease::new(pool, Handle::try_current().ok()), rows).await
}

/// [`write_batch`] on the writer's lease of the connection.
async fn write_batch_on(
    lease: &mut Lease<'_>,
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
        match attempt(lease, &batch).await {
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
async fn attempt(lease: &mut Lease<'_>, rows: &[&PreparedResponse]) -> Attempt {
    let conn = match lease.conn().await {
        Ok(conn) => conn,
        Err(e) => return Attempt::BatchFailed(format!("no write connection: {e}")),
    };
    let result = attempt_on(conn, rows).await;
    if !matches!(result, Attempt::Committed(_)) {
        // The transaction may be half-open: start the next batch on a
        // fresh connection instead of guessing.
        lease.discard();
    }
    result
}

async fn attempt_on(conn: &mut PoolConnection<Sqlite>, rows: &[&PreparedResponse]) -> Attempt {
    // IMMEDIATE takes the write lock now: a second process (`manyi site
    // create`) then makes this wait (busy timeout) instead of failing the
    // batch half-way with "database is locked". Holding it also means that
    // nothing but this batch can be stored between the insert and the
    // lookup of the rows it skipped.
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return Attempt::BatchFailed(format!("BEGIN IMMEDIATE: {e}")),
    };
    // One receive time for the whole transaction: its rows become visible
    // together at COMMIT, and formatting a timestamp per row cost more than
    // naming the outcomes.
    let received_at = now_timestamp();
    match insert_then_explain(&mut tx, rows, &received_at).await {
        Attempt::Committed(outcomes) => match tx.commit().await {
            Ok(()) => Attempt::Committed(outcomes),
            Err(e) => Attempt::BatchFailed(format!("COMMIT: {e}")),
        },
        // Dropping the transaction rolls it back.
        failed => failed,
    }
}

/// The batch's one insert, then the outcome of each row: every row goes to
/// the multi-row insert, whose `ON CONFLICT DO NOTHING` skips those that
/// clash with a stored row or with an earlier row of the same statement
/// (SQLite inserts a `VALUES` list in order), and only the skipped ones
/// are looked up to name their outcome. The outcomes are those of the rows
/// inserted one after the other:
/// - a row that went in is `Created`;
/// - a skipped row whose id an earlier row of the batch took is a retry
///   of it (same payload hash) or a reused id;
/// - a skipped row whose id a *later* row took was skipped for its order
///   (its id was still free when it came): `AlreadyAnswered`;
/// - otherwise the id decides against the stored rows (the id comes
///   first: a retry of an accepted response also matches its order), and
///   a row whose id is not stored clashed on its order.
///
/// This spares the common batch (no clash at all) any lookup: looking up
/// every key first cost a JSON array parsed and two index searches per
/// row, which the insert repeats anyway. Leaves the transaction open: the
/// caller commits on [`Attempt::Committed`].
async fn insert_then_explain(
    conn: &mut SqliteConnection,
    rows: &[&PreparedResponse],
    received_at: &str,
) -> Attempt {
    let all: Vec<(&PreparedResponse, &str)> = rows.iter().map(|&row| (row, received_at)).collect();
    let inserted = match insert_many(conn, &all).await {
        Ok(inserted) => inserted,
        Err(e) if is_row_error(&e) => {
            let indexes: Vec<usize> = (0..rows.len()).collect();
            return find_failing_row(conn, &all, &indexes, e).await;
        }
        Err(e) => return Attempt::BatchFailed(format!("insert: {e}")),
    };
    let went_in = match rows_that_went_in(conn, rows, &inserted).await {
        Ok(went_in) => went_in,
        Err(e) => return Attempt::BatchFailed(format!("looking up rows sharing an id: {e}")),
    };
    // Which row of the batch took each id that went in.
    let taken: HashMap<&str, usize> = (0..rows.len())
        .filter(|&i| went_in[i])
        .map(|i| (rows[i].response_id.as_str(), i))
        .collect();
    let skipped: Vec<&str> = (0..rows.len())
        .filter(|&i| !went_in[i] && !taken.contains_key(rows[i].response_id.as_str()))
        .map(|i| rows[i].response_id.as_str())
        .collect();
    let stored = if skipped.is_empty() {
        HashMap::new()
    } else {
        // These ids went in with no row of this batch, so what the lookup
        // finds was stored before it.
        match stored_keys(conn, &skipped).await {
            Ok(stored) => stored,
            Err(e) => return Attempt::BatchFailed(format!("looking up skipped rows: {e}")),
        }
    };
    let mut outcomes = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let outcome = if went_in[index] {
            InsertOutcome::Created {
                received_at: received_at.to_owned(),
            }
        } else if let Some(&first) = taken.get(row.response_id.as_str()) {
            if first > index {
                // The id was free when this row came: its order clashed.
                InsertOutcome::AlreadyAnswered
            } else if rows[first].payload_hash == row.payload_hash {
                InsertOutcome::Duplicate {
                    received_at: received_at.to_owned(),
                }
            } else {
                InsertOutcome::ResponseIdConflict
            }
        } else if let Some(first) = stored.get(&row.response_id) {
            if first.payload_hash == row.payload_hash {
                InsertOutcome::Duplicate {
                    received_at: first.received_at.clone(),
                }
            } else {
                InsertOutcome::ResponseIdConflict
            }
        } else if row.order_id.is_some() {
            // Skipped, and its id is not stored: the other unique key,
            // (survey, order), is what clashed.
            InsertOutcome::AlreadyAnswered
        } else {
            return Attempt::RowFailed {
                index,
                error: StoreError::Inconsistent(format!(
                    "insert of response {} was skipped, but no conflicting row was found",
                    row.response_id
                )),
            };
        };
        outcomes.push(outcome);
    }
    Attempt::Committed(outcomes)
}

/// Which rows of `rows` went in, given the ids the insert returned. A row
/// whose id no other row of the batch carries went in exactly when its id
/// was returned. Of rows sharing an id at most one went in: the stored
/// row's other keys (survey, order, payload hash; looked up only for such
/// ids, which are rare) name it as the first row of the batch with those
/// keys: rows equal in all of them share both unique keys, so only the
/// first of them can go in.
async fn rows_that_went_in(
    conn: &mut SqliteConnection,
    rows: &[&PreparedResponse],
    inserted: &HashSet<String>,
) -> Result<Vec<bool>, sqlx::Error> {
    let mut copies: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for row in rows {
        *copies.entry(row.response_id.as_str()).or_default() += 1;
    }
    let shared: Vec<&str> = copies
        .iter()
        .filter(|&(id, &n)| n > 1 && inserted.contains(*id))
        .map(|(&id, _)| id)
        .collect();
    let keys = if shared.is_empty() {
        HashMap::new()
    } else {
        stored_keys(conn, &shared).await?
    };
    let mut settled: HashSet<&str> = HashSet::new();
    Ok(rows
        .iter()
        .map(|row| {
            let id = row.response_id.as_str();
            match keys.get(id) {
                None => copies.get(id) == Some(&1) && inserted.contains(id),
                Some(stored) => {
                    stored.survey_id == row.survey_id
                        && stored.order_id == row.order_id
                        && stored.payload_hash == row.payload_hash
                        && settled.insert(id)
                }
            }
        })
        .collect())
}

/// The keys of a stored response that tell a batch's rows apart.
struct StoredKeys {
    survey_id: String,
    order_id: Option<String>,
    payload_hash: String,
    received_at: String,
}

/// The keys stored under each of `ids` that is stored.
async fn stored_keys(
    conn: &mut SqliteConnection,
    ids: &[&str],
) -> Result<HashMap<String, StoredKeys>, sqlx::Error> {
    let found: Vec<(String, String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT response_id, survey_id, order_id, payload_hash, received_at FROM responses
         WHERE response_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(json_text(&ids))
    .fetch_all(&mut *conn)
    .await?;
    Ok(found
        .into_iter()
        .map(|(id, survey_id, order_id, payload_hash, received_at)| {
            let keys = StoredKeys {
                survey_id,
                order_id,
                payload_hash,
                received_at,
            };
            (id, keys)
        })
        .collect())
}

/// Columns of one `responses` row, i.e. bind variables per row of the insert.
const COLUMNS: usize = 16;

// One statement takes a whole batch: SQLite's bundled build allows 32,766
// bind variables (the limit since 3.32).
const _: () = assert!(MAX_BATCH * COLUMNS <= 32_766);

/// Inserts `rows` (row, received_at) in one multi-row statement, in order,
/// and returns the response ids that went in. Dedupe is the database's
/// (`ON CONFLICT DO NOTHING` on both unique keys); the code only names the
/// outcome. The SQL text depends only on the number of rows, so sqlx's
/// statement cache prepares each size once. Plain
/// binds cost the writer thread less than reading the rows out of one JSON
/// argument did (SQLite's JSON functions were ~10 % of the server's CPU
/// samples with `INSERT … SELECT … FROM json_each(?)`).
async fn insert_many(
    conn: &mut SqliteConnection,
    rows: &[(&PreparedResponse, &str)],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut insert = QueryBuilder::<Sqlite>::new(
        "INSERT INTO responses (
             response_id, site_key, survey_id, survey_version,
             order_id, customer, channel, segment, locale, page,
             answers, payload_hash, shown_at, submitted_at, received_at, signed) ",
    );
    // Keep in step with COLUMNS.
    insert.push_values(rows, |mut values, (row, received_at)| {
        values
            .push_bind(row.response_id.as_str())
            .push_bind(row.site.as_str())
            .push_bind(row.survey_id.as_str())
            .push_bind(row.survey_version)
            .push_bind(row.order_id.as_deref())
            .push_bind(row.customer.as_deref())
            .push_bind(row.channel.as_deref())
            .push_bind(row.segment.as_deref())
            .push_bind(row.locale.as_deref())
            .push_bind(row.page.as_deref())
            .push_bind(row.answers.as_str())
            .push_bind(row.payload_hash.as_str())
            .push_bind(row.shown_at.as_deref())
            .push_bind(row.submitted_at.as_deref())
            .push_bind(*received_at)
            .push_bind(row.signed);
    });
    insert.push(" ON CONFLICT DO NOTHING RETURNING response_id");
    let inserted: Vec<String> = insert.build_query_scalar().fetch_all(&mut *conn).await?;
    Ok(inserted.into_iter().collect())
}

/// After a constraint failure of a whole insert: inserts the rows one at a
/// time (inside the same transaction, which the caller then rolls back) to
/// name the row at fault.
async fn find_failing_row(
    conn: &mut SqliteConnection,
    rows: &[(&PreparedResponse, &str)],
    indexes: &[usize],
    batch_error: sqlx::Error,
) -> Attempt {
    for (k, row) in rows.iter().enumerate() {
        match insert_many(conn, std::slice::from_ref(row)).await {
            Ok(_) => {}
            Err(e) if is_row_error(&e) => {
                return Attempt::RowFailed {
                    index: indexes[k],
                    error: StoreError::Db(e),
                };
            }
            Err(e) => return Attempt::BatchFailed(format!("insert: {e}")),
        }
    }
    Attempt::BatchFailed(format!(
        "insert: {batch_error}, yet every row goes in alone"
    ))
}

/// JSON text of a value made of strings, numbers and options (cannot fail).
fn json_text<T: Serialize>(value: &T) -> String {
    // serde_json only fails on maps with non-string keys or a failing
    // Serialize impl; these are derived structs, tuples and strings.
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
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

    /// Rows clashing with stored ones: each gets its own outcome.
    #[tokio::test]
    async fn rows_clashing_with_stored_ones_are_told_apart() {
        let (_dir, store) = store().await;
        let first = row("r-1", "A1", r#"{"nps":9}"#);
        let other = row("r-2", "A2", r#"{"nps":5}"#);
        let stored = write_batch(&store.writer, &[&first, &other]).await;
        let Ok(InsertOutcome::Created { received_at }) = &stored[0] else {
            panic!("first: {:?}", stored[0]);
        };

        let retry = first.clone();
        let reused_id = row("r-2", "A7", r#"{"nps":1}"#);
        let same_order = row("r-3", "A2", r#"{"nps":9}"#);
        let fresh = row("r-4", "A4", r#"{"nps":10}"#);
        let batch = [&retry, &reused_id, &same_order, &fresh];
        let results = write_batch(&store.writer, &batch).await;
        assert_eq!(
            results[0].as_ref().expect("retry"),
            &InsertOutcome::Duplicate {
                received_at: received_at.clone()
            }
        );
        assert_eq!(
            results[1].as_ref().expect("reused id"),
            &InsertOutcome::ResponseIdConflict
        );
        assert_eq!(
            results[2].as_ref().expect("same order"),
            &InsertOutcome::AlreadyAnswered
        );
        assert!(
            matches!(results[3], Ok(InsertOutcome::Created { .. })),
            "{:?}",
            results[3]
        );
        assert_eq!(stored_ids(&store).await, ["r-1", "r-2", "r-4"]);
        let (answers,): (String,) =
            sqlx::query_as("SELECT answers FROM responses WHERE response_id = 'r-2'")
                .fetch_one(&store.reader)
                .await
                .expect("r-2");
        assert_eq!(answers, r#"{"nps":5}"#, "the reused id kept its first body");
        store.close().await;
    }

    /// Keys shared inside one batch, in the orders where "as if inserted
    /// one after the other" matters: a row skipped for its order leaves its
    /// id free for a later row; copies after that later row are told apart
    /// by their payload hash against it.
    #[tokio::test]
    async fn rows_sharing_keys_in_one_batch_get_the_outcomes_of_one_after_the_other() {
        let (_dir, store) = store().await;
        let answered = row("r-1", "A1", r#"{"nps":9}"#);
        let stored = write_batch(&store.writer, &[&answered]).await;
        assert!(matches!(stored[0], Ok(InsertOutcome::Created { .. })));

        // r-7 first comes for the answered order A1, then for A8 with
        // another body (the fixture's hash covers the answers only).
        let for_answered_order = row("r-7", "A1", r#"{"nps":2}"#);
        let for_new_order = row("r-7", "A8", r#"{"nps":3}"#);
        // Three copies of r-8, one with another body.
        let copy = row("r-8", "A9", r#"{"nps":10}"#);
        let changed = row("r-8", "A9", r#"{"nps":0}"#);
        // A new id for the order r-8 took.
        let same_order = row("r-9", "A9", r#"{"nps":10}"#);
        let batch = [
            &for_answered_order,
            &for_new_order,
            &for_answered_order,
            &copy,
            &copy,
            &changed,
            &same_order,
        ];
        let results = write_batch(&store.writer, &batch).await;
        let outcomes: Vec<InsertOutcome> = results
            .into_iter()
            .map(|r| r.expect("every row settles"))
            .collect();
        let InsertOutcome::Created { received_at } = &outcomes[1] else {
            panic!("r-7 for A8: {:?}", outcomes[1]);
        };
        let created = InsertOutcome::Created {
            received_at: received_at.clone(),
        };
        let retry = InsertOutcome::Duplicate {
            received_at: received_at.clone(),
        };
        assert_eq!(
            outcomes,
            [
                // r-7 was free, A1 was not.
                InsertOutcome::AlreadyAnswered,
                created.clone(),
                // r-7 is taken by now, with another body (order A8).
                InsertOutcome::ResponseIdConflict,
                created,
                retry,
                InsertOutcome::ResponseIdConflict,
                InsertOutcome::AlreadyAnswered,
            ]
        );
        assert_eq!(stored_ids(&store).await, ["r-1", "r-7", "r-8"]);
        let orders: Vec<(String, String)> =
            sqlx::query_as("SELECT response_id, order_id FROM responses ORDER BY response_id")
                .fetch_all(&store.reader)
                .await
                .expect("orders");
        assert_eq!(
            orders,
            [("r-1", "A1"), ("r-7", "A8"), ("r-8", "A9")].map(|(a, b)| (a.into(), b.into()))
        );
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
