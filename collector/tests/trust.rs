//! Trustworthy ingestion: per-site origins and CORS, signed contexts, rate
//! limits, and the `manyi sign` / `manyi site create` commands — against a
//! real collector on an OS-chosen port with a fresh database per test.

mod common;

use common::*;
use manyi_collector::config::{Rate, RateLimitSwitch};
use manyi_shared::signing::{self, SignedParts};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use std::process::Command;
use std::time::Duration;

const SHOP: &str = "https://shop.example";
const EVIL: &str = "https://evil.example";
const SECRET: &str = "s3cr3t-for-tests";

/// Sets the seeded `demo` site's origins and signature policy (the collector
/// reads the site on every request, so this applies at once).
async fn configure_demo(app: &TestApp, origins: &[&str], secret: Option<&str>, require: bool) {
    let options = SqliteConnectOptions::new()
        .filename(&app.app.db_path)
        .busy_timeout(Duration::from_secs(5));
    let db = SqlitePool::connect_with(options).await.expect("open db");
    sqlx::query(
        "UPDATE sites SET allowed_origins = ?, signing_secret = ?, require_signature = ?
         WHERE key = 'demo'",
    )
    .bind(serde_json::to_string(origins).expect("json"))
    .bind(secret)
    .bind(require)
    .execute(&db)
    .await
    .expect("update site");
    db.close().await;
}

/// The `signed` column of every stored response, oldest first.
async fn signed_flags(app: &TestApp) -> Vec<i64> {
    let db = app.db().await;
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT signed FROM responses ORDER BY received_at")
        .fetch_all(&db)
        .await
        .expect("select");
    db.close().await;
    rows.into_iter().map(|(s,)| s).collect()
}

/// `payload` with `context.exp` set and signed with `secret`.
fn sign_payload(mut payload: Value, secret: &str, exp: i64) -> Value {
    payload["context"]["exp"] = exp.into();
    let parsed: manyi_shared::ResponsePayload =
        serde_json::from_value(payload.clone()).expect("payload");
    payload["sig"] = signing::sign(secret.as_bytes(), &SignedParts::from_payload(&parsed)).into();
    payload
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The `manyi` binary with `args`; stdout on success.
fn manyi(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manyi"));
    cmd.args(args).env_remove("MANYI_SIGNING_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run manyi");
    assert!(
        out.status.success(),
        "manyi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

// ---------------------------------------------------------------- origins, CORS

#[tokio::test]
async fn a_post_from_an_allowed_origin_is_stored_and_the_origin_may_read_the_reply() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP, "https://other.example"], None, false).await;
    let reply = app.post_response_from(SHOP, &valid_payload()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), SHOP);
    assert!(reply.header(header::VARY).contains("origin"));
    assert_eq!(app.stored_responses().await.len(), 1);
}

#[tokio::test]
async fn a_post_from_another_origin_is_403_origin_not_allowed_and_stores_nothing() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP], None, false).await;
    for content_type in ["text/plain;charset=UTF-8", "application/json"] {
        let reply = app
            .post_to(
                "/v1/responses",
                valid_payload().to_string(),
                content_type,
                &[("origin", EVIL)],
            )
            .await;
        reply.assert_error(StatusCode::FORBIDDEN, "origin_not_allowed");
        assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "");
        assert!(reply.header(header::VARY).contains("origin"));
    }
    // Close look-alikes are other origins too.
    for origin in ["http://shop.example", "https://shop.example:8443", "null"] {
        app.post_response_from(origin, &valid_payload())
            .await
            .assert_error(StatusCode::FORBIDDEN, "origin_not_allowed");
    }
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn the_origin_is_checked_before_the_answers_and_the_signature() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP], Some(SECRET), true).await;
    let mut invalid = valid_payload();
    invalid["answers"]["nps"] = 11.into();
    app.post_response_from(EVIL, &invalid)
        .await
        .assert_error(StatusCode::FORBIDDEN, "origin_not_allowed");
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn errors_after_the_origin_check_are_readable_by_the_allowed_origin() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP], None, false).await;
    let mut invalid = valid_payload();
    invalid["answers"]["nps"] = 11.into();
    let reply = app.post_response_from(SHOP, &invalid).await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_response");
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), SHOP);
}

#[tokio::test]
async fn posts_without_an_origin_or_from_the_collector_itself_are_not_refused_by_origin() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP], None, false).await;
    // A merchant's server posting directly sends no Origin.
    let reply = app.post_response(&valid_payload()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "");
    // The collector's own pages (demo, hosted survey) are same-origin.
    let own = format!("http://{}", app.app.addr);
    let reply = app.post_response_from(&own, &valid_payload()).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(app.count("responses").await, 2);
}

#[tokio::test]
async fn a_refused_origin_still_gets_a_preflight_answer_but_its_post_is_refused() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP], None, false).await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/responses"))
        .header(header::ORIGIN, EVIL)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .send()
        .await
        .expect("OPTIONS");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        EVIL
    );
    let reply = app
        .post_to(
            "/v1/responses",
            valid_payload().to_string(),
            "application/json",
            &[("origin", EVIL)],
        )
        .await;
    reply.assert_error(StatusCode::FORBIDDEN, "origin_not_allowed");
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn widget_files_and_survey_definitions_are_readable_from_any_origin() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP], Some(SECRET), true).await;
    for path in [
        "/manyi.js",
        "/assets/manyi_widget.0123456789abcdef.wasm",
        "/v1/surveys/post-payment",
    ] {
        let reply = app.get_with(path, "origin", EVIL).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(
            reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "*",
            "{path}"
        );
    }
}

// ---------------------------------------------------------------- signatures

#[tokio::test]
async fn bad_signatures_are_401_with_exact_codes_and_store_nothing() {
    let app = spawn_app().await;
    configure_demo(&app, &["*"], Some(SECRET), true).await;
    let later = now_unix() + 3600;
    let unsigned = valid_payload();
    let forged = sign_payload(valid_payload(), "not-the-secret", later);
    let mut tampered = sign_payload(valid_payload(), SECRET, later);
    tampered["context"]["customer"] = "c-43".into();
    let expired = sign_payload(valid_payload(), SECRET, now_unix() - 1);
    let mut malformed = valid_payload();
    malformed["sig"] = "not-hex".into();
    let mut separator = sign_payload(valid_payload(), SECRET, later);
    separator["context"]["order_id"] = "A|1".into();
    let mut empty = valid_payload();
    empty["sig"] = "".into();
    for (name, payload, code) in [
        ("unsigned", &unsigned, "signature_missing"),
        ("empty", &empty, "signature_missing"),
        ("forged", &forged, "signature_mismatch"),
        ("tampered", &tampered, "signature_mismatch"),
        ("expired", &expired, "signature_expired"),
        ("malformed", &malformed, "signature_malformed"),
        ("separator in a part", &separator, "signature_malformed"),
    ] {
        let reply = app.post_response_from(SHOP, payload).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {}",
            reply.json
        );
        reply.assert_error(StatusCode::UNAUTHORIZED, code);
    }
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn a_valid_signature_is_accepted_and_stored_as_signed() {
    let app = spawn_app().await;
    configure_demo(&app, &[SHOP], Some(SECRET), true).await;
    let payload = sign_payload(valid_payload(), SECRET, now_unix() + 3600);
    let reply = app.post_response_from(SHOP, &payload).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), SHOP);
    // The idempotent retry is still a 200 with the first body.
    let retry = app.post_response_from(SHOP, &payload).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.json, reply.json);
    assert_eq!(signed_flags(&app).await, [1]);
}

#[tokio::test]
async fn optional_signatures_accept_unsigned_responses_but_refuse_bad_signatures() {
    let app = spawn_app().await;
    configure_demo(&app, &["*"], Some(SECRET), false).await;
    let later = now_unix() + 3600;
    let unsigned = app.post_response(&valid_payload()).await;
    assert_eq!(unsigned.status, StatusCode::CREATED, "{}", unsigned.json);
    app.post_response(&sign_payload(valid_payload(), "wrong", later))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "signature_mismatch");
    app.post_response(&sign_payload(valid_payload(), SECRET, now_unix() - 10))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "signature_expired");
    let signed = app
        .post_response(&sign_payload(valid_payload(), SECRET, later))
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{}", signed.json);
    assert_eq!(signed_flags(&app).await, [0, 1]);
}

#[tokio::test]
async fn a_site_without_a_secret_stores_responses_as_unsigned() {
    let app = spawn_app().await;
    let payload = sign_payload(valid_payload(), SECRET, now_unix() + 3600);
    let reply = app.post_response(&payload).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(signed_flags(&app).await, [0]);
}

// ---------------------------------------------------------------- rate limits

fn rate(s: &str) -> Rate {
    s.parse().expect("rate")
}

#[tokio::test]
async fn the_per_ip_limit_answers_429_with_retry_after_and_stores_nothing_more() {
    let app = spawn_app_with(|c| c.rate_per_ip = rate("2/h:2")).await;
    for _ in 0..2 {
        let reply = app.post_response(&valid_payload()).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    }
    let reply = app.post_response_from(SHOP, &valid_payload()).await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after: u64 = reply
        .header(header::RETRY_AFTER)
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=1800).contains(&retry_after), "{retry_after}");
    // Refused before the body is read: the site is not known, so no origin
    // is echoed.
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "");
    // Reads are not limited.
    assert_eq!(
        app.get("/v1/surveys/post-payment").await.status,
        StatusCode::OK
    );
    assert_eq!(app.count("responses").await, 2);
}

#[tokio::test]
async fn the_per_site_limit_answers_429_readable_by_an_allowed_origin() {
    let app = spawn_app_with(|c| c.rate_per_site = rate("1/m:1")).await;
    let first = app.post_response_from(SHOP, &valid_payload()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.json);
    let reply = app.post_response_from(SHOP, &valid_payload()).await;
    reply.assert_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after: u64 = reply.header(header::RETRY_AFTER).parse().expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), SHOP);
    assert!(
        reply
            .header(header::ACCESS_CONTROL_EXPOSE_HEADERS)
            .contains("retry-after")
    );
    assert_eq!(app.count("responses").await, 1);
}

#[tokio::test]
async fn rate_limit_off_lifts_every_limit() {
    let app = spawn_app_with(|c| {
        c.rate_per_ip = rate("1/h:1");
        c.rate_per_site = rate("1/h:1");
        c.rate_limit = RateLimitSwitch::Off;
    })
    .await;
    for _ in 0..5 {
        let reply = app.post_response(&valid_payload()).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    }
}

// ---------------------------------------------------------------- commands

#[test]
fn manyi_sign_prints_what_the_shared_signer_computes() {
    let expected = signing::sign(
        b"s3cr3t",
        &SignedParts {
            site: "demo",
            survey: "post-payment",
            order_id: Some("A1001"),
            customer: Some("c-42"),
            exp: Some(1_790_000_000),
        },
    );
    let args = [
        "sign",
        "--secret",
        "s3cr3t",
        "--site",
        "demo",
        "--survey",
        "post-payment",
        "--order",
        "A1001",
        "--customer",
        "c-42",
        "--exp",
        "1790000000",
    ];
    assert_eq!(manyi(&args, &[]).trim(), expected);

    // The secret from the environment; --json lists the signed fields.
    let json: Value = serde_json::from_str(&manyi(
        &[&["sign"][..], &args[3..], &["--json"]].concat(),
        &[("MANYI_SIGNING_SECRET", "s3cr3t")],
    ))
    .expect("json");
    assert_eq!(json["sig"], expected.as_str());
    assert_eq!(json["canonical"], "demo|post-payment|A1001|c-42|1790000000");
    assert_eq!(json["order_id"], "A1001");
    assert_eq!(json["exp"], 1_790_000_000);

    // --ttl sets exp from now.
    let before = now_unix();
    let json: Value = serde_json::from_str(&manyi(
        &[
            "sign", "--secret", "k", "--site", "demo", "--survey", "s", "--ttl", "3600", "--json",
        ],
        &[],
    ))
    .expect("json");
    let exp = json["exp"].as_i64().expect("exp");
    assert!((before + 3600..=now_unix() + 3600).contains(&exp), "{exp}");
    let parts = SignedParts {
        site: "demo",
        survey: "s",
        order_id: None,
        customer: None,
        exp: Some(exp),
    };
    assert_eq!(json["sig"], signing::sign(b"k", &parts).as_str());
}

#[tokio::test]
async fn a_site_created_with_the_cli_takes_signed_responses_from_its_origins_only() {
    let data = tempfile::tempdir().expect("data");
    let data_dir = data.path().to_str().expect("utf-8 path");
    let secret = manyi(
        &[
            "site",
            "create",
            "--key",
            "shop",
            "--name",
            "Shop",
            "--origin",
            SHOP,
            "--origin",
            "https://m.shop.example",
            "--require-signature",
            "--data-dir",
            data_dir,
        ],
        &[],
    );
    let secret = secret.trim().to_owned();
    assert_eq!(secret.len(), 64, "{secret:?}");
    let app = spawn_app_in(data, fake_dist()).await;

    // Publish the demo survey under another id for the new site.
    let options = SqliteConnectOptions::new()
        .filename(&app.app.db_path)
        .busy_timeout(Duration::from_secs(5));
    let db = SqlitePool::connect_with(options).await.expect("open db");
    sqlx::query(
        "INSERT INTO surveys (site_key, survey_id, version, definition, status, created_at)
         SELECT 'shop', 'shop-survey', version, json_set(definition, '$.id', 'shop-survey'),
                status, created_at
         FROM surveys WHERE survey_id = 'post-payment'",
    )
    .execute(&db)
    .await
    .expect("publish");
    db.close().await;

    let mut payload = valid_payload();
    payload["site"] = "shop".into();
    payload["survey_id"] = "shop-survey".into();
    payload["context"]["exp"] = (now_unix() + 600).into();
    let parsed: manyi_shared::ResponsePayload =
        serde_json::from_value(payload.clone()).expect("payload");
    let parts = SignedParts::from_payload(&parsed);
    let exp = parts.exp.expect("exp").to_string();
    let sig = manyi(
        &[
            "sign",
            "--site",
            "shop",
            "--survey",
            "shop-survey",
            "--order",
            parts.order_id.expect("order"),
            "--customer",
            parts.customer.expect("customer"),
            "--exp",
            &exp,
        ],
        &[("MANYI_SIGNING_SECRET", &secret)],
    );
    payload["sig"] = sig.trim().into();

    app.post_response_from(EVIL, &payload)
        .await
        .assert_error(StatusCode::FORBIDDEN, "origin_not_allowed");
    let reply = app
        .post_response_from("https://m.shop.example", &payload)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(signed_flags(&app).await, [1]);
}
