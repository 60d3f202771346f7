//! The response rate (submitted ÷ shown) under version, channel, segment
//! and locale filters and breakdowns: impressions posted to `/v1/events`
//! with the body the loader sends (widget/loader/manyi.js), responses
//! posted over HTTP, figures checked against hand-computed fractions; how
//! impressions without context (stored before migration 0011) count; and
//! the checks on the event body.
//!
//! The collector runs with `--analytics off`: responses are analysed and
//! rolled up when a report asks, so receive times can be moved first.

mod common;

use common::{Reply, TestApp, new_response_id, spawn_app_with};
use manyi_collector::config::AnalyticsSwitch;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use time::{Duration, OffsetDateTime, UtcOffset};

/// A stored event's context: (version, channel, segment, locale).
type StoredContext = (Option<i64>, Option<String>, Option<String>, Option<String>);
/// A stored event: (event, version, channel, segment, locale).
type StoredEvent = (
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn spawn() -> TestApp {
    spawn_app_with(|c| c.analytics = AnalyticsSwitch::Off).await
}

/// The loader's event body (see `show` in widget/loader/manyi.js): site,
/// survey, event, order_id, version, channel, segment, locale; `undefined`
/// fields are dropped by `JSON.stringify`, as `None` is here.
fn loader_event(
    event: &str,
    version: i64,
    channel: &str,
    segment: Option<&str>,
    locale: &str,
) -> Value {
    let mut body = json!({
        "site": "demo", "survey": "post-payment", "event": event,
        "order_id": format!("o-{}", new_response_id()),
        "version": version, "channel": channel, "locale": locale,
    });
    if let Some(s) = segment {
        body["segment"] = json!(s);
    }
    body
}

/// Posts an event as the loader does: `sendBeacon` with a string body
/// (text/plain).
async fn post_event(app: &TestApp, body: &Value) -> Reply {
    app.post_to(
        "/v1/events",
        body.to_string(),
        "text/plain;charset=UTF-8",
        &[],
    )
    .await
}

/// Posts a response to `post-payment` v1 with this context; `seconds`
/// below the survey's minimum gets it flagged `too_fast`.
async fn respond(
    app: &TestApp,
    nps: i64,
    channel: &str,
    segment: Option<&str>,
    locale: &str,
    seconds: u32,
) -> String {
    let id = new_response_id();
    let body = json!({
        "response_id": id, "site": "demo", "survey_id": "post-payment", "survey_version": 1,
        "answers": {"nps": nps},
        "context": { "order_id": format!("o-{id}"), "customer": format!("c-{id}"),
                     "channel": channel, "segment": segment, "locale": locale },
        "timing": { "shown_at": "2026-11-23T08:00:00Z",
                    "submitted_at": format!("2026-11-23T08:{:02}:{:02}Z", seconds / 60, seconds % 60) }
    });
    let reply = app.post_response(&body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    id
}

async fn writable(app: &TestApp) -> SqlitePool {
    SqlitePool::connect_with(SqliteConnectOptions::new().filename(&app.app.db_path))
        .await
        .expect("open db")
}

async fn report(app: &TestApp, path: &str) -> Value {
    let reply = app.admin(reqwest::Method::GET, path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.json);
    reply.json
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

/// (shown, responses, excluded_flagged, response_rate) of a Kpis object.
fn rate(k: &Value) -> (Value, Value, Value, Value) {
    (
        k["shown"].clone(),
        k["responses"].clone(),
        k["excluded_flagged"].clone(),
        k["response_rate"].clone(),
    )
}

/// The group `key` of a breakdown.
fn group(b: &Value, key: Value) -> &Value {
    b["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"] == key)
        .map(|g| &g["kpis"])
        .unwrap_or_else(|| panic!("no group {key} in {b}"))
}

/// Today ± 3 days in the reporting offset (UTC+8), so a run at midnight
/// still finds today's events and responses.
fn around_today() -> String {
    let today = OffsetDateTime::now_utc()
        .to_offset(UtcOffset::from_hms(8, 0, 0).expect("offset"))
        .date();
    format!(
        "from={}&to={}",
        today - Duration::days(3),
        today + Duration::days(3)
    )
}

/// Everything at the current time, over HTTP:
///
/// | impressions | version | channel | segment | locale |
/// |---|---|---|---|---|
/// | 4 shown (+1 started, 1 dismissed) | 1 | wechat | vip | zh-CN |
/// | 5 shown | 1 | web | (none) | en |
/// | 2 shown | 2 | web | (none) | en |
///
/// | responses | channel | segment | locale |
/// |---|---|---|---|
/// | 2 + 1 flagged too fast | wechat | vip | zh-CN |
/// | 1 | web | (none) | en |
///
/// By hand (submitted counts the flagged one: 4 in all):
/// all 4/11; wechat = vip = zh-CN 3/4; web = no segment = en 1/7;
/// version 1 4/9, version 2 0/2.
#[tokio::test]
async fn events_posted_as_the_loader_sends_them_give_exact_rates_per_context() {
    let app = spawn().await;
    for _ in 0..4 {
        let r = post_event(
            &app,
            &loader_event("shown", 1, "wechat", Some("vip"), "zh-CN"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.json);
    }
    for event in ["started", "dismissed"] {
        let r = post_event(
            &app,
            &loader_event(event, 1, "wechat", Some("vip"), "zh-CN"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.json);
    }
    for _ in 0..5 {
        post_event(&app, &loader_event("shown", 1, "web", None, "en")).await;
    }
    for _ in 0..2 {
        post_event(&app, &loader_event("shown", 2, "web", None, "en")).await;
    }
    respond(&app, 10, "wechat", Some("vip"), "zh-CN", 40).await;
    respond(&app, 7, "wechat", Some("vip"), "zh-CN", 50).await;
    respond(&app, 9, "wechat", Some("vip"), "zh-CN", 1).await;
    respond(&app, 8, "web", None, "en", 40).await;
    let range = around_today();

    let all = report(&app, &format!("/api/reports/summary?{range}")).await;
    let (shown, responses, flagged, r) = rate(&all["current"]);
    assert_eq!((shown, responses, flagged), (json!(11), json!(3), json!(1)));
    assert!(close(&r, 4.0 / 11.0), "{all}");

    let expected_by: [(&str, Value, u64, u64, f64); 6] = [
        ("channel", json!("wechat"), 4, 2, 0.75),
        ("channel", json!("web"), 7, 1, 1.0 / 7.0),
        ("segment", json!("vip"), 4, 2, 0.75),
        ("segment", Value::Null, 7, 1, 1.0 / 7.0),
        ("locale", json!("zh-CN"), 4, 2, 0.75),
        ("locale", json!("en"), 7, 1, 1.0 / 7.0),
    ];
    for (by, key, shown, responses, expected) in expected_by {
        let b = report(&app, &format!("/api/reports/breakdown?{range}&by={by}")).await;
        let k = group(&b, key.clone());
        assert_eq!(
            (&k["shown"], &k["responses"]),
            (&json!(shown), &json!(responses)),
            "{by} {key}: {b}"
        );
        assert!(close(&k["response_rate"], expected), "{by} {key}: {k}");
    }
    let b = report(&app, &format!("/api/reports/breakdown?{range}&by=version")).await;
    let v1 = group(&b, json!("post-payment:1"));
    assert_eq!((&v1["shown"], &v1["responses"]), (&json!(9), &json!(3)));
    assert!(close(&v1["response_rate"], 4.0 / 9.0), "{b}");
    // Shown but never answered: a group with rate 0, not left out.
    let v2 = group(&b, json!("post-payment:2"));
    assert_eq!((&v2["shown"], &v2["responses"]), (&json!(2), &json!(0)));
    assert!(close(&v2["response_rate"], 0.0), "{b}");

    // Filters, one context column, several, and version with survey.
    let cases: [(&str, u64, Option<f64>); 5] = [
        ("channel=wechat", 4, Some(0.75)),
        ("channel=web&locale=en", 7, Some(1.0 / 7.0)),
        ("survey=post-payment&version=1&channel=web", 5, Some(0.2)),
        ("survey=post-payment&version=2", 2, Some(0.0)),
        // No impression in this channel: shown 0, no rate.
        ("channel=app", 0, None),
    ];
    for (filter, shown, expected) in cases {
        let s = report(&app, &format!("/api/reports/summary?{range}&{filter}")).await;
        assert_eq!(s["current"]["shown"], shown, "{filter}: {s}");
        match expected {
            Some(x) => assert!(close(&s["current"]["response_rate"], x), "{filter}: {s}"),
            None => assert_eq!(s["current"]["response_rate"], Value::Null, "{filter}"),
        }
    }
    // A trend under a filter: the day with the impressions has them.
    let t = report(&app, &format!("/api/reports/trend?{range}&channel=wechat")).await;
    let shown: u64 = t["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kpis"]["shown"].as_u64().expect("shown known per day"))
        .sum();
    assert_eq!(shown, 4, "{t}");

    // Impressions have no answers and no comment: unknown, not 0.
    for q in ["question=nps", "tag=price"] {
        let s = report(&app, &format!("/api/reports/summary?{range}&{q}")).await;
        assert_eq!(s["current"]["shown"], Value::Null, "{q}");
        assert_eq!(s["current"]["response_rate"], Value::Null, "{q}");
    }
    let b = report(&app, &format!("/api/reports/breakdown?{range}&by=question")).await;
    assert_eq!(b["groups"][0]["kpis"]["shown"], Value::Null);

    // The stored rows carry the context as sent.
    let db = app.db().await;
    let rows: Vec<StoredEvent> = sqlx::query_as(
        "SELECT event, version, channel, segment, locale FROM events
             WHERE channel = 'wechat' ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .expect("events");
    db.close().await;
    assert_eq!(rows.len(), 6);
    assert_eq!(
        rows[4],
        (
            "started".to_owned(),
            Some(1),
            Some("wechat".to_owned()),
            Some("vip".to_owned()),
            Some("zh-CN".to_owned())
        )
    );
}

/// Posts a response and moves its receive time to `at` (UTC).
async fn respond_at(app: &TestApp, channel: &str, at: &str) {
    let id = respond(app, 9, channel, Some("vip"), "zh-CN", 40).await;
    let db = writable(app).await;
    sqlx::query("UPDATE responses SET received_at = ? WHERE response_id = ?")
        .bind(at)
        .bind(&id)
        .execute(&db)
        .await
        .expect("move receive time");
    db.close().await;
}

/// Stores `n` 'shown' events at `at` (UTC): with context when `version`
/// is set, else as before migration 0011.
async fn impressions_at(app: &TestApp, n: usize, version: Option<i64>, at: &str) {
    let db = writable(app).await;
    for _ in 0..n {
        sqlx::query(
            "INSERT INTO events (site_key, survey_id, event, received_at, version, channel,
                 segment, locale)
             VALUES ('demo', 'post-payment', 'shown', ?, ?, ?, ?, ?)",
        )
        .bind(at)
        .bind(version)
        .bind(version.map(|_| "wechat"))
        .bind(version.map(|_| "vip"))
        .bind(version.map(|_| "zh-CN"))
        .execute(&db)
        .await
        .expect("insert event");
    }
    db.close().await;
}

/// Two days (UTC+8) of one survey, every response on wechat:
///
/// | day | impressions | responses |
/// |---|---|---|
/// | 10-10 | 2 without context + 2 wechat | 1 |
/// | 10-11 | 4 wechat | 2 |
///
/// Unfiltered every impression counts: 3/8. Under `channel=wechat` day
/// 10-10 holds impressions that cannot be placed, so it is left out of
/// the rate (not of `responses`): shown 4, rate 2/4.
#[tokio::test]
async fn impressions_without_context_leave_their_day_out_of_context_rates() {
    let app = spawn().await;
    impressions_at(&app, 2, None, "2026-10-10T02:00:00.000Z").await;
    impressions_at(&app, 2, Some(1), "2026-10-10T03:00:00.000Z").await;
    impressions_at(&app, 4, Some(1), "2026-10-11T03:00:00.000Z").await;
    respond_at(&app, "wechat", "2026-10-10T04:00:00.000Z").await;
    respond_at(&app, "wechat", "2026-10-11T04:00:00.000Z").await;
    respond_at(&app, "wechat", "2026-10-11T05:00:00.000Z").await;
    let range = "from=2026-10-10&to=2026-10-11";

    let all = report(&app, &format!("/api/reports/summary?{range}")).await;
    assert_eq!(all["current"]["shown"], 8);
    assert!(close(&all["current"]["response_rate"], 3.0 / 8.0), "{all}");
    let by_survey = report(&app, &format!("/api/reports/breakdown?{range}&by=survey")).await;
    assert!(close(
        &group(&by_survey, json!("post-payment"))["response_rate"],
        3.0 / 8.0
    ));

    let wechat = report(
        &app,
        &format!("/api/reports/summary?{range}&channel=wechat"),
    )
    .await;
    let (shown, responses, _, r) = rate(&wechat["current"]);
    assert_eq!((shown, responses), (json!(4), json!(3)), "{wechat}");
    assert!(close(&r, 0.5), "{wechat}");
    let by_channel = report(&app, &format!("/api/reports/breakdown?{range}&by=channel")).await;
    let k = group(&by_channel, json!("wechat"));
    assert_eq!((&k["shown"], &k["responses"]), (&json!(4), &json!(3)));
    assert!(close(&k["response_rate"], 0.5));
    let by_version = report(&app, &format!("/api/reports/breakdown?{range}&by=version")).await;
    assert!(close(
        &group(&by_version, json!("post-payment:1"))["response_rate"],
        0.5
    ));

    let t = report(&app, &format!("/api/reports/trend?{range}&channel=wechat")).await;
    let days: Vec<(Value, Value, Value)> = t["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["kpis"]["shown"].clone(),
                b["kpis"]["responses"].clone(),
                b["kpis"]["response_rate"].clone(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            (json!(0), json!(1), Value::Null),
            (json!(4), json!(2), json!(0.5)),
        ],
        "{t}"
    );
    // Unfiltered trend: every impression, both days.
    let t = report(&app, &format!("/api/reports/trend?{range}")).await;
    assert!(
        close(&t["buckets"][0]["kpis"]["response_rate"], 0.25),
        "{t}"
    );

    // Each impression is in each rollup once, after every catch-up above…
    assert_eq!(shown_sums(&app).await, (8, 8));
    // …and again after a refold from scratch, as migration 0011 makes one.
    let db = writable(&app).await;
    for sql in [
        "DELETE FROM rollup_shown",
        "DELETE FROM rollup_shown_context",
        "UPDATE pipeline_cursors SET last_rowid = 0 WHERE name = 'rollup_events'",
    ] {
        sqlx::query(sql).execute(&db).await.expect(sql);
    }
    db.close().await;
    let again = report(
        &app,
        &format!("/api/reports/summary?{range}&channel=wechat"),
    )
    .await;
    assert_eq!(again["current"], wechat["current"]);
    report(&app, &format!("/api/reports/summary?{range}")).await;
    assert_eq!(shown_sums(&app).await, (8, 8));
}

/// The 'shown' counts summed over rollup_shown and rollup_shown_context.
async fn shown_sums(app: &TestApp) -> (i64, i64) {
    let db = app.db().await;
    let sums = sqlx::query_as(
        "SELECT (SELECT SUM(shown) FROM rollup_shown),
                (SELECT SUM(shown) FROM rollup_shown_context)",
    )
    .fetch_one(&db)
    .await
    .expect("sums");
    db.close().await;
    sums
}

#[tokio::test]
async fn event_bodies_are_checked_with_stable_codes_and_stored_with_their_context() {
    let app = spawn().await;
    let good = loader_event("shown", 3, "wechat", Some("vip"), "zh-TW");
    let mut cases: Vec<(&str, Value, StatusCode, &str)> = Vec::new();
    let mut with = |what: &'static str, edit: &dyn Fn(&mut Value), status, code| {
        let mut b = good.clone();
        edit(&mut b);
        cases.push((what, b, status, code));
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    with(
        "unknown field",
        &|b| b["colour"] = json!("red"),
        unprocessable,
        "invalid_payload",
    );
    with(
        "version as text",
        &|b| b["version"] = json!("3"),
        unprocessable,
        "invalid_payload",
    );
    with(
        "version 0",
        &|b| b["version"] = json!(0),
        unprocessable,
        "invalid_payload",
    );
    with(
        "negative version",
        &|b| b["version"] = json!(-1),
        unprocessable,
        "invalid_payload",
    );
    with(
        "fractional version",
        &|b| b["version"] = json!(1.5),
        unprocessable,
        "invalid_payload",
    );
    with(
        "segment as number",
        &|b| b["segment"] = json!(5),
        unprocessable,
        "invalid_payload",
    );
    with(
        "channel over 256 characters",
        &|b| b["channel"] = json!("渠".repeat(257)),
        unprocessable,
        "invalid_payload",
    );
    with(
        "control character in locale",
        &|b| b["locale"] = json!("en\nX"),
        unprocessable,
        "invalid_payload",
    );
    with(
        "context without version",
        &|b| {
            b.as_object_mut().unwrap().remove("version");
        },
        unprocessable,
        "invalid_payload",
    );
    with(
        "unknown event",
        &|b| b["event"] = json!("clicked"),
        unprocessable,
        "invalid_payload",
    );
    for (what, body, status, code) in &cases {
        let reply = post_event(&app, body).await;
        reply.assert_error(*status, code);
        assert!(
            !reply.json["message"].as_str().unwrap_or("").is_empty(),
            "{what}"
        );
    }
    assert_eq!(app.count("events").await, 0, "nothing refused was stored");

    // 256 characters exactly is fine; an event without any context (an
    // older loader) is too.
    let mut longest = good.clone();
    longest["channel"] = json!("渠".repeat(256));
    assert_eq!(
        post_event(&app, &longest).await.status,
        StatusCode::NO_CONTENT
    );
    let bare = json!({"site": "demo", "survey": "post-payment", "event": "shown"});
    assert_eq!(post_event(&app, &bare).await.status, StatusCode::NO_CONTENT);
    let db = app.db().await;
    let rows: Vec<StoredContext> =
        sqlx::query_as("SELECT version, channel, segment, locale FROM events ORDER BY id")
            .fetch_all(&db)
            .await
            .expect("events");
    db.close().await;
    assert_eq!(
        rows,
        [
            (
                Some(3),
                Some("渠".repeat(256)),
                Some("vip".to_owned()),
                Some("zh-TW".to_owned())
            ),
            (None, None, None, None),
        ]
    );
}

/// (shown, responses, response_rate, shown_without_context, days_left_out,
/// responses_left_out) of a Kpis object.
fn coverage(k: &Value) -> [Value; 6] {
    [
        k["shown"].clone(),
        k["responses"].clone(),
        k["response_rate"].clone(),
        k["shown_without_context"].clone(),
        k["days_left_out"].clone(),
        k["responses_left_out"].clone(),
    ]
}

/// One day (10-10, UTC+8) of one survey: 200 impressions on wechat and one
/// stray impression without context (an old loader copy), 3 wechat
/// responses. 1 of 201 is under 1 %, so the day counts under a context
/// filter with its 200 context impressions: 3/200 = 0.015 (unfiltered
/// 3/201); the stray impression is reported, no day is left out.
#[tokio::test]
async fn one_stray_impression_without_context_leaves_the_day_in_context_rates() {
    let app = spawn().await;
    impressions_at(&app, 1, None, "2026-10-10T02:00:00.000Z").await;
    impressions_at(&app, 200, Some(1), "2026-10-10T03:00:00.000Z").await;
    for at in ["04", "05", "06"] {
        respond_at(&app, "wechat", &format!("2026-10-10T{at}:00:00.000Z")).await;
    }
    let range = "from=2026-10-10&to=2026-10-10";

    let wechat = report(
        &app,
        &format!("/api/reports/summary?{range}&channel=wechat"),
    )
    .await;
    assert_eq!(
        coverage(&wechat["current"]),
        [
            json!(200),
            json!(3),
            json!(0.015),
            json!(1),
            json!(0),
            json!(0)
        ],
        "{wechat}"
    );
    let b = report(&app, &format!("/api/reports/breakdown?{range}&by=channel")).await;
    assert_eq!(
        coverage(group(&b, json!("wechat"))),
        [
            json!(200),
            json!(3),
            json!(0.015),
            Value::Null,
            json!(0),
            json!(0)
        ],
        "{b}"
    );
    assert_eq!(
        (&b["shown_without_context"], &b["days_left_out"]),
        (&json!(1), &json!(0))
    );
    let t = report(&app, &format!("/api/reports/trend?{range}&locale=zh-CN")).await;
    assert_eq!(
        coverage(&t["buckets"][0]["kpis"]),
        [
            json!(200),
            json!(3),
            json!(0.015),
            json!(1),
            json!(0),
            json!(0)
        ],
        "{t}"
    );
    // Unfiltered: every impression, no coverage figures.
    let all = report(&app, &format!("/api/reports/summary?{range}")).await;
    let k = &all["current"];
    assert_eq!(
        (
            &k["shown"],
            &k["shown_without_context"],
            &k["days_left_out"]
        ),
        (&json!(201), &Value::Null, &Value::Null)
    );
    assert!(close(&k["response_rate"], 3.0 / 201.0), "{all}");
}

/// Two days of one survey under `channel=wechat`:
///
/// | day | impressions | responses |
/// |---|---|---|
/// | 10-10 | 200 wechat + 1 without context | 3 |
/// | 10-11 | 5 wechat + 5 without context (50 %) | 2 |
///
/// 10-11 is left out of the rate: shown 200, rate 3/200 = 0.015, its 2
/// responses left out (still counted in `responses`: 5); 6 impressions
/// without context, 1 day left out. Unfiltered: 5/211.
#[tokio::test]
async fn a_day_mostly_without_context_is_left_out_and_reported() {
    let app = spawn().await;
    impressions_at(&app, 1, None, "2026-10-10T02:00:00.000Z").await;
    impressions_at(&app, 200, Some(1), "2026-10-10T03:00:00.000Z").await;
    impressions_at(&app, 5, None, "2026-10-11T02:00:00.000Z").await;
    impressions_at(&app, 5, Some(1), "2026-10-11T03:00:00.000Z").await;
    for at in ["10T04", "10T05", "10T06", "11T04", "11T05"] {
        respond_at(&app, "wechat", &format!("2026-10-{at}:00:00.000Z")).await;
    }
    let range = "from=2026-10-10&to=2026-10-11";

    let wechat = report(
        &app,
        &format!("/api/reports/summary?{range}&channel=wechat"),
    )
    .await;
    assert_eq!(
        coverage(&wechat["current"]),
        [
            json!(200),
            json!(5),
            json!(0.015),
            json!(6),
            json!(1),
            json!(2)
        ],
        "{wechat}"
    );
    let t = report(&app, &format!("/api/reports/trend?{range}&channel=wechat")).await;
    let days: Vec<[Value; 6]> = t["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| coverage(&b["kpis"]))
        .collect();
    assert_eq!(
        days,
        [
            [
                json!(200),
                json!(3),
                json!(0.015),
                json!(1),
                json!(0),
                json!(0)
            ],
            [
                json!(0),
                json!(2),
                Value::Null,
                json!(5),
                json!(1),
                json!(2)
            ],
        ],
        "{t}"
    );
    for by in ["channel", "version"] {
        let b = report(&app, &format!("/api/reports/breakdown?{range}&by={by}")).await;
        let key = if by == "channel" {
            json!("wechat")
        } else {
            json!("post-payment:1")
        };
        assert_eq!(
            coverage(group(&b, key)),
            [
                json!(200),
                json!(5),
                json!(0.015),
                Value::Null,
                json!(1),
                json!(2)
            ],
            "{b}"
        );
        assert_eq!(
            (&b["shown_without_context"], &b["days_left_out"]),
            (&json!(6), &json!(1)),
            "{by}"
        );
    }
    let all = report(&app, &format!("/api/reports/summary?{range}")).await;
    let k = &all["current"];
    assert_eq!(
        (&k["shown"], &k["responses_left_out"]),
        (&json!(211), &json!(0))
    );
    assert!(close(&k["response_rate"], 5.0 / 211.0), "{all}");
}
