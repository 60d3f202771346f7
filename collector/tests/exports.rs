//! Exports (`/api/exports/responses.csv` and `.ndjson`) against responses
//! submitted over HTTP: the CSV opens in Excel (BOM, quoting of Chinese,
//! commas, quotes and line breaks, formulas defused), NDJSON lines parse,
//! filters and the flagged switch apply, flags and tags are included.
//!
//! Then the keyset paging (`reports::export::Pages`), over generated
//! responses: pages of any size read exactly the stored rows in storage
//! order, responses stored meanwhile are left out whole, a stalled
//! download holds no connection (the WAL can be reset), and a client that
//! leaves ends the export.
//!
//! Last, a large analysis backlog: exports answer 503
//! `reports_warming_up` rather than analyse it within the request.

mod common;

use common::{BuiltApp, Reply, TestApp, build_app, new_response_id, spawn_app, valid_payload};
use manyi_collector::reports::export::{self, BOM, PAGE_ROWS, Pages};
use manyi_collector::seed_responses::{self, Plan};
use manyi_collector::store::Store;
use manyi_collector::store::exports::{ExportRow, ExportSelection};
use reqwest::StatusCode;
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{Connection as _, SqliteConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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

// ---------------------------------------------------------------------------
// Keyset paging: exports read in short pages over a snapshot.
// ---------------------------------------------------------------------------

/// A collector (same store as the server) with `n` generated responses
/// spread over the last two days, analysed.
async fn seeded(n: usize) -> BuiltApp {
    let app = build_app(reqwest::Client::new()).await;
    let plan = Plan {
        count: n,
        days: 2,
        seed: 42,
    };
    seed_responses::run(&app.store, &plan).await.expect("seed");
    app
}

/// `from=…&to=…` covering every generated response (today in UTC+08:00
/// and the three days before).
fn seeded_range() -> String {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date();
    format!("from={}&to={today}", today - time::Duration::days(3))
}

/// Every response of every time, flagged ones included.
fn everything() -> ExportSelection {
    ExportSelection {
        received_from: "2000-01-01T00:00:00.000Z".to_owned(),
        received_before: "9999-01-01T00:00:00.000Z".to_owned(),
        include_flagged: true,
        ..ExportSelection::default()
    }
}

/// A stored response as the test reads it: all rows, no filter.
#[derive(Debug, sqlx::FromRow)]
struct Stored {
    rowid: i64,
    #[sqlx(flatten)]
    row: ExportRow,
}

/// Every stored response with its analysis, in rowid order, read with a
/// connection of the test's own.
async fn stored(db_path: &std::path::Path) -> Vec<Stored> {
    let options = SqliteConnectOptions::new()
        .filename(db_path)
        .read_only(true);
    let db = SqlitePool::connect_with(options).await.expect("open db");
    let rows = sqlx::query_as(
        "SELECT r.rowid AS rowid, r.response_id, r.survey_id, r.survey_version, r.received_at,
                r.submitted_at, r.shown_at, a.duration_ms, r.order_id, r.customer, r.channel,
                r.segment, r.locale, COALESCE(a.flagged, 0) AS flagged,
                COALESCE(a.flags, '[]') AS flags, COALESCE(a.tags, '[]') AS tags, r.answers
         FROM responses r LEFT JOIN response_analysis a ON a.response_id = r.response_id
         ORDER BY r.rowid",
    )
    .fetch_all(&db)
    .await
    .expect("select");
    db.close().await;
    rows
}

fn tags_of(row: &ExportRow) -> Vec<String> {
    serde_json::from_str(&row.tags).expect("tags JSON")
}

/// Whether `sel` selects `row`: the filter semantics of docs/reports-api.md,
/// written out independently of the export's SQL.
fn selects(sel: &ExportSelection, row: &ExportRow) -> bool {
    let same = |want: &Option<String>, have: &Option<String>| {
        want.as_ref()
            .is_none_or(|w| w.as_str() == have.as_deref().unwrap_or(""))
    };
    row.received_at >= sel.received_from
        && row.received_at < sel.received_before
        && sel.survey.as_ref().is_none_or(|s| *s == row.survey_id)
        && sel.version.is_none_or(|v| v == row.survey_version)
        && same(&sel.channel, &row.channel)
        && same(&sel.segment, &row.segment)
        && same(&sel.locale, &row.locale)
        && sel.tag.as_ref().is_none_or(|t| tags_of(row).contains(t))
        && (sel.include_flagged || row.flagged == 0)
}

/// The export of `sel` read page by page to the end: rows and pages read.
async fn read_all(store: &Store, sel: ExportSelection, page_rows: u32) -> (Vec<ExportRow>, usize) {
    let mut pages = Pages::start(store, sel, page_rows).await.expect("start");
    let (mut rows, mut statements) = (Vec::new(), 0);
    while let Some(page) = pages.next_page(store).await.expect("page") {
        assert!(
            page.len() <= page_rows as usize,
            "a page holds at most its size"
        );
        statements += 1;
        rows.extend(page);
    }
    (rows, statements)
}

/// Waits (up to 10 s) until no reader connection is in use: background
/// workers take one now and then, an export between pages must not.
async fn wait_for_idle_readers(store: &Store) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let c = store.reader_connections();
        if c.idle == c.open as usize {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "reader connections stay in use: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (up to 10 s) until the analysis has processed every stored response.
async fn wait_for_analysis(store: &Store) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.analysis_cursor().await.unwrap() < store.last_response_rowid().await.unwrap() {
        assert!(Instant::now() < deadline, "the analysis does not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl BuiltApp {
    async fn export(&self, path: &str) -> Reply {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET");
        Reply::from(r).await
    }

    /// Posts one more valid response to the demo survey; its id.
    async fn post_one(&self) -> String {
        let body = valid_payload();
        let r = self
            .client
            .post(format!("{}/v1/responses", self.base))
            .json(&body)
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::CREATED);
        body["response_id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn pages_of_any_size_read_exactly_the_stored_rows_in_storage_order() {
    let app = seeded(3000).await;
    let all = stored(&app.db_path).await;
    assert_eq!(all.len(), 3000);
    // The most frequent tag: a sparse selection (pages span many windows).
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for s in &all {
        for t in tags_of(&s.row) {
            *counts.entry(t).or_default() += 1;
        }
    }
    let (tag, tagged) = counts.into_iter().max_by_key(|(_, n)| *n).expect("a tag");
    assert!(tagged > 10 && tagged < 600, "{tag}: {tagged}");
    // One day in the middle of the two.
    let middle = &all[1500].row.received_at;
    let next_day = {
        let t = time::OffsetDateTime::parse(middle, &time::format_description::well_known::Rfc3339)
            .unwrap();
        manyi_collector::store::format_timestamp(t + time::Duration::days(1))
    };
    let selections = [
        ("everything", everything()),
        (
            "unflagged",
            ExportSelection {
                include_flagged: false,
                ..everything()
            },
        ),
        (
            "one channel",
            ExportSelection {
                channel: Some("miniprogram".into()),
                ..everything()
            },
        ),
        (
            "one segment and locale",
            ExportSelection {
                segment: Some("vip".into()),
                locale: Some("zh-CN".into()),
                ..everything()
            },
        ),
        (
            "one tag",
            ExportSelection {
                tag: Some(tag.clone()),
                ..everything()
            },
        ),
        (
            "one survey version",
            ExportSelection {
                survey: Some("post-payment".into()),
                version: Some(1),
                ..everything()
            },
        ),
        (
            "one day",
            ExportSelection {
                received_from: middle.clone(),
                received_before: next_day,
                ..everything()
            },
        ),
    ];
    for page_rows in [7, 1000] {
        for (name, sel) in &selections {
            let expected: Vec<ExportRow> = all
                .iter()
                .filter(|s| selects(sel, &s.row))
                .map(|s| s.row.clone())
                .collect();
            assert!(
                !expected.is_empty(),
                "{name}: the fixture selects something"
            );
            let (got, pages) = read_all(&app.store, sel.clone(), page_rows).await;
            assert_eq!(got.len(), expected.len(), "{name}, pages of {page_rows}");
            assert!(got == expected, "{name}, pages of {page_rows}: rows differ");
            if *name == "everything" {
                // Several pages, and the last one not necessarily full.
                assert_eq!(pages, 3000_usize.div_ceil(page_rows as usize), "{name}");
            }
        }
    }
    // Pages of one: a window of 16 rowids per statement, most of them empty
    // for a sparse tag.
    let sel = ExportSelection {
        tag: Some(tag.clone()),
        ..everything()
    };
    let (got, pages) = read_all(&app.store, sel, 1).await;
    assert_eq!(got.len(), tagged);
    assert!(pages >= 3000 / 16, "{pages} statements");
    assert!(got.iter().all(|r| tags_of(r).contains(&tag)));
    // Nothing is held once the export is read.
    wait_for_idle_readers(&app.store).await;
    app.stop().await;
}

#[tokio::test]
async fn an_export_of_several_pages_over_http_has_every_stored_row_once_in_order() {
    let app = seeded(2500).await;
    let all = stored(&app.db_path).await;
    assert!(all.len() > 2 * PAGE_ROWS as usize, "three pages");
    let reply = app
        .export(&format!("/api/exports/responses.ndjson?{}", seeded_range()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let lines: Vec<Value> = reply
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), all.len());
    for (line, s) in lines.iter().zip(&all) {
        let r = &s.row;
        let expected = json!({
            "response_id": r.response_id, "survey_id": r.survey_id,
            "survey_version": r.survey_version, "received_at": r.received_at,
            "submitted_at": r.submitted_at, "shown_at": r.shown_at,
            "duration_ms": r.duration_ms, "order_id": r.order_id, "customer": r.customer,
            "channel": r.channel, "segment": r.segment, "locale": r.locale,
            "flagged": r.flagged == 1,
            "flags": serde_json::from_str::<Value>(&r.flags).unwrap(),
            "tags": serde_json::from_str::<Value>(&r.tags).unwrap(),
            "answers": serde_json::from_str::<Value>(&r.answers).unwrap(),
        });
        assert_eq!(line, &expected);
    }
    // The flagged switch over several pages.
    let unflagged = app
        .export(&format!(
            "/api/exports/responses.csv?{}&include_flagged=false",
            seeded_range()
        ))
        .await;
    assert_eq!(&unflagged.bytes[..3], BOM);
    let ids: Vec<String> = csv::Reader::from_reader(&unflagged.bytes[3..])
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    let expected: Vec<&str> = all
        .iter()
        .filter(|s| s.row.flagged == 0)
        .map(|s| s.row.response_id.as_str())
        .collect();
    assert!(
        expected.len() < all.len(),
        "the fixture has flagged responses"
    );
    assert_eq!(ids, expected);
    app.stop().await;
}

#[tokio::test]
async fn responses_stored_during_an_export_are_left_out_whole() {
    let app = seeded(500).await;
    let before = stored(&app.db_path).await;
    let mut pages = Pages::start(&app.store, everything(), 50).await.unwrap();
    assert_eq!(pages.snapshot(), before.last().unwrap().rowid);
    let mut got = pages
        .next_page(&app.store)
        .await
        .unwrap()
        .expect("a first page");
    // New responses arrive (and are analysed) in the middle of the export.
    let mut new_ids = Vec::new();
    for _ in 0..5 {
        new_ids.push(app.post_one().await);
    }
    wait_for_analysis(&app.store).await;
    let after = stored(&app.db_path).await;
    assert_eq!(
        after
            .iter()
            .filter(|s| selects(&everything(), &s.row))
            .count(),
        before.len() + 5,
        "the new responses match the export's filter"
    );
    while let Some(page) = pages.next_page(&app.store).await.unwrap() {
        got.extend(page);
    }
    let expected: Vec<ExportRow> = before.into_iter().map(|s| s.row).collect();
    assert!(
        got == expected,
        "exactly the responses stored before the export"
    );
    assert!(got.iter().all(|r| !new_ids.contains(&r.response_id)));
    app.stop().await;
}

#[tokio::test]
async fn a_stalled_download_holds_no_connection_and_lets_the_wal_reset() {
    let app = seeded(3000).await;
    let pages = Pages::start(&app.store, everything(), 100).await.unwrap();
    let (mut chunks, task) =
        export::spawn_chunks(app.store.clone(), pages, Vec::new(), |row, buf| {
            buf.extend_from_slice(export::ndjson_line(row).as_bytes());
            buf.push(b'\n');
        });
    // The client reads nothing: the task fills the channel and waits.
    let deadline = Instant::now() + Duration::from_secs(10);
    while chunks.len() < chunks.max_capacity() {
        assert!(Instant::now() < deadline, "the channel does not fill");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !task.is_finished(),
        "the export is not over: the client is slow"
    );
    // A write after the export started, so the WAL has frames to reset.
    app.post_one().await;
    wait_for_idle_readers(&app.store).await;
    // A TRUNCATE checkpoint completes (busy = 0) only when no reader uses
    // the WAL: a download reading from one open statement would block it
    // for as long as the client stalls. Background workers read now and
    // then, hence a few tries.
    let options = SqliteConnectOptions::new()
        .filename(&app.db_path)
        .busy_timeout(Duration::from_millis(500));
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    let mut reset = false;
    for _ in 0..20 {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        if busy == 0 {
            reset = true;
            break;
        }
    }
    assert!(
        reset,
        "the WAL could not be reset while the download stalled"
    );
    assert!(!task.is_finished());
    // The client resumes: the whole snapshot arrives, without the response
    // stored meanwhile.
    let mut text = Vec::new();
    while let Some(chunk) = chunks.recv().await {
        text.extend(chunk.expect("a chunk"));
    }
    task.await.unwrap();
    let lines = String::from_utf8(text).unwrap().lines().count();
    assert_eq!(lines, 3000);
    conn.close().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_leaves_mid_download_ends_the_export_and_frees_its_connections() {
    let app = seeded(3000).await;
    let pages = Pages::start(&app.store, everything(), 10).await.unwrap();
    let encoded = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&encoded);
    let (mut chunks, task) =
        export::spawn_chunks(app.store.clone(), pages, Vec::new(), move |row, buf| {
            counter.fetch_add(1, Ordering::Relaxed);
            buf.extend_from_slice(export::ndjson_line(row).as_bytes());
            buf.push(b'\n');
        });
    let first = chunks.recv().await.expect("a first chunk").expect("bytes");
    assert!(first.len() >= export::CHUNK_BYTES);
    drop(chunks);
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the export task ends when its client leaves")
        .expect("without panicking");
    let n = encoded.load(Ordering::Relaxed);
    assert!(
        n > 0 && n < 3000,
        "it stopped early: {n} of 3000 rows encoded"
    );
    wait_for_idle_readers(&app.store).await;

    // The same over HTTP: read one chunk, hang up; the collector's readers
    // are all idle again and the next export is whole.
    let mut response = app
        .client
        .get(format!(
            "{}/api/exports/responses.ndjson?{}",
            app.base,
            seeded_range()
        ))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.chunk().await.expect("a chunk").is_some());
    drop(response);
    wait_for_idle_readers(&app.store).await;
    let whole = app
        .export(&format!("/api/exports/responses.ndjson?{}", seeded_range()))
        .await;
    assert_eq!(whole.text().lines().count(), 3000);
    app.stop().await;
}

/// [`a_large_analysis_backlog_answers_warming_up_without_analysing_it_in_the_request`]'s
/// backlog: 70,000 responses to `post-payment` received on 2026-11-02
/// (UTC+08:00), none analysed, numbered `00000000-0000-4000-8000-000000000001`
/// on; the even ones answered in one second (flagged `too_fast`), the odd
/// ones in forty.
const BACKLOG: &str = "
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70000)
    INSERT INTO responses (response_id, site_key, survey_id, survey_version, order_id,
        channel, answers, payload_hash, shown_at, submitted_at, received_at, signed)
    SELECT printf('00000000-0000-4000-8000-%012d', i), 'demo', 'post-payment', 1,
        'backlog-' || i, 'web', '{\"nps\": 7}', 'x', '2026-11-02T01:59:00Z',
        CASE i % 2 WHEN 0 THEN '2026-11-02T01:59:01Z' ELSE '2026-11-02T01:59:40Z' END,
        '2026-11-02T02:00:00.000Z', 0
    FROM n";

/// How many responses [`BACKLOG`] stores.
const BACKLOG_RESPONSES: usize = 70_000;

/// The days [`BACKLOG`]'s responses fall in.
const BACKLOG_DAYS: &str = "from=2026-11-01&to=2026-11-03";

/// Whether [`BACKLOG`]'s response `id` is an even one (flagged).
fn answered_in_a_second(id: &str) -> bool {
    let n: u32 = id.rsplit('-').next().unwrap().parse().expect("numbered");
    n.is_multiple_of(2)
}

/// Responses stored faster than the background analysis keeps up with (a
/// burst, a restore, an upgrade that analyses again) are that worker's to
/// analyse: both exports answer 503 `reports_warming_up` at once, as
/// reports do, instead of analysing them all within the request; once the
/// worker is (nearly) through, the export has every row with its flags.
#[tokio::test]
async fn a_large_analysis_backlog_answers_warming_up_without_analysing_it_in_the_request() {
    // The analysis runs in the background (the default).
    let app = common::restart_after(spawn_app().await, &[BACKLOG], |_| {}).await;
    for ext in ["csv", "ndjson"] {
        let asked = Instant::now();
        let reply = get(
            &app,
            &format!("/api/exports/responses.{ext}?{BACKLOG_DAYS}"),
        )
        .await;
        let waited = asked.elapsed();
        reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "reports_warming_up");
        assert_eq!(reply.header("retry-after"), "5", "{ext}");
        let progress = &reply.json["progress"];
        assert_eq!(progress["responses_total"], 70_000, "{}", reply.json);
        assert!(
            progress["responses_pending"].as_u64().unwrap() > 40_000,
            "{progress}"
        );
        // Answered without analysing the backlog: the worker is still at it.
        let db = app.db().await;
        let (analysed,): (i64,) =
            sqlx::query_as("SELECT last_rowid FROM pipeline_cursors WHERE name = 'analysis'")
                .fetch_one(&db)
                .await
                .expect("analysis cursor");
        db.close().await;
        assert!(
            analysed < 30_000,
            "{ext}: analysed {analysed} in {waited:?}"
        );
    }

    // Retried as Retry-After says until the worker is (nearly) through.
    let path = format!("/api/exports/responses.ndjson?{BACKLOG_DAYS}");
    let deadline = Instant::now() + Duration::from_secs(300);
    let done = loop {
        let reply = get(&app, &path).await;
        if reply.status == StatusCode::OK {
            break reply;
        }
        reply.assert_error(StatusCode::SERVICE_UNAVAILABLE, "reports_warming_up");
        assert!(
            Instant::now() < deadline,
            "still warming up: {}",
            reply.json
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let lines: Vec<Value> = done
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), BACKLOG_RESPONSES);
    for (i, line) in lines.iter().enumerate() {
        let id = format!("00000000-0000-4000-8000-{:012}", i + 1);
        assert_eq!(line["response_id"], id.as_str(), "every row once, in order");
        let (flagged, flags, duration) = if answered_in_a_second(&id) {
            (true, json!(["too_fast"]), 1000)
        } else {
            (false, json!([]), 40_000)
        };
        assert_eq!(
            (&line["flagged"], &line["flags"], &line["duration_ms"]),
            (&json!(flagged), &flags, &json!(duration)),
            "{line}"
        );
    }
    // The CSV too, flagged rows left out on request: the odd half.
    let csv = get(
        &app,
        &format!("/api/exports/responses.csv?{BACKLOG_DAYS}&include_flagged=false"),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    let ids: Vec<String> = csv::Reader::from_reader(&csv.bytes[3..])
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    assert_eq!(ids.len(), BACKLOG_RESPONSES / 2);
    assert!(ids.iter().all(|id| !answered_in_a_second(id)), "{ids:?}");
}

/// Rows analysed but not yet folded into the rollups (what an upgrade that
/// rebuilds them leaves) and a large backlog of widget events hold up
/// reports (503 `reports_warming_up`), not exports: an export reads
/// neither, so it answers at once with every row.
#[tokio::test]
async fn a_rollup_and_event_backlog_holds_up_reports_but_not_exports() {
    // 110,000 'shown' events: past the 100,000 that reports wait for.
    let events = "
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 110000)
        INSERT INTO events (site_key, survey_id, event, received_at)
        SELECT 'demo', 'post-payment', 'shown', '2026-11-02T01:59:00.000Z' FROM n";
    let analysed = "UPDATE pipeline_cursors SET last_rowid = (SELECT MAX(rowid) FROM responses)
                    WHERE name = 'analysis'";
    let app = common::restart_after(spawn_app().await, &[BACKLOG, analysed, events], |_| {}).await;
    let report = get(&app, &format!("/api/reports/summary?{BACKLOG_DAYS}")).await;
    report.assert_error(StatusCode::SERVICE_UNAVAILABLE, "reports_warming_up");
    assert!(
        report.json["progress"]["events_pending"].as_u64().unwrap() > 100_000
            || report.json["progress"]["responses_pending"]
                .as_u64()
                .unwrap()
                > 40_000,
        "{}",
        report.json
    );
    let reply = get(
        &app,
        &format!("/api/exports/responses.ndjson?{BACKLOG_DAYS}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let ids: Vec<String> = reply
        .text()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("a JSON line")["response_id"]
                .as_str()
                .expect("an id")
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (1..=BACKLOG_RESPONSES)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    assert_eq!(ids, expected, "every row once, in order");
}
