//! The response writer seen from HTTP: concurrent duplicates, a commit that
//! fails, and the `/metrics` counters that follow them.

mod common;

use common::{TestApp, spawn_app, valid_payload};
use reqwest::StatusCode;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

/// The value of one series in a `/metrics` text (0 when absent: a counter
/// that never moved is not rendered with every label).
fn series(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix(name_and_labels)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

async fn metrics(app: &TestApp) -> String {
    let reply = app.get("/metrics").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("content-type").starts_with("text/plain"));
    reply.text()
}

#[tokio::test]
async fn the_same_response_posted_twice_at_once_is_stored_once() {
    let app = spawn_app().await;
    let payload = valid_payload();
    let (a, b) = tokio::join!(app.post_response(&payload), app.post_response(&payload));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED]);
    assert_eq!(a.json["received_at"], b.json["received_at"]);
    assert_eq!(app.count("responses").await, 1);
}

#[tokio::test]
async fn two_responses_for_one_order_at_once_store_one_and_refuse_the_other() {
    let app = spawn_app().await;
    let first = valid_payload();
    let mut second = valid_payload();
    second["context"]["order_id"] = first["context"]["order_id"].clone();
    let (a, b) = tokio::join!(app.post_response(&first), app.post_response(&second));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let refused = if a.status == StatusCode::CONFLICT {
        a
    } else {
        b
    };
    refused.assert_error(StatusCode::CONFLICT, "already_answered");
    assert_eq!(app.count("responses").await, 1);
}

#[tokio::test]
async fn a_failed_commit_is_never_acknowledged() {
    let app = spawn_app().await;
    // A real commit failure: a deferred foreign key, broken by a trigger
    // only for the customer "poison", fails the COMMIT of its batch.
    let db = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(&app.app.db_path)
            .foreign_keys(true),
    )
    .await
    .expect("open db");
    sqlx::raw_sql(
        "CREATE TABLE poison (site TEXT REFERENCES sites (key) DEFERRABLE INITIALLY DEFERRED);
         CREATE TRIGGER poison_commit AFTER INSERT ON responses WHEN NEW.customer = 'poison'
             BEGIN INSERT INTO poison VALUES ('no-such-site'); END;",
    )
    .execute(&db)
    .await
    .expect("create the trigger");
    db.close().await;

    let mut poisoned = valid_payload();
    poisoned["context"]["customer"] = "poison".into();
    let others: Vec<_> = (0..6).map(|_| valid_payload()).collect();
    let (bad, replies) = tokio::join!(
        app.post_response(&poisoned),
        futures_join_all(&app, &others)
    );
    bad.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
    // Those that shared the poisoned batch failed too; every one answered
    // 201 is stored, and nothing else is.
    let stored: Vec<String> = app
        .stored_responses()
        .await
        .into_iter()
        .map(|r| r.response_id)
        .collect();
    let mut acknowledged = 0;
    for (payload, reply) in others.iter().zip(&replies) {
        let id = payload["response_id"].as_str().expect("id").to_owned();
        match reply.status {
            StatusCode::CREATED => {
                acknowledged += 1;
                assert!(stored.contains(&id), "{id} acknowledged but not stored");
            }
            StatusCode::INTERNAL_SERVER_ERROR => {
                assert!(!stored.contains(&id), "{id} refused but stored");
            }
            other => panic!("unexpected {other}: {}", reply.json),
        }
    }
    assert_eq!(stored.len(), acknowledged);
    // The writer goes on: a retry of the refused ones now succeeds.
    let retry = app.post_response(&others[0]).await;
    assert!(retry.status.is_success(), "{}", retry.json);
}

/// Posts every payload concurrently.
async fn futures_join_all(app: &TestApp, payloads: &[serde_json::Value]) -> Vec<common::Reply> {
    let mut set = tokio::task::JoinSet::new();
    for (i, p) in payloads.iter().enumerate() {
        let (client, url, body) = (app.client.clone(), app.url("/v1/responses"), p.to_string());
        set.spawn(async move {
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("POST");
            (i, common::Reply::from(response).await)
        });
    }
    let mut replies: Vec<(usize, common::Reply)> = set.join_all().await;
    replies.sort_by_key(|(i, _)| *i);
    replies.into_iter().map(|(_, r)| r).collect()
}

#[tokio::test]
async fn metrics_count_accepted_retried_and_rejected_responses() {
    let app = spawn_app().await;
    let before = metrics(&app).await;

    let payload = valid_payload();
    assert_eq!(
        app.post_response(&payload).await.status,
        StatusCode::CREATED
    );
    assert_eq!(app.post_response(&payload).await.status, StatusCode::OK);
    let mut invalid = valid_payload();
    invalid["answers"]["nps"] = 11.into();
    assert_eq!(
        app.post_response(&invalid).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut same_order = valid_payload();
    same_order["context"]["order_id"] = payload["context"]["order_id"].clone();
    assert_eq!(
        app.post_response(&same_order).await.status,
        StatusCode::CONFLICT
    );

    let after = metrics(&app).await;
    let delta = |s: &str| series(&after, s) - series(&before, s);
    assert_eq!(delta("manyi_responses_accepted_total"), 1.0, "{after}");
    assert_eq!(delta("manyi_responses_retried_total"), 1.0, "{after}");
    assert_eq!(
        delta(r#"manyi_responses_rejected_total{code="invalid_response"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"manyi_responses_rejected_total{code="already_answered"}"#),
        1.0,
        "{after}"
    );
    // Three rows reached the writer (the invalid one did not).
    assert_eq!(delta("manyi_write_batch_size_count"), 3.0, "{after}");
    assert!(
        series(
            &after,
            r#"manyi_http_request_duration_seconds_count{route="/v1/responses",status="201"}"#
        ) >= 1.0,
        "{after}"
    );
    assert!(after.contains("manyi_write_queue_depth"), "{after}");
}
