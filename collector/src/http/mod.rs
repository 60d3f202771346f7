//! The HTTP layer: one module per resource, each with its own `router()`,
//! merged here with the cross-cutting layers (CORS, tracing, error logging,
//! panic catching).
//!
//! Handlers stay thin: extract → parse into shared domain types → call the
//! store → typed response. Failures are [`ApiError`]s.

pub mod admin;
pub mod admin_ui;
pub mod assets;
pub mod cors;
pub mod dashboard;
pub mod demo;
pub mod eligibility;
pub mod error;
pub mod events;
pub mod health;
pub mod hosted;
pub mod limits;
pub mod metrics;
pub mod responses;
pub mod surveys;
pub mod trust;
pub mod verify;

pub use error::ApiError;

use axum::Router;
use axum::middleware;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use self::limits::RateLimits;
use self::metrics::Metrics;

use crate::store::Store;

/// What handlers share. Cheap to clone: one reference count.
///
/// The state is cloned for every layer that takes it (each
/// `from_fn_with_state` middleware, the handler's `State`) on every request.
/// As a struct of several `Arc`s (the store alone holds five) each clone and
/// drop was a dozen atomic operations on cache lines shared by both cores:
/// `drop_in_place::<AppState>` alone was ~2.4 % of the server's CPU under
/// load. Behind one `Arc` it is one. Fields read through [`Deref`].
#[derive(Debug, Clone)]
pub struct AppState(Arc<SharedState>);

/// The fields of [`AppState`].
#[derive(Debug, Clone)]
pub struct SharedState {
    pub(crate) store: Store,
    pub(crate) dist: Arc<PathBuf>,
    pub(crate) limits: Arc<RateLimits>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) analytics: crate::analytics::Pipeline,
    pub(crate) cases: crate::cases::Settings,
}

impl Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

impl AppState {
    /// State over an opened store, serving the widget from `dist`, without
    /// rate limits (see [`AppState::with_limits`]) and with metrics of its
    /// own (see [`AppState::with_metrics`]).
    pub fn new(store: Store, dist: impl Into<PathBuf>) -> Self {
        Self(Arc::new(SharedState {
            analytics: crate::analytics::Pipeline::manual(store.clone()),
            store,
            dist: Arc::new(dist.into()),
            limits: Arc::new(RateLimits::none()),
            metrics: Arc::new(Metrics::new()),
            cases: crate::cases::Settings::default(),
        }))
    }

    /// The fields, to build a changed copy (builders run once, at start).
    fn edit(self, change: impl FnOnce(&mut SharedState)) -> Self {
        let mut shared = Arc::unwrap_or_clone(self.0);
        change(&mut shared);
        Self(Arc::new(shared))
    }

    /// The same state with these rate limits.
    pub fn with_limits(self, limits: Arc<RateLimits>) -> Self {
        self.edit(|s| s.limits = limits)
    }

    /// The same state with these metrics (the ones the store's writer
    /// reports to).
    pub fn with_metrics(self, metrics: Arc<Metrics>) -> Self {
        self.edit(|s| s.metrics = metrics)
    }

    /// The same state with this analysis pipeline (without: one with no
    /// background loop, see [`crate::analytics::Pipeline::manual`]).
    pub fn with_analytics(self, analytics: crate::analytics::Pipeline) -> Self {
        self.edit(|s| s.analytics = analytics)
    }

    /// The same state with these closed-loop settings (without: the
    /// defaults, see [`crate::cases::Settings`]).
    pub fn with_cases(self, cases: crate::cases::Settings) -> Self {
        self.edit(|s| s.cases = cases)
    }

    /// The closed-loop settings.
    pub fn cases(&self) -> &crate::cases::Settings {
        &self.cases
    }

    /// The response-analysis pipeline (`catch_up()` before reading flags,
    /// tags or cases).
    pub fn analytics(&self) -> &crate::analytics::Pipeline {
        &self.analytics
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The dist folder the widget is served from.
    pub fn dist(&self) -> &Path {
        &self.dist
    }
}

/// The complete HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(surveys::router())
        .merge(responses::router())
        .merge(demo::router())
        .merge(eligibility::router())
        .merge(events::router())
        .merge(hosted::router())
        .merge(verify::router())
        .merge(metrics::router())
        .merge(admin::router(state.clone()))
        .merge(admin_ui::router())
        .merge(dashboard::router())
        .merge(assets::router(state.dist()))
        .fallback(|| async { ApiError::NotFound })
        // Added before the fallback would miss it; here it wraps every route
        // and the fallback, and sees the matched route.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::time_requests,
        ))
        // Layers run outside-in from the last one added: CORS answers
        // preflights first, then tracing sees every request, then the per-IP
        // rate limit refuses floods before any body is read, then internal
        // errors (including caught panics) are logged.
        .layer(CatchPanicLayer::custom(ApiError::from_panic))
        .layer(middleware::from_fn(error::log_internal_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::per_ip,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(cors::cors))
        .with_state(state)
}
