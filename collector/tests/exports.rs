//! Exports (`/api/exports/responses.csv` and `.ndjson`) against responses
//! submitted over HTTP: the CSV opens in Excel (BOM, quoting of Chinese,
//! commas, quotes and line breaks, formulas defused), NDJSON lines parse,
//! filters and the flagged switch apply, flags and tags are included.

mod common;

use common::{Reply, TestApp, new_response_id, spawn_app};
use reqwest::StatusCode;
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

async fn get(app: &TestApp, path: &str) -> Reply {
    let token = app
        .app
        .demo_admin_token
        .as_ref()
        .expect("demo token")
        .expose_secret()
        .to_owned();
    let r = app
        .client
        .get(app.url(path))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("GET");
    Reply::from(r).await
}

async fn submit(app: &TestApp, answers: Value, channel: &str, seconds: u32) -> String {
    let id = new_response_id();
    let body = json!({
        "response_id": id, "site": "demo", "survey_id": "post-payment", "survey_version": 1,
        "answers": answers,
        "context": { "order_id": format!("o-{id}"), "customer": format!("c-{id}"),
                     "channel": channel, "segment": "vip", "locale": "zh-CN" },
        "timing": { "shown_at": "2026-11-23T08:00:00Z",
                    "submitted_at": format!("2026-11-23T08:00:{seconds:02}Z") }
    });
    let reply = app.post_response(&body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    id
}

/// Today's range (responses are received now).
fn today() -> String {
    let d = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date();
    format!("from={d}&to={d}")
}

const TRICKY: &str = "物流太慢, 客服说\"明天到\"\n结果没到";

async fn fixture(app: &TestApp) -> (String, String, String) {
    let slow = submit(
        app,
        json!({"nps": 2, "reason": ["slow_delivery", "price"], "comment": TRICKY}),
        "wechat",
        40,
    )
    .await;
    let formula = submit(
        app,
        json!({"nps": 9, "comment": "=HYPERLINK(\"http://x\")"}),
        "web",
        30,
    )
    .await;
    // One second for one question: flagged too fast.
    let fast = submit(app, json!({"nps": 10}), "web", 1).await;
    (slow, formula, fast)
}

#[tokio::test]
async fn csv_starts_with_a_bom_and_quotes_chinese_commas_quotes_and_newlines() {
    let app = spawn_app().await;
    let (slow, formula, fast) = fixture(&app).await;
    let reply = get(
        &app,
        &format!("/api/exports/responses.csv?{}&survey=post-payment", today()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        reply
            .header("content-disposition")
            .starts_with("attachment; filename=\"responses-")
    );
    assert_eq!(&reply.bytes[..3], b"\xEF\xBB\xBF", "BOM first");
    let text = std::str::from_utf8(&reply.bytes[3..]).expect("UTF-8");
    // The comment is one quoted field, its quotes doubled, its line break kept.
    assert!(
        text.contains("\"物流太慢, 客服说\"\"明天到\"\"\n结果没到\""),
        "{text}"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "response_id",
            "survey_id",
            "survey_version",
            "received_at",
            "submitted_at",
            "shown_at",
            "duration_ms",
            "order_id",
            "customer",
            "channel",
            "segment",
            "locale",
            "flagged",
            "flags",
            "tags",
            "answers",
            "q.nps",
            "q.reason",
            "q.comment",
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3, "flagged responses are exported by default");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = |id: &str| rows.iter().find(|r| &r[0] == id).expect("row").clone();
    let s = row(&slow);
    assert_eq!(&s[col("q.comment")], TRICKY);
    assert_eq!(&s[col("q.nps")], "2");
    assert_eq!(&s[col("q.reason")], "slow_delivery;price");
    assert_eq!(&s[col("tags")], "logistics_slow");
    assert_eq!(&s[col("flagged")], "false");
    assert_eq!(&s[col("duration_ms")], "40000");
    assert_eq!(&s[col("channel")], "wechat");
    let answers: Value = serde_json::from_str(&s[col("answers")]).unwrap();
    assert_eq!(answers["comment"], TRICKY);
    // A comment that looks like a formula is shown, not evaluated.
    assert_eq!(
        &row(&formula)[col("q.comment")],
        "'=HYPERLINK(\"http://x\")"
    );
    let f = row(&fast);
    assert_eq!(&f[col("flagged")], "true");
    assert_eq!(&f[col("flags")], "too_fast");

    // Filters: without flagged, one channel, one tag.
    let unflagged = get(
        &app,
        &format!(
            "/api/exports/responses.csv?{}&include_flagged=false",
            today()
        ),
    )
    .await;
    let n = csv::Reader::from_reader(&unflagged.bytes[3..])
        .records()
        .count();
    assert_eq!(n, 2);
    let web = get(
        &app,
        &format!("/api/exports/responses.csv?{}&channel=web", today()),
    )
    .await;
    assert_eq!(
        csv::Reader::from_reader(&web.bytes[3..]).records().count(),
        2
    );
    let tagged = get(
        &app,
        &format!("/api/exports/responses.csv?{}&tag=logistics_slow", today()),
    )
    .await;
    let records: Vec<_> = csv::Reader::from_reader(&tagged.bytes[3..])
        .records()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(&records[0][0], slow.as_str());
    // Without a survey: no question columns.
    let all = get(&app, &format!("/api/exports/responses.csv?{}", today())).await;
    let mut r = csv::Reader::from_reader(&all.bytes[3..]);
    assert_eq!(r.headers().unwrap().len(), 16);
    // An empty range: the header alone.
    let empty = get(
        &app,
        "/api/exports/responses.csv?from=2020-01-01&to=2020-01-02",
    )
    .await;
    assert_eq!(
        csv::Reader::from_reader(&empty.bytes[3..])
            .records()
            .count(),
        0
    );
}

#[tokio::test]
async fn ndjson_lines_parse_with_flags_tags_and_answers() {
    let app = spawn_app().await;
    let (slow, _, fast) = fixture(&app).await;
    let reply = get(&app, &format!("/api/exports/responses.ndjson?{}", today())).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/x-ndjson");
    let text = reply.text();
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    let line = |id: &str| lines.iter().find(|l| l["response_id"] == id).unwrap();
    let s = line(&slow);
    assert_eq!(s["answers"]["comment"], TRICKY);
    assert_eq!(s["tags"], json!(["logistics_slow"]));
    assert_eq!(s["flagged"], false);
    assert_eq!(s["survey_version"], 1);
    let f = line(&fast);
    assert_eq!(f["flagged"], true);
    assert_eq!(f["flags"], json!(["too_fast"]));
    assert_eq!(f["duration_ms"], 1000);
}

#[tokio::test]
async fn exports_need_a_token_and_check_their_parameters() {
    let app = spawn_app().await;
    for path in [
        "/api/exports/responses.csv",
        "/api/exports/responses.ndjson",
    ] {
        let reply = Reply::from(app.client.get(app.url(path)).send().await.expect("GET")).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        let bad = get(&app, &format!("{path}?from=2026-02-30&question=nps")).await;
        bad.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
        assert!(bad.has_error("from", "bad_date"), "{}", bad.json);
        assert!(
            bad.has_error("question", "unknown_parameter"),
            "{}",
            bad.json
        );
    }
}

#[tokio::test]
async fn a_large_export_streams_every_row_once() {
    let app = spawn_app().await;
    // More than one 64 KB chunk.
    let mut ids = Vec::new();
    for i in 0..400 {
        ids.push(submit(&app, json!({"nps": i % 11, "reason": if i % 11 <= 6 { json!(["price"]) } else { Value::Null }, "comment": "很长的评论，".repeat(20)}), "web", 30).await);
    }
    let reply = get(&app, &format!("/api/exports/responses.ndjson?{}", today())).await;
    assert!(
        reply.bytes.len() > 2 * 64 * 1024,
        "{} bytes",
        reply.bytes.len()
    );
    let got: Vec<String> = reply
        .text()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["response_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(got, ids, "every row once, in the order stored");
}

/// The client's timing strings are only checked to be strings at ingest:
/// one that looks like a formula is exported as text, not evaluated.
#[tokio::test]
async fn client_timing_strings_that_look_like_formulas_are_defused() {
    let app = spawn_app().await;
    let id = new_response_id();
    let body = json!({
        "response_id": id, "site": "demo", "survey_id": "post-payment", "survey_version": 1,
        "answers": {"nps": 8},
        "timing": { "shown_at": "=HYPERLINK(\"http://x\")", "submitted_at": "+1" }
    });
    let reply = app.post_response(&body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let csv = get(&app, &format!("/api/exports/responses.csv?{}", today())).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = std::str::from_utf8(&csv.bytes[3..]).expect("UTF-8 after the BOM");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let row = rows.iter().find(|r| r[0] == *id).expect("the row");
    assert_eq!(&row[col("shown_at")], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&row[col("submitted_at")], "'+1");
}
