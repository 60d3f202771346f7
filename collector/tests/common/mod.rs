//! Helpers shared by the collector's integration test binaries (`api.rs`,
//! `trust.rs`, …): a collector on an OS-chosen port with a fresh database and
//! a fake widget build, a client, typed replies and stored-row readers.
//!
//! Each test binary compiles this module on its own and uses a subset of it,
//! hence the `dead_code` allowance.

#![allow(dead_code)]

use manyi_collector::store::Store;
use manyi_collector::store::cases::{NewCase, open_in};
use manyi_collector::webhooks::Settings;
use manyi_collector::{App, Config, RunningApp, spawn};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{Connection as _, SqliteConnection};
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// A running collector, its folders and a client.
pub struct TestApp {
    pub app: RunningApp,
    pub client: reqwest::Client,
    pub data: TempDir,
    pub _dist: TempDir,
}

/// A reply: status, headers and the body parsed as JSON (`Null` when empty
/// or not JSON), with the raw bytes kept for non-JSON bodies.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read body").to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            json,
            bytes,
        }
    }

    pub fn header(&self, name: impl header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts an error reply: status, code, and the contract's body shape.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.json);
        assert_eq!(self.json["code"], code, "body: {}", self.json);
        assert!(
            self.json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message in {}",
            self.json
        );
        assert!(
            self.json["errors"].is_array(),
            "errors array in {}",
            self.json
        );
    }

    /// Whether `errors` holds an entry for `question` with `code`.
    pub fn has_error(&self, question: &str, code: &str) -> bool {
        self.json["errors"].as_array().is_some_and(|errs| {
            errs.iter()
                .any(|e| e["question"] == question && e["code"] == code)
        })
    }
}

/// One stored `responses` row.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredResponse {
    pub response_id: String,
    pub site_key: String,
    pub survey_id: String,
    pub survey_version: i64,
    pub order_id: Option<String>,
    pub customer: Option<String>,
    pub channel: Option<String>,
    pub segment: Option<String>,
    pub locale: Option<String>,
    pub page: Option<String>,
    pub answers: String,
    pub payload_hash: String,
    pub shown_at: Option<String>,
    pub submitted_at: Option<String>,
    pub received_at: String,
}

/// Writes a fake widget build: a loader with a brotli sibling and one asset.
pub fn fake_dist() -> TempDir {
    let dist = tempfile::tempdir().expect("dist dir");
    std::fs::write(dist.path().join("manyi.js"), "/* loader */").expect("write");
    std::fs::write(dist.path().join("manyi.js.br"), "BROTLI-BYTES").expect("write");
    std::fs::create_dir(dist.path().join("assets")).expect("mkdir");
    std::fs::write(
        dist.path()
            .join("assets/manyi_widget.0123456789abcdef.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .expect("write");
    std::fs::write(
        dist.path().join("assets/manyi_widget.0123456789abcdef.js"),
        "export default 1;",
    )
    .expect("write");
    dist
}

/// A collector with [`Config::for_tests`]: fresh database, fake widget build.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with `edit` applied to the test config first (e.g. to
/// set tiny rate limits).
pub async fn spawn_app_with(edit: impl FnOnce(&mut Config)) -> TestApp {
    let data = tempfile::tempdir().expect("data dir");
    let dist = fake_dist();
    spawn_app_in_with(data, dist, edit).await
}

/// A collector over existing folders (e.g. to restart on the same database).
pub async fn spawn_app_in(data: TempDir, dist: TempDir) -> TestApp {
    spawn_app_in_with(data, dist, |_| {}).await
}

/// A collector over existing folders, with `edit` applied to the test config.
pub async fn spawn_app_in_with(
    data: TempDir,
    dist: TempDir,
    edit: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config::for_tests(data.path(), dist.path());
    edit(&mut config);
    let app = spawn(config).await.expect("collector starts");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        app,
        client,
        data,
        _dist: dist,
    }
}

/// Stops `app`, runs `statements` in order on its database as it lies,
/// and starts a collector over the same folders with `edit` applied to the
/// test config: rows that arrive while the workers are not looking (a
/// restore, a burst ahead of the analysis, an upgrade's migration), e.g.
/// a backlog of tens of thousands of responses written in one statement.
pub async fn restart_after(
    app: TestApp,
    statements: &[&str],
    edit: impl FnOnce(&mut Config),
) -> TestApp {
    let TestApp {
        app: running,
        data,
        _dist,
        ..
    } = app;
    let db_path = running.db_path.clone();
    running.shutdown().await.expect("stops");
    let db = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&db_path))
        .await
        .expect("open db");
    for statement in statements {
        sqlx::query(statement)
            .execute(&db)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    db.close().await;
    spawn_app_in_with(data, _dist, edit).await
}

impl TestApp {
    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// The demo admin token of this start (`--seed-demo` makes one).
    pub fn admin_token(&self) -> String {
        self.app
            .demo_admin_token
            .as_ref()
            .expect("--seed-demo makes a demo admin token")
            .expose_secret()
            .to_owned()
    }

    /// Sends a request with an optional JSON `body` and `Authorization`
    /// header value `auth` (none when `None`).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        auth: Option<&str>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        Reply::from(request.send().await.expect("admin request")).await
    }

    /// Sends an admin API request with the demo admin token.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {}", self.admin_token());
        self.send(method, path, body, Some(&auth)).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::from(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn get_with(&self, path: &str, name: &str, value: &str) -> Reply {
        Reply::from(
            self.client
                .get(self.url(path))
                .header(name, value)
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    pub async fn get_survey(&self, survey_id: &str) -> Reply {
        self.get(&format!("/v1/surveys/{survey_id}")).await
    }

    /// Posts a response as `application/json`.
    pub async fn post_response(&self, body: &Value) -> Reply {
        self.post_raw(body.to_string(), "application/json").await
    }

    /// Posts raw bytes with a content type.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>, content_type: &str) -> Reply {
        let response = self
            .client
            .post(self.url("/v1/responses"))
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        Reply::from(response).await
    }

    /// Posts raw bytes to `path` with a content type and extra headers
    /// (e.g. `Origin`).
    pub async fn post_to(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::from(request.send().await.expect("POST")).await
    }

    /// Posts a response as `text/plain` (like the widget) from `origin`.
    pub async fn post_response_from(&self, origin: &str, body: &Value) -> Reply {
        self.post_to(
            "/v1/responses",
            body.to_string(),
            "text/plain;charset=UTF-8",
            &[("origin", origin)],
        )
        .await
    }

    /// How many rows `table` holds.
    pub async fn count(&self, table: &str) -> i64 {
        let db = self.db().await;
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&db)
            .await
            .expect("count");
        db.close().await;
        n
    }

    /// A read-only connection to the collector's database.
    pub async fn db(&self) -> SqlitePool {
        let options = SqliteConnectOptions::new()
            .filename(&self.app.db_path)
            .read_only(true);
        SqlitePool::connect_with(options).await.expect("open db")
    }

    /// Every stored response, oldest first.
    pub async fn stored_responses(&self) -> Vec<StoredResponse> {
        let db = self.db().await;
        let rows = sqlx::query_as("SELECT * FROM responses ORDER BY received_at")
            .fetch_all(&db)
            .await
            .expect("select");
        db.close().await;
        rows
    }
}

/// A fresh UUID v4 as text.
pub fn new_response_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A valid response to the seeded `post-payment` survey (a promoter, so the
/// `reason` question is hidden), with a fresh response id and order id.
pub fn valid_payload() -> Value {
    json!({
        "response_id": new_response_id(),
        "site": "demo",
        "survey_id": "post-payment",
        "survey_version": 1,
        "answers": { "nps": 9, "comment": "快递很快" },
        "context": {
            "order_id": format!("A-{}", new_response_id()),
            "customer": "c-42", "channel": "wechat", "segment": "vip",
            "locale": "zh-CN", "page": "https://shop.example/paid"
        },
        "timing": { "shown_at": "2026-11-23T08:00:00Z", "submitted_at": "2026-11-23T08:00:41Z" }
    })
}

/// A collector built with `App::build`, serving in the background: the test
/// holds the same [`Store`] as the server (to sweep with an explicit clock)
/// and opens cases as the analysis pipeline does. Worker retries are fast
/// and the background sweep is off, so it never escalates back-dated cases.
/// Test files add their own request helpers in an `impl BuiltApp` block.
pub struct BuiltApp {
    pub base: String,
    pub token: String,
    pub store: Store,
    pub db_path: PathBuf,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _data: TempDir,
    _dist: TempDir,
}

/// Starts a [`BuiltApp`] on port 0 with a fresh database; requests go
/// through `client`.
pub async fn build_app(client: reqwest::Client) -> BuiltApp {
    let data = tempfile::tempdir().expect("data");
    let dist = tempfile::tempdir().expect("dist");
    let config = Config::for_tests(data.path(), dist.path());
    let settings = Settings {
        // Sweeps are explicit in these tests.
        sweep_every: None,
        ..Settings::fast()
    };
    let app = App::build(&config)
        .await
        .expect("build")
        .with_worker_settings(settings);
    let token = app
        .demo_admin_token()
        .expect("demo token")
        .expose_secret()
        .to_owned();
    let store = app.state().store().clone();
    let db_path = app.db_path().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    BuiltApp {
        base,
        token,
        store,
        db_path,
        client,
        stop: Some(stop),
        task: Some(task),
        _data: data,
        _dist: dist,
    }
}

impl BuiltApp {
    /// Opens a case with `open_in` in its own transaction, as the analysis
    /// pipeline does; returns its id.
    pub async fn open_case(&self, case: &NewCase<'_>) -> i64 {
        let options = SqliteConnectOptions::new()
            .filename(&self.db_path)
            .busy_timeout(Duration::from_secs(5));
        let mut conn = SqliteConnection::connect_with(&options).await.expect("db");
        let mut tx = conn.begin().await.expect("begin");
        let id = open_in(&mut tx, case)
            .await
            .expect("open")
            .expect("new case");
        tx.commit().await.expect("commit");
        id
    }

    /// Stops serving and waits for the server to finish cleanly.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("serve");
        }
    }
}
