//! Reports through the admin API (`/api/reports/*`) against responses
//! submitted over HTTP, with their receive times moved to known instants so
//! that days, weeks and months in UTC+08:00 can be checked by hand.
//!
//! The collector runs with `--analytics off`: nothing is analysed or rolled
//! up until a report asks, so the receive times can be set first.

mod common;

use common::{Reply, TestApp, new_response_id, spawn_app_with};
use manyi_collector::config::AnalyticsSwitch;
use reqwest::StatusCode;
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

async fn spawn() -> TestApp {
    spawn_app_with(|c| c.analytics = AnalyticsSwitch::Off).await
}

fn token(app: &TestApp) -> String {
    app.app
        .demo_admin_token
        .as_ref()
        .expect("demo token")
        .expose_secret()
        .to_owned()
}

async fn admin(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
    let mut r = app
        .client
        .request(method, app.url(path))
        .header("authorization", format!("Bearer {}", token(app)));
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    Reply::from(r.send().await.expect("request")).await
}

async fn report(app: &TestApp, path: &str) -> Value {
    let reply = admin(app, reqwest::Method::GET, path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.json);
    reply.json
}

async fn writable(app: &TestApp) -> SqlitePool {
    SqlitePool::connect_with(SqliteConnectOptions::new().filename(&app.app.db_path))
        .await
        .expect("open db")
}

/// Posts a response and moves its receive time to `received_at` (UTC).
async fn submit(
    app: &TestApp,
    survey: &str,
    answers: Value,
    channel: Option<&str>,
    seconds: u32,
    received_at: &str,
) -> String {
    submit_version(app, survey, 1, answers, channel, seconds, received_at).await
}

/// [`submit`] to a given survey version.
async fn submit_version(
    app: &TestApp,
    survey: &str,
    version: u32,
    answers: Value,
    channel: Option<&str>,
    seconds: u32,
    received_at: &str,
) -> String {
    let id = new_response_id();
    let body = json!({
        "response_id": id, "site": "demo", "survey_id": survey, "survey_version": version,
        "answers": answers,
        "context": { "order_id": format!("o-{id}"), "customer": format!("c-{id}"),
                     "channel": channel, "segment": "vip", "locale": "zh-CN" },
        "timing": { "shown_at": "2026-11-23T08:00:00Z",
                    "submitted_at": format!("2026-11-23T08:{:02}:{:02}Z", seconds / 60, seconds % 60) }
    });
    let reply = app.post_response(&body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let db = writable(app).await;
    sqlx::query("UPDATE responses SET received_at = ? WHERE response_id = ?")
        .bind(received_at)
        .bind(&id)
        .execute(&db)
        .await
        .expect("move receive time");
    db.close().await;
    id
}

/// The NPS fixture on the demo `post-payment` survey. Days are in UTC+8.
///
/// | row | NPS | channel | received (UTC) | day (+8) | seconds |
/// |---|---|---|---|---|---|
/// | A | 10 | wechat | 10-31 15:00 | Sat 10-31 | 20 |
/// | B | 9 | wechat | 10-31 16:00 | Sun 11-01 | 30 |
/// | C | 8 | web | 11-01 15:59:59 | Sun 11-01 | 41 |
/// | D | 7 | web | 11-01 16:00 | Mon 11-02 | 41 |
/// | E | 6, reasons slow_delivery+price | app | 11-02 02:00 | Mon 11-02 | 50 |
/// | F | 3, reasons slow_delivery | (none) | 11-03 02:00 | Tue 11-03 | 60 |
/// | G | 0, reasons service_attitude | wechat | 11-03 03:00 | Tue 11-03 | 90 |
/// | H | 10, flagged too fast | web | 11-02 03:00 | Mon 11-02 | 1 |
///
/// Plus 10 'shown' events on 11-02 (UTC+8).
async fn nps_fixture(app: &TestApp) {
    let rows: [(Value, Option<&str>, u32, &str); 8] = [
        (
            json!({"nps": 10}),
            Some("wechat"),
            20,
            "2026-10-31T15:00:00.000Z",
        ),
        (
            json!({"nps": 9}),
            Some("wechat"),
            30,
            "2026-10-31T16:00:00.000Z",
        ),
        (
            json!({"nps": 8}),
            Some("web"),
            41,
            "2026-11-01T15:59:59.000Z",
        ),
        (
            json!({"nps": 7}),
            Some("web"),
            41,
            "2026-11-01T16:00:00.000Z",
        ),
        (
            json!({"nps": 6, "reason": ["slow_delivery", "price"]}),
            Some("app"),
            50,
            "2026-11-02T02:00:00.000Z",
        ),
        (
            json!({"nps": 3, "reason": ["slow_delivery"]}),
            None,
            60,
            "2026-11-03T02:00:00.000Z",
        ),
        (
            json!({"nps": 0, "reason": ["service_attitude"]}),
            Some("wechat"),
            90,
            "2026-11-03T03:00:00.000Z",
        ),
        (
            json!({"nps": 10}),
            Some("web"),
            1,
            "2026-11-02T03:00:00.000Z",
        ),
    ];
    for (answers, channel, seconds, at) in rows {
        submit(app, "post-payment", answers, channel, seconds, at).await;
    }
    // Impressions written directly with their time: posted over HTTP, the
    // rollup worker (which does not wait for the analysis for events) could
    // count them on today before their time was moved.
    let db = writable(app).await;
    for _ in 0..10 {
        sqlx::query(
            "INSERT INTO events (site_key, survey_id, event, received_at)
             VALUES ('demo', 'post-payment', 'shown', '2026-11-02T00:00:00.000Z')",
        )
        .execute(&db)
        .await
        .expect("insert event");
    }
    db.close().await;
}

const RANGE: &str = "from=2026-10-31&to=2026-11-03";

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-6)
}

#[tokio::test]
async fn summary_counts_nps_response_rate_and_median_and_excludes_the_flagged_response() {
    let app = spawn().await;
    nps_fixture(&app).await;
    let s = report(&app, &format!("/api/reports/summary?{RANGE}")).await;
    let c = &s["current"];
    assert_eq!(c["responses"], 7, "{s}");
    assert_eq!(c["excluded_flagged"], 1);
    // Promoters A, B; passives C, D; detractors E, F, G: (2 − 3)/7.
    let nps = &c["nps"];
    assert_eq!(
        (
            nps["promoters"].as_u64(),
            nps["passives"].as_u64(),
            nps["detractors"].as_u64()
        ),
        (Some(2), Some(2), Some(3))
    );
    assert!(close(&nps["score"], -100.0 / 7.0), "{nps}");
    // 100·1.96·√((2/7 + 3/7 − (1/7)²)/7).
    assert!(close(&nps["margin"], 61.707_860_564_911), "{nps}");
    assert_eq!(nps["low_sample"], true);
    assert_eq!(c["shown"], 10);
    // Submitted / shown: the flagged response was submitted too (8 / 10).
    assert!(close(&c["response_rate"], 0.8));
    // 20, 30, 41, 41, 50, 60, 90 s: the median is in the 41 s bucket.
    assert!(close(&c["median_seconds"], 41.5));
    assert_eq!(c["timed"], 7);
    assert_eq!(
        (c["csat"].clone(), c["ces"].clone()),
        (Value::Null, Value::Null)
    );
    // The previous 4 days are empty.
    assert_eq!(
        s["previous_period"],
        json!({"from": "2026-10-27", "to": "2026-10-30", "days": 4})
    );
    assert_eq!(s["previous"]["responses"], 0);
    assert_eq!(s["previous"]["nps"], Value::Null);
    // Nothing shown then either: known, so 0 (not null), and no rate.
    assert_eq!(
        (&s["previous"]["shown"], &s["previous"]["response_rate"]),
        (&json!(0), &Value::Null)
    );
    assert_eq!(s["previous"]["shown_without_context"], Value::Null);
    assert_eq!(s["change"]["responses"], 7);
    assert_eq!(s["change"]["nps"], Value::Null);
    assert_eq!(s["utc_offset"], "+08:00");
    assert_eq!(s["low_sample_threshold"], 30);

    // Including the flagged promoter H: 3 promoters, 3 detractors of 8.
    let s = report(
        &app,
        &format!("/api/reports/summary?{RANGE}&include_flagged=true"),
    )
    .await;
    assert_eq!(s["current"]["responses"], 8);
    assert_eq!(s["current"]["excluded_flagged"], 0);
    assert!(close(&s["current"]["nps"]["score"], 0.0));

    // Moving the period forward one day: A falls into the previous period.
    let s = report(&app, "/api/reports/summary?from=2026-11-01&to=2026-11-03").await;
    assert_eq!(s["current"]["responses"], 6);
    assert_eq!(s["previous"]["responses"], 1);
    assert!(close(&s["previous"]["nps"]["score"], 100.0));
    // Current: B promoter; C, D passives; E, F, G detractors: (1 − 3)/6.
    assert!(close(&s["change"]["nps"], -100.0 / 3.0 - 100.0));
}

#[tokio::test]
async fn trends_bucket_by_day_iso_week_and_month_in_utc_plus_eight() {
    let app = spawn().await;
    nps_fixture(&app).await;
    let t = report(&app, &format!("/api/reports/trend?{RANGE}&interval=day")).await;
    let days: Vec<(String, u64, Option<f64>)> = t["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["start"].as_str().unwrap().to_owned(),
                b["kpis"]["responses"].as_u64().unwrap(),
                b["kpis"]["nps"]["score"].as_f64(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-10-31".to_owned(), 1, Some(100.0)),
            ("2026-11-01".to_owned(), 2, Some(50.0)),
            ("2026-11-02".to_owned(), 2, Some(-50.0)),
            ("2026-11-03".to_owned(), 2, Some(-100.0)),
        ]
    );
    // The flagged response and the impressions are on 11-02.
    assert_eq!(t["buckets"][2]["kpis"]["excluded_flagged"], 1);
    assert_eq!(t["buckets"][2]["kpis"]["shown"], 10);
    assert_eq!(t["buckets"][0]["kpis"]["shown"], 0);

    // ISO weeks: Sat 10-31 and Sun 11-01 end one week, Mon 11-02 starts the next.
    let w = report(&app, &format!("/api/reports/trend?{RANGE}&interval=week")).await;
    let b = w["buckets"].as_array().unwrap();
    assert_eq!(b.len(), 2, "{w}");
    assert_eq!(
        (b[0]["start"].as_str(), b[0]["end"].as_str()),
        (Some("2026-10-31"), Some("2026-11-01"))
    );
    assert_eq!(
        (b[1]["start"].as_str(), b[1]["end"].as_str()),
        (Some("2026-11-02"), Some("2026-11-03"))
    );
    // A, B promoters, C passive → 66.7; D passive, E, F, G detractors → −75.
    assert!(close(&b[0]["kpis"]["nps"]["score"], 200.0 / 3.0));
    assert!(close(&b[1]["kpis"]["nps"]["score"], -75.0));

    // Months: B at 16:00 UTC on 10-31 is already November in UTC+8.
    let m = report(&app, &format!("/api/reports/trend?{RANGE}&interval=month")).await;
    let b = m["buckets"].as_array().unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0]["kpis"]["responses"], 1);
    assert_eq!(b[1]["kpis"]["responses"], 6);
    assert!(close(&b[1]["kpis"]["nps"]["score"], -100.0 / 3.0));
}

#[tokio::test]
async fn breakdowns_and_filters_by_channel_with_a_missing_channel_as_null() {
    let app = spawn().await;
    nps_fixture(&app).await;
    let b = report(&app, &format!("/api/reports/breakdown?{RANGE}&by=channel")).await;
    let groups: Vec<(Value, u64, f64)> = b["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].clone(),
                g["kpis"]["responses"].as_u64().unwrap(),
                g["kpis"]["nps"]["score"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (json!("wechat"), 3, 100.0 / 3.0),
            (json!("web"), 2, 0.0),
            (Value::Null, 1, -100.0),
            (json!("app"), 1, -100.0),
        ]
    );
    assert_eq!(b["excluded_flagged"], 1);
    // The fixture's impressions carry no context (as if stored before
    // migration 0011): their day is left out of every channel's rate and
    // no other day has impressions, so no channel has a rate
    // (tests/response_rate.rs has impressions with context).
    assert_eq!(b["groups"][0]["kpis"]["shown"], 0);
    assert_eq!(b["groups"][0]["kpis"]["response_rate"], Value::Null);

    let web = report(&app, &format!("/api/reports/summary?{RANGE}&channel=web")).await;
    assert_eq!(web["current"]["responses"], 2);
    assert_eq!(web["current"]["excluded_flagged"], 1);
    assert_eq!(web["current"]["shown"], 0);
    assert_eq!(web["current"]["response_rate"], Value::Null);
    // Two context filters read the full context level.
    let two = report(
        &app,
        &format!("/api/reports/summary?{RANGE}&channel=web&segment=vip"),
    )
    .await;
    assert_eq!(two["current"]["responses"], 2);
    assert_eq!(two["current"]["excluded_flagged"], 1);
    let other_segment = report(
        &app,
        &format!("/api/reports/summary?{RANGE}&channel=web&segment=new"),
    )
    .await;
    assert_eq!(other_segment["current"]["responses"], 0);
    let none = report(&app, &format!("/api/reports/summary?{RANGE}&channel=")).await;
    assert_eq!(none["current"]["responses"], 1);

    let by_survey = report(&app, &format!("/api/reports/breakdown?{RANGE}&by=survey")).await;
    assert_eq!(by_survey["groups"][0]["key"], "post-payment");
    assert!(close(&by_survey["groups"][0]["kpis"]["response_rate"], 0.8));
    let by_version = report(&app, &format!("/api/reports/breakdown?{RANGE}&by=version")).await;
    assert_eq!(by_version["groups"][0]["key"], "post-payment:1");
    let by_question = report(&app, &format!("/api/reports/breakdown?{RANGE}&by=question")).await;
    assert_eq!(by_question["groups"][0]["key"], "nps");
    assert_eq!(by_question["groups"][0]["kpis"]["nps"]["n"], 7);
    let v = report(
        &app,
        &format!("/api/reports/summary?{RANGE}&survey=post-payment&version=1"),
    )
    .await;
    assert_eq!(v["current"]["responses"], 7);
    // A question's figures have no impressions at all.
    assert_eq!(by_question["groups"][0]["kpis"]["shown"], Value::Null);
    let other = report(&app, &format!("/api/reports/summary?{RANGE}&survey=nope")).await;
    assert_eq!(other["current"]["responses"], 0);
    assert_eq!(other["current"]["nps"], Value::Null);
}

#[tokio::test]
async fn reasons_are_counted_per_option_of_the_respondents() {
    let app = spawn().await;
    nps_fixture(&app).await;
    let r = report(&app, &format!("/api/reports/reasons?{RANGE}")).await;
    let q = &r["questions"][0];
    assert_eq!(
        (q["survey_id"].as_str(), q["question"].as_str()),
        (Some("post-payment"), Some("reason"))
    );
    assert_eq!(q["type"], "multi_choice");
    assert_eq!(q["respondents"], 3);
    let options: Vec<(String, u64)> = q["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["option"].as_str().unwrap().to_owned(),
                o["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        options,
        [
            ("slow_delivery".to_owned(), 2),
            ("price".to_owned(), 1),
            ("service_attitude".to_owned(), 1)
        ]
    );
    assert!(close(&q["options"][0]["pct"], 200.0 / 3.0));
}

#[tokio::test]
async fn csat_likert_dimensions_heatmap_and_ces_by_hand() {
    let app = spawn().await;
    for (template, id) in [("servqual-short", "sq"), ("ces-support", "effort")] {
        let created = admin(
            &app,
            reqwest::Method::POST,
            "/api/surveys",
            Some(json!({"template": template, "survey_id": id, "site": "demo"})),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
        let published = admin(
            &app,
            reqwest::Method::POST,
            &format!("/api/surveys/{id}/publish"),
            Some(json!({})),
        )
        .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.json);
    }
    let at = "2026-11-02T02:00:00.000Z";
    let sq = |r: i64, rs: i64, a: i64, e: i64, t: i64, o: i64| {
        let mut v = json!({"reliability": r, "responsiveness": rs, "assurance": a, "empathy": e, "tangibles": t, "overall": o});
        if o <= 3 {
            v["reasons"] = json!(["process"]);
        }
        v
    };
    submit(&app, "sq", sq(5, 4, 4, 3, 5, 5), Some("wechat"), 40, at).await;
    submit(&app, "sq", sq(4, 3, 5, 4, 3, 4), Some("web"), 40, at).await;
    submit(&app, "sq", sq(3, 3, 4, 5, 4, 3), Some("wechat"), 40, at).await;
    submit(&app, "effort", json!({"effort": 7}), Some("web"), 40, at).await;
    submit(&app, "effort", json!({"effort": 5}), Some("web"), 40, at).await;
    submit(
        &app,
        "effort",
        json!({"effort": 2, "reasons": ["wait_time"]}),
        Some("web"),
        40,
        at,
    )
    .await;

    let s = report(&app, "/api/reports/summary?from=2026-11-01&to=2026-11-03").await;
    let csat = &s["current"]["csat"];
    // 5, 4, 3: top-2-box 2/3, mean 4, s = 1.
    assert_eq!(csat["n"], 3, "{s}");
    assert!(close(&csat["top2_pct"], 200.0 / 3.0));
    assert!(close(&csat["mean"], 4.0));
    assert!(close(&csat["mean_margin"], 1.131_585_734_076));
    assert!(close(&csat["top2_margin"], 53.343_463_070_615));
    let ces = &s["current"]["ces"];
    // 7, 5, 2: mean 14/3, easy (≥ 5) 2/3.
    assert!(close(&ces["mean"], 14.0 / 3.0));
    assert!(close(&ces["easy_pct"], 200.0 / 3.0));

    let q = report(
        &app,
        "/api/reports/questions?from=2026-11-01&to=2026-11-03&survey=sq",
    )
    .await;
    let rel = q["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["question"] == "reliability")
        .expect("reliability")
        .clone();
    assert_eq!(rel["type"], "likert");
    assert_eq!(rel["dimension"], "reliability");
    assert_eq!(
        (
            rel["n"].as_u64(),
            rel["mean"].as_f64(),
            rel["median"].as_f64()
        ),
        (Some(3), Some(4.0), Some(4.0))
    );
    assert_eq!(
        rel["distribution"],
        json!([{"value": 1, "count": 0}, {"value": 2, "count": 0}, {"value": 3, "count": 1}, {"value": 4, "count": 1}, {"value": 5, "count": 1}])
    );
    let dims: Vec<(String, f64)> = q["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["dimension"].as_str().unwrap().to_owned(),
                d["mean"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dims,
        [
            ("reliability".to_owned(), 4.0),
            ("responsiveness".to_owned(), 10.0 / 3.0),
            ("assurance".to_owned(), 13.0 / 3.0),
            ("empathy".to_owned(), 4.0),
            ("tangibles".to_owned(), 4.0),
        ]
    );

    let h = report(
        &app,
        "/api/reports/heatmap?from=2026-11-01&to=2026-11-03&by=channel",
    )
    .await;
    assert_eq!(h["keys"], json!(["web", "wechat"]));
    let cell = |d: &str, k: &str| {
        h["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["dimension"] == d && c["key"] == k)
            .map(|c| (c["n"].as_u64().unwrap(), c["mean"].as_f64().unwrap()))
    };
    assert_eq!(cell("tangibles", "wechat"), Some((2, 4.5)));
    assert_eq!(cell("tangibles", "web"), Some((1, 3.0)));
    assert_eq!(cell("empathy", "wechat"), Some((2, 4.0)));
    assert_eq!(h["cells"].as_array().unwrap().len(), 10);

    // The question filter: CSAT of `overall` only, no NPS or CES.
    let only = report(
        &app,
        "/api/reports/summary?from=2026-11-01&to=2026-11-03&question=overall",
    )
    .await;
    assert_eq!(only["current"]["csat"]["n"], 3);
    assert_eq!(only["current"]["ces"], Value::Null);
}

#[tokio::test]
async fn tags_from_comments_filter_and_group_reports() {
    let app = spawn().await;
    let at = "2026-11-02T02:00:00.000Z";
    submit(
        &app,
        "post-payment",
        json!({"nps": 2, "reason": ["slow_delivery"], "comment": "物流太慢了，还要退款"}),
        Some("app"),
        30,
        at,
    )
    .await;
    submit(
        &app,
        "post-payment",
        json!({"nps": 9, "comment": "物流慢但是东西好"}),
        Some("web"),
        30,
        at,
    )
    .await;
    submit(
        &app,
        "post-payment",
        json!({"nps": 10, "comment": "很好"}),
        Some("web"),
        30,
        at,
    )
    .await;
    let range = "from=2026-11-01&to=2026-11-03";
    let t = report(
        &app,
        &format!("/api/reports/summary?{range}&tag=logistics_slow"),
    )
    .await;
    assert_eq!(t["current"]["responses"], 2, "{t}");
    assert!(close(&t["current"]["nps"]["score"], 0.0));
    let both = report(
        &app,
        &format!("/api/reports/summary?{range}&tag=logistics_slow&channel=web"),
    )
    .await;
    assert_eq!(both["current"]["responses"], 1);
    let b = report(&app, &format!("/api/reports/breakdown?{range}&by=tag")).await;
    let groups: Vec<(String, u64)> = b["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_owned(),
                g["kpis"]["responses"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [("logistics_slow".to_owned(), 2), ("refund".to_owned(), 1)]
    );
}

#[tokio::test]
async fn a_single_answer_has_figures_but_no_margin_and_an_empty_range_has_none() {
    let app = spawn().await;
    submit(
        &app,
        "post-payment",
        json!({"nps": 9}),
        Some("web"),
        30,
        "2026-11-02T02:00:00.000Z",
    )
    .await;
    let s = report(&app, "/api/reports/summary?from=2026-11-02&to=2026-11-02").await;
    let nps = &s["current"]["nps"];
    assert_eq!(
        (nps["n"].as_u64(), nps["score"].as_f64()),
        (Some(1), Some(100.0))
    );
    assert_eq!(nps["margin"], Value::Null);
    assert_eq!(nps["low_sample"], true);
    let empty = report(&app, "/api/reports/summary?from=2026-01-01&to=2026-01-31").await;
    assert_eq!(empty["current"]["responses"], 0);
    assert_eq!(empty["current"]["nps"], Value::Null);
    assert_eq!(empty["current"]["median_seconds"], Value::Null);
    assert_eq!(empty["current"]["response_rate"], Value::Null);
    let t = report(
        &app,
        "/api/reports/trend?from=2026-01-01&to=2026-01-31&interval=week",
    )
    .await;
    // Thu 01-01 … Sun 01-04, then four full weeks, then Mon 01-26 … Sat 01-31.
    assert_eq!(t["buckets"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn bad_queries_are_422_invalid_query_with_each_parameter_and_no_token_is_401() {
    let app = spawn().await;
    let cases = [
        ("/api/reports/summary?from=2026-11-31", "from", "bad_date"),
        (
            "/api/reports/summary?from=2026-11-05&to=2026-11-01",
            "from",
            "bad_range",
        ),
        ("/api/reports/summary?version=1", "version", "needs_survey"),
        (
            "/api/reports/summary?include_flagged=maybe",
            "include_flagged",
            "bad_value",
        ),
        (
            "/api/reports/summary?colour=red",
            "colour",
            "unknown_parameter",
        ),
        ("/api/reports/trend?interval=year", "interval", "bad_value"),
        ("/api/reports/breakdown", "by", "bad_value"),
        ("/api/reports/breakdown?by=weather", "by", "bad_value"),
        ("/api/reports/heatmap?by=weather", "by", "bad_value"),
    ];
    for (path, param, code) in cases {
        let reply = admin(&app, reqwest::Method::GET, path, None).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
        assert!(reply.has_error(param, code), "{path}: {}", reply.json);
    }
    for path in [
        "/api/reports/summary",
        "/api/reports/trend",
        "/api/reports/breakdown?by=channel",
        "/api/reports/questions",
        "/api/reports/heatmap",
        "/api/reports/reasons",
    ] {
        let reply = Reply::from(app.client.get(app.url(path)).send().await.expect("GET")).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

#[tokio::test]
async fn rollups_count_each_response_exactly_once_across_repeated_catch_ups() {
    let app = spawn().await;
    nps_fixture(&app).await;
    let path = format!("/api/reports/summary?{RANGE}");
    let (a, b) = tokio::join!(report(&app, &path), report(&app, &path));
    assert_eq!(a["current"]["responses"], 7);
    assert_eq!(b["current"]["responses"], 7);
    let again = report(&app, &path).await;
    assert_eq!(again["current"], a["current"]);
    let db = app.db().await;
    let (level0,): (i64,) =
        sqlx::query_as("SELECT SUM(responses) FROM rollup_responses WHERE level = 0")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(level0, 8);
    let (cursor,): (i64,) =
        sqlx::query_as("SELECT last_rowid FROM pipeline_cursors WHERE name = 'rollups'")
            .fetch_one(&db)
            .await
            .unwrap();
    let (max,): (i64,) = sqlx::query_as("SELECT MAX(rowid) FROM responses")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(cursor, max);
    db.close().await;
}

/// Sums of one rollup table per tag at `level`, as text rows for comparing.
async fn per_tag(db: &SqlitePool, sums: &str, table: &str, extra: &str, level: i64) -> Vec<String> {
    let sql = format!(
        "SELECT tag || '|' || day || '|' || survey_id || '|' || version || '|' || flagged{extra}
                || '|' || {sums}
         FROM {table} WHERE level = ?
         GROUP BY tag, day, survey_id, version, flagged{group}
         ORDER BY 1",
        group = extra.replace("|| '|' ||", ","),
    );
    sqlx::query_scalar(&sql)
        .bind(level)
        .fetch_all(db)
        .await
        .expect("per-tag sums")
}

#[tokio::test]
async fn a_tag_breakdown_reads_the_tag_level_with_the_figures_of_tag_by_context() {
    let app = spawn().await;
    let at = "2026-11-02T02:00:00.000Z";
    // Tags from comments (see the analysis): 物流…慢 → logistics_slow,
    // 退款 → refund. The same tag in three channels, and a flagged
    // (too fast) response with a tag.
    let rows: [(Value, Option<&str>, u32); 5] = [
        (
            json!({"nps": 2, "reason": ["slow_delivery"], "comment": "物流太慢了，还要退款"}),
            Some("app"),
            30,
        ),
        (
            json!({"nps": 9, "comment": "物流慢但是东西好"}),
            Some("web"),
            70,
        ),
        (
            json!({"nps": 6, "reason": ["price"], "comment": "物流太慢了，还要退款"}),
            Some("wechat"),
            50,
        ),
        (json!({"nps": 10, "comment": "很好"}), Some("web"), 40),
        (
            json!({"nps": 0, "reason": ["price"], "comment": "物流慢但是东西好"}),
            Some("web"),
            1,
        ),
    ];
    for (answers, channel, seconds) in rows {
        submit(&app, "post-payment", answers, channel, seconds, at).await;
    }
    let range = "from=2026-11-01&to=2026-11-03";
    let b = report(&app, &format!("/api/reports/breakdown?{range}&by=tag")).await;
    let groups: Vec<Value> = b["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let k = &g["kpis"];
            json!([
                g["key"],
                k["responses"],
                k["excluded_flagged"],
                k["timed"],
                k["median_seconds"],
                k["nps"]["promoters"],
                k["nps"]["passives"],
                k["nps"]["detractors"],
            ])
        })
        .collect();
    // logistics_slow: NPS 2, 9, 6 (30 s, 70 s, 50 s; median bucket 50 s →
    // 50.5) and the flagged one left out. refund: NPS 2 and 6 (30 s, 50 s:
    // (30.5 + 50.5) / 2).
    assert_eq!(
        groups,
        [
            json!(["logistics_slow", 3, 1, 3, 50.5, 1, 0, 2]),
            json!(["refund", 2, 0, 2, 40.5, 0, 0, 2]),
        ],
        "{b}"
    );
    let slow = &b["groups"][0]["kpis"]["nps"]["score"];
    assert!(close(slow, -100.0 / 3.0), "{slow}");
    assert!(close(&b["groups"][1]["kpis"]["nps"]["score"], -100.0));
    // Level 6 holds exactly level 2 summed over the contexts, in every
    // rollup table (level 2 has three logistics_slow rows, level 6 one).
    let db = app.db().await;
    let tables = [
        (
            "rollup_responses",
            "",
            "SUM(responses) || '|' || SUM(timed)",
        ),
        (
            "rollup_scores",
            " || '|' || question || '|' || kind || '|' || dimension",
            "SUM(v0) || ',' || SUM(v1) || ',' || SUM(v2) || ',' || SUM(v3) || ',' || SUM(v4)
             || ',' || SUM(v5) || ',' || SUM(v6) || ',' || SUM(v7) || ',' || SUM(v8)
             || ',' || SUM(v9) || ',' || SUM(v10)",
        ),
        (
            "rollup_choices",
            " || '|' || question || '|' || kind || '|' || option",
            "SUM(count)",
        ),
    ];
    for (table, extra, sums) in tables {
        let tagged = per_tag(&db, sums, table, extra, 2).await;
        let tag_only = per_tag(&db, sums, table, extra, 6).await;
        assert!(!tag_only.is_empty(), "{table}");
        assert_eq!(tag_only, tagged, "{table}");
    }
    let (l2, l6): (i64, i64) = sqlx::query_as(
        "SELECT SUM(level = 2), SUM(level = 6) FROM rollup_responses WHERE tag = 'logistics_slow'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    // Level 2: app, web (with the flagged one apart), wechat; level 6:
    // unflagged and flagged.
    assert_eq!((l2, l6), (4, 2));
    let (durations,): (String,) = sqlx::query_as(
        "SELECT durations FROM rollup_responses
         WHERE level = 6 AND tag = 'refund' AND flagged = 0",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&durations).unwrap(),
        json!({"30": 1, "50": 1})
    );
    db.close().await;
}

/// A stored definition that no longer parses must not stop every report:
/// its responses are counted (answers left out) and later ones still fold.
#[tokio::test]
async fn a_definition_that_no_longer_parses_does_not_stop_the_reports() {
    let app = spawn().await;
    nps_fixture(&app).await;
    let db = writable(&app).await;
    sqlx::query("UPDATE surveys SET definition = '{}' WHERE survey_id = 'post-payment'")
        .execute(&db)
        .await
        .unwrap();
    let s = report(&app, &format!("/api/reports/summary?{RANGE}")).await;
    let c = &s["current"];
    assert_eq!(c["responses"], 7, "{s}");
    assert_eq!(c["excluded_flagged"], 1);
    assert_eq!(
        c["nps"],
        Value::Null,
        "no answers folded without a definition"
    );
}

/// A SERVQUAL dimension holding a 5-point and a 7-point Likert item: the
/// dimension mean puts every answer on 1–5 (x = 1 + (v − 1)·4/(points − 1))
/// before averaging; so does each question's own mean.
///
/// | response | a (5 points) | b (7 points) | b on 1–5 |
/// |---|---|---|---|
/// | 1 | 5 | 7 | 5 |
/// | 2 | 2 | 3 | 7/3 |
///
/// Dimension: 5, 2, 5, 7/3 → n 4, mean 43/12 (raw would be 17/4).
#[tokio::test]
async fn a_dimension_mixing_five_and_seven_point_items_is_averaged_on_one_scale() {
    let app = spawn().await;
    let likert = |id: &str, points: u8| {
        json!({"id": id, "type": "likert", "points": points, "dimension": "reliability",
               "text": {"zh-CN": "同意吗？", "en": "Agree?"}})
    };
    let definition = json!({
        "id": "mixed", "version": 1, "default_locale": "zh-CN", "locales": ["zh-CN", "en"],
        "title": {"zh-CN": "调查", "en": "Survey"},
        "thank_you": {"zh-CN": "谢谢", "en": "Thanks"},
        "questions": [likert("a", 5), likert("b", 7)]
    });
    let post = reqwest::Method::POST;
    let created = admin(
        &app,
        post.clone(),
        "/api/surveys",
        Some(json!({"template": "nps", "survey_id": "mixed", "site": "demo"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let edited = admin(
        &app,
        reqwest::Method::PUT,
        "/api/surveys/mixed",
        Some(json!({ "definition": definition })),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.json);
    let published = admin(&app, post, "/api/surveys/mixed/publish", Some(json!({}))).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.json);
    let at = "2026-11-02T02:00:00.000Z";
    submit(&app, "mixed", json!({"a": 5, "b": 7}), Some("web"), 40, at).await;
    submit(&app, "mixed", json!({"a": 2, "b": 3}), Some("web"), 40, at).await;

    let values = [5.0, 2.0, 5.0, 7.0 / 3.0];
    let mean = values.iter().sum::<f64>() / 4.0;
    assert!((mean - 43.0 / 12.0).abs() < 1e-12);
    let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let margin = 1.959_963_984_540_054 * sd / 2.0;

    let q = report(
        &app,
        "/api/reports/questions?from=2026-11-01&to=2026-11-03&survey=mixed",
    )
    .await;
    let dim = &q["dimensions"][0];
    assert_eq!(
        (&dim["dimension"], &dim["n"]),
        (&json!("reliability"), &json!(4)),
        "{q}"
    );
    assert!(close(&dim["mean"], 43.0 / 12.0), "{dim}");
    assert!(close(&dim["margin"], margin), "{dim}");
    // Per question on 1–5 too: b's 7 and 3 are 5 and 7/3 (raw mean 5).
    let b = q["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["question"] == "b")
        .expect("b");
    assert!(close(&b["mean"], (5.0 + 7.0 / 3.0) / 2.0), "{b}");
    assert_eq!(b["distribution"].as_array().unwrap().len(), 7);

    let h = report(
        &app,
        "/api/reports/heatmap?from=2026-11-01&to=2026-11-03&by=channel",
    )
    .await;
    let cell = &h["cells"][0];
    assert_eq!(
        (&cell["dimension"], &cell["key"], &cell["n"]),
        (&json!("reliability"), &json!("web"), &json!(4)),
        "{h}"
    );
    assert!(close(&cell["mean"], 43.0 / 12.0), "{cell}");
}

/// Publishes `definition` as the next version of survey `id` (created from
/// the NPS template when `create`).
async fn publish(app: &TestApp, id: &str, definition: Value, create: bool) {
    let post = reqwest::Method::POST;
    if create {
        let created = admin(
            app,
            post.clone(),
            "/api/surveys",
            Some(json!({"template": "nps", "survey_id": id, "site": "demo"})),
        )
        .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    }
    let edited = admin(
        app,
        reqwest::Method::PUT,
        &format!("/api/surveys/{id}"),
        Some(json!({ "definition": definition })),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.json);
    let published = admin(
        app,
        post,
        &format!("/api/surveys/{id}/publish"),
        Some(json!({})),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.json);
}

/// A Likert question that went from 7 points (version 1) to 5 (version 2):
/// each answer is put on 1–5 with the scale of the version it answered,
/// and none drops out.
///
/// | version | answer | on 1–5 |
/// |---|---|---|
/// | 1 (7 points) | 7 | 5 |
/// | 1 (7 points) | 6 | 13/3 |
/// | 2 (5 points) | 5 | 5 |
/// | 2 (5 points) | 2 | 2 |
///
/// n 4, mean (5 + 13/3 + 5 + 2)/4 = 49/12, median (13/3 + 5)/2 = 14/3;
/// raw distribution over 1–7: 2, 5, 6, 7 once each; per scale: 5 points
/// {2, 5}, 7 points {6, 7}. (Taking the latest scale for every answer
/// dropped 6 and 7: n 2, mean 3.5.)
#[tokio::test]
async fn a_likert_question_changed_from_seven_to_five_points_keeps_every_answer_on_one_to_five() {
    let app = spawn().await;
    let definition = |version: u32, points: u8| {
        json!({
            "id": "scale", "version": version, "default_locale": "zh-CN",
            "locales": ["zh-CN", "en"],
            "title": {"zh-CN": "调查", "en": "Survey"},
            "thank_you": {"zh-CN": "谢谢", "en": "Thanks"},
            "questions": [{"id": "q", "type": "likert", "points": points,
                           "dimension": "empathy",
                           "text": {"zh-CN": "同意吗？", "en": "Agree?"}}]
        })
    };
    publish(&app, "scale", definition(1, 7), true).await;
    let at = "2026-11-02T02:00:00.000Z";
    for v in [7, 6] {
        submit_version(&app, "scale", 1, json!({"q": v}), Some("web"), 40, at).await;
    }
    publish(&app, "scale", definition(2, 5), false).await;
    for v in [5, 2] {
        submit_version(&app, "scale", 2, json!({"q": v}), Some("web"), 40, at).await;
    }

    let values = [5.0, 13.0 / 3.0, 5.0, 2.0];
    let mean = 49.0 / 12.0;
    assert!((values.iter().sum::<f64>() / 4.0 - mean).abs() < 1e-12);
    let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let margin = 1.959_963_984_540_054 * sd / 2.0;

    let r = report(
        &app,
        "/api/reports/questions?from=2026-11-01&to=2026-11-03&survey=scale",
    )
    .await;
    let qs = r["questions"].as_array().expect("questions");
    assert_eq!(qs.len(), 1, "{r}");
    let q = &qs[0];
    assert_eq!(
        (&q["type"], &q["dimension"], &q["n"], &q["low_sample"]),
        (&json!("likert"), &json!("empathy"), &json!(4), &json!(true)),
        "{q}"
    );
    assert!(close(&q["mean"], mean), "{q}");
    assert!(close(&q["median"], 14.0 / 3.0), "{q}");
    assert!(close(&q["margin"], margin), "{q}");
    let dist = |pairs: &[(i64, u64)]| -> Value {
        pairs
            .iter()
            .map(|(value, count)| json!({"value": value, "count": count}))
            .collect()
    };
    assert_eq!(
        q["distribution"],
        dist(&[(1, 0), (2, 1), (3, 0), (4, 0), (5, 1), (6, 1), (7, 1)])
    );
    assert_eq!(
        q["scales"],
        json!([
            {"points": 5, "n": 2, "distribution": dist(&[(1, 0), (2, 1), (3, 0), (4, 0), (5, 1)])},
            {"points": 7, "n": 2,
             "distribution": dist(&[(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 1), (7, 1)])},
        ])
    );
    // The dimension holds the same four answers.
    let empathy = r["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dimension"] == "empathy")
        .expect("empathy");
    assert_eq!(empathy["n"], 4);
    assert!(close(&empathy["mean"], mean), "{empathy}");
}

/// After an upgrade that rebuilds the rollups, the collector starts
/// folding at once in the background and the reports answer 503
/// `reports_warming_up` (with Retry-After and the progress) instead of
/// waiting for the refold or showing part of the responses; once folded,
/// the figures are complete. The rebuilt state is made by hand: 70,000
/// analysed responses and empty rollups with their cursor at 0, which is
/// what migrations 0009/0010 leave.
#[tokio::test]
async fn a_rollup_rebuild_answers_warming_up_with_progress_then_the_complete_figures() {
    let app = with_a_backlog(Backlog::Analysed, AnalyticsSwitch::Off).await;
    let path = BACKLOG_SUMMARY;
    let first = admin(&app, reqwest::Method::GET, path, None).await;
    first.assert_error(StatusCode::SERVICE_UNAVAILABLE, "reports_warming_up");
    assert_eq!(first.header("retry-after"), "5");
    let progress = &first.json["progress"];
    assert_eq!(progress["responses_total"], 70_000, "{}", first.json);
    assert!(
        progress["responses_pending"].as_u64().unwrap() > 40_000,
        "{progress}"
    );
    assert!(
        progress["folded_pct"].as_f64().unwrap() < 50.0,
        "{progress}"
    );
    // Everything else is served meanwhile.
    assert_eq!(app.get_survey("post-payment").await.status, StatusCode::OK);
    backlog_figures_once_warm(&app).await;
}

/// The summary [`with_a_backlog`]'s responses fall in.
const BACKLOG_SUMMARY: &str = "/api/reports/summary?from=2026-11-01&to=2026-11-03";

/// What [`with_a_backlog`] leaves of its responses.
enum Backlog {
    /// Analysed (flags and tags known), not folded: what an upgrade that
    /// rebuilds the rollups leaves (migrations 0009/0010).
    Analysed,
    /// Not even analysed: a burst or restore ahead of the analysis.
    Stored,
}

/// A collector (analysis `analytics`) over 70,000 responses written
/// straight into its database while it was stopped, none folded into the
/// rollups: NPS 9 and 3 in turn, on 2026-11-02 (UTC+8).
async fn with_a_backlog(backlog: Backlog, analytics: AnalyticsSwitch) -> TestApp {
    let TestApp {
        app: running,
        data,
        _dist,
        ..
    } = spawn().await;
    let db_path = running.db_path.clone();
    running.shutdown().await.expect("stops");
    let db = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&db_path))
        .await
        .expect("open db");
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000)
         INSERT INTO responses (response_id, site_key, survey_id, survey_version, order_id,
             channel, answers, payload_hash, received_at, signed)
         SELECT printf('00000000-0000-4000-8000-%012d', i), 'demo', 'post-payment', 1,
             'warm-' || i, 'web', CASE i % 2 WHEN 0 THEN '{\"nps\": 9}' ELSE '{\"nps\": 3}' END,
             'x', '2026-11-02T02:00:00.000Z', 0
         FROM n",
    )
    .execute(&db)
    .await
    .expect("insert responses");
    if matches!(backlog, Backlog::Analysed) {
        sqlx::query(
            "UPDATE pipeline_cursors SET last_rowid = (SELECT MAX(rowid) FROM responses)
             WHERE name = 'analysis'",
        )
        .execute(&db)
        .await
        .expect("analysed");
    }
    db.close().await;
    common::spawn_app_in_with(data, _dist, |c| c.analytics = analytics).await
}

/// Asks for [`BACKLOG_SUMMARY`] until it is no longer warming up, then
/// checks it counts all of [`with_a_backlog`]'s responses.
async fn backlog_figures_once_warm(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let done = loop {
        let reply = admin(app, reqwest::Method::GET, BACKLOG_SUMMARY, None).await;
        if reply.status == StatusCode::OK {
            break reply.json;
        }
        reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "reports_warming_up");
        assert!(
            std::time::Instant::now() < deadline,
            "still warming up: {}",
            reply.json
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    let c = &done["current"];
    assert_eq!(c["responses"], 70_000, "{done}");
    assert_eq!(
        (&c["nps"]["promoters"], &c["nps"]["detractors"]),
        (&json!(35_000), &json!(35_000))
    );
}

/// Context values come from the public payload, so a breakdown lists at
/// most 50 groups (most responses first, ties by key) and sums the rest in
/// `other`; the heat map keeps the 50 columns with the most answers.
///
/// 54 channels: `big` with 3 responses, `c00` … `c52` with one each.
/// Listed: big, c00 … c48; summed: c49 … c52 (4 groups, 4 responses).
#[tokio::test]
async fn breakdowns_list_fifty_groups_and_sum_the_rest_in_other() {
    let app = spawn().await;
    let created = admin(
        &app,
        reqwest::Method::POST,
        "/api/surveys",
        Some(json!({"template": "servqual-short", "survey_id": "sq", "site": "demo"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let published = admin(
        &app,
        reqwest::Method::POST,
        "/api/surveys/sq/publish",
        Some(json!({})),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.json);
    let answers = json!({"reliability": 5, "responsiveness": 4, "assurance": 4,
                         "empathy": 3, "tangibles": 5, "overall": 5});
    let at = "2026-11-02T02:00:00.000Z";
    let mut channels: Vec<String> = (0..53).map(|i| format!("c{i:02}")).collect();
    channels.extend(["big", "big", "big"].map(str::to_owned));
    for channel in &channels {
        submit(&app, "sq", answers.clone(), Some(channel), 40, at).await;
    }
    let range = "from=2026-11-01&to=2026-11-03";

    let b = report(&app, &format!("/api/reports/breakdown?{range}&by=channel")).await;
    let groups = b["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 50, "{b}");
    assert_eq!(
        (&groups[0]["key"], &groups[0]["kpis"]["responses"]),
        (&json!("big"), &json!(3))
    );
    assert_eq!(groups[1]["key"], "c00");
    assert_eq!(groups[49]["key"], "c48");
    let other = &b["other"];
    assert_eq!(other["groups"], 4, "{other}");
    assert_eq!(other["kpis"]["responses"], 4);
    assert_eq!(other["kpis"]["csat"]["n"], 4);
    // Few groups: all listed, no `other`.
    let by_survey = report(&app, &format!("/api/reports/breakdown?{range}&by=survey")).await;
    assert_eq!(by_survey["other"], Value::Null);

    let h = report(&app, &format!("/api/reports/heatmap?{range}&by=channel")).await;
    let keys = h["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 50, "{h}");
    assert_eq!(h["omitted_keys"], 4);
    assert!(keys.contains(&json!("big")) && keys.contains(&json!("c48")));
    assert!(!keys.contains(&json!("c49")));
    assert_eq!(h["cells"].as_array().unwrap().len(), 50 * 5);
}

/// A reason question that was a single choice in version 1 and became a
/// multiple choice in version 2 is one question with one entry per option,
/// its picks summed over both versions, of all its respondents.
///
/// | version | answer |
/// |---|---|
/// | 1 (single) | slow |
/// | 1 (single) | price |
/// | 2 (multi) | slow, price |
/// | 2 (multi) | slow |
///
/// respondents 4; slow 3 (75 %), price 2 (50 %); the type is the
/// multiple choice (a respondent may have picked several).
#[tokio::test]
async fn a_reason_question_changed_from_single_to_multiple_choice_lists_each_option_once() {
    let app = spawn().await;
    let definition = |version: u32, kind: &str| {
        json!({
            "id": "why", "version": version, "default_locale": "en", "locales": ["en"],
            "title": {"en": "Survey"}, "thank_you": {"en": "Thanks"},
            "questions": [{"id": "reason", "type": kind, "text": {"en": "Why?"},
                           "options": [{"id": "slow", "label": {"en": "Slow"}},
                                       {"id": "price", "label": {"en": "Price"}}]}]
        })
    };
    let at = "2026-11-02T02:00:00.000Z";
    publish(&app, "why", definition(1, "single_choice"), true).await;
    for pick in ["slow", "price"] {
        submit_version(&app, "why", 1, json!({"reason": pick}), None, 40, at).await;
    }
    publish(&app, "why", definition(2, "multi_choice"), false).await;
    for picks in [json!(["slow", "price"]), json!(["slow"])] {
        submit_version(&app, "why", 2, json!({"reason": picks}), None, 40, at).await;
    }
    let r = report(
        &app,
        "/api/reports/reasons?from=2026-11-01&to=2026-11-03&survey=why",
    )
    .await;
    let qs = r["questions"].as_array().expect("questions");
    assert_eq!(qs.len(), 1, "{r}");
    let q = &qs[0];
    assert_eq!(
        (&q["question"], &q["type"], &q["respondents"]),
        (&json!("reason"), &json!("multi_choice"), &json!(4)),
        "{q}"
    );
    let options: Vec<(&str, u64)> = q["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| (o["option"].as_str().unwrap(), o["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(options, [("slow", 3), ("price", 2)], "{q}");
    assert!(close(&q["options"][0]["pct"], 75.0), "{q}");
    assert!(close(&q["options"][1]["pct"], 50.0), "{q}");
}

/// Responses stored faster than the background analysis keeps up with (a
/// burst, a restore, an upgrade that analyses again) are that worker's to
/// analyse: a report answers 503 `reports_warming_up` at once, their number
/// in its progress, instead of analysing them all within the request; once
/// analysed and folded, the figures are complete.
#[tokio::test]
async fn a_large_analysis_backlog_answers_warming_up_without_analysing_it_in_the_request() {
    // The analysis runs in the background (the default).
    let app = with_a_backlog(Backlog::Stored, AnalyticsSwitch::On).await;
    let asked = std::time::Instant::now();
    let first = admin(&app, reqwest::Method::GET, BACKLOG_SUMMARY, None).await;
    let waited = asked.elapsed();
    first.assert_error(StatusCode::SERVICE_UNAVAILABLE, "reports_warming_up");
    let progress = &first.json["progress"];
    assert_eq!(progress["responses_total"], 70_000, "{}", first.json);
    assert!(
        progress["responses_pending"].as_u64().unwrap() > 40_000,
        "{progress}"
    );
    // Answered without analysing the backlog: the worker is still at it.
    let db = writable(&app).await;
    let (analysed,): (i64,) =
        sqlx::query_as("SELECT last_rowid FROM pipeline_cursors WHERE name = 'analysis'")
            .fetch_one(&db)
            .await
            .expect("analysis cursor");
    db.close().await;
    assert!(analysed < 70_000, "analysed {analysed} in {waited:?}");
    backlog_figures_once_warm(&app).await;
}
