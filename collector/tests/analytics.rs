//! The response-analysis pipeline through the real HTTP API: data-quality
//! flags, open-text tags, cases opened by rules, `response.created` and
//! `case.opened` in the outbox, exactly-once analysis across failures and
//! restarts, and the admin API of its settings.
//!
//! Responses are posted to `/v1/responses`; the background worker analyses
//! them; [`analysed`] waits until its cursor has passed every stored
//! response, then the stored rows are read.

mod common;

use common::{Reply, TestApp, new_response_id, spawn_app, spawn_app_in, valid_payload};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

// ---- helpers ---------------------------------------------------------------

/// Waits until the analysis cursor has passed every stored response.
async fn analysed(app: &TestApp) {
    let db = app.db().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (cursor, last): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT last_rowid FROM pipeline_cursors WHERE name = 'analysis'),
                    (SELECT COALESCE(MAX(rowid), 0) FROM responses)",
        )
        .fetch_one(&db)
        .await
        .expect("cursor");
        if cursor >= last {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "analysis stuck at rowid {cursor} of {last}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    db.close().await;
}

/// A writable connection (to add webhook endpoints or inject failures).
async fn writable(app: &TestApp) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(&app.app.db_path)
        .busy_timeout(Duration::from_secs(5));
    SqlitePool::connect_with(options).await.expect("open db")
}

/// One `response_analysis` row.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Analysis {
    flags: String,
    flagged: i64,
    tags: String,
    alert: i64,
    duration_ms: Option<i64>,
}

async fn analysis_of(app: &TestApp, response_id: &str) -> Analysis {
    let db = app.db().await;
    let row = sqlx::query_as(
        "SELECT flags, flagged, tags, alert, duration_ms FROM response_analysis
         WHERE response_id = ?",
    )
    .bind(response_id)
    .fetch_one(&db)
    .await
    .unwrap_or_else(|e| panic!("no analysis for {response_id}: {e}"));
    db.close().await;
    row
}

fn flags(list: &[&str]) -> String {
    serde_json::to_string(list).expect("json")
}

/// Posts to the demo survey (`post-payment`: nps, reason when nps ≤ 6,
/// comment) with its own customer and order; returns the response id.
async fn post_demo(app: &TestApp, answers: Value, customer: &str, segment: &str) -> String {
    let mut payload = valid_payload();
    payload["answers"] = answers;
    payload["context"]["customer"] = json!(customer);
    payload["context"]["segment"] = json!(segment);
    let reply = app.post_response(&payload).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    payload["response_id"].as_str().expect("id").to_owned()
}

/// A survey with four Likert questions, NPS, CSAT, CES and a comment,
/// created, replaced with this definition and published through the admin
/// API.
async fn publish_quality_survey(app: &TestApp) {
    let likert = |id: &str| {
        json!({"id": id, "type": "likert", "points": 5,
               "text": {"zh-CN": "同意吗？", "en": "Agree?"}})
    };
    let definition = json!({
        "id": "quality", "version": 1, "default_locale": "zh-CN", "locales": ["zh-CN", "en"],
        "title": {"zh-CN": "调查", "en": "Survey"},
        "thank_you": {"zh-CN": "谢谢", "en": "Thanks"},
        "questions": [
            likert("r1"), likert("r2"), likert("r3"), likert("r4"),
            {"id": "nps", "type": "nps", "text": {"zh-CN": "推荐吗？", "en": "Recommend?"}},
            {"id": "csat", "type": "csat", "text": {"zh-CN": "满意吗？", "en": "Satisfied?"}},
            {"id": "ces", "type": "ces", "text": {"zh-CN": "容易吗？", "en": "Easy?"}},
            {"id": "comment", "type": "text", "max_length": 500,
             "text": {"zh-CN": "意见", "en": "Comment"}}
        ]
    });
    let post = reqwest::Method::POST;
    let created = app
        .admin(
            post.clone(),
            "/api/surveys",
            Some(&json!({"template": "nps", "survey_id": "quality", "site": "demo"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let edited = app
        .admin(
            reqwest::Method::PUT,
            "/api/surveys/quality",
            Some(&json!({ "definition": definition })),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.json);
    let published = app
        .admin(post, "/api/surveys/quality/publish", Some(&json!({})))
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.json);
}

/// Posts to `quality` with these answers, customer, order and a completion
/// time of `seconds`; returns the response id.
async fn post_quality(
    app: &TestApp,
    answers: Value,
    customer: &str,
    order: &str,
    seconds: u32,
) -> String {
    let id = new_response_id();
    let payload = json!({
        "response_id": id,
        "site": "demo",
        "survey_id": "quality",
        "survey_version": 1,
        "answers": answers,
        "context": {"order_id": order, "customer": customer, "segment": "regular", "locale": "zh-CN"},
        "timing": {"shown_at": "2026-11-23T08:00:00Z",
                   "submitted_at": format!("2026-11-23T08:{:02}:{:02}Z", seconds / 60, seconds % 60)}
    });
    let reply = app.post_response(&payload).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    id
}

/// One stored case.
#[derive(Debug, sqlx::FromRow)]
struct StoredCase {
    id: i64,
    customer: String,
    priority: String,
    owner: Option<String>,
    rule: Option<String>,
    reason: Option<String>,
    due_at: String,
    created_at: String,
    status: String,
}

async fn cases_of(app: &TestApp, response_id: &str) -> Vec<StoredCase> {
    let db = app.db().await;
    let rows = sqlx::query_as(
        "SELECT id, customer, priority, owner, rule, reason, due_at, created_at, status
         FROM cases WHERE response_id = ?",
    )
    .bind(response_id)
    .fetch_all(&db)
    .await
    .expect("cases");
    db.close().await;
    rows
}

async fn received_at(app: &TestApp, response_id: &str) -> OffsetDateTime {
    let stored = app
        .stored_responses()
        .await
        .into_iter()
        .find(|r| r.response_id == response_id)
        .expect("stored");
    OffsetDateTime::parse(&stored.received_at, &Rfc3339).expect("timestamp")
}

fn parse_time(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).expect("timestamp")
}

// ---- flags -----------------------------------------------------------------

#[tokio::test]
async fn flagged_responses_are_stored_and_marked_with_the_exact_flags() {
    let app = spawn_app().await;
    publish_quality_survey(&app).await;
    let neutral = json!({"r1": 2, "r2": 3, "r3": 4, "r4": 3, "nps": 8, "csat": 4, "ces": 5});

    let clean = post_quality(&app, neutral.clone(), "c-clean", "o-1", 60).await;
    let straight = post_quality(
        &app,
        json!({"r1": 4, "r2": 4, "r3": 4, "r4": 4}),
        "c-straight",
        "o-2",
        60,
    )
    .await;
    // Seven answers: the default minimum is 2 s each, 14 s.
    let fast = post_quality(&app, neutral.clone(), "c-fast", "o-3", 13).await;
    let just_enough = post_quality(&app, neutral.clone(), "c-ok", "o-4", 14).await;
    let contradictory = post_quality(
        &app,
        json!({"r1": 2, "r2": 3, "nps": 10, "csat": 1}),
        "c-contra",
        "o-5",
        60,
    )
    .await;
    let first = post_quality(&app, neutral.clone(), "c-dup", "o-6", 60).await;
    let second = post_quality(&app, neutral.clone(), "c-dup", "o-7", 60).await;
    let everything = post_quality(
        &app,
        json!({"r1": 5, "r2": 5, "r3": 5, "r4": 5, "nps": 10, "csat": 5, "ces": 1}),
        "c-dup",
        "o-8",
        2,
    )
    .await;
    analysed(&app).await;

    let expect = [
        (&clean, vec![]),
        (&straight, vec!["straight_lining"]),
        (&fast, vec!["too_fast"]),
        (&just_enough, vec![]),
        (&contradictory, vec!["contradictory"]),
        (&first, vec![]),
        (&second, vec!["suspected_duplicate"]),
        // CES 1 breaks the straight line (positions differ) but is a
        // bottom box beside top boxes.
        (
            &everything,
            vec!["too_fast", "contradictory", "suspected_duplicate"],
        ),
    ];
    for (id, expected) in expect {
        let a = analysis_of(&app, id).await;
        assert_eq!(a.flags, flags(&expected), "response {id}");
        assert_eq!(a.flagged, i64::from(!expected.is_empty()), "response {id}");
    }
    assert_eq!(analysis_of(&app, &fast).await.duration_ms, Some(13_000));
    // Flagged responses are kept: every one is stored.
    assert_eq!(app.count("responses").await, 8);
    assert_eq!(app.count("response_analysis").await, 8);
}

#[tokio::test]
async fn quality_settings_change_the_thresholds_of_later_responses() {
    let app = spawn_app().await;
    publish_quality_survey(&app).await;
    let answers = json!({"r1": 2, "r2": 3, "nps": 8});
    let before = post_quality(&app, answers.clone(), "c-1", "o-1", 5).await;
    analysed(&app).await;
    assert_eq!(analysis_of(&app, &before).await.flags, flags(&["too_fast"]));

    let reply = app
        .admin(
            reqwest::Method::PUT,
            "/api/surveys/quality/quality",
            Some(&json!({"min_seconds": 0, "duplicate_window_minutes": 0})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["configured"], true);
    assert_eq!(reply.json["min_seconds"], 0);

    // Same customer, another order, 5 s: neither too fast nor a duplicate now.
    let after = post_quality(&app, answers, "c-1", "o-2", 5).await;
    analysed(&app).await;
    assert_eq!(analysis_of(&app, &after).await.flags, flags(&[]));
    // Earlier flags stay as they were.
    assert_eq!(analysis_of(&app, &before).await.flags, flags(&["too_fast"]));
}

// ---- tags ------------------------------------------------------------------

#[tokio::test]
async fn comments_get_the_tags_of_their_keywords() {
    let app = spawn_app().await;
    let slow = post_demo(
        &app,
        json!({"nps": 9, "comment": "物流太慢了"}),
        "c-1",
        "regular",
    )
    .await;
    let fraud = post_demo(
        &app,
        json!({"nps": 9, "comment": "这是欺诈"}),
        "c-2",
        "regular",
    )
    .await;
    let refund = post_demo(
        &app,
        json!({"nps": 9, "comment": "I want a REFUND"}),
        "c-3",
        "regular",
    )
    .await;
    let other = post_demo(
        &app,
        json!({"nps": 5, "reason": {"choices": ["price", "other"], "other_text": "快遞太慢"},
               "comment": "價格太貴"}),
        "c-4",
        "regular",
    )
    .await;
    let none = post_demo(
        &app,
        json!({"nps": 10, "comment": "很好"}),
        "c-5",
        "regular",
    )
    .await;
    analysed(&app).await;

    let tags = |list: &[&str]| serde_json::to_string(list).expect("json");
    let a = analysis_of(&app, &slow).await;
    assert_eq!(
        (a.tags.as_str(), a.alert),
        (tags(&["logistics_slow"]).as_str(), 0)
    );
    let a = analysis_of(&app, &fraud).await;
    assert_eq!((a.tags.as_str(), a.alert), (tags(&["fraud"]).as_str(), 1));
    let a = analysis_of(&app, &refund).await;
    assert_eq!((a.tags.as_str(), a.alert), (tags(&["refund"]).as_str(), 0));
    let a = analysis_of(&app, &other).await;
    assert_eq!(a.tags, tags(&["logistics_slow", "price"]));
    assert_eq!(analysis_of(&app, &none).await.tags, tags(&[]));

    let db = app.db().await;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.tag, t.response_id, t.survey_id FROM response_tags t ORDER BY t.tag, t.response_id",
    )
    .fetch_all(&db)
    .await
    .expect("tags");
    db.close().await;
    let mut expected = vec![
        ("fraud".to_owned(), fraud.clone(), "post-payment".to_owned()),
        (
            "logistics_slow".to_owned(),
            other.clone(),
            "post-payment".to_owned(),
        ),
        (
            "logistics_slow".to_owned(),
            slow.clone(),
            "post-payment".to_owned(),
        ),
        ("price".to_owned(), other.clone(), "post-payment".to_owned()),
        (
            "refund".to_owned(),
            refund.clone(),
            "post-payment".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(rows, expected);
}

// ---- cases -----------------------------------------------------------------

#[tokio::test]
async fn a_detractor_opens_exactly_one_normal_case_due_in_24_hours() {
    let app = spawn_app().await;
    let id = post_demo(
        &app,
        json!({"nps": 3, "reason": ["slow_delivery"]}),
        "c-77",
        "regular",
    )
    .await;
    let promoter = post_demo(&app, json!({"nps": 9}), "c-78", "regular").await;
    analysed(&app).await;

    let cases = cases_of(&app, &id).await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let case = &cases[0];
    assert_eq!(case.customer, "c-77");
    assert_eq!(case.priority, "normal");
    assert_eq!(case.status, "open");
    assert_eq!(case.owner.as_deref(), Some("customer-service"));
    assert_eq!(case.rule.as_deref(), Some("builtin:nps_detractor"));
    assert_eq!(case.reason.as_deref(), Some("NPS 3 ≤ 6"));
    let received = received_at(&app, &id).await;
    assert_eq!(parse_time(&case.created_at), received);
    assert_eq!(
        parse_time(&case.due_at),
        received + time::Duration::hours(24)
    );
    assert!(cases_of(&app, &promoter).await.is_empty());

    let db = app.db().await;
    let history: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT change, to_value, actor FROM case_history WHERE case_id = ?")
            .bind(case.id)
            .fetch_all(&db)
            .await
            .expect("history");
    db.close().await;
    assert_eq!(
        history,
        vec![(
            "opened".to_owned(),
            Some("open".to_owned()),
            "system".to_owned()
        )]
    );

    // More responses, more batches: the detractor never gets a second case.
    post_demo(&app, json!({"nps": 8}), "c-79", "regular").await;
    analysed(&app).await;
    assert_eq!(cases_of(&app, &id).await.len(), 1);
    assert_eq!(app.count("cases").await, 1);
}

#[tokio::test]
async fn an_alert_keyword_makes_the_case_urgent_and_vip_lowers_the_bar() {
    let app = spawn_app().await;
    let alert = post_demo(
        &app,
        json!({"nps": 3, "reason": ["service_attitude"], "comment": "客服欺诈，我要投诉"}),
        "c-1",
        "regular",
    )
    .await;
    let vip = post_demo(&app, json!({"nps": 7}), "c-2", "vip").await;
    let regular_seven = post_demo(&app, json!({"nps": 7}), "c-3", "regular").await;
    analysed(&app).await;

    let case = &cases_of(&app, &alert).await[0];
    assert_eq!(case.priority, "urgent");
    assert_eq!(case.rule.as_deref(), Some("builtin:alert_keyword"));
    assert_eq!(case.reason.as_deref(), Some("alert keyword 投诉, 欺诈"));
    let received = received_at(&app, &alert).await;
    assert_eq!(
        parse_time(&case.due_at),
        received + time::Duration::hours(1)
    );

    let case = &cases_of(&app, &vip).await[0];
    assert_eq!(
        (case.priority.as_str(), case.rule.as_deref()),
        ("high", Some("builtin:vip_nps"))
    );
    let received = received_at(&app, &vip).await;
    assert_eq!(
        parse_time(&case.due_at),
        received + time::Duration::hours(4)
    );
    assert!(cases_of(&app, &regular_seven).await.is_empty());
}

#[tokio::test]
async fn a_sites_own_rules_and_keywords_replace_the_builtin_rules() {
    let app = spawn_app().await;
    let post = reqwest::Method::POST;
    let keyword = app
        .admin(
            post.clone(),
            "/api/keywords",
            Some(
                &json!({"site": "demo", "locale": "zh-CN", "keyword": "冷了", "tag": "food_cold"}),
            ),
        )
        .await;
    assert_eq!(keyword.status, StatusCode::CREATED, "{}", keyword.json);
    let rule = app.admin(post,
        "/api/case-rules",
        Some(&json!({"site": "demo", "tag": "food_cold", "priority": "high", "owner": "kitchen"})),
    )
    .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.json);
    let rule_id = rule.json["id"].as_str().expect("id").to_owned();

    let cold = post_demo(
        &app,
        json!({"nps": 9, "comment": "饭菜都冷了"}),
        "c-1",
        "regular",
    )
    .await;
    // The built-in NPS rule no longer applies to this site.
    let detractor = post_demo(
        &app,
        json!({"nps": 2, "reason": ["price"]}),
        "c-2",
        "regular",
    )
    .await;
    analysed(&app).await;

    assert_eq!(
        analysis_of(&app, &cold).await.tags,
        serde_json::to_string(&["food_cold"]).expect("json")
    );
    let case = &cases_of(&app, &cold).await[0];
    assert_eq!(case.priority, "high");
    assert_eq!(case.owner.as_deref(), Some("kitchen"));
    assert_eq!(case.rule.as_deref(), Some(rule_id.as_str()));
    assert_eq!(case.reason.as_deref(), Some("tag food_cold"));
    assert!(cases_of(&app, &detractor).await.is_empty());
}

// ---- events ----------------------------------------------------------------

#[tokio::test]
async fn a_subscribed_endpoint_gets_response_created_and_case_opened() {
    let app = spawn_app().await;
    let db = writable(&app).await;
    sqlx::query(
        "INSERT INTO webhook_endpoints (site_key, url, secret, event_types, created_at)
         VALUES ('demo', 'http://127.0.0.1:9/hook', 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=',
                 '[\"response.created\", \"case.opened\"]', '2026-11-23T08:00:00.000Z')",
    )
    .execute(&db)
    .await
    .expect("endpoint");
    db.close().await;

    let detractor = post_demo(
        &app,
        json!({"nps": 4, "reason": ["price"], "comment": "退款太慢"}),
        "c-9",
        "regular",
    )
    .await;
    let promoter = post_demo(&app, json!({"nps": 10}), "c-10", "regular").await;
    analysed(&app).await;

    let db = app.db().await;
    let events: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, event_type, payload FROM outbox ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("outbox");
    let deliveries: Vec<(i64,)> = sqlx::query_as("SELECT outbox_id FROM webhook_deliveries")
        .fetch_all(&db)
        .await
        .expect("deliveries");
    db.close().await;

    let kinds: Vec<(&str, String)> = events
        .iter()
        .map(|(_, kind, payload)| {
            let p: Value = serde_json::from_str(payload).expect("payload");
            (
                kind.as_str(),
                p["data"]["response_id"].as_str().expect("id").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("response.created", detractor.clone()),
            ("case.opened", detractor.clone()),
            ("response.created", promoter.clone()),
        ]
    );
    let created: Value = serde_json::from_str(&events[0].2).expect("payload");
    assert_eq!(created["type"], "response.created");
    assert_eq!(created["data"]["answers"]["nps"], 4);
    assert_eq!(created["data"]["tags"], json!(["refund"]));
    assert_eq!(created["data"]["flags"], json!([]));
    assert_eq!(created["data"]["customer"], "c-9");
    // One delivery per event for the one endpoint.
    let mut outbox_ids: Vec<i64> = deliveries.into_iter().map(|d| d.0).collect();
    outbox_ids.sort_unstable();
    let event_ids: Vec<i64> = events.iter().map(|e| e.0).collect();
    assert_eq!(outbox_ids, event_ids);
}

// ---- exactly once ----------------------------------------------------------

#[tokio::test]
async fn a_failed_batch_writes_nothing_and_a_restart_analyses_nothing_twice() {
    let app = spawn_app().await;
    // Failure injection: opening a case fails, so the batch's transaction
    // (analysis rows, tags, case, cursor) must roll back whole.
    let db = writable(&app).await;
    sqlx::query(
        "CREATE TRIGGER injected_failure BEFORE INSERT ON cases
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&db)
    .await
    .expect("trigger");

    let detractor = post_demo(
        &app,
        json!({"nps": 1, "reason": ["price"], "comment": "物流慢"}),
        "c-1",
        "regular",
    )
    .await;
    let promoter = post_demo(&app, json!({"nps": 10}), "c-2", "regular").await;
    // The worker tries every 200 ms; give it several attempts.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (cursor,): (i64,) =
        sqlx::query_as("SELECT last_rowid FROM pipeline_cursors WHERE name = 'analysis'")
            .fetch_one(&db)
            .await
            .expect("cursor");
    assert_eq!(cursor, 0, "the cursor moved although the batch failed");
    assert_eq!(app.count("response_analysis").await, 0);
    assert_eq!(app.count("response_tags").await, 0);
    assert_eq!(app.count("cases").await, 0);

    sqlx::query("DROP TRIGGER injected_failure")
        .execute(&db)
        .await
        .expect("drop trigger");
    db.close().await;
    analysed(&app).await;
    assert_eq!(app.count("response_analysis").await, 2);
    assert_eq!(app.count("response_tags").await, 1);
    assert_eq!(cases_of(&app, &detractor).await.len(), 1);

    // Restart on the same database: nothing is analysed or opened again.
    let TestApp {
        app: running,
        data,
        _dist,
        ..
    } = app;
    running.shutdown().await.expect("stops");
    let app = spawn_app_in(data, _dist).await;
    let later = post_demo(
        &app,
        json!({"nps": 2, "reason": ["price"]}),
        "c-3",
        "regular",
    )
    .await;
    analysed(&app).await;
    assert_eq!(app.count("response_analysis").await, 3);
    assert_eq!(app.count("cases").await, 2);
    assert_eq!(cases_of(&app, &detractor).await.len(), 1);
    assert_eq!(cases_of(&app, &later).await.len(), 1);
    assert!(cases_of(&app, &promoter).await.is_empty());
}

// ---- admin API -------------------------------------------------------------

#[tokio::test]
async fn the_settings_api_needs_a_token() {
    let app = spawn_app().await;
    let body = json!({"min_seconds": 5, "duplicate_window_minutes": 60});
    for (method, path, body) in [
        (reqwest::Method::GET, "/api/keywords", None),
        (reqwest::Method::POST, "/api/keywords", Some(&body)),
        (reqwest::Method::DELETE, "/api/keywords/1", None),
        (reqwest::Method::GET, "/api/case-rules", None),
        (reqwest::Method::POST, "/api/case-rules", Some(&body)),
        (reqwest::Method::DELETE, "/api/case-rules/1", None),
        (
            reqwest::Method::GET,
            "/api/surveys/post-payment/quality",
            None,
        ),
        (
            reqwest::Method::PUT,
            "/api/surveys/post-payment/quality",
            Some(&body),
        ),
    ] {
        let reply = app.send(method.clone(), path, body, None).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(app.count("survey_quality").await, 0, "{method} {path}");
    }
}

#[tokio::test]
async fn quality_settings_are_read_and_checked() {
    let app = spawn_app().await;
    let put = reqwest::Method::PUT;
    let path = "/api/surveys/post-payment/quality";

    let reply = app.admin(reqwest::Method::GET, path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["configured"], false);
    assert_eq!(reply.json["min_seconds"], Value::Null);
    assert_eq!(reply.json["duplicate_window_minutes"], 1440);
    assert_eq!(reply.json["default_seconds_per_answer"], 2);

    let reply = app
        .admin(
            put.clone(),
            path,
            Some(&json!({"min_seconds": -1, "duplicate_window_minutes": 525_601})),
        )
        .await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert!(
        reply.has_error("min_seconds", "out_of_range"),
        "{}",
        reply.json
    );
    assert!(
        reply.has_error("duplicate_window_minutes", "out_of_range"),
        "{}",
        reply.json
    );
    let reply = app
        .admin(put.clone(), path, Some(&json!({"min_seconds": 5})))
        .await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert!(reply.has_error("body", "invalid_body"), "{}", reply.json);
    let reply = app
        .admin(
            put.clone(),
            "/api/surveys/nope/quality",
            Some(&json!({"min_seconds": 5, "duplicate_window_minutes": 60})),
        )
        .await;
    reply.assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    let raw = app
        .client
        .put(app.url(path))
        .header("authorization", format!("Bearer {}", app.admin_token()))
        .body("{not json")
        .send()
        .await
        .expect("PUT");
    Reply::from(raw)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "malformed_json");
    assert_eq!(app.count("survey_quality").await, 0);

    let reply = app
        .admin(
            put,
            path,
            Some(&json!({"min_seconds": 12, "duplicate_window_minutes": 30})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let reply = app.admin(reqwest::Method::GET, path, None).await;
    assert_eq!(reply.json["configured"], true);
    assert_eq!(reply.json["min_seconds"], 12);
    assert_eq!(reply.json["duplicate_window_minutes"], 30);
    let db = app.db().await;
    let stored: (String, i64, i64) = sqlx::query_as(
        "SELECT survey_id, min_seconds, duplicate_window_minutes FROM survey_quality",
    )
    .fetch_one(&db)
    .await
    .expect("row");
    db.close().await;
    assert_eq!(stored, ("post-payment".to_owned(), 12, 30));
}

#[tokio::test]
async fn keywords_are_listed_added_refused_and_deleted() {
    let app = spawn_app().await;
    let (get, post, delete) = (
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
    );
    let reply = app.admin(get.clone(), "/api/keywords", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let builtin = reply.json["builtin"].as_array().expect("builtin");
    assert!(builtin.contains(
        &json!({"locale": "zh-CN", "keyword": "物流太慢", "tag": "logistics_slow", "alert": false})
    ));
    assert!(
        builtin.contains(
            &json!({"locale": "zh-TW", "keyword": "欺詐", "tag": "fraud", "alert": true})
        )
    );
    assert_eq!(reply.json["custom"], json!([]));

    for (body, field, code) in [
        (
            json!({"locale": "fr", "keyword": "lent", "tag": "slow"}),
            "locale",
            "unknown_locale",
        ),
        (
            json!({"locale": "en", "keyword": " ", "tag": "slow"}),
            "keyword",
            "required",
        ),
        (
            json!({"locale": "en", "keyword": "late", "tag": "Late!"}),
            "tag",
            "bad_tag",
        ),
        (
            json!({"locale": "en", "keyword": "late", "tag": "late", "extra": 1}),
            "body",
            "invalid_body",
        ),
    ] {
        let reply = app.admin(post.clone(), "/api/keywords", Some(&body)).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
        assert!(reply.has_error(field, code), "{body}: {}", reply.json);
    }
    let reply = app
        .admin(
            post.clone(),
            "/api/keywords",
            Some(&json!({"site": "nope", "locale": "en", "keyword": "late", "tag": "late"})),
        )
        .await;
    reply.assert_error(StatusCode::NOT_FOUND, "unknown_site");
    assert_eq!(app.count("tag_keywords").await, 0);

    let body = json!({"site": "demo", "locale": "en", "keyword": "Cold food", "tag": "food_cold", "alert": true});
    let reply = app.admin(post.clone(), "/api/keywords", Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let id = reply.json["id"].as_i64().expect("id");
    assert_eq!(reply.json["site"], "demo");
    assert_eq!(reply.json["alert"], true);
    app.admin(post, "/api/keywords", Some(&body))
        .await
        .assert_error(StatusCode::CONFLICT, "keyword_exists");

    let reply = app
        .admin(get.clone(), "/api/keywords?site=demo", None)
        .await;
    assert_eq!(reply.json["custom"][0]["keyword"], "Cold food");
    let reply = app.admin(get, "/api/keywords?site=other", None).await;
    assert_eq!(reply.json["custom"], json!([]));

    let path = format!("/api/keywords/{id}");
    let reply = app.admin(delete.clone(), &path, None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.admin(delete.clone(), &path, None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "keyword_not_found");
    app.admin(delete, "/api/keywords/abc", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "keyword_not_found");
    assert_eq!(app.count("tag_keywords").await, 0);
}

#[tokio::test]
async fn case_rules_are_listed_added_refused_and_deleted() {
    let app = spawn_app().await;
    let (get, post, delete) = (
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
    );
    let reply = app.admin(get.clone(), "/api/case-rules", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let nps = reply.json["builtin"]
        .as_array()
        .expect("builtin")
        .iter()
        .find(|r| r["id"] == "builtin:nps_detractor")
        .expect("nps rule")
        .clone();
    assert_eq!(
        (&nps["score_kind"], &nps["score_max"], &nps["priority"]),
        (&json!("nps"), &json!(6), &json!("normal"))
    );
    assert_eq!(reply.json["custom"], json!([]));

    for (body, field, code) in [
        (
            json!({"site": "demo", "priority": "normal"}),
            "conditions",
            "no_condition",
        ),
        (
            json!({"site": "demo", "score_kind": "csat", "score_max": 9, "priority": "normal"}),
            "score_max",
            "out_of_range",
        ),
        (
            json!({"site": "demo", "score_kind": "stars", "score_max": 2, "priority": "normal"}),
            "score_kind",
            "unknown_kind",
        ),
        (
            json!({"site": "demo", "score_max": 2, "priority": "normal"}),
            "score_kind",
            "required",
        ),
        (
            json!({"site": "demo", "alert": true, "priority": "asap"}),
            "priority",
            "unknown_priority",
        ),
        (
            json!({"site": "demo", "alert": true}),
            "body",
            "invalid_body",
        ),
    ] {
        let reply = app
            .admin(post.clone(), "/api/case-rules", Some(&body))
            .await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
        assert!(reply.has_error(field, code), "{body}: {}", reply.json);
    }
    app.admin(
        post.clone(),
        "/api/case-rules",
        Some(&json!({"site": "nope", "alert": true, "priority": "urgent"})),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "unknown_site");
    app.admin(
        post.clone(),
        "/api/case-rules",
        Some(&json!({"site": "demo", "survey_id": "nope", "alert": true, "priority": "urgent"})),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    assert_eq!(app.count("case_rules").await, 0);

    let reply = app
        .admin(
            post,
            "/api/case-rules",
            Some(
                &json!({"site": "demo", "survey_id": "post-payment", "score_kind": "nps",
                     "score_max": 4, "segment": "vip", "priority": "urgent", "owner": "vip-desk",
                     "position": 3}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let id = reply.json["id"].as_str().expect("id").to_owned();
    let listed = app.admin(get, "/api/case-rules?site=demo", None).await;
    let rule = &listed.json["custom"][0];
    assert_eq!(rule["id"], id.as_str());
    assert_eq!(rule["segment"], "vip");
    assert_eq!(rule["owner"], "vip-desk");
    assert_eq!(rule["position"], 3);

    let path = format!("/api/case-rules/{id}");
    assert_eq!(
        app.admin(delete.clone(), &path, None).await.status,
        StatusCode::NO_CONTENT
    );
    app.admin(delete, &path, None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "rule_not_found");
    assert_eq!(app.count("case_rules").await, 0);
}

#[tokio::test]
async fn the_openapi_document_lists_the_analysis_paths() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json").await;
    for path in [
        "/api/surveys/{id}/quality",
        "/api/keywords",
        "/api/keywords/{id}",
        "/api/case-rules",
        "/api/case-rules/{id}",
    ] {
        assert!(doc.json["paths"].get(path).is_some(), "{path} missing");
    }
}

// ---- --analytics off and catch_up -------------------------------------------

#[tokio::test]
async fn with_analytics_off_nothing_is_analysed_until_catch_up() {
    use manyi_collector::config::AnalyticsSwitch;
    use manyi_collector::{App, Config};
    use tower::ServiceExt as _;

    let data = tempfile::tempdir().expect("dir");
    let mut config = Config::for_tests(data.path(), "does-not-exist");
    config.analytics = AnalyticsSwitch::Off;
    let app = App::build(&config).await.expect("build");
    let pipeline = app.state().analytics().clone();
    assert!(!pipeline.is_running());

    let mut ids = Vec::new();
    for (nps, customer) in [(9, "c-1"), (3, "c-2"), (10, "c-3")] {
        let mut payload = valid_payload();
        payload["answers"] = if nps <= 6 {
            json!({"nps": nps, "reason": ["price"]})
        } else {
            json!({"nps": nps})
        };
        payload["context"]["customer"] = json!(customer);
        payload["context"]["segment"] = json!("regular");
        ids.push(payload["response_id"].as_str().expect("id").to_owned());
        let response = app
            .router()
            .oneshot(
                axum::http::Request::post("/v1/responses")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(payload.to_string()))
                    .expect("request"),
            )
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let db = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(app.db_path())
            .read_only(true),
    )
    .await
    .expect("db");
    let counts = || async {
        let row: (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM response_analysis), (SELECT count(*) FROM cases),
                    (SELECT last_rowid FROM pipeline_cursors WHERE name = 'analysis')",
        )
        .fetch_one(&db)
        .await
        .expect("counts");
        row
    };
    assert_eq!(counts().await, (0, 0, 0));

    let done = pipeline.catch_up().await.expect("catch up");
    assert_eq!(
        (done.batches, done.analysed, done.cases),
        (1, 3, 1),
        "{done:?}"
    );
    assert_eq!(counts().await, (3, 1, 3));
    let (case_response,): (String,) = sqlx::query_as("SELECT response_id FROM cases")
        .fetch_one(&db)
        .await
        .expect("case");
    assert_eq!(case_response, ids[1]);

    // Nothing pending: a second call does nothing.
    let again = pipeline.catch_up().await.expect("catch up");
    assert_eq!((again.batches, again.analysed, again.cases), (0, 0, 0));
    assert_eq!(counts().await, (3, 1, 3));
    db.close().await;
}
