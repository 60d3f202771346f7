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

/// A stand-in for a merchant's web server: fixed HTML pages on an origin of
/// their own (127.0.0.1, port 0), for tests that need a host page which is
/// not a collector's `/demo` — several collectors embedded on one origin,
/// or host styles of the test's choosing. Plain HTTP/1.1, one request per
/// connection; no `Cache-Control` header, so pages may enter the
/// back/forward cache.
pub struct HostSite {
    /// Base URL without trailing slash, e.g. `http://127.0.0.1:41235`.
    pub base: String,
    server: tokio::task::JoinHandle<()>,
}

impl HostSite {
    /// Serves `pages` (`(path, html)`; the query string is ignored when
    /// matching) until dropped; anything else is a 404.
    pub async fn serve(pages: Vec<(&str, String)>) -> Result<Self> {
        use std::sync::Arc;
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind the host site")?;
        let base = format!("http://{}", listener.local_addr()?);
        let pages: Arc<Vec<(String, String)>> = Arc::new(
            pages
                .into_iter()
                .map(|(path, html)| (path.to_owned(), html))
                .collect(),
        );
        let server = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let pages = Arc::clone(&pages);
                tokio::spawn(async move {
                    // The request head is all that matters (GETs only).
                    let mut head = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let target = head.split(' ').nth(1).unwrap_or("/");
                    let path = target.split(['?', '#']).next().unwrap_or("/");
                    let page = pages.iter().find(|(p, _)| p == path);
                    let (status, body) = match page {
                        Some((_, html)) => ("200 OK", html.as_str()),
                        None => ("404 Not Found", "not found"),
                    };
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Ok(Self { base, server })
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for HostSite {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A merchant's "payment complete" page embedding the widget from the
/// collector at `collector` (base URL) for site `demo`, as a web team
/// would: the queue stub, `manyi('show', show)` and the async script tag.
/// `?order=X` in the page's URL sets `orderId` X and `customer` `c-X`, so
/// one page serves several orders. `head` is added to the page's `<head>`
/// (host styles, …).
pub fn embed_page(collector: &str, show: &serde_json::Value, head: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment complete</title>
{head}
</head>
<body>
<h1>Payment complete</h1>
<p>Order paid. Thank you for shopping with us.</p>
<div id="slot"></div>
<script>
  window.manyi = window.manyi || function(){{(manyi.q = manyi.q || []).push(arguments)}};
  var show = {show}, order = new URLSearchParams(location.search).get('order');
  if (order) {{ show.orderId = order; show.customer = 'c-' + order; }}
  manyi('show', show);
</script>
<script async src="{collector}/manyi.js" data-site="demo"></script>
</body>
</html>"#
    )
}

/// A TCP forwarder in front of a collector that a test can switch off: the
/// collector becomes unreachable for everything the browser sends —
/// fetches, beacons sent while a page unloads (which outlive the page and
/// escape DevTools URL blocking), new and pooled connections alike — and
/// reachable again at the same origin, with its database intact.
pub struct Gate {
    /// Base URL of the forwarder, without trailing slash: embed this as
    /// the collector.
    pub base: String,
    open: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    server: tokio::task::JoinHandle<()>,
}

impl Gate {
    /// Forwards connections to `target` (`host:port`); starts open.
    pub async fn to(target: std::net::SocketAddr) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind the gate")?;
        let base = format!("http://{}", listener.local_addr()?);
        let open = std::sync::Arc::new(tokio::sync::watch::channel(true).0);
        let state = std::sync::Arc::clone(&open);
        let server = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut open = state.subscribe();
                if !*open.borrow() {
                    // Closed: the connection is dropped at once (the
                    // browser sees a network error).
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    // Closing the gate cuts connections already open too.
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = open.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Ok(Self { base, open, server })
    }

    /// Lets connections through (`true`) or cuts them off (`false`).
    pub fn set_open(&self, open: bool) {
        self.open.send_replace(open);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.server.abort();
    }
}
