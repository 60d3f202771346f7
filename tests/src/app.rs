//! A collector running in-process for one test: port 0, its own SQLite file.

use anyhow::{Context, Result};
use manyi_collector::{Config, RunningApp};
use secrecy::ExposeSecret as _;
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
    /// The demo admin token of this start (the demo seed hands one out).
    pub fn admin_token(&self) -> Result<String> {
        Ok(self
            .app
            .demo_admin_token
            .as_ref()
            .context("the test collector was started without --seed-demo: no admin token")?
            .expose_secret()
            .to_owned())
    }

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

    /// Stored responses, oldest first.
    pub async fn responses(&self) -> Result<Vec<StoredResponse>> {
        Ok(sqlx::query_as(
            "SELECT response_id, survey_id, survey_version, order_id, customer, channel, \
             locale, answers FROM responses ORDER BY received_at",
        )
        .fetch_all(&self.db)
        .await?)
    }

    /// Waits until at least `n` responses are stored, and returns them.
    pub async fn wait_for_responses(&self, n: usize) -> Result<Vec<StoredResponse>> {
        crate::browser::wait_for(&format!("{n} stored response(s)"), || async {
            let rows = self.responses().await?;
            Ok((rows.len() >= n).then_some(rows))
        })
        .await
    }

    /// The recorded widget events (`shown`, `started`, `dismissed`) of one
    /// order, oldest first.
    pub async fn events(&self, order_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT event FROM events WHERE order_id = ? ORDER BY received_at, id",
        )
        .bind(order_id)
        .fetch_all(&self.db)
        .await?)
    }

    /// Waits until the order's events include every one of `wanted`.
    pub async fn wait_for_events(&self, order_id: &str, wanted: &[&str]) -> Result<Vec<String>> {
        crate::browser::wait_for(&format!("events {wanted:?} for {order_id}"), || async {
            let events = self.events(order_id).await?;
            Ok(wanted
                .iter()
                .all(|w| events.iter().any(|e| e == w))
                .then_some(events))
        })
        .await
    }
}

/// One stored response row.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredResponse {
    /// The client-made idempotency key.
    pub response_id: String,
    /// The survey answered.
    pub survey_id: String,
    /// The survey version answered.
    pub survey_version: i64,
    /// The merchant's order id.
    pub order_id: Option<String>,
    /// The merchant's customer id.
    pub customer: Option<String>,
    /// The locale the survey was shown in.
    pub locale: Option<String>,
    /// `web`, `wechat`, …
    pub channel: Option<String>,
    /// The answers as stored (JSON text).
    pub answers: String,
}

impl StoredResponse {
    /// The answers, parsed.
    pub fn answers(&self) -> serde_json::Value {
        serde_json::from_str(&self.answers).unwrap_or_default()
    }
}
