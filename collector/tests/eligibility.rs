//! `POST /v1/eligibility`: sampling, recontact and trigger windows, answered
//! orders, open cases and paused surveys, against a real collector.

mod common;

use common::{TestApp, spawn_app, valid_payload};
use manyi_collector::cases::verification::DEFAULT_LINK_TTL;
use manyi_collector::cases::{Priority, Status};
use manyi_collector::eligibility::Policy;
use manyi_collector::store::Store;
use manyi_collector::store::cases::{CaseChange, NewCase};
use manyi_collector::store::eligibility::SamplingRow;
use manyi_collector::store::surveys::SurveyStatus;
use manyi_shared::{SiteKey, SurveyId};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::sqlite::SqliteConnectOptions;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

fn ago(d: Duration) -> String {
    (OffsetDateTime::now_utc() - d)
        .format(&Rfc3339)
        .expect("format")
}

/// A request for the demo survey, triggered a minute ago.
fn request(customer: &str, order: &str) -> Value {
    json!({
        "site": "demo", "survey": "post-payment", "order_id": order,
        "customer": customer, "segment": "regular", "event_at": ago(Duration::minutes(1)),
    })
}

async fn check(app: &TestApp, body: &Value) -> common::Reply {
    app.post_to("/v1/eligibility", body.to_string(), "application/json", &[])
        .await
}

/// The decision: `None` when eligible, else the reason.
async fn decision(app: &TestApp, body: &Value) -> Option<String> {
    let reply = check(app, body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    if reply.json["eligible"] == true {
        assert_eq!(reply.json, json!({"eligible": true}));
        None
    } else {
        assert_eq!(reply.json["eligible"], false);
        Some(reply.json["reason"].as_str().expect("reason").to_owned())
    }
}

async fn store(app: &TestApp) -> Store {
    let options = SqliteConnectOptions::new()
        .filename(&app.app.db_path)
        .busy_timeout(std::time::Duration::from_secs(5));
    Store::open(options).await.expect("open store")
}

async fn set_policy(app: &TestApp, segment: &str, policy: Policy) {
    let store = store(app).await;
    let survey = SurveyId::parse("post-payment").expect("id");
    store
        .upsert_sampling(&SamplingRow {
            survey: &survey,
            segment,
            policy,
        })
        .await
        .expect("sampling");
    store.close().await;
}

#[tokio::test]
async fn the_demo_survey_asks_everyone() {
    let app = spawn_app().await;
    for i in 0..20 {
        assert_eq!(
            decision(&app, &request(&format!("c-{i}"), &format!("A{i}"))).await,
            None
        );
    }
}

#[tokio::test]
async fn sampling_is_deterministic_and_takes_about_the_rate() {
    let app = spawn_app().await;
    let rate = 0.3;
    set_policy(
        &app,
        "default",
        Policy {
            rate,
            recontact_days: 0,
            trigger_hours: 24,
        },
    )
    .await;
    set_policy(
        &app,
        "vip",
        Policy {
            rate: 1.0,
            recontact_days: 0,
            trigger_hours: 24,
        },
    )
    .await;

    let n = 1000;
    let mut first = Vec::with_capacity(n);
    for i in 0..n {
        let d = decision(&app, &request(&format!("c-{i}"), &format!("A{i}"))).await;
        assert!(d.is_none() || d.as_deref() == Some("sampled_out"), "{d:?}");
        first.push(d.is_none());
    }
    let share = first.iter().filter(|e| **e).count() as f64 / n as f64;
    assert!(
        (share - rate).abs() <= 0.05,
        "share {share} for rate {rate}"
    );
    // Asking again gives the same answers.
    for i in (0..n).step_by(37) {
        let again = decision(&app, &request(&format!("c-{i}"), &format!("A{i}"))).await;
        assert_eq!(again.is_none(), first[i], "customer {i}");
    }
    // The vip segment's own rate applies to vips.
    for i in 0..50 {
        let mut vip = request(&format!("c-{i}"), &format!("A{i}"));
        vip["segment"] = json!("vip");
        assert_eq!(decision(&app, &vip).await, None);
    }
}

#[tokio::test]
async fn a_customer_who_answered_recently_is_not_asked_again() {
    let app = spawn_app().await;
    set_policy(
        &app,
        "default",
        Policy {
            rate: 1.0,
            recontact_days: 7,
            trigger_hours: 24,
        },
    )
    .await;
    let mut answered = valid_payload();
    answered["context"]["customer"] = json!("c-77");
    answered["context"]["segment"] = json!("regular");
    assert_eq!(
        app.post_response(&answered).await.status,
        StatusCode::CREATED
    );

    assert_eq!(
        decision(&app, &request("c-77", "NEW-1")).await.as_deref(),
        Some("recently_asked")
    );
    assert_eq!(decision(&app, &request("c-78", "NEW-2")).await, None);

    // Eight days later the window has passed.
    let db = sqlx::SqlitePool::connect_with(SqliteConnectOptions::new().filename(&app.app.db_path))
        .await
        .expect("db");
    let old = (OffsetDateTime::now_utc() - Duration::days(8))
        .format(&Rfc3339)
        .expect("format");
    sqlx::query("UPDATE responses SET received_at = ?")
        .bind(old)
        .execute(&db)
        .await
        .expect("age the response");
    db.close().await;
    assert_eq!(decision(&app, &request("c-77", "NEW-1")).await, None);
}

#[tokio::test]
async fn only_the_trigger_window_after_the_event_counts() {
    let app = spawn_app().await;
    let at = |event_at: String| {
        let mut r = request("c-1", "T-1");
        r["event_at"] = json!(event_at);
        r
    };
    let inside = [
        ago(Duration::hours(23) + Duration::minutes(59)),
        ago(Duration::ZERO),
    ];
    for t in inside {
        assert_eq!(decision(&app, &at(t.clone())).await, None, "{t}");
    }
    let outside = [
        ago(Duration::hours(24) + Duration::minutes(1)),
        ago(Duration::days(30)),
        ago(-Duration::hours(1)),
    ];
    for t in outside {
        assert_eq!(
            decision(&app, &at(t.clone())).await.as_deref(),
            Some("outside_trigger_window"),
            "{t}"
        );
    }
    // A time zone offset is understood.
    let local = (OffsetDateTime::now_utc() - Duration::hours(2))
        .to_offset(time::macros::offset!(+8))
        .format(&Rfc3339)
        .expect("format");
    assert!(local.ends_with("+08:00"));
    assert_eq!(decision(&app, &at(local)).await, None);
    // Not a time at all.
    check(&app, &at("yesterday".into()))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload");
}

#[tokio::test]
async fn an_answered_order_is_not_asked_again() {
    let app = spawn_app().await;
    let payload = valid_payload();
    assert_eq!(
        app.post_response(&payload).await.status,
        StatusCode::CREATED
    );
    let order = payload["context"]["order_id"].as_str().expect("order");
    assert_eq!(
        decision(&app, &request("someone-else", order))
            .await
            .as_deref(),
        Some("already_answered")
    );
}

#[tokio::test]
async fn a_customer_with_an_open_case_is_not_asked_until_it_is_resolved() {
    let app = spawn_app().await;
    let store = store(&app).await;
    let case = store
        .open_case(&NewCase {
            site: "demo",
            customer: "c-unhappy",
            survey_id: None,
            response_id: None,
            priority: Priority::Normal,
            reason: "detractor",
            rule: None,
            owner: None,
            opened_at: time::OffsetDateTime::now_utc(),
        })
        .await
        .expect("case")
        .expect("opened");
    assert_eq!(
        decision(&app, &request("c-unhappy", "O-1"))
            .await
            .as_deref(),
        Some("open_case")
    );
    assert_eq!(decision(&app, &request("c-happy", "O-2")).await, None);
    let set_status = |status| CaseChange {
        status: Some(status),
        ..CaseChange::default()
    };
    let now = time::OffsetDateTime::now_utc();
    store
        .update_case(
            case,
            &set_status(Status::Contacted),
            "test",
            now,
            DEFAULT_LINK_TTL,
        )
        .await
        .expect("contacted");
    assert_eq!(
        decision(&app, &request("c-unhappy", "O-1"))
            .await
            .as_deref(),
        Some("open_case")
    );
    store
        .update_case(
            case,
            &set_status(Status::Resolved),
            "test",
            now,
            DEFAULT_LINK_TTL,
        )
        .await
        .expect("resolved");
    assert_eq!(decision(&app, &request("c-unhappy", "O-1")).await, None);
    store.close().await;
}

#[tokio::test]
async fn a_paused_survey_asks_nobody_and_unknown_ones_are_404() {
    let app = spawn_app().await;
    let store = store(&app).await;
    let site = SiteKey::parse("demo").expect("key");
    let mut survey = manyi_collector::seed::demo_survey().expect("survey");
    survey.id = SurveyId::parse("paused-survey").expect("id");
    store
        .insert_survey_if_absent(&site, &survey, SurveyStatus::Paused)
        .await
        .expect("survey");
    store.close().await;

    let mut paused = request("c-1", "P-1");
    paused["survey"] = json!("paused-survey");
    assert_eq!(
        decision(&app, &paused).await.as_deref(),
        Some("survey_paused")
    );

    let mut unknown = request("c-1", "P-1");
    unknown["survey"] = json!("no-such-survey");
    check(&app, &unknown)
        .await
        .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    let mut other_site = request("c-1", "P-1");
    other_site["site"] = json!("nope");
    check(&app, &other_site)
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_site");
    let mut extra = request("c-1", "P-1");
    extra["surprise"] = json!(1);
    check(&app, &extra)
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload");
}

#[tokio::test]
async fn widget_events_are_recorded_for_the_response_rate() {
    let app = spawn_app().await;
    for event in ["shown", "started", "dismissed"] {
        let body = json!({"site": "demo", "survey": "post-payment", "event": event,
                          "response_id": common::new_response_id(), "order_id": "E-1"});
        let reply = app
            .post_to(
                "/v1/events",
                body.to_string(),
                "text/plain;charset=UTF-8",
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    }
    assert_eq!(app.count("events").await, 3);
    let bad = json!({"site": "demo", "survey": "post-payment", "event": "clicked"});
    app.post_to("/v1/events", bad.to_string(), "application/json", &[])
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload");
    let unknown = json!({"site": "nope", "survey": "post-payment", "event": "shown"});
    app.post_to("/v1/events", unknown.to_string(), "application/json", &[])
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_site");
    assert_eq!(app.count("events").await, 3);
}
