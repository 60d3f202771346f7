//! Webhook delivery end to end: a local receiver (axum on port 0) that
//! fails the first attempts with 500 and then recovers; every event is
//! delivered, every attempt logged, every signature verified here
//! independently (HMAC-SHA256 with the `hmac` crate, not the collector's
//! signing code); giving up after the attempt limit and the manual
//! re-send; the endpoints API; and the whole loop: an NPS 2 answer posted
//! to `/v1/responses` → case opened by the analysis rules → contacted →
//! resolved → the customer's verification → `case.opened` and
//! `case.verified` delivered and verified.
//!
//! Retry delays are the milliseconds of `webhooks::Settings::fast`.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{BuiltApp, build_app};
use hmac::{Hmac, Mac};
use manyi_collector::cases::Priority;
use manyi_collector::store::Store;
use manyi_collector::store::cases::{NewCase, open_in};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, SqliteConnection};
use time::OffsetDateTime;

// ---------------------------------------------------------------- receiver

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    content_type: String,
    body: String,
    /// What the receiver answered.
    answered: u16,
}

/// The merchant's endpoint: answers 500 to the first `failures` requests
/// of each message id (or to everything while `down`), then 204.
#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    failures: usize,
    down: Arc<AtomicBool>,
    url: String,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = header("webhook-id");
    let mut got = r.got.lock().expect("lock");
    let earlier = got.iter().filter(|g| g.id == id).count();
    let status = if r.down.load(Ordering::SeqCst) || earlier < r.failures {
        AxumStatus::INTERNAL_SERVER_ERROR
    } else {
        AxumStatus::NO_CONTENT
    };
    got.push(Received {
        id,
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body: String::from_utf8(body.to_vec()).expect("utf-8 body"),
        answered: status.as_u16(),
    });
    status
}

impl Receiver {
    async fn start(failures: usize) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
        let receiver = Self {
            got: Arc::default(),
            failures,
            down: Arc::default(),
            url,
        };
        let app = Router::new()
            .route("/hooks", post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits (up to 30 s) until `done` holds for what was received.
    async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..1500 {
            let got = self.got();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for {what}; got {:#?}", self.got());
    }
}

/// The message ids answered with a 2xx.
fn delivered_ids(got: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = got
        .iter()
        .filter(|g| g.answered < 300)
        .map(|g| g.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Checks a request as a receiver following Standard Webhooks would,
/// written from the spec: HMAC-SHA256 keyed with the base64-decoded secret
/// after `whsec_`, over `{id}.{timestamp}.{body}`, base64, `v1,` prefix.
fn assert_signed(r: &Received, secret: &str) {
    assert!(r.id.starts_with("msg_"), "webhook-id {:?}", r.id);
    assert_eq!(r.content_type, "application/json");
    let ts: i64 = r
        .timestamp
        .parse()
        .expect("webhook-timestamp is unix seconds");
    let now = OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - ts).abs() < 120, "timestamp {ts} vs now {now}");
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert!(
        r.signature.split(' ').any(|s| s == expected),
        "signature {:?}, expected {expected:?}",
        r.signature
    );
}

// ---------------------------------------------------------------- collector

/// The shared collector ([`BuiltApp`]); this file's helpers are in
/// `impl BuiltApp` below.
type Loop = BuiltApp;

async fn start() -> Loop {
    build_app(reqwest::Client::new()).await
}

impl BuiltApp {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Creates an endpoint; returns its id and secret.
    async fn endpoint(&self, url: &str, events: &[&str]) -> (i64, String) {
        let (status, body) = self
            .post("/api/webhooks", json!({"url": url, "event_types": events}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["id"].as_i64().expect("id"),
            body["secret"].as_str().expect("secret").to_owned(),
        )
    }

    async fn open(&self, customer: &str, opened_at: OffsetDateTime) -> i64 {
        self.open_case(&NewCase {
            site: "demo",
            customer,
            survey_id: Some("post-payment"),
            response_id: None,
            priority: Priority::Normal,
            reason: "NPS 2 ≤ 6",
            rule: Some("nps_detractor"),
            owner: None,
            opened_at,
        })
        .await
    }

    /// The delivery log of an endpoint.
    async fn log(&self, endpoint: i64) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/api/webhooks/{endpoint}/deliveries"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().expect("items").clone()
    }

    async fn count(&self, table: &str) -> i64 {
        let options = SqliteConnectOptions::new()
            .filename(&self.db_path)
            .read_only(true);
        let mut conn = SqliteConnection::connect_with(&options).await.expect("db");
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .expect("count");
        n
    }
}

fn parse_time(t: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(
        t.as_str().expect("time"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("rfc 3339")
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn every_event_reaches_an_endpoint_that_fails_twice_then_recovers() {
    let app = start().await;
    let receiver = Receiver::start(2).await;
    let (endpoint, secret) = app
        .endpoint(
            &receiver.url,
            &["case.opened", "case.overdue", "case.verified"],
        )
        .await;
    let now = OffsetDateTime::now_utc();
    let fresh = app.open("c-1", now).await;
    let late = app.open("c-2", now - time::Duration::hours(30)).await;
    assert_eq!(
        app.store.sweep_overdue(now).await.expect("sweep"),
        vec![late]
    );

    let got = receiver
        .wait_for("3 events delivered", |g| delivered_ids(g).len() == 3)
        .await;
    // Each message: 500, 500, then the 2xx; same id and body every time.
    let mut by_id: HashMap<&str, Vec<&Received>> = HashMap::new();
    for r in &got {
        assert_signed(r, &secret);
        by_id.entry(&r.id).or_default().push(r);
    }
    assert_eq!(by_id.len(), 3);
    let mut events = Vec::new();
    for (id, requests) in &by_id {
        let answers: Vec<u16> = requests.iter().map(|r| r.answered).collect();
        assert_eq!(answers, [500, 500, 204], "{id}");
        assert!(requests.iter().all(|r| r.body == requests[0].body), "{id}");
        let body: Value = serde_json::from_str(&requests[0].body).expect("json");
        events.push((
            body["type"].as_str().expect("type").to_owned(),
            body["data"]["case_id"].as_i64().expect("case id"),
        ));
    }
    events.sort();
    assert_eq!(
        events,
        [
            ("case.opened".to_owned(), fresh),
            ("case.opened".to_owned(), late),
            ("case.overdue".to_owned(), late),
        ]
    );

    // The log says the same: delivered after 3 attempts, each attempt kept,
    // spaced by at least the back-off delays (50 ms, then 100 ms).
    let log = app.log(endpoint).await;
    assert_eq!(log.len(), 3);
    for d in &log {
        assert_eq!(d["status"], "delivered", "{d}");
        assert_eq!(d["attempts"], 3);
        assert_eq!(d["last_status_code"], 204);
        assert_eq!(d["last_error"], Value::Null);
        assert!(d["delivered_at"].is_string());
        assert!(by_id.contains_key(d["message_id"].as_str().expect("id")));
        let attempts = d["attempt_log"].as_array().expect("attempts");
        let codes: Vec<&Value> = attempts.iter().map(|a| &a["status_code"]).collect();
        assert_eq!(codes, [&json!(500), &json!(500), &json!(204)]);
        assert_eq!(attempts[0]["error"], "HTTP 500 Internal Server Error");
        let at: Vec<OffsetDateTime> = attempts
            .iter()
            .map(|a| parse_time(&a["attempted_at"]))
            .collect();
        assert!(at[1] - at[0] >= time::Duration::milliseconds(50), "{at:?}");
        assert!(at[2] - at[1] >= time::Duration::milliseconds(100), "{at:?}");
    }
    assert_eq!(app.count("webhook_attempts").await, 9);
    assert_eq!(receiver.got().len(), 9);

    // A manual re-send of a delivered event sends it once more, with the
    // same webhook-id (receivers deduplicate on it).
    let first = &log[0];
    let (status, resent) = app
        .post(
            &format!("/api/webhooks/deliveries/{}/resend", first["id"]),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{resent}");
    assert_eq!(resent["status"], "pending");
    assert_eq!(resent["attempts"], 0);
    assert_eq!(resent["attempt_log"].as_array().map(Vec::len), Some(3));
    let message_id = first["message_id"].as_str().expect("id").to_owned();
    let got = receiver
        .wait_for("the re-send", |g| {
            g.iter().filter(|r| r.id == message_id).count() == 4
        })
        .await;
    let again = got.iter().rfind(|r| r.id == message_id).expect("re-sent");
    assert_signed(again, &secret);
    assert_eq!(again.answered, 204);
    app.stop().await;
}

#[tokio::test]
async fn a_delivery_gives_up_after_the_attempt_limit_and_a_resend_delivers_it() {
    let app = start().await;
    let receiver = Receiver::start(0).await;
    receiver.down.store(true, Ordering::SeqCst);
    let (endpoint, secret) = app.endpoint(&receiver.url, &["case.opened"]).await;
    app.open("c-1", OffsetDateTime::now_utc()).await;

    // Settings::fast allows 6 attempts.
    let mut log = Vec::new();
    for _ in 0..500 {
        log = app.log(endpoint).await;
        if log.first().is_some_and(|d| d["status"] == "failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivery = &log[0];
    assert_eq!(delivery["status"], "failed", "{delivery}");
    assert_eq!(delivery["attempts"], 6);
    assert_eq!(delivery["last_status_code"], 500);
    assert_eq!(delivery["attempt_log"].as_array().map(Vec::len), Some(6));
    // No attempt after giving up.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.got().len(), 6);

    receiver.down.store(false, Ordering::SeqCst);
    let (status, resent) = app
        .post(
            &format!("/api/webhooks/deliveries/{}/resend", delivery["id"]),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{resent}");
    let got = receiver
        .wait_for("the re-sent delivery", |g| delivered_ids(g).len() == 1)
        .await;
    assert_eq!(got.len(), 7);
    assert!(got.iter().all(|r| r.id == got[0].id));
    assert_signed(&got[6], &secret);
    // The attempt is recorded just after the receiver answers.
    let mut log = app.log(endpoint).await;
    for _ in 0..100 {
        if log[0]["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        log = app.log(endpoint).await;
    }
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["attempt_log"].as_array().map(Vec::len), Some(7));
    app.stop().await;
}

#[tokio::test]
async fn the_endpoints_api_validates_hides_secrets_and_disabling_stops_events() {
    let app = start().await;
    let bad: &[(Value, StatusCode, &str)] = &[
        (
            json!({"url": "hooks.example.com", "event_types": ["case.opened"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"url": "ftp://example.com/x", "event_types": ["case.opened"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"url": "https://example.com/x", "event_types": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"url": "https://example.com/x", "event_types": ["case.closed"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"url": "https://example.com/x", "event_types": ["case.opened"], "secret": "mine"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"url": "https://example.com/x", "event_types": ["case.opened"], "site": "nowhere"}),
            StatusCode::NOT_FOUND,
            "unknown_site",
        ),
    ];
    for (body, status, code) in bad {
        let (s, reply) = app.post("/api/webhooks", body.clone()).await;
        assert_eq!(
            (s, reply["code"].as_str()),
            (*status, Some(*code)),
            "{body}: {reply}"
        );
        assert_eq!(reply["errors"], json!([]));
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);

    let (status, created) = app
        .post(
            "/api/webhooks",
            json!({"url": "https://example.com/hooks", "event_types": ["case.opened"], "site": "demo"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        created["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_"))
    );
    assert_eq!(created["site"], "demo");
    assert_eq!(created["active"], true);
    assert_eq!(created["event_types"], json!(["case.opened"]));
    let id = created["id"].as_i64().expect("id");

    let (_, list) = app.get("/api/webhooks").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["url"], "https://example.com/hooks");
    assert!(list[0].get("secret").is_none(), "{list}");

    let (status, disabled) = app
        .post(&format!("/api/webhooks/{id}/disable"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disabled["active"], false);
    // No active subscriber: a new case writes no event and no delivery.
    app.open("c-9", OffsetDateTime::now_utc()).await;
    assert_eq!(app.count("outbox").await, 0);
    assert_eq!(app.count("webhook_deliveries").await, 0);

    for (path, code) in [
        ("/api/webhooks/999/disable", "webhook_not_found"),
        ("/api/webhooks/deliveries/999/resend", "delivery_not_found"),
    ] {
        let (s, reply) = app.post(path, json!({})).await;
        assert_eq!(
            (s, reply["code"].as_str()),
            (StatusCode::NOT_FOUND, Some(code))
        );
    }
    let (s, reply) = app.get("/api/webhooks/999/deliveries").await;
    assert_eq!(
        (s, reply["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("webhook_not_found"))
    );
    let (s, reply) = app
        .get(&format!("/api/webhooks/{id}/deliveries?per_page=0"))
        .await;
    assert_eq!(
        (s, reply["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request"))
    );
    app.stop().await;
}

#[tokio::test]
async fn an_nps_2_answer_closes_the_loop_and_every_event_is_delivered_signed() {
    let app = start().await;
    let receiver = Receiver::start(1).await;
    let (_, secret) = app
        .endpoint(&receiver.url, &["case.opened", "case.verified"])
        .await;

    // The customer answers NPS 2 through the public API.
    let response_id = uuid::Uuid::new_v4().to_string();
    let answer = app
        .client
        .post(format!("{}/v1/responses", app.base))
        .json(&json!({
            "response_id": response_id,
            "site": "demo",
            "survey_id": "post-payment",
            "survey_version": 1,
            "answers": {"nps": 2, "reason": ["slow_delivery"]},
            "context": {"order_id": "A-loop-1", "customer": "c-loop", "channel": "sms", "locale": "zh-CN"}
        }))
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), StatusCode::CREATED);

    // The analysis rules open the case (NPS ≤ 6).
    let mut case = Value::Null;
    for _ in 0..1500 {
        let (_, page) = app.get("/api/cases?survey=post-payment").await;
        if let Some(found) = page["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|c| c["response_id"] == response_id.as_str())
        }) {
            case = found.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(case["status"], "open", "no case for the NPS 2 answer");
    assert_eq!(case["customer"], "c-loop");
    let id = case["id"].as_i64().expect("id");

    // Staff call back and fix it; the link is in the answer that resolves
    // (only its hash is stored).
    let mut resolved = Value::Null;
    for status in ["contacted", "resolved"] {
        let (s, body) = app
            .call(
                reqwest::Method::PATCH,
                &format!("/api/cases/{id}"),
                Some(json!({"status": status})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        resolved = body;
    }
    let link = resolved["verification"]["link"]
        .as_str()
        .expect("link")
        .to_owned();

    // The customer opens the link from the SMS and answers.
    let page = app
        .client
        .get(format!("{}{link}", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("您的问题解决了吗？")
    );
    let answered = app
        .client
        .post(format!("{}{link}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("resolved=yes&score=5&comment=%E9%80%80%E6%AC%BE%E5%B7%B2%E5%88%B0")
        .send()
        .await
        .expect("POST");
    assert_eq!(answered.status(), StatusCode::OK);
    let (_, verified) = app.get(&format!("/api/cases/{id}")).await;
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["verification"]["score"], 5);
    assert_eq!(verified["verification"]["comment"], "退款已到");

    // Both events arrive despite a 500 on each first attempt, signed.
    let got = receiver
        .wait_for("case.opened and case.verified delivered", |g| {
            delivered_ids(g).len() == 2
        })
        .await;
    let mut types = Vec::new();
    for r in got.iter().filter(|r| r.answered < 300) {
        assert_signed(r, &secret);
        let body: Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(body["data"]["case_id"], id);
        types.push(body["type"].as_str().expect("type").to_owned());
        match body["type"].as_str() {
            Some("case.opened") => {
                assert_eq!(body["data"]["response_id"], response_id.as_str());
                assert_eq!(body["data"]["customer"], "c-loop");
            }
            Some("case.verified") => {
                assert_eq!(body["data"]["score"], 5);
                assert_eq!(body["data"]["resolved"], true);
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    types.sort();
    assert_eq!(types, ["case.opened", "case.verified"]);
    assert_eq!(got.iter().filter(|r| r.answered == 500).count(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_claim_lapses_so_a_worker_that_died_mid_post_sends_again() {
    use manyi_collector::store::connect_options_at;
    use manyi_collector::store::webhooks::NewEndpoint;
    use time::macros::datetime;

    // A store without a server, so no worker claims anything but this test.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("manyi.db");
    let store = Store::open(connect_options_at(&path, None).expect("options"))
        .await
        .expect("open");
    manyi_collector::seed::seed_demo(&store)
        .await
        .expect("seed");
    let t0 = datetime!(2026-11-23 08:00 UTC);
    let at = |s: i64| manyi_collector::store::format_timestamp(t0 + time::Duration::seconds(s));
    store
        .create_endpoint(&NewEndpoint {
            site: None,
            url: "http://127.0.0.1:9/hooks",
            secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            event_types: r#"["case.opened"]"#,
            now: &at(0),
        })
        .await
        .expect("endpoint")
        .expect("created");
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .busy_timeout(Duration::from_secs(5));
    let mut conn = SqliteConnection::connect_with(&options).await.expect("db");
    let mut tx = conn.begin().await.expect("begin");
    open_in(
        &mut tx,
        &NewCase {
            site: "demo",
            customer: "c-1",
            survey_id: None,
            response_id: None,
            priority: Priority::Normal,
            reason: "by hand",
            rule: None,
            owner: None,
            opened_at: t0,
        },
    )
    .await
    .expect("open")
    .expect("new");
    tx.commit().await.expect("commit");
    conn.close().await.expect("close");

    // A worker claims it with a 40 s lease, POSTs, and dies before recording.
    let claimed = store
        .claim_due_deliveries(&at(1), &at(41), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let message_id = claimed[0].message_id.clone();
    // While the lease runs nobody else takes it…
    for s in [2, 20, 40] {
        assert!(
            store
                .claim_due_deliveries(&at(s), &at(s + 40), 10)
                .await
                .expect("claim")
                .is_empty(),
            "claimed again at +{s} s"
        );
    }
    // …and once it lapses the same message is sent again (at least once).
    let again = store
        .claim_due_deliveries(&at(41), &at(81), 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, claimed[0].id);
    assert_eq!(again[0].message_id, message_id);
    assert_eq!(again[0].attempts, 0);
    store.close().await;
}

#[tokio::test]
async fn a_site_endpoint_gets_only_its_sites_events_and_a_global_one_gets_all() {
    let app = start().await;
    let (status, site) = app
        .post("/api/sites", json!({"key": "shop", "name": "Shop"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let create = |site: Option<&str>| json!({"url": "http://127.0.0.1:9/x", "event_types": ["case.opened"], "site": site});
    let (_, demo) = app.post("/api/webhooks", create(Some("demo"))).await;
    let (_, shop) = app.post("/api/webhooks", create(Some("shop"))).await;
    let (_, every) = app.post("/api/webhooks", create(None)).await;
    assert_eq!(every["site"], Value::Null);

    app.open("c-1", OffsetDateTime::now_utc()).await; // a demo case
    let total = |v: (StatusCode, Value)| v.1["total"].as_i64().expect("total");
    let deliveries = |e: &Value| format!("/api/webhooks/{}/deliveries", e["id"]);
    assert_eq!(total(app.get(&deliveries(&demo)).await), 1);
    assert_eq!(total(app.get(&deliveries(&shop)).await), 0);
    assert_eq!(total(app.get(&deliveries(&every)).await), 1);
    // One event, fanned out to the two endpoints that subscribe to it.
    assert_eq!(app.count("outbox").await, 1);
    assert_eq!(app.count("webhook_deliveries").await, 2);
    app.stop().await;
}
