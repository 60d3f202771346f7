//! The widget files written by `cargo xtask dist`: `GET /manyi.js` (the
//! loader) and `GET /assets/*` (content-hashed glue and wasm).
//!
//! The loader's URL is fixed (customers paste it into their pages), so it is
//! cached briefly; asset names change with their content, so they are cached
//! forever. Precompressed `.br` / `.gz` siblings are served to clients that
//! accept them, so nothing is compressed per request.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

use super::AppState;

/// Cache policy of `/manyi.js`: a new release reaches pages within 5 minutes.
const LOADER_CACHE: &str = "public, max-age=300";
/// Cache policy of `/assets/*`: names carry a content hash.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";
const JS: &str = "application/javascript; charset=utf-8";
const WASM: &str = "application/wasm";

/// Routes of this module, serving from `dist`.
pub fn router(dist: &Path) -> Router<AppState> {
    let loader = Router::new()
        .route_service(
            "/manyi.js",
            ServeFile::new(dist.join("manyi.js"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::from_fn(loader_headers));
    let assets = Router::new()
        .nest_service(
            "/assets",
            ServeDir::new(dist.join("assets"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::from_fn(asset_headers));
    loader.merge(assets)
}

/// Logs a clear warning when the widget has not been built: the collector
/// still runs (the API works), but pages cannot load the survey.
pub fn check_dist(dist: &Path) {
    if !dist.is_dir() {
        tracing::warn!(
            dist = %dist.display(),
            "widget dist folder not found: /manyi.js and /assets/* will answer 404. \
             Build it with `cargo xtask dist` or point --dist / MANYI_DIST at it"
        );
    } else if !dist.join("manyi.js").is_file() {
        tracing::warn!(
            dist = %dist.display(),
            "manyi.js not found in the dist folder: /manyi.js will answer 404. Rebuild with `cargo xtask dist`"
        );
    }
}

/// Whether a file response succeeded (full, partial or not modified), so
/// that cache headers are never attached to a 404.
fn served(status: StatusCode) -> bool {
    status.is_success() || status == StatusCode::NOT_MODIFIED
}

/// The response varies with Accept-Encoding when a precompressed copy may be
/// chosen; caches must not hand a `br` body to a client that cannot read it.
fn set_common(response: &mut Response, cache: &'static str) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
}

async fn loader_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if served(response.status()) {
        set_common(&mut response, LOADER_CACHE);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(JS));
    }
    response
}

async fn asset_headers(request: Request, next: Next) -> Response {
    // The type follows the requested name, not the precompressed file chosen.
    let content_type = match Path::new(request.uri().path())
        .extension()
        .and_then(|e| e.to_str())
    {
        Some("wasm") => Some(WASM),
        Some("js" | "mjs") => Some(JS),
        _ => None,
    };
    let mut response = next.run(request).await;
    if served(response.status()) {
        set_common(&mut response, ASSET_CACHE);
        if let Some(ct) = content_type {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    }
    response
}
