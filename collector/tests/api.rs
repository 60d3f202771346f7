//! HTTP API tests against a real collector on an OS-chosen port, each with a
//! fresh database in its own temporary folder.

mod common;

use common::*;
use manyi_collector::{App, Config};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};
use std::path::Path;

// ---------------------------------------------------------------- health, surveys

#[tokio::test]
async fn healthz_answers_ok_once_the_database_answers() {
    let app = spawn_app().await;
    let reply = app.get("/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({ "status": "ok" }));
}

#[tokio::test]
async fn the_published_survey_is_served_with_a_short_cache() {
    let app = spawn_app().await;
    let reply = app.get_survey("post-payment").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(header::CACHE_CONTROL), "public, max-age=60");
    assert!(
        reply
            .header(header::CONTENT_TYPE)
            .starts_with("application/json")
    );
    let expected =
        serde_json::to_value(manyi_collector::seed::demo_survey().expect("seed")).expect("json");
    assert_eq!(reply.json, expected);
}

#[tokio::test]
async fn survey_definitions_and_the_demo_page_are_brotli_compressed_for_browsers() {
    let app = spawn_app().await;
    for path in ["/v1/surveys/post-payment", "/demo"] {
        let reply = app
            .client
            .get(app.url(path))
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .send()
            .await
            .expect("request");
        assert_eq!(reply.status(), StatusCode::OK, "{path}");
        assert_eq!(
            reply
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            Some("br"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn unknown_or_malformed_survey_ids_are_404_survey_not_found() {
    let app = spawn_app().await;
    for id in ["no-such-survey", "Not%20An%20Id"] {
        app.get_survey(id)
            .await
            .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    }
}

// ---------------------------------------------------------------- responses: happy path and dedupe

#[tokio::test]
async fn a_response_is_stored_once_and_a_retry_gets_200_with_the_first_body() {
    let app = spawn_app().await;
    let payload = valid_payload();

    let first = app.post_response(&payload).await;
    assert_eq!(first.status, StatusCode::CREATED, "body: {}", first.json);
    assert_eq!(first.json["response_id"], payload["response_id"]);
    assert_eq!(first.json["status"], "accepted");
    assert!(first.json["received_at"].is_string());

    let retry = app.post_response(&payload).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(
        retry.json, first.json,
        "a retry replays the first acceptance"
    );

    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].received_at,
        first.json["received_at"].as_str().expect("string")
    );
}

#[tokio::test]
async fn a_stored_response_keeps_every_column() {
    let app = spawn_app().await;
    let payload = valid_payload();
    let reply = app.post_response(&payload).await;
    assert_eq!(reply.status, StatusCode::CREATED, "body: {}", reply.json);

    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let context = &payload["context"];
    assert_eq!(
        row.response_id,
        payload["response_id"].as_str().expect("id")
    );
    assert_eq!(row.site_key, "demo");
    assert_eq!(row.survey_id, "post-payment");
    assert_eq!(row.survey_version, 1);
    assert_eq!(row.order_id.as_deref(), context["order_id"].as_str());
    assert_eq!(row.customer.as_deref(), Some("c-42"));
    assert_eq!(row.channel.as_deref(), Some("wechat"));
    assert_eq!(row.segment.as_deref(), Some("vip"));
    assert_eq!(row.locale.as_deref(), Some("zh-CN"));
    assert_eq!(row.page.as_deref(), Some("https://shop.example/paid"));
    let answers: Value = serde_json::from_str(&row.answers).expect("answers JSON");
    assert_eq!(answers, json!({ "nps": 9, "comment": "快递很快" }));
    assert_eq!(row.payload_hash.len(), 64);
    assert!(row.payload_hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(row.shown_at.as_deref(), Some("2026-11-23T08:00:00Z"));
    assert_eq!(row.submitted_at.as_deref(), Some("2026-11-23T08:00:41Z"));
    assert_eq!(
        row.received_at,
        reply.json["received_at"].as_str().expect("received_at")
    );
    // Fixed-width UTC, so text order is time order.
    assert_eq!(row.received_at.len(), "2026-11-23T08:00:41.123Z".len());
    assert!(row.received_at.ends_with('Z'));
}

#[tokio::test]
async fn a_reused_response_id_with_another_body_is_a_409_response_id_conflict() {
    let app = spawn_app().await;
    let payload = valid_payload();
    assert_eq!(
        app.post_response(&payload).await.status,
        StatusCode::CREATED
    );

    let mut changed = payload.clone();
    changed["answers"]["nps"] = json!(10);
    app.post_response(&changed)
        .await
        .assert_error(StatusCode::CONFLICT, "response_id_conflict");

    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    let answers: Value = serde_json::from_str(&rows[0].answers).expect("json");
    assert_eq!(answers["nps"], 9, "the first response is kept");
}

#[tokio::test]
async fn a_second_response_for_an_answered_order_is_a_409_already_answered() {
    let app = spawn_app().await;
    let payload = valid_payload();
    assert_eq!(
        app.post_response(&payload).await.status,
        StatusCode::CREATED
    );

    let mut second = payload.clone();
    second["response_id"] = json!(new_response_id());
    app.post_response(&second)
        .await
        .assert_error(StatusCode::CONFLICT, "already_answered");

    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].response_id,
        payload["response_id"].as_str().expect("id")
    );
}

#[tokio::test]
async fn responses_without_an_order_id_are_never_already_answered() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let mut payload = valid_payload();
        payload["context"]
            .as_object_mut()
            .expect("object")
            .remove("order_id");
        assert_eq!(
            app.post_response(&payload).await.status,
            StatusCode::CREATED
        );
    }
    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.order_id.is_none()));
}

#[tokio::test]
async fn a_text_plain_body_is_accepted() {
    let app = spawn_app().await;
    let payload = valid_payload();
    let reply = app
        .post_raw(payload.to_string(), "text/plain;charset=UTF-8")
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "body: {}", reply.json);
    assert_eq!(app.stored_responses().await.len(), 1);
}

#[tokio::test]
async fn concurrent_duplicate_submissions_store_exactly_one_row() {
    let app = spawn_app().await;
    let payload = valid_payload();
    let (a, b, c, d) = tokio::join!(
        app.post_response(&payload),
        app.post_response(&payload),
        app.post_response(&payload),
        app.post_response(&payload),
    );
    let mut statuses: Vec<u16> = [&a, &b, &c, &d].iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 201]);
    for r in [&b, &c, &d] {
        assert_eq!(r.json, a.json, "every reply carries the first acceptance");
    }
    assert_eq!(app.stored_responses().await.len(), 1);
}

#[tokio::test]
async fn concurrent_different_responses_for_one_order_store_exactly_one() {
    let app = spawn_app().await;
    let first = valid_payload();
    let mut second = first.clone();
    second["response_id"] = json!(new_response_id());
    second["answers"]["nps"] = json!(10);
    let (a, b) = tokio::join!(app.post_response(&first), app.post_response(&second));
    let mut outcomes = [
        (a.status.as_u16(), a.json["code"].clone()),
        (b.status.as_u16(), b.json["code"].clone()),
    ];
    outcomes.sort_by_key(|o| o.0);
    assert_eq!(outcomes[0], (201, Value::Null));
    assert_eq!(outcomes[1], (409, json!("already_answered")));
    assert_eq!(app.stored_responses().await.len(), 1);
}

// ---------------------------------------------------------------- responses: rejections

/// What a bad input must produce.
struct Case {
    name: &'static str,
    body: Vec<u8>,
    status: StatusCode,
    code: &'static str,
    /// An entry `errors` must contain, as (question, code).
    error: Option<(&'static str, &'static str)>,
}

fn case(
    name: &'static str,
    body: impl Into<Vec<u8>>,
    status: StatusCode,
    code: &'static str,
) -> Case {
    Case {
        name,
        body: body.into(),
        status,
        code,
        error: None,
    }
}

fn with(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut payload = valid_payload();
    edit(&mut payload);
    payload.to_string().into_bytes()
}

/// The valid payload's text with `from` replaced once by the bytes `to`,
/// which need not be UTF-8.
fn replaced(from: &str, to: &[u8]) -> Vec<u8> {
    let text = valid_payload().to_string();
    let at = text.find(from).expect("in the payload");
    let bytes = text.as_bytes();
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

fn invalid(
    name: &'static str,
    edit: impl FnOnce(&mut Value),
    question: &'static str,
    code: &'static str,
) -> Case {
    Case {
        name,
        body: with(edit),
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_response",
        error: Some((question, code)),
    }
}

#[tokio::test]
async fn bad_inputs_are_rejected_with_exact_codes_and_nothing_is_stored() {
    let app = spawn_app().await;
    let big_comment = "x".repeat(65 * 1024);
    let cases = [
        case(
            "truncated JSON",
            r#"{"response_id":"#,
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case(
            "not JSON",
            "nps=9",
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case("empty body", "", StatusCode::BAD_REQUEST, "malformed_json"),
        case(
            "unknown top-level field",
            with(|p| p["extra"] = json!(1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "unknown context field",
            with(|p| p["context"]["colour"] = json!("red")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "version as a string",
            with(|p| p["survey_version"] = json!("1")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "response id not a UUID v4",
            with(|p| p["response_id"] = json!("not-a-uuid")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "answers missing",
            with(|p| {
                p.as_object_mut().expect("object").remove("answers");
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "a JSON array",
            "[1,2]",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "control character in a string",
            replaced("c-42", b"c-\x0142"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case(
            "invalid UTF-8 in a string",
            replaced("c-42", b"c-\xff42"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case(
            "lone surrogate escape",
            replaced("c-42", br"\ud800"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case(
            "characters after the payload",
            [with(|_| {}), b" {}".to_vec()].concat(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case(
            "answers nested too deeply",
            replaced(
                "\"快递很快\"",
                format!("{}1{}", "[".repeat(200), "]".repeat(200)).as_bytes(),
            ),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case(
            "JSON null",
            "null",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "unknown timing field",
            with(|p| p["timing"]["when"] = json!(1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "context null",
            with(|p| p["context"] = json!(null)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "answers as an array",
            with(|p| p["answers"] = json!(["nps", 9])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "negative version",
            with(|p| p["survey_version"] = json!(-1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "version with a fraction",
            with(|p| p["survey_version"] = json!(1.0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "response id as a number",
            with(|p| p["response_id"] = json!(7)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "expiry as a string",
            with(|p| p["context"]["exp"] = json!("1790000000")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "signature as a number",
            with(|p| p["sig"] = json!(1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_payload",
        ),
        case(
            "unknown site",
            with(|p| p["site"] = json!("nosuchsite")),
            StatusCode::NOT_FOUND,
            "unknown_site",
        ),
        case(
            "unknown survey",
            with(|p| p["survey_id"] = json!("no-such-survey")),
            StatusCode::NOT_FOUND,
            "survey_not_found",
        ),
        case(
            "version not published",
            with(|p| p["survey_version"] = json!(2)),
            StatusCode::NOT_FOUND,
            "survey_not_found",
        ),
        case(
            "body over 64 KiB",
            with(|p| p["answers"]["comment"] = json!(big_comment)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        invalid(
            "NPS out of range",
            |p| p["answers"] = json!({ "nps": 11 }),
            "nps",
            "out_of_range",
        ),
        invalid(
            "required question missing",
            |p| p["answers"] = json!({}),
            "nps",
            "required",
        ),
        invalid(
            "follow-up required for a detractor",
            |p| p["answers"] = json!({ "nps": 3 }),
            "reason",
            "required",
        ),
        invalid(
            "answer to a hidden question",
            |p| p["answers"] = json!({ "nps": 9, "reason": ["price"] }),
            "reason",
            "hidden_answered",
        ),
        invalid(
            "NPS as a string",
            |p| p["answers"] = json!({ "nps": "9" }),
            "nps",
            "wrong_type",
        ),
    ];
    for c in cases {
        let reply = app.post_raw(c.body, "application/json").await;
        assert_eq!(reply.status, c.status, "{}: body {}", c.name, reply.json);
        assert_eq!(
            reply.json["code"], c.code,
            "{}: body {}",
            c.name, reply.json
        );
        assert!(
            reply.json["message"].is_string(),
            "{}: body {}",
            c.name,
            reply.json
        );
        assert!(
            reply.json["errors"].is_array(),
            "{}: body {}",
            c.name,
            reply.json
        );
        if let Some((question, code)) = c.error {
            assert!(
                reply.has_error(question, code),
                "{}: expected {question}/{code} in {}",
                c.name,
                reply.json
            );
        }
    }
    assert!(app.stored_responses().await.is_empty());
}

#[tokio::test]
async fn an_out_of_range_nps_is_the_first_listed_error() {
    let app = spawn_app().await;
    let reply = app
        .post_raw(with(|p| p["answers"] = json!({ "nps": 11 })), "text/plain")
        .await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_response");
    assert_eq!(reply.json["errors"][0]["question"], "nps");
    assert_eq!(reply.json["errors"][0]["code"], "out_of_range");
    assert!(reply.json["errors"][0]["message"].is_string());
}

#[tokio::test]
async fn malformed_json_reports_serdes_message() {
    let app = spawn_app().await;
    let reply = app.post_raw("{\"response_id\": ", "application/json").await;
    reply.assert_error(StatusCode::BAD_REQUEST, "malformed_json");
    assert!(
        reply.json["message"]
            .as_str()
            .expect("message")
            .contains("EOF"),
        "{}",
        reply.json
    );
}

#[tokio::test]
async fn shape_errors_say_what_and_where() {
    let app = spawn_app().await;
    let message = |reply: &Reply| {
        reply.json["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let cases = [
        (with(|p| p["extra"] = json!(1)), "unknown field \"extra\""),
        (
            with(|p| p["context"]["colour"] = json!("red")),
            "unknown field \"colour\" at context",
        ),
        (
            with(|p| p["survey_version"] = json!("1")),
            "survey_version: expected an integer from 0 to 4294967295, found a string",
        ),
        (
            with(|p| p["context"]["exp"] = json!(1.5)),
            "context.exp: expected a 64-bit integer, found 1.5",
        ),
        (
            with(|p| {
                p.as_object_mut().expect("object").remove("answers");
            }),
            "missing field \"answers\"",
        ),
    ];
    for (body, what) in cases {
        let reply = app.post_raw(body, "text/plain").await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload");
        assert_eq!(
            message(&reply),
            format!("the body is not a valid response payload: {what}")
        );
    }
    assert!(app.stored_responses().await.is_empty());
}

#[tokio::test]
async fn a_key_given_twice_counts_with_its_last_value() {
    let app = spawn_app().await;
    // serde_json keeps the last of a repeated key; so does the collector.
    let repeat_version = |first: u32, last: u32| {
        let body = with(|p| p["survey_version"] = json!(first));
        let (_brace, head) = body.split_last().expect("closing brace");
        [head, format!(",\"survey_version\":{last}}}").as_bytes()].concat()
    };
    app.post_raw(repeat_version(1, 2), "application/json")
        .await
        .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    let reply = app.post_raw(repeat_version(2, 1), "application/json").await;
    assert_eq!(reply.status, StatusCode::CREATED, "body: {}", reply.json);
    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].survey_version, 1);
}

#[tokio::test]
async fn escaped_strings_are_stored_unescaped() {
    let app = spawn_app().await;
    let body = valid_payload()
        .to_string()
        .replacen(r#""demo""#, r#""d\u0065mo""#, 1)
        .replacen(r#""c-42""#, r#""c-\"42\"\u6ee1""#, 1);
    let reply = app.post_raw(body, "application/json").await;
    assert_eq!(reply.status, StatusCode::CREATED, "body: {}", reply.json);
    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].site_key, "demo");
    assert_eq!(rows[0].customer.as_deref(), Some("c-\"42\"满"));
}

// ---------------------------------------------------------------- CORS, assets, demo, misc

#[tokio::test]
async fn any_origin_may_post_and_read() {
    let app = spawn_app().await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/responses"))
        .header(header::ORIGIN, "https://shop.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .send()
        .await
        .expect("OPTIONS");
    assert!(preflight.status().is_success());
    let allow = |name| {
        preflight
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    // Preflights mirror any origin: the post that follows is judged against
    // its site (see tests/trust.rs for refused origins).
    assert_eq!(
        allow(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "https://shop.example"
    );
    assert!(allow(header::ACCESS_CONTROL_ALLOW_METHODS).contains("POST"));
    assert!(
        allow(header::ACCESS_CONTROL_ALLOW_HEADERS)
            .to_ascii_lowercase()
            .contains("content-type")
    );

    let reply = app
        .get_with("/v1/surveys/post-payment", "origin", "https://shop.example")
        .await;
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
}

#[tokio::test]
async fn the_loader_is_served_with_a_short_cache_and_precompressed_when_accepted() {
    let app = spawn_app().await;
    let plain = app.get("/manyi.js").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(
        plain.header(header::CONTENT_TYPE),
        "application/javascript; charset=utf-8"
    );
    assert_eq!(plain.header(header::CACHE_CONTROL), "public, max-age=300");
    assert_eq!(plain.text(), "/* loader */");

    let br = app
        .get_with("/manyi.js", "accept-encoding", "gzip, br")
        .await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.header(header::CONTENT_ENCODING), "br");
    assert_eq!(
        br.header(header::CONTENT_TYPE),
        "application/javascript; charset=utf-8"
    );
    assert_eq!(br.text(), "BROTLI-BYTES");
    assert!(
        br.header(header::VARY)
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_typed() {
    let app = spawn_app().await;
    let wasm = app.get("/assets/manyi_widget.0123456789abcdef.wasm").await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(wasm.header(header::CONTENT_TYPE), "application/wasm");
    assert_eq!(
        wasm.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(wasm.bytes, b"\0asm\x01\0\0\0");

    let glue = app.get("/assets/manyi_widget.0123456789abcdef.js").await;
    assert_eq!(
        glue.header(header::CONTENT_TYPE),
        "application/javascript; charset=utf-8"
    );

    let missing = app.get("/assets/nope.wasm").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.header(header::CACHE_CONTROL),
        "",
        "a 404 must not be cached forever"
    );
}

#[tokio::test]
async fn the_demo_page_embeds_the_widget_like_a_customer_would() {
    let app = spawn_app().await;
    let page = app.get("/demo?order=A1001&locale=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(page.header(header::CACHE_CONTROL), "no-store");
    let html = page.text();
    assert!(html.contains(r#"<script async src="/manyi.js" data-site="demo"></script>"#));
    assert!(html.contains("manyi('show'"));
    assert!(html.contains(r#"orderId: "A1001""#));
    assert!(html.contains(r#"locale: "en""#));
    assert!(html.contains(r#"id="survey-slot""#));
    assert!(html.contains("Payment complete"));
}

#[tokio::test]
async fn the_demo_page_defaults_to_chinese_and_a_fresh_order_per_load() {
    let app = spawn_app().await;
    let order_of = |html: &str| {
        let start = html.find(r#"orderId: ""#).expect("orderId") + r#"orderId: ""#.len();
        html[start..].split('"').next().expect("order").to_owned()
    };
    let a = app.get("/demo").await.text();
    let b = app.get("/demo").await.text();
    assert!(a.contains("支付成功"));
    assert!(a.contains(r#"locale: "zh-CN""#));
    assert!(order_of(&a).starts_with("DEMO-"));
    assert_ne!(order_of(&a), order_of(&b));
}

#[tokio::test]
async fn the_demo_page_escapes_the_order_id() {
    let app = spawn_app().await;
    let page = app
        .get("/demo?order=%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("<script>alert(1)"));
}

#[tokio::test]
async fn the_root_redirects_to_the_demo() {
    let app = spawn_app().await;
    let reply = app.get("/").await;
    assert!(reply.status.is_redirection());
    assert_eq!(reply.header(header::LOCATION), "/demo");
}

#[tokio::test]
async fn unknown_paths_are_json_404s() {
    let app = spawn_app().await;
    app.get("/v1/nothing")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn data_survives_a_restart_and_seeding_is_idempotent() {
    let TestApp {
        app,
        data,
        _dist: dist,
        ..
    } = spawn_app().await;
    let client = reqwest::Client::new();
    let payload = valid_payload();
    let first = client
        .post(app.url("/v1/responses"))
        .body(payload.to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("json");
    app.shutdown().await.expect("clean shutdown");

    let again = spawn_app_in(data, dist).await;
    let retry = again.post_response(&payload).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.json, first);
    let db = again.db().await;
    let (surveys, sites): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM surveys), (SELECT count(*) FROM sites)")
            .fetch_one(&db)
            .await
            .expect("count");
    assert_eq!((surveys, sites), (1, 1));
    assert!(again.data.path().join("manyi.db").is_file());
}

#[tokio::test]
async fn the_router_works_in_process_without_a_socket() {
    use tower::ServiceExt as _;
    let data = tempfile::tempdir().expect("dir");
    let app = App::build(&Config::for_tests(data.path(), Path::new("does-not-exist")))
        .await
        .expect("build");
    let response = app
        .router()
        .oneshot(
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.db_path(), data.path().join("manyi.db"));
}
