//! `loadgen count-rows`: how many responses the collector stored.

use std::path::Path;

use anyhow::{Context as _, Result};
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// `SELECT count(*) FROM responses` on the database at `db`.
///
/// Opened read-write (but never written) so that SQLite can fold in a WAL
/// left behind by a collector that did not checkpoint on its way out.
pub async fn count(db: &Path) -> Result<i64> {
    let options = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM responses")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("counting responses in {}", db.display()))?;
    conn.close().await.context("closing the database")?;
    Ok(rows)
}
