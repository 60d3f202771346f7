//! A collector running in-process for one test: port 0, its own SQLite file.

use anyhow::{Context, Result};
use manyi_collector::{Config, RunningApp};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use tempfile::TempDir;

/// A running collector and the folder holding its database.
pub struct TestApp {
    /// The running server.
    pub app: RunningApp,
    /// Base URL without trailing slash, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    /// A read-only pool on the collector's database, to assert stored rows.
    pub db: SqlitePool,
    _data: TempDir,
}

impl TestApp {
    /// Starts a collector with the demo site and survey seeded, serving the
    /// widget from the dist folder. Fails when the dist build is missing.
    pub async fn spawn() -> Result<Self> {
        let dist = crate::dist_dir();
        anyhow::ensure!(
            dist.join("manyi.js").is_file(),
            "no widget build in {}: run `cargo xtask dist` (or `cargo xtask test`) first",
            dist.display()
        );
        let data = tempfile::tempdir().context("temp data dir")?;
        let mut config = Config::for_tests(data.path().to_path_buf(), dist);
        config.seed_demo = true;
        let app = manyi_collector::spawn(config)
            .await
            .context("start collector")?;
        let base = format!("http://{}", app.addr);
        let db = SqlitePool::connect_with(
            SqliteConnectOptions::new()
                .filename(&app.db_path)
                .read_only(true),
        )
        .await
        .context("open the collector's database read-only")?;
        Ok(Self {
            app,
            base,
            db,
            _data: data,
        })
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}
