//! The manyi collector: serves the widget and survey definitions, validates
//! responses with the shared rule book and stores each exactly once in SQLite.
//!
//! # Running it from code (tests)
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use manyi_collector::{Config, spawn};
//!
//! let data = tempfile::tempdir()?;
//! // Port 0 on 127.0.0.1, database in `data`, demo site and survey seeded.
//! let app = spawn(Config::for_tests(data.path(), "target/dist")).await?;
//! let health = format!("http://{}/healthz", app.addr);
//! // … send requests; read `app.db_path` with sqlx to check stored rows …
//! app.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! For in-process tests without a socket, build an [`App`] and call
//! `tower::ServiceExt::oneshot` on [`App::router`] (or [`router`]).
//!
//! # Layout
//! - [`config`]: command line / environment ([`Config`]).
//! - [`http`]: routers per resource, the error type, the shared state.
//! - [`store`]: all SQL (SQLite via sqlx, migrations in `collector/migrations`).
//! - [`admin`]: survey management (admin API and CLI).
//! - [`seed`]: the demo site and survey.

pub mod admin;
pub mod analytics;
pub mod cases;
pub mod commands;
pub mod config;
pub mod eligibility;
pub mod hosted;
pub mod http;
pub mod ingest;
pub mod reports;
pub mod seed;
pub mod seed_responses;
pub mod store;
pub mod templates;
pub mod webhooks;

pub use config::{Cli, Command, Config};
pub use http::{AppState, router};
pub use store::Store;

use anyhow::Context as _;
use secrecy::SecretString;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A collector ready to serve: database opened and migrated, demo data
/// seeded when asked.
#[derive(Debug)]
pub struct App {
    state: AppState,
    demo_admin_token: Option<SecretString>,
    /// Webhook delivery and the overdue sweep, started by [`App::serve`].
    workers: webhooks::Settings,
}

impl App {
    /// Opens the database (creating the data folder and file when missing),
    /// runs the migrations (a failure aborts), seeds the demo data when
    /// `config.seed_demo`, and warns when the widget dist is missing.
    #[tracing::instrument(skip_all)]
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let options = store::connect_options(config)?;
        // Before the store: its writer reports batch sizes and queue depth.
        let metrics = Arc::new(http::metrics::Metrics::new());
        http::metrics::spawn_upkeep(&metrics);
        let store = Store::open_with_metrics(options, metrics.writer()).await?;
        let demo_admin_token = if config.seed_demo {
            seed::seed_demo(&store).await?;
            Some(seed::demo_admin_token(&store).await?)
        } else {
            None
        };
        http::assets::check_dist(&config.dist);
        let limits = Arc::new(http::limits::RateLimits::from_config(config));
        http::limits::spawn_pruning(&limits);
        let analytics = match config.analytics {
            config::AnalyticsSwitch::On => analytics::Pipeline::start(store.clone()),
            config::AnalyticsSwitch::Off => analytics::Pipeline::manual(store.clone()),
        };
        reports::rollup::spawn(store.clone());
        let cases = cases::Settings::with_link_days(config.verification_link_days);
        store
            .hash_legacy_verification_tokens(time::OffsetDateTime::now_utc(), cases.link_ttl)
            .await?;
        Ok(Self {
            state: AppState::new(store, config.dist.clone())
                .with_limits(limits)
                .with_metrics(metrics)
                .with_analytics(analytics)
                .with_cases(cases),
            demo_admin_token,
            workers: webhooks::Settings::default(),
        })
    }

    /// The same app with these background-work settings (tests shorten
    /// the webhook retry delays).
    pub fn with_worker_settings(self, workers: webhooks::Settings) -> Self {
        Self { workers, ..self }
    }

    /// The admin token `--seed-demo` made for this start (the previous
    /// `demo` token is revoked), to print once.
    pub fn demo_admin_token(&self) -> Option<&SecretString> {
        self.demo_admin_token.as_ref()
    }

    /// The shared state (a cheap clone).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The HTTP application.
    pub fn router(&self) -> axum::Router {
        router(self.state())
    }

    /// The SQLite database file.
    pub fn db_path(&self) -> &Path {
        self.state.store().path()
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight
    /// requests finish and closes the database.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Connection info gives handlers the peer address (per-IP limits).
        let service = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let workers = webhooks::Workers::start(self.state.store(), &self.workers)?;
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP");
        workers.stop().await;
        // The analysis worker finishes its batch before the database closes.
        self.state.analytics().shutdown().await;
        served?;
        self.state.store().close().await;
        tracing::info!("collector stopped");
        Ok(())
    }
}

/// A collector running in a background task (see [`spawn`]).
#[derive(Debug)]
pub struct RunningApp {
    /// The address it listens on (with the real port when 0 was asked).
    pub addr: SocketAddr,
    /// Its SQLite database file.
    pub db_path: PathBuf,
    /// The `demo` admin token when the demo data was seeded.
    pub demo_admin_token: Option<SecretString>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningApp {
    /// `http://ADDR` + `path`, e.g. `app.url("/healthz")`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops accepting connections, waits for in-flight requests and closes
    /// the database. (Dropping a `RunningApp` also starts a graceful stop,
    /// without waiting for it.)
    pub async fn shutdown(self) -> anyhow::Result<()> {
        // The receiver is gone only if the server already stopped; its
        // result is in the task either way.
        let _ = self.stop.send(());
        self.task.await.context("the collector task panicked")?
    }
}

/// Builds the [`App`] for `config` and serves it on `listener` (ignoring
/// `config.addr`) until `shutdown` completes.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    App::build(&config).await?.serve(listener, shutdown).await
}

/// Binds `config.addr`, builds the [`App`] and serves it in a background
/// task. Tests pass port 0 ([`Config::for_tests`]) and read the real address
/// from [`RunningApp::addr`].
pub async fn spawn(config: Config) -> anyhow::Result<RunningApp> {
    let listener = TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let app = App::build(&config).await?;
    let db_path = app.db_path().to_owned();
    let demo_admin_token = app.demo_admin_token().cloned();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.serve(listener, async move {
        // Err means the sender was dropped: stop then as well.
        let _ = stopped.await;
    }));
    Ok(RunningApp {
        addr,
        db_path,
        demo_admin_token,
        stop,
        task,
    })
}

/// Completes on Ctrl-C, or on SIGTERM on Unix (what `docker stop` and
/// systemd send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
}
