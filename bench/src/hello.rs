//! `loadgen hello`: the ceiling. An axum app on the same stack as the
//! collector (axum 0.8, hyper 1, tokio multi-thread) that does no work:
//! `POST /v1/responses` reads the body and answers 201 with a small JSON
//! object, so the same `loadgen run` can be pointed at it unchanged;
//! `GET /hello` answers `hello`.

use std::net::SocketAddr;

use anyhow::{Context as _, Result};
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};

/// Serves until SIGTERM or Ctrl-C.
pub async fn serve(addr: SocketAddr) -> Result<()> {
    let app = Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route("/v1/responses", post(accept));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    // The line `cargo xtask bench` waits for (same shape as manyi's).
    println!("hello listening on http://{bound}");
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped())
        .await
        .context("serving")
}

async fn accept(
    body: Bytes,
) -> (
    StatusCode,
    [(axum::http::HeaderName, &'static str); 1],
    &'static str,
) {
    // Taking `Bytes` makes axum read the whole body, as the collector must.
    let _ = body;
    (
        StatusCode::CREATED,
        [(CONTENT_TYPE, "application/json")],
        r#"{"status":"accepted"}"#,
    )
}

async fn stopped() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
