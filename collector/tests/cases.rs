//! The case workflow over HTTP: the queue, changes by staff and their
//! refusals (exact codes), notes and history, the customer's verification
//! page, and the overdue sweep at explicit times.
//!
//! Each test runs its own collector (port 0, fresh database) built with
//! `App::build`, so it holds the same `Store` as the server and can open
//! cases with `store::cases::open_in` and sweep with an explicit clock; the
//! background sweep is off so it never escalates their back-dated cases.

mod common;

use common::{BuiltApp, build_app};
use manyi_collector::cases::verification::{Answer, DEFAULT_LINK_TTL};
use manyi_collector::cases::{CaseError, Priority, Status};
use manyi_collector::store::cases::{AnswerOutcome, CaseChange, CaseRow, NewCase};
use manyi_collector::store::format_timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

use time::OffsetDateTime;
use time::macros::datetime;

/// The shared collector ([`BuiltApp`]); this file's helpers are in
/// `impl BuiltApp` below.
type Loop = BuiltApp;

async fn start() -> Loop {
    build_app(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    )
    .await
}

/// A reply: status, headers and body (JSON when it is).
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
    json: Value,
}

impl Reply {
    async fn from(r: reqwest::Response) -> Self {
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            json,
        }
    }

    /// The value of header `name` ("" when absent).
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts an API error: status, code, the contract's body shape.
    fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json["code"], code, "{}", self.text);
        assert!(self.json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(self.json["errors"], json!([]));
    }
}

impl BuiltApp {
    async fn api(&self, method: reqwest::Method, path: &str, body: Option<&str>) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        Reply::from(request.send().await.expect("request")).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.api(reqwest::Method::GET, path, None).await
    }

    async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.api(reqwest::Method::PATCH, path, Some(&body.to_string()))
            .await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.api(reqwest::Method::POST, path, Some(&body.to_string()))
            .await
    }

    /// A public page (no token), with optional `Accept-Language`.
    async fn page(&self, path: &str, accept_language: Option<&str>) -> Reply {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(al) = accept_language {
            request = request.header("accept-language", al);
        }
        Reply::from(request.send().await.expect("GET")).await
    }

    /// Posts a form body to a public page.
    async fn post_form(&self, path: &str, form: &str) -> Reply {
        Reply::from(
            self.client
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.to_owned())
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// Posts a promoter's response (no rule opens a case for it) and
    /// returns its id and answers.
    async fn submit_response(&self) -> (String, Value) {
        let id = uuid::Uuid::new_v4().to_string();
        let answers = json!({"nps": 9, "comment": "快递很快"});
        let body = json!({
            "response_id": id,
            "site": "demo",
            "survey_id": "post-payment",
            "survey_version": 1,
            "answers": answers,
            "context": {"order_id": format!("A-{id}"), "customer": "c-42",
                        "channel": "wechat", "locale": "zh-TW"}
        });
        let r = self
            .client
            .post(format!("{}/v1/responses", self.base))
            .json(&body)
            .send()
            .await
            .expect("POST");
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap_or_default()
        );
        (id, answers)
    }

    /// Opens a case with `open_in`, as the analysis pipeline does.
    async fn open(&self, case: NewCase<'_>) -> i64 {
        self.open_case(&case).await
    }

    /// A writable connection, to back-date or plant rows as an earlier
    /// version would have left them.
    async fn db_rw(&self) -> SqlitePool {
        SqlitePool::connect_with(
            SqliteConnectOptions::new()
                .filename(&self.db_path)
                .busy_timeout(std::time::Duration::from_secs(5)),
        )
        .await
        .expect("db")
    }

    async fn db(&self) -> SqlitePool {
        SqlitePool::connect_with(
            SqliteConnectOptions::new()
                .filename(&self.db_path)
                .read_only(true),
        )
        .await
        .expect("db")
    }

    /// Subscribes a (never reached) endpoint to every event, so that events
    /// are written to the outbox.
    async fn subscribe_all(&self) {
        let r = self
            .post(
                "/api/webhooks",
                &json!({"url": "http://127.0.0.1:9/unreachable",
                        "event_types": ["case.opened", "case.overdue", "case.verified"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }

    /// The outbox events of `event_type`, as their `data` objects.
    async fn events(&self, event_type: &str) -> Vec<Value> {
        let db = self.db().await;
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT payload FROM outbox WHERE event_type = ? ORDER BY id")
                .bind(event_type)
                .fetch_all(&db)
                .await
                .expect("outbox");
        db.close().await;
        rows.into_iter()
            .map(|(p,)| serde_json::from_str::<Value>(&p).expect("json")["data"].clone())
            .collect()
    }
}

fn new_case(customer: &str, priority: Priority, opened_at: OffsetDateTime) -> NewCase<'_> {
    NewCase {
        site: "demo",
        customer,
        survey_id: Some("post-payment"),
        response_id: None,
        priority,
        reason: "NPS 2 ≤ 6",
        rule: Some("nps_detractor"),
        owner: None,
        opened_at,
    }
}

/// The history as (change, from, to, actor) tuples.
fn history(case: &Value) -> Vec<(String, Value, Value, String)> {
    case["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| {
            (
                h["change"].as_str().expect("change").to_owned(),
                h["from"].clone(),
                h["to"].clone(),
                h["actor"].as_str().expect("actor").to_owned(),
            )
        })
        .collect()
}

fn h(change: &str, from: Value, to: Value, actor: &str) -> (String, Value, Value, String) {
    (change.to_owned(), from, to, actor.to_owned())
}

#[tokio::test]
async fn staff_works_a_case_with_notes_and_every_change_in_its_history() {
    let app = start().await;
    let (response_id, answers) = app.submit_response().await;
    let opened = OffsetDateTime::now_utc();
    let id = app
        .open(NewCase {
            response_id: Some(&response_id),
            ..new_case("c-42", Priority::High, opened)
        })
        .await;

    let case = app.get(&format!("/api/cases/{id}")).await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.text);
    assert_eq!(case.json["status"], "open");
    assert_eq!(case.json["priority"], "high");
    assert_eq!(
        case.json["due_at"],
        format_timestamp(opened + time::Duration::hours(4))
    );
    assert_eq!(case.json["overdue"], false);
    assert_eq!(case.json["response"]["response_id"], response_id.as_str());
    assert_eq!(case.json["response"]["answers"], answers);
    assert_eq!(case.json["response"]["locale"], "zh-TW");
    assert_eq!(case.json["verification"], Value::Null);

    let r = app
        .patch(&format!("/api/cases/{id}"), &json!({"status": "contacted"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "contacted");
    assert!(r.json["contacted_at"].is_string());

    let raised_at = OffsetDateTime::now_utc();
    let r = app
        .patch(
            &format!("/api/cases/{id}"),
            &json!({"owner": "li.wei", "priority": "urgent"}),
        )
        .await;
    let answered_at = OffsetDateTime::now_utc();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["owner"], "li.wei");
    assert_eq!(r.json["priority"], "urgent");
    // Raised: the urgent hour counts from the change (exact figures at
    // explicit times in `priority_changes_*` below).
    let due = r.json["due_at"].as_str().expect("due");
    assert!(
        format_timestamp(raised_at + time::Duration::hours(1)).as_str() <= due
            && due <= format_timestamp(answered_at + time::Duration::hours(1)).as_str(),
        "{due}"
    );

    // Sending the same values again changes nothing and writes no history.
    let again = app
        .patch(
            &format!("/api/cases/{id}"),
            &json!({"owner": "li.wei", "status": "contacted"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json["updated_at"], r.json["updated_at"]);

    let note = app
        .post(
            &format!("/api/cases/{id}/notes"),
            &json!({"body": "  已致电，客户同意退款  "}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text);
    assert_eq!(note.json["author"], "demo");
    assert_eq!(note.json["body"], "已致电，客户同意退款");

    let r = app
        .patch(&format!("/api/cases/{id}"), &json!({"owner": null}))
        .await;
    assert_eq!(r.json["owner"], Value::Null);

    let case = app.get(&format!("/api/cases/{id}")).await.json;
    assert_eq!(
        history(&case),
        vec![
            h("opened", Value::Null, json!("open"), "system"),
            h("status", json!("open"), json!("contacted"), "demo"),
            h("owner", Value::Null, json!("li.wei"), "demo"),
            h("priority", json!("high"), json!("urgent"), "demo"),
            h("owner", json!("li.wei"), Value::Null, "demo"),
        ]
    );
    let notes = case["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["id"], note.json["id"]);

    // Stored rows agree with the API.
    let db = app.db().await;
    let (status, owner, priority): (String, Option<String>, String) =
        sqlx::query_as("SELECT status, owner, priority FROM cases WHERE id = ?")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("row");
    assert_eq!(
        (status.as_str(), owner, priority.as_str()),
        ("contacted", None, "urgent")
    );
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn refused_changes_answer_exact_codes_and_change_nothing() {
    let app = start().await;
    let id = app
        .open(new_case("c-1", Priority::Normal, OffsetDateTime::now_utc()))
        .await;
    let path = format!("/api/cases/{id}");
    let table: &[(&str, StatusCode, &str)] = &[
        (
            r#"{"status": "resolved"}"#,
            StatusCode::CONFLICT,
            "invalid_transition",
        ),
        (
            r#"{"status": "verified"}"#,
            StatusCode::CONFLICT,
            "invalid_transition",
        ),
        (
            r#"{"status": "done"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            r#"{"priority": "low"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (r#"{}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
        (
            r#"{"colour": "red"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (r#"{"status": "#, StatusCode::BAD_REQUEST, "malformed_json"),
    ];
    for (body, status, code) in table {
        let r = app.api(reqwest::Method::PATCH, &path, Some(body)).await;
        r.assert_error(*status, code);
    }
    let long_owner = json!({"owner": "x".repeat(101)});
    app.patch(&path, &long_owner)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    app.patch("/api/cases/999999", &json!({"status": "contacted"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "case_not_found");
    app.get("/api/cases/999999")
        .await
        .assert_error(StatusCode::NOT_FOUND, "case_not_found");
    app.get("/api/cases/abc")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    app.post("/api/cases/999999/notes", &json!({"body": "x"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "case_not_found");
    app.post(&format!("{path}/notes"), &json!({"body": "   "}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    app.post(
        &format!("{path}/notes"),
        &json!({"body": "好".repeat(2001)}),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let anonymous = Reply::from(
        app.client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // Nothing above changed the case.
    let case = app.get(&path).await.json;
    assert_eq!(case["status"], "open");
    assert_eq!(history(&case).len(), 1);
    assert_eq!(case["notes"], json!([]));

    // Closed is final: no status, owner or priority change any more.
    let r = app.patch(&path, &json!({"status": "closed"})).await;
    assert_eq!(r.json["status"], "closed");
    assert!(r.json["closed_at"].is_string());
    app.patch(&path, &json!({"status": "open"}))
        .await
        .assert_error(StatusCode::CONFLICT, "invalid_transition");
    app.patch(&path, &json!({"owner": "li.wei"}))
        .await
        .assert_error(StatusCode::CONFLICT, "case_final");
    // Notes still may be added to a closed case.
    let note = app
        .post(&format!("{path}/notes"), &json!({"body": "客户来电致谢"}))
        .await;
    assert_eq!(note.status, StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn the_queue_filters_sorts_by_due_time_and_pages() {
    let app = start().await;
    let now = OffsetDateTime::now_utc();
    // Due: a in 24 h, b in 1 h, c 1 h ago (overdue), d in 4 h.
    let a = app.open(new_case("a", Priority::Normal, now)).await;
    let b = app.open(new_case("b", Priority::Urgent, now)).await;
    let c = app
        .open(new_case(
            "c",
            Priority::High,
            now - time::Duration::hours(5),
        ))
        .await;
    let d = app
        .open(NewCase {
            survey_id: Some("other-survey"),
            owner: Some("li.wei"),
            ..new_case("d", Priority::High, now)
        })
        .await;
    app.patch(&format!("/api/cases/{d}"), &json!({"status": "contacted"}))
        .await;

    let ids = |r: &Reply| -> Vec<i64> {
        r.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["id"].as_i64().expect("id"))
            .collect()
    };
    let all = app.get("/api/cases").await;
    assert_eq!(ids(&all), vec![c, b, d, a]);
    assert_eq!(all.json["total"], 4);
    assert_eq!(all.json["page"], 1);
    assert_eq!(all.json["per_page"], 50);
    assert_eq!(all.json["items"][0]["overdue"], true);
    assert_eq!(all.json["items"][1]["overdue"], false);

    let cases: &[(&str, Vec<i64>)] = &[
        ("status=contacted", vec![d]),
        ("status=open,contacted", vec![c, b, d, a]),
        ("priority=high", vec![c, d]),
        ("priority=urgent,normal", vec![b, a]),
        ("owner=li.wei", vec![d]),
        ("owner=", vec![c, b, a]),
        ("overdue=true", vec![c]),
        ("overdue=false", vec![b, d, a]),
        ("survey=other-survey", vec![d]),
        ("site=demo&priority=high&overdue=false", vec![d]),
        ("site=elsewhere", vec![]),
        ("per_page=2", vec![c, b]),
        ("per_page=2&page=2", vec![d, a]),
        ("per_page=2&page=3", vec![]),
    ];
    for (query, expected) in cases {
        let r = app.get(&format!("/api/cases?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text);
        assert_eq!(&ids(&r), expected, "{query}");
    }
    let paged = app.get("/api/cases?per_page=2&page=2").await;
    assert_eq!(paged.json["total"], 4);

    for bad in [
        "status=done",
        "priority=low",
        "overdue=maybe",
        "page=0",
        "per_page=201",
        "per_page=x",
    ] {
        app.get(&format!("/api/cases?{bad}"))
            .await
            .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    }
    app.stop().await;
}

/// Resolves case `id` (open → contacted → resolved) and returns its
/// verification link.
async fn resolve(app: &Loop, id: i64) -> String {
    let path = format!("/api/cases/{id}");
    let r = app.patch(&path, &json!({"status": "contacted"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.patch(&path, &json!({"status": "resolved"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["verification"]["answered"], false);
    assert!(r.json["verification"]["sent_at"].is_string());
    r.json["verification"]["link"]
        .as_str()
        .expect("link")
        .to_owned()
}

#[tokio::test]
async fn a_satisfied_customer_verifies_the_case_once() {
    let app = start().await;
    app.subscribe_all().await;
    let (response_id, _) = app.submit_response().await;
    let id = app
        .open(NewCase {
            response_id: Some(&response_id),
            ..new_case("c-42", Priority::Normal, OffsetDateTime::now_utc())
        })
        .await;
    let link = resolve(&app, id).await;
    assert!(link.starts_with("/v/vt_"), "{link}");

    // The page speaks the language the customer answered the survey in.
    let form = app.page(&link, None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("您的問題解決了嗎？"), "{}", form.text);
    assert!(form.text.contains("您現在的滿意程度如何？"));
    assert!(!form.text.contains("<script"));
    // Sent as the hosted survey page is: the URL is a secret, so no
    // caching and no Referer; no script may run.
    assert_eq!(
        (
            form.header("cache-control"),
            form.header("referrer-policy"),
            form.header("x-content-type-options"),
        ),
        ("no-store", "no-referrer", "nosniff")
    );
    assert!(
        form.header("content-security-policy")
            .starts_with("default-src 'none'"),
        "{:?}",
        form.headers
    );
    // …unless the link or the browser asks for another.
    let en = app.page(&format!("{link}?locale=en"), None).await;
    assert!(en.text.contains("Has your issue been resolved?"));
    let cn = app.page(&link, Some("zh-CN,zh;q=0.9")).await;
    assert!(cn.text.contains("您的问题解决了吗？"));

    // An incomplete answer shows the form again and changes nothing.
    let r = app
        .post_form(&link, "resolved=yes&comment=%E8%B0%A2%E8%B0%A2&locale=en")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Please choose how satisfied you are."));
    assert!(r.text.contains("谢谢"), "the comment is kept");
    assert_eq!(
        app.get(&format!("/api/cases/{id}")).await.json["status"],
        "resolved"
    );

    let r = app
        .post_form(
            &link,
            "resolved=yes&score=5&comment=%E5%BE%88%E6%BB%A1%E6%84%8F&locale=zh-CN",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("很高兴问题已经解决"));

    let case = app.get(&format!("/api/cases/{id}")).await.json;
    assert_eq!(case["status"], "verified");
    assert!(case["verified_at"].is_string());
    assert_eq!(case["verification"]["answered"], true);
    assert_eq!(case["verification"]["resolved"], true);
    assert_eq!(case["verification"]["score"], 5);
    assert_eq!(case["verification"]["comment"], "很满意");
    let tail: Vec<_> = history(&case).into_iter().skip(3).collect();
    assert_eq!(
        tail,
        vec![
            h(
                "verification",
                Value::Null,
                json!("resolved: yes, score: 5, comment: 很满意"),
                "customer"
            ),
            h("status", json!("resolved"), json!("verified"), "customer"),
        ]
    );
    let verified = app.events("case.verified").await;
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0]["case_id"], id);
    assert_eq!(verified[0]["score"], 5);
    assert_eq!(verified[0]["resolved"], true);

    // A second answer is refused and changes nothing.
    let again = app.post_form(&link, "resolved=no&score=1").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text.contains("已经提交过了") || again.text.contains("已經送出過了"));
    let page = app.page(&link, None).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    let after = app.get(&format!("/api/cases/{id}")).await.json;
    assert_eq!(after["verification"]["score"], 5);
    assert_eq!(app.events("case.verified").await.len(), 1);

    // Verified is final.
    app.patch(&format!("/api/cases/{id}"), &json!({"status": "closed"}))
        .await
        .assert_error(StatusCode::CONFLICT, "invalid_transition");
    app.stop().await;
}

#[tokio::test]
async fn an_unhappy_answer_reopens_the_case_and_a_new_resolution_sends_a_new_link() {
    let app = start().await;
    app.subscribe_all().await;
    let id = app
        .open(new_case("c-7", Priority::High, OffsetDateTime::now_utc()))
        .await;
    let first = resolve(&app, id).await;
    let before = OffsetDateTime::now_utc();
    // Resolved yes but only 3 of 5: not satisfied.
    let r = app
        .post_form(
            &first,
            "resolved=yes&score=3&comment=%E8%BF%98%E6%98%AF%E5%9D%8F%E7%9A%84&locale=en",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("we will contact you again"));

    let case = app.get(&format!("/api/cases/{id}")).await.json;
    assert_eq!(case["status"], "open");
    assert_eq!(case["verified_at"], Value::Null);
    assert_eq!(case["verification"]["score"], 3);
    assert_eq!(case["verification"]["resolved"], true);
    // A new due time from the reopening: high = 4 h.
    let due = OffsetDateTime::parse(
        case["due_at"].as_str().expect("due"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    let expected = before + time::Duration::hours(4);
    assert!(
        (due - expected).abs() < time::Duration::seconds(5),
        "due {due}, expected about {expected}"
    );
    assert_eq!(
        history(&case).last(),
        Some(&h("status", json!("resolved"), json!("open"), "customer"))
    );
    assert!(app.events("case.verified").await.is_empty());

    // The answered link stays answered.
    assert_eq!(
        app.post_form(&first, "resolved=yes&score=5").await.status,
        StatusCode::CONFLICT
    );

    // Resolving again makes a new link; the old one is gone.
    let second = resolve(&app, id).await;
    assert_ne!(first, second);
    assert_eq!(app.page(&first, None).await.status, StatusCode::NOT_FOUND);
    let fresh = app.get(&format!("/api/cases/{id}")).await.json;
    assert_eq!(fresh["verification"]["answered"], false);
    assert_eq!(fresh["verification"]["score"], Value::Null);
    assert_eq!(fresh["verification"]["comment"], Value::Null);
    // The first answer, comment included, stays in the history.
    assert!(
        history(&fresh).contains(&h(
            "verification",
            Value::Null,
            json!("resolved: yes, score: 3, comment: 还是坏的"),
            "customer"
        )),
        "{:?}",
        history(&fresh)
    );
    let r = app.post_form(&second, "resolved=no&score=5").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.get(&format!("/api/cases/{id}")).await.json["status"],
        "open"
    );

    // Staff may close a resolved case; its link then says the follow-up is over.
    let third = resolve(&app, id).await;
    app.patch(&format!("/api/cases/{id}"), &json!({"status": "closed"}))
        .await;
    let gone = app.page(&third, Some("en")).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.text.contains("no longer open"));
    assert_eq!(
        app.post_form(&third, "resolved=yes&score=5").await.status,
        StatusCode::GONE
    );
    app.stop().await;
}

#[tokio::test]
async fn unknown_and_malformed_links_are_not_found() {
    let app = start().await;
    for link in [
        "/v/vt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/v/nonsense",
        "/v/%3Cscript%3E",
    ] {
        let r = app.page(link, Some("en")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{link}");
        assert!(r.text.contains("Link not found"), "{link}: {}", r.text);
        let r = app.post_form(link, "resolved=yes&score=5").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{link}");
    }
    app.stop().await;
}

#[tokio::test]
async fn overdue_cases_escalate_exactly_once_per_due_time() {
    let app = start().await;
    app.subscribe_all().await;
    let t0 = datetime!(2026-11-20 08:00 UTC);
    let normal = app.open(new_case("n", Priority::Normal, t0)).await;
    let contacted = app.open(new_case("c", Priority::Urgent, t0)).await;
    app.patch(
        &format!("/api/cases/{contacted}"),
        &json!({"status": "contacted"}),
    )
    .await;
    let resolved = app.open(new_case("r", Priority::Urgent, t0)).await;
    resolve(&app, resolved).await;

    // Before any due time: nothing.
    let at = |h: i64| t0 + time::Duration::hours(h);
    assert_eq!(
        app.store
            .sweep_overdue(t0 + time::Duration::minutes(59))
            .await
            .expect("sweep"),
        Vec::<i64>::new()
    );
    // 2 h: the urgent contacted case (due 09:00) escalates, the resolved one
    // does not (it waits for the customer, not the merchant).
    assert_eq!(
        app.store.sweep_overdue(at(2)).await.expect("sweep"),
        vec![contacted]
    );
    assert_eq!(
        app.store.sweep_overdue(at(2)).await.expect("sweep"),
        Vec::<i64>::new()
    );
    let c = app.get(&format!("/api/cases/{contacted}")).await.json;
    assert_eq!(c["escalation_level"], 1);
    assert_eq!(c["priority"], "urgent");
    assert_eq!(c["due_at"], format_timestamp(at(3)));
    assert_eq!(c["escalated_at"], format_timestamp(at(2)));

    // 25 h: the normal case (due at 24 h) escalates to high, due 4 h later;
    // the contacted one (due at 3 h) escalates a second time, due at 26 h.
    assert_eq!(
        app.store.sweep_overdue(at(25)).await.expect("sweep"),
        vec![contacted, normal]
    );
    // Due at 26 h is not overdue at 26 h, only after.
    assert_eq!(
        app.store.sweep_overdue(at(26)).await.expect("sweep"),
        Vec::<i64>::new()
    );
    assert_eq!(
        app.store.sweep_overdue(at(27)).await.expect("sweep"),
        vec![contacted]
    );
    assert_eq!(
        app.store.sweep_overdue(at(28)).await.expect("sweep"),
        Vec::<i64>::new()
    );
    let n = app.get(&format!("/api/cases/{normal}")).await.json;
    assert_eq!(n["escalation_level"], 1);
    assert_eq!(n["priority"], "high");
    assert_eq!(n["due_at"], format_timestamp(at(29)));
    assert_eq!(
        history(&n)[1..],
        [
            h("escalated", json!("0"), json!("1"), "system"),
            h("priority", json!("normal"), json!("high"), "system"),
        ]
    );
    // A closed case no longer escalates.
    app.patch(
        &format!("/api/cases/{contacted}"),
        &json!({"status": "closed"}),
    )
    .await;
    assert_eq!(
        app.store.sweep_overdue(at(30)).await.expect("sweep"),
        vec![normal]
    );
    let n = app.get(&format!("/api/cases/{normal}")).await.json;
    assert_eq!(
        (n["escalation_level"].clone(), n["priority"].clone()),
        (json!(2), json!("urgent"))
    );
    assert_eq!(n["due_at"], format_timestamp(at(31)));

    let events = app.events("case.overdue").await;
    let per_case = |id: i64| events.iter().filter(|e| e["case_id"] == id).count();
    assert_eq!(
        (per_case(contacted), per_case(normal), per_case(resolved)),
        (3, 2, 0)
    );
    let first_normal = events
        .iter()
        .find(|e| e["case_id"] == normal)
        .expect("event");
    assert_eq!(first_normal["missed_due_at"], format_timestamp(at(24)));
    assert_eq!(first_normal["due_at"], format_timestamp(at(29)));
    assert_eq!(first_normal["escalation_level"], 1);
    assert_eq!(first_normal["priority"], "high");
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_cases_and_webhooks_api() {
    let app = start().await;
    let doc = app.page("/api/openapi.json", None).await.json;
    for (path, method) in [
        ("/api/cases", "get"),
        ("/api/cases/{id}", "get"),
        ("/api/cases/{id}", "patch"),
        ("/api/cases/{id}/notes", "post"),
        ("/api/cases/{id}/verification-link", "post"),
        ("/api/webhooks", "get"),
        ("/api/webhooks", "post"),
        ("/api/webhooks/{id}/disable", "post"),
        ("/api/webhooks/{id}/deliveries", "get"),
        ("/api/webhooks/deliveries/{id}/resend", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    for schema in [
        "CaseSummary",
        "CaseDetail",
        "CaseUpdate",
        "DeliveryView",
        "CreatedEndpoint",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    app.stop().await;
}

// ---- due times after a change of priority -----------------------------------

/// Staff change at an explicit time (the store call behind `PATCH`).
async fn change_at(
    app: &Loop,
    id: i64,
    change: CaseChange,
    at: OffsetDateTime,
) -> Result<manyi_collector::store::cases::Updated, CaseError> {
    app.store
        .update_case(id, &change, "lead", at, DEFAULT_LINK_TTL)
        .await
}

async fn set_priority(app: &Loop, id: i64, priority: Priority, at: OffsetDateTime) -> CaseRow {
    change_at(
        app,
        id,
        CaseChange {
            priority: Some(priority),
            ..CaseChange::default()
        },
        at,
    )
    .await
    .expect("priority")
    .case
}

async fn set_status(
    app: &Loop,
    id: i64,
    status: Status,
    at: OffsetDateTime,
) -> manyi_collector::store::cases::Updated {
    change_at(
        app,
        id,
        CaseChange {
            status: Some(status),
            ..CaseChange::default()
        },
        at,
    )
    .await
    .expect("status")
}

async fn stored_case(app: &Loop, id: i64) -> CaseRow {
    app.store.case(id).await.expect("case").expect("exists")
}

#[tokio::test]
async fn raising_priority_counts_the_shorter_window_from_the_change() {
    let app = start().await;
    let t0 = datetime!(2026-11-20 08:00 UTC);
    let at = |h: i64| t0 + time::Duration::hours(h);
    let minute = time::Duration::minutes(1);
    // A normal case, due at 24 h, made urgent at 20 h.
    let old = app.open(new_case("old", Priority::Normal, t0)).await;
    let raised = set_priority(&app, old, Priority::Urgent, at(20)).await;
    assert_eq!(raised.priority, "urgent");
    // From the change: 21 h (from the opening it would be 1 h: overdue at
    // once, and escalated by the next sweep).
    assert_eq!(raised.due_at, format_timestamp(at(21)));
    assert_eq!(
        app.store
            .sweep_overdue(at(20) + minute)
            .await
            .expect("sweep"),
        Vec::<i64>::new()
    );
    // A case due sooner than the new window would make it keeps its due
    // time: high, opened at 17 h (due 21 h), made urgent at 20 h 30 (21 h 30).
    let soon = app.open(new_case("soon", Priority::High, at(17))).await;
    let kept = set_priority(&app, soon, Priority::Urgent, at(20) + 30 * minute).await;
    assert_eq!(kept.due_at, format_timestamp(at(21)));
    let c = app.get(&format!("/api/cases/{old}")).await.json;
    assert_eq!(
        history(&c).last(),
        Some(&h("priority", json!("normal"), json!("urgent"), "lead"))
    );
    app.stop().await;
}

#[tokio::test]
async fn lowering_priority_counts_the_longer_window_from_the_opening_or_the_last_reopening() {
    let app = start().await;
    let t0 = datetime!(2026-11-20 08:00 UTC);
    let at = |h: i64| t0 + time::Duration::hours(h);
    let minute = time::Duration::minutes(1);

    // An urgent false alarm (due 1 h) lowered after 30 min: normal from the
    // opening, due at 24 h; not from the change (24 h 30).
    let alarm = app.open(new_case("alarm", Priority::Urgent, t0)).await;
    let lowered = set_priority(&app, alarm, Priority::Normal, t0 + 30 * minute).await;
    assert_eq!(lowered.due_at, format_timestamp(at(24)));
    // Raised again at 2 h: urgent from then (3 h), never later than before.
    let raised = set_priority(&app, alarm, Priority::Urgent, at(2)).await;
    assert_eq!(raised.due_at, format_timestamp(at(3)));
    // …and lowered again: back to 24 h, not 2 h + 24 h (no clock reset).
    let again = set_priority(&app, alarm, Priority::Normal, at(2) + minute).await;
    assert_eq!(again.due_at, format_timestamp(at(24)));

    // A high case resolved, then reopened by the customer's unhappy answer
    // on day 2: its window starts at the reopening (due 2 d + 4 h).
    let reopened = app.open(new_case("reopened", Priority::High, t0)).await;
    set_status(&app, reopened, Status::Contacted, t0 + minute).await;
    let token = set_status(&app, reopened, Status::Resolved, t0 + 2 * minute)
        .await
        .new_token
        .expect("token");
    let outcome = app
        .store
        .answer_verification(
            &token,
            &Answer {
                resolved: false,
                score: 2,
                comment: None,
            },
            at(48),
        )
        .await
        .expect("answer");
    assert_eq!(outcome, AnswerOutcome::Reopened);
    let row = stored_case(&app, reopened).await;
    assert_eq!(row.reopened_at, Some(format_timestamp(at(48))));
    assert_eq!(row.due_at, format_timestamp(at(52)));
    // Lowered to normal an hour later: 24 h from the reopening (3 d), not
    // from the opening (1 d: overdue at once).
    let lowered = set_priority(&app, reopened, Priority::Normal, at(49)).await;
    assert_eq!(lowered.due_at, format_timestamp(at(72)));

    // A reopen by staff also restarts the window, and a priority lowered in
    // the same change counts from it.
    let staff = app.open(new_case("staff", Priority::Urgent, t0)).await;
    set_status(&app, staff, Status::Contacted, t0).await;
    set_status(&app, staff, Status::Resolved, t0).await;
    let both = change_at(
        &app,
        staff,
        CaseChange {
            status: Some(Status::Open),
            priority: Some(Priority::High),
            ..CaseChange::default()
        },
        at(10),
    )
    .await
    .expect("reopen")
    .case;
    assert_eq!(both.reopened_at, Some(format_timestamp(at(10))));
    assert_eq!(both.due_at, format_timestamp(at(14)));
    app.stop().await;
}

#[tokio::test]
async fn an_escalated_case_whose_priority_changes_escalates_once_per_new_due_time() {
    let app = start().await;
    app.subscribe_all().await;
    let t0 = datetime!(2026-11-20 08:00 UTC);
    let at = |h: i64| t0 + time::Duration::hours(h);
    let minute = time::Duration::minutes(1);

    // Urgent, due 1 h; escalated at 2 h (level 1, due 3 h).
    let down = app.open(new_case("down", Priority::Urgent, t0)).await;
    // Normal, due 24 h.
    let up = app.open(new_case("up", Priority::Normal, t0)).await;
    assert_eq!(
        app.store.sweep_overdue(at(2)).await.expect("sweep"),
        vec![down]
    );
    assert_eq!(
        stored_case(&app, down).await.due_at,
        format_timestamp(at(3))
    );

    // Lowered to normal at 2 h 30: due at 24 h (normal from the opening),
    // so the sweep at 3 h (the old due time) does nothing.
    let lowered = set_priority(&app, down, Priority::Normal, at(2) + 30 * minute).await;
    assert_eq!(lowered.due_at, format_timestamp(at(24)));
    assert_eq!(lowered.escalation_level, 1, "the escalation stays");
    assert_eq!(
        app.store
            .sweep_overdue(at(3) + minute)
            .await
            .expect("sweep"),
        Vec::<i64>::new()
    );
    // 24 h 01: `down` escalates once for its new due time (normal → high,
    // due 28 h 01), and `up` for its first (due 24 h as well).
    assert_eq!(
        app.store
            .sweep_overdue(at(24) + minute)
            .await
            .expect("sweep"),
        vec![down, up]
    );
    assert_eq!(
        app.store
            .sweep_overdue(at(24) + minute)
            .await
            .expect("sweep"),
        Vec::<i64>::new()
    );
    let d = stored_case(&app, down).await;
    assert_eq!((d.escalation_level, d.priority.as_str()), (2, "high"));
    assert_eq!(d.due_at, format_timestamp(at(28) + minute));

    // `up` escalated to high (due 28 h 01); made urgent at 25 h: due 26 h.
    let raised = set_priority(&app, up, Priority::Urgent, at(25)).await;
    assert_eq!(raised.due_at, format_timestamp(at(26)));
    assert_eq!(
        app.store.sweep_overdue(at(26)).await.expect("sweep"),
        Vec::<i64>::new(),
        "due at 26 h is not overdue at 26 h"
    );
    assert_eq!(
        app.store
            .sweep_overdue(at(26) + minute)
            .await
            .expect("sweep"),
        vec![up]
    );
    assert_eq!(
        app.store
            .sweep_overdue(at(26) + 2 * minute)
            .await
            .expect("sweep"),
        Vec::<i64>::new()
    );
    let u = stored_case(&app, up).await;
    assert_eq!((u.escalation_level, u.priority.as_str()), (2, "urgent"));
    assert_eq!(u.due_at, format_timestamp(at(27) + minute));

    // One case.overdue per missed due time, each naming the one it missed.
    let events = app.events("case.overdue").await;
    let missed = |id: i64| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["case_id"] == id)
            .map(|e| e["missed_due_at"].clone())
            .collect()
    };
    assert_eq!(
        missed(down),
        vec![
            json!(format_timestamp(at(1))),
            json!(format_timestamp(at(24)))
        ]
    );
    assert_eq!(
        missed(up),
        vec![
            json!(format_timestamp(at(24))),
            json!(format_timestamp(at(26)))
        ]
    );
    app.stop().await;
}

// ---- verification links: hashed, shown once, expiring, single use -----------

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn token_of(link: &str) -> &str {
    link.strip_prefix("/v/").expect("a /v/ link")
}

#[tokio::test]
async fn verification_links_are_stored_hashed_and_shown_only_when_made() {
    let app = start().await;
    let id = app
        .open(new_case("c-h", Priority::Normal, OffsetDateTime::now_utc()))
        .await;
    let link = resolve(&app, id).await;
    let token = token_of(&link).to_owned();

    let db = app.db().await;
    let (plain, hash, sent, expires): (Option<String>, String, String, String) = sqlx::query_as(
        "SELECT verification_token, verification_token_hash, verification_sent_at,
                    verification_expires_at FROM cases WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .expect("row");
    assert_eq!(plain, None);
    assert_eq!(hash, sha256_hex(&token));
    // Valid for the configured 14 days.
    let parse = |t: &str| {
        OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).expect("time")
    };
    assert_eq!(parse(&expires) - parse(&sent), time::Duration::days(14));
    // The token is nowhere else either (history, events).
    let (leaks,): (i64,) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM case_history
                 WHERE instr(coalesce(from_value, '') || coalesce(to_value, ''), ?1) > 0)
              + (SELECT count(*) FROM outbox WHERE instr(payload, ?1) > 0)",
    )
    .bind(&token)
    .fetch_one(&db)
    .await
    .expect("leaks");
    assert_eq!(leaks, 0);
    db.close().await;

    // Shown once: later reads carry no link, only its validity.
    let case = app.get(&format!("/api/cases/{id}")).await.json;
    assert_eq!(case["verification"]["link"], Value::Null);
    assert_eq!(case["verification"]["sent_at"], json!(sent));
    assert_eq!(case["verification"]["expires_at"], json!(expires));
    assert_eq!(case["verification"]["expired"], false);
    // …and the link works.
    assert_eq!(app.page(&link, None).await.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_link_says_so_in_each_language_and_changes_nothing() {
    let app = start().await;
    let now = OffsetDateTime::now_utc();
    let made = |days_ago: i64, minutes: i64| {
        now - time::Duration::days(days_ago) + time::Duration::minutes(minutes)
    };
    // Resolved 14 days and 1 minute ago: expired a minute ago.
    let old = app
        .open(new_case("c-old", Priority::Normal, made(20, 0)))
        .await;
    set_status(&app, old, Status::Contacted, made(15, 0)).await;
    let expired = set_status(&app, old, Status::Resolved, made(14, -1))
        .await
        .new_token
        .expect("token");
    // Resolved 14 days less 10 minutes ago: still valid.
    let recent = app
        .open(new_case("c-recent", Priority::Normal, made(20, 0)))
        .await;
    set_status(&app, recent, Status::Contacted, made(15, 0)).await;
    let valid = set_status(&app, recent, Status::Resolved, made(14, 10))
        .await
        .new_token
        .expect("token");
    assert_eq!(
        app.page(&format!("/v/{valid}"), None).await.status,
        StatusCode::OK
    );

    let link = format!("/v/{expired}");
    for (accept, title, body) in [
        ("zh-CN", "链接已过期", "这个回访链接已过期"),
        ("zh-TW", "連結已過期", "這個回訪連結已過期"),
        ("en", "Link expired", "This follow-up link has expired"),
    ] {
        let page = app.page(&link, Some(accept)).await;
        assert_eq!(page.status, StatusCode::GONE, "{accept}");
        assert!(page.text.contains(title), "{accept}: {}", page.text);
        assert!(page.text.contains(body), "{accept}");
        assert!(!page.text.contains("<form"), "{accept}");
    }
    let post = app.post_form(&link, "resolved=yes&score=5&locale=en").await;
    assert_eq!(post.status, StatusCode::GONE);
    assert!(post.text.contains("Link expired"));

    // Nothing changed: still resolved and unanswered; the API says expired.
    let case = app.get(&format!("/api/cases/{old}")).await.json;
    assert_eq!(case["status"], "resolved");
    assert_eq!(case["verification"]["answered"], false);
    assert_eq!(case["verification"]["expired"], true);
    assert_eq!(
        history(&case).last().map(|h| h.0.as_str()),
        Some("status"),
        "no verification row"
    );
    // The store refuses it too (the page's check is not the only one).
    let outcome = app
        .store
        .answer_verification(
            &expired,
            &Answer {
                resolved: true,
                score: 5,
                comment: None,
            },
            now,
        )
        .await
        .expect("answer");
    assert_eq!(outcome, AnswerOutcome::Expired);

    // The queue finds the links that expired unanswered (to renew or close).
    let ids = |r: Reply| -> Vec<i64> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(
        ids(app.get("/api/cases?verification=expired").await),
        vec![old]
    );
    assert_eq!(
        ids(app.get("/api/cases?verification=awaiting").await),
        vec![recent]
    );
    assert_eq!(
        ids(app.get("/api/cases?verification=answered").await),
        Vec::<i64>::new()
    );
    let r = app
        .post_form(&format!("/v/{valid}"), "resolved=no&score=2")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        ids(app.get("/api/cases?verification=answered").await),
        vec![recent]
    );
    assert_eq!(
        ids(app.get("/api/cases?verification=awaiting").await),
        Vec::<i64>::new()
    );
    app.get("/api/cases?verification=lost")
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    app.stop().await;
}

#[tokio::test]
async fn staff_replace_a_lost_or_expired_link_and_only_the_new_one_works() {
    let app = start().await;
    let now = OffsetDateTime::now_utc();
    let id = app
        .open(new_case(
            "c-r",
            Priority::Normal,
            now - time::Duration::days(30),
        ))
        .await;
    set_status(&app, id, Status::Contacted, now - time::Duration::days(20)).await;
    let old = set_status(&app, id, Status::Resolved, now - time::Duration::days(20))
        .await
        .new_token
        .expect("token");
    let old = format!("/v/{old}");
    assert_eq!(app.page(&old, None).await.status, StatusCode::GONE);

    let path = format!("/api/cases/{id}/verification-link");
    let renewed = app.post(&path, &json!({})).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    let link = renewed.json["verification"]["link"]
        .as_str()
        .expect("the new link, shown now")
        .to_owned();
    assert_eq!(renewed.json["verification"]["expired"], false);
    assert_eq!(renewed.json["status"], "resolved");
    let (_, to, actor) = {
        let hist = history(&renewed.json);
        let last = hist.last().expect("history").clone();
        assert_eq!(last.0, "verification_link");
        (last.1, last.2, last.3)
    };
    assert_eq!(to, renewed.json["verification"]["expires_at"]);
    assert_eq!(actor, "demo");
    // Shown once.
    assert_eq!(
        app.get(&format!("/api/cases/{id}")).await.json["verification"]["link"],
        Value::Null
    );
    // The old link is unknown now, the new one answers.
    assert_eq!(app.page(&old, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.page(&link, None).await.status, StatusCode::OK);
    let r = app.post_form(&link, "resolved=yes&score=4").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/cases/{id}")).await.json["status"],
        "verified"
    );

    // Only a resolved case has a link to renew.
    app.post(&path, &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "not_awaiting_verification");
    let open = app.open(new_case("c-o", Priority::Normal, now)).await;
    app.post(&format!("/api/cases/{open}/verification-link"), &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "not_awaiting_verification");
    app.post("/api/cases/999999/verification-link", &json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "case_not_found");
    app.post("/api/cases/x/verification-link", &json!({}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    app.stop().await;
}

#[tokio::test]
async fn two_answers_racing_on_one_link_change_the_case_once() {
    let app = start().await;
    app.subscribe_all().await;
    let id = app
        .open(new_case(
            "c-race",
            Priority::Normal,
            OffsetDateTime::now_utc(),
        ))
        .await;
    let link = resolve(&app, id).await;
    let (happy, unhappy) = tokio::join!(
        app.post_form(&link, "resolved=yes&score=5"),
        app.post_form(&link, "resolved=no&score=1"),
    );
    let mut statuses = [happy.status, unhappy.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let case = app.get(&format!("/api/cases/{id}")).await.json;
    let answers = history(&case)
        .into_iter()
        .filter(|h| h.0 == "verification")
        .count();
    assert_eq!(answers, 1);
    let (expected_status, verified_events) = if happy.status == StatusCode::OK {
        ("verified", 1)
    } else {
        ("open", 0)
    };
    assert_eq!(case["status"], expected_status);
    assert_eq!(app.events("case.verified").await.len(), verified_events);
    app.stop().await;
}

#[tokio::test]
async fn tokens_stored_in_plaintext_by_earlier_versions_are_hashed_and_keep_working() {
    let app = start().await;
    let now = OffsetDateTime::now_utc();
    let id = app
        .open(new_case(
            "c-legacy",
            Priority::Normal,
            now - time::Duration::days(40),
        ))
        .await;
    // As version 11 left a case resolved 30 days ago: the token in
    // plaintext, no hash, no expiry.
    let token = format!("vt_{}L", "Legacy".repeat(7));
    let token = token.as_str();
    let sent = format_timestamp(now - time::Duration::days(30));
    let db = app.db_rw().await;
    sqlx::query(
        "UPDATE cases SET status = 'resolved', verification_token = ?,
             verification_sent_at = ?, resolved_at = ? WHERE id = ?",
    )
    .bind(token)
    .bind(&sent)
    .bind(&sent)
    .bind(id)
    .execute(&db)
    .await
    .expect("plant");
    let link = format!("/v/{token}");
    assert_eq!(app.page(&link, None).await.status, StatusCode::NOT_FOUND);

    let ttl = time::Duration::days(14);
    assert_eq!(
        app.store
            .hash_legacy_verification_tokens(now, ttl)
            .await
            .expect("hash"),
        1
    );
    assert_eq!(
        app.store
            .hash_legacy_verification_tokens(now, ttl)
            .await
            .expect("again"),
        0,
        "idempotent"
    );
    let (plain, hash, expires): (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT verification_token, verification_token_hash, verification_expires_at
             FROM cases WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .expect("row");
    db.close().await;
    assert_eq!(plain, None);
    assert_eq!(hash, Some(sha256_hex(token)));
    // A full period from the upgrade, though it was sent 30 days ago.
    assert_eq!(expires, Some(format_timestamp(now + ttl)));

    assert_eq!(app.page(&link, None).await.status, StatusCode::OK);
    let r = app.post_form(&link, "resolved=yes&score=5").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/cases/{id}")).await.json["status"],
        "verified"
    );
    app.stop().await;
}

#[tokio::test]
async fn links_last_the_configured_days_and_a_restart_hashes_plaintext_tokens() {
    use secrecy::ExposeSecret as _;

    let data = tempfile::tempdir().expect("data");
    let dist = tempfile::tempdir().expect("dist");
    let mut config = manyi_collector::Config::for_tests(data.path(), dist.path());
    config.verification_link_days = 3;
    let client = reqwest::Client::new();
    let patch = |app: &manyi_collector::RunningApp, id: i64, status: &str| {
        let request = client
            .patch(app.url(&format!("/api/cases/{id}")))
            .bearer_auth(
                app.demo_admin_token
                    .as_ref()
                    .expect("token")
                    .expose_secret(),
            )
            .json(&json!({ "status": status }));
        async move {
            let r = request.send().await.expect("PATCH");
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.expect("json")
        }
    };
    let open = |db: &SqlitePool, customer: &'static str| {
        let db = db.clone();
        async move {
            let mut tx = db.begin().await.expect("begin");
            let id = manyi_collector::store::cases::open_in(
                &mut tx,
                &new_case(customer, Priority::Normal, OffsetDateTime::now_utc()),
            )
            .await
            .expect("open")
            .expect("new");
            tx.commit().await.expect("commit");
            id
        }
    };

    let app = manyi_collector::spawn(config.clone()).await.expect("spawn");
    let db = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(&app.db_path)
            .busy_timeout(std::time::Duration::from_secs(5)),
    )
    .await
    .expect("db");
    let id = open(&db, "c-days").await;
    patch(&app, id, "contacted").await;
    let resolved = patch(&app, id, "resolved").await;
    let parse = |v: &Value| {
        OffsetDateTime::parse(
            v.as_str().expect("time"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time")
    };
    let v = &resolved["verification"];
    assert_eq!(
        parse(&v["expires_at"]) - parse(&v["sent_at"]),
        time::Duration::days(3)
    );

    // A case left by an earlier version: resolved, token in plaintext.
    let legacy = open(&db, "c-legacy").await;
    let token = format!("vt_{}", "x".repeat(43));
    sqlx::query(
        "UPDATE cases SET status = 'resolved', verification_token = ?,
             verification_sent_at = created_at WHERE id = ?",
    )
    .bind(&token)
    .bind(legacy)
    .execute(&db)
    .await
    .expect("plant");
    db.close().await;
    app.shutdown().await.expect("stop");

    // The next start hashes it; the link works.
    let started = OffsetDateTime::now_utc();
    let app = manyi_collector::spawn(config).await.expect("restart");
    let page = client
        .get(app.url(&format!("/v/{token}")))
        .send()
        .await
        .expect("GET");
    assert_eq!(page.status(), StatusCode::OK);
    let db = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(&app.db_path)
            .read_only(true),
    )
    .await
    .expect("db");
    let (plain, hash, expires): (Option<String>, Option<String>, String) = sqlx::query_as(
        "SELECT verification_token, verification_token_hash, verification_expires_at
         FROM cases WHERE id = ?",
    )
    .bind(legacy)
    .fetch_one(&db)
    .await
    .expect("row");
    db.close().await;
    assert_eq!((plain, hash), (None, Some(sha256_hex(&token))));
    let expires = parse(&json!(expires));
    assert!(
        expires >= started + time::Duration::days(3)
            && expires <= OffsetDateTime::now_utc() + time::Duration::days(3),
        "{expires}"
    );
    let db_path = app.db_path.clone();
    app.shutdown().await.expect("stop");
    // Nor can the plaintext be read back from the files.
    let mut wal = db_path.clone().into_os_string();
    wal.push("-wal");
    for path in [db_path, wal.into()] {
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the plaintext token is still in {}",
            path.display()
        );
    }
}
