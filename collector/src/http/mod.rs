//! The HTTP layer: one module per resource, each with its own `router()`,
//! merged here with the cross-cutting layers (CORS, tracing, error logging,
//! panic catching).
//!
//! Handlers stay thin: extract → parse into shared domain types → call the
//! store → typed response. Failures are [`ApiError`]s.

pub mod assets;
pub mod demo;
pub mod error;
pub mod health;
pub mod responses;
pub mod surveys;

pub use error::ApiError;

use axum::Router;
use axum::http::{Method, header};
use axum::middleware;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::store::Store;

/// What handlers share. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) dist: Arc<PathBuf>,
}

impl AppState {
    /// State over an opened store, serving the widget from `dist`.
    pub fn new(store: Store, dist: impl Into<PathBuf>) -> Self {
        Self {
            store,
            dist: Arc::new(dist.into()),
        }
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
        .merge(assets::router(state.dist()))
        .fallback(|| async { ApiError::NotFound })
        // Layers run outside-in from the last one added: CORS answers
        // preflights first, then tracing sees every request, then internal
        // errors (including caught panics) are logged.
        .layer(CatchPanicLayer::custom(ApiError::from_panic))
        .layer(middleware::from_fn(error::log_internal_errors))
        .layer(TraceLayer::new_for_http())
        .layer(cors())
        .with_state(state)
}

/// Any origin may read surveys and post responses for now (a later change
/// restricts each site to its allowed origins). The widget posts as
/// `text/plain`, which needs no preflight; `content-type` is allowed for
/// clients posting `application/json`. The assets need CORS too: the loader
/// imports the glue module and fetches the wasm cross-origin.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
}
