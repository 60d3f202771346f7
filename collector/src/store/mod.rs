//! The store: every SQL statement of the collector lives under this module.
//!
//! SQLite in WAL mode (`synchronous = NORMAL`), with two pools over the same
//! file:
//! - `reader`: a few connections for lookups (WAL lets readers run alongside
//!   the writer);
//! - `writer`: exactly one connection. SQLite allows one writer at a time;
//!   funnelling every write through one connection means writers queue in the
//!   pool instead of failing with "database is locked".
//!
//! Responses, the hot path, do not use the write pool directly: they go to
//! the [`writer`] task, which commits whatever is queued in one transaction
//! (group commit) and answers each waiter only after the commit. Rarer
//! writes (events, cases, sites) use the same connection between batches.
//!
//! Each resource adds its queries in its own file as `impl Store` blocks
//! ([`sites`], [`surveys`], [`responses`]).

pub mod admin_tokens;
pub mod analysis;
pub mod cases;
pub mod catalog;
pub mod eligibility;
pub mod exports;
pub mod generated;
pub mod outbox;
pub mod reports;
pub mod responses;
pub mod rollups;
pub mod site_admin;
pub mod sites;
pub mod survey_admin;
pub mod surveys;
pub mod webhooks;
pub mod writer;

use anyhow::Context as _;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use self::writer::{ResponseWriter, WriterMetrics};
use crate::Config;

/// How long a connection waits for a lock held by another process (or by
/// the other pool) before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections. Each SQLite connection is one thread in sqlx; the
/// machines have 2 cores, so a handful is plenty.
const READ_CONNECTIONS: u32 = 4;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed (I/O, lock timeout, constraint other than the
    /// expected ones, …).
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A value could not be encoded for storage.
    #[error("encoding a stored value: {0}")]
    Encode(#[from] serde_json::Error),
    /// Stored data does not have the shape the code expects (e.g. a survey
    /// definition that no longer deserialises).
    #[error("inconsistent stored data: {0}")]
    Inconsistent(String),
    /// The write batch holding this row was not committed (its transaction
    /// failed as a whole); the row is not stored.
    #[error("the write batch was not committed: {0}")]
    BatchFailed(String),
    /// The response writer has stopped (the collector is shutting down).
    #[error("the response writer has stopped")]
    WriterClosed,
}

/// Handle to the database. Cheap to clone (the pools are reference-counted).
#[derive(Debug, Clone)]
pub struct Store {
    reader: SqlitePool,
    writer: SqlitePool,
    /// The group-commit task every response insert goes through.
    responses: Arc<ResponseWriter>,
    /// Sites and published surveys, so requests do not query them.
    catalog: Arc<catalog::Catalog>,
    /// Shared rather than a `PathBuf`: the store is cloned with the HTTP
    /// state several times per request, and a `PathBuf` clone allocates.
    path: Arc<Path>,
}

/// The SQLite connection settings for `config`: `<data-dir>/manyi.db` or
/// `--database-url`, with the pragmas the collector relies on.
pub fn connect_options(config: &Config) -> anyhow::Result<SqliteConnectOptions> {
    connect_options_at(&config.default_db_path(), config.database_url.as_deref())
}

/// The SQLite connection settings for the file `db_path`, or `database_url`
/// when given (for the subcommands that open the database without serving).
pub fn connect_options_at(
    db_path: &Path,
    database_url: Option<&str>,
) -> anyhow::Result<SqliteConnectOptions> {
    let base = match database_url {
        Some(url) => SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid --database-url {url:?}"))?,
        None => SqliteConnectOptions::new().filename(db_path),
    };
    Ok(base
        .create_if_missing(true)
        // sqlx sets no journal mode; rollback-journal mode would block
        // readers during every write.
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL is safe against corruption and loses at most the
        // last transactions on power loss (not on a process crash), for
        // roughly twice the commit rate of FULL.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        // Statement journals (the writer's multi-row INSERT needs one) and
        // temporary b-trees in memory: on disk each was a temp file created,
        // written and deleted per batch (~3 % of the server's CPU under load).
        .pragma("temp_store", "memory")
        // The response writer's checkpoints run on another connection (see
        // `writer::CHECKPOINT_EVERY`); the automatic one, inside a COMMIT,
        // is only a backstop bounding the WAL (~40 MB).
        .pragma("wal_autocheckpoint", "10000")
        // No `cache_size` or `mmap_size`: tried on the write connection (64
        // MiB cache, 1 GiB map), its thread ran ~13 % more instructions per
        // response (callgrind) and the collector used ~7 % more CPU per
        // request (bench collector), the bigger page cache costing more to
        // manage than the reads of the OS-cached file it spared.
        .foreign_keys(true))
}

impl Store {
    /// Opens (creating when missing) the database and applies pending
    /// migrations. A migration failure is an error: the collector must not
    /// run against a schema it does not know. Starts the response writer
    /// (so it needs a Tokio runtime), without metrics.
    pub async fn open(options: SqliteConnectOptions) -> anyhow::Result<Self> {
        Self::open_with_metrics(options, WriterMetrics::noop()).await
    }

    /// [`Store::open`], with the response writer reporting to `metrics`.
    #[tracing::instrument(skip_all, fields(path = %options.get_filename().display()))]
    pub async fn open_with_metrics(
        options: SqliteConnectOptions,
        metrics: WriterMetrics,
    ) -> anyhow::Result<Self> {
        let path = options.get_filename().to_owned();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the data folder {}", dir.display()))?;
        }
        // The writer opens the file first so that create_if_missing and the
        // switch to WAL happen once, before any reader connects. Each write
        // connection reports changes to sites and surveys to the catalog,
        // whichever store function made them.
        let catalog = Arc::new(catalog::Catalog::default());
        let watched = Arc::clone(&catalog);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // No ping before each use: it is one more round trip to the
            // connection's thread per write batch, and a connection to a
            // local file does not drop; a failed batch discards it anyway.
            .test_before_acquire(false)
            .after_connect(move |conn, _| Box::pin(catalog::watch(conn, Arc::clone(&watched))))
            .connect_with(options.clone())
            .await
            .with_context(|| format!("opening the database {}", path.display()))?;
        sqlx::migrate!()
            .run(&writer)
            .await
            .with_context(|| format!("migrating the database {}", path.display()))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options)
            .await
            .with_context(|| format!("opening the database {}", path.display()))?;
        let responses = Arc::new(
            ResponseWriter::spawn(writer.clone(), reader.clone(), metrics)
                .context("starting the response writer thread")?,
        );
        Ok(Self {
            reader,
            writer,
            responses,
            catalog,
            path: Arc::from(path),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that the database answers (`SELECT 1`).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// Lets the response writer commit and answer everything queued (later
    /// response writes fail with [`StoreError::WriterClosed`]), then closes
    /// both pools, waiting for connections in use; the last connection to
    /// close checkpoints the WAL into the main file.
    pub async fn close(&self) {
        self.responses.close().await;
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Fixed-width RFC 3339 UTC with milliseconds: text order is time order.
const TIMESTAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The current time as stored in `*_at` columns, e.g. `2026-11-23T08:00:41.123Z`.
pub fn now_timestamp() -> String {
    format_timestamp(OffsetDateTime::now_utc())
}

/// Formats a time as stored in `*_at` columns (converted to UTC).
pub fn format_timestamp(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP)
        // Formatting only fails for years outside 0..=9999 or a writer error;
        // neither can happen for a clock reading written to a String.
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn timestamps_are_fixed_width_utc() {
        assert_eq!(
            format_timestamp(datetime!(2026-11-23 08:00:41.5 UTC)),
            "2026-11-23T08:00:41.500Z"
        );
        assert_eq!(
            format_timestamp(datetime!(2026-11-23 16:00:00 +8)),
            "2026-11-23T08:00:00.000Z"
        );
        assert_eq!(now_timestamp().len(), "2026-11-23T08:00:41.500Z".len());
    }
}
