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
use manyi_collector::cases::Priority;
use manyi_collector::store::cases::NewCase;
use manyi_collector::store::format_timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
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

/// A reply: status and body (JSON when it is).
struct Reply {
    status: StatusCode,
    text: String,
    json: Value,
}

impl Reply {
    async fn from(r: reqwest::Response) -> Self {
        let status = r.status();
        let text = r.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self { status, text, json }
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

    let r = app
        .patch(
            &format!("/api/cases/{id}"),
            &json!({"owner": "li.wei", "priority": "urgent"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["owner"], "li.wei");
    assert_eq!(r.json["priority"], "urgent");
    // A new priority recomputes the due time from the opening time.
    assert_eq!(
        r.json["due_at"],
        format_timestamp(opened + time::Duration::hours(1))
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
                json!("resolved: yes, score: 5"),
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
        .post_form(&first, "resolved=yes&score=3&locale=en")
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
