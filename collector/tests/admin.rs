//! The admin API (`/api/...`) and the admin subcommands: bearer tokens,
//! templates, surveys from templates with overrides, versions, publish and
//! pause, sites, the OpenAPI document, and `manyi admin-token create`.

mod common;

use common::{Reply, TestApp, spawn_app, spawn_app_in, valid_payload};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

async fn admin_get(app: &TestApp, path: &str) -> Reply {
    app.admin(reqwest::Method::GET, path, None).await
}

async fn admin_post(app: &TestApp, path: &str, body: &Value) -> Reply {
    app.admin(reqwest::Method::POST, path, Some(body)).await
}

async fn admin_put(app: &TestApp, path: &str, body: &Value) -> Reply {
    app.admin(reqwest::Method::PUT, path, Some(body)).await
}

/// Creates `id` on the demo site from the `nps` template and checks the 201.
async fn create_nps(app: &TestApp, id: &str) -> Reply {
    let reply = admin_post(
        app,
        "/api/surveys",
        &json!({"template": "nps", "survey_id": id, "site": "demo"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    reply
}

async fn publish(app: &TestApp, id: &str) -> Reply {
    let reply = admin_post(app, &format!("/api/surveys/{id}/publish"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply
}

/// A promoter's response to `survey` at `version` (fresh ids).
fn response_to(survey: &str, version: u32) -> Value {
    let mut payload = valid_payload();
    payload["survey_id"] = json!(survey);
    payload["survey_version"] = json!(version);
    payload["answers"] = json!({"nps": 10});
    payload
}

async fn stored_version(app: &TestApp, response_id: &Value) -> i64 {
    let id = response_id.as_str().expect("response_id");
    app.stored_responses()
        .await
        .into_iter()
        .find(|r| r.response_id == id)
        .map(|r| r.survey_version)
        .expect("stored")
}

/// `(version, status, superseded_by, responses)` of every version in a
/// survey detail.
fn version_rows(detail: &Value) -> Vec<(i64, String, Option<i64>, i64)> {
    detail["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().expect("version"),
                v["status"].as_str().expect("status").to_owned(),
                v["superseded_by"].as_i64(),
                v["responses"].as_i64().expect("responses"),
            )
        })
        .collect()
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused_with_distinct_codes() {
    let app = spawn_app().await;
    let get = reqwest::Method::GET;
    let unknown = format!("Bearer manyi_{}", "A".repeat(43));
    for (auth, code) in [
        (None, "unauthorized"),
        (Some("Basic dXNlcjpwYXNz"), "unauthorized"),
        (Some("Bearer"), "unauthorized"),
        (Some("Bearer not-a-manyi-token"), "unauthorized"),
        (Some(unknown.as_str()), "invalid_token"),
    ] {
        for path in ["/api/templates", "/api/surveys", "/api/sites"] {
            let reply = app.send(get.clone(), path, None, auth).await;
            reply.assert_error(StatusCode::UNAUTHORIZED, code);
            assert!(
                reply.header("www-authenticate").starts_with("Bearer"),
                "{path}"
            );
        }
    }
    let reply = app
        .send(
            reqwest::Method::POST,
            "/api/surveys",
            Some(&json!({"template": "nps", "survey_id": "x", "site": "demo"})),
            None,
        )
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(app.count("surveys").await, 1, "nothing was created");

    assert_eq!(
        admin_get(&app, "/api/templates").await.status,
        StatusCode::OK
    );
    let db = app.db().await;
    let (used,): (Option<String>,) =
        sqlx::query_as("SELECT last_used_at FROM admin_tokens WHERE name = 'demo'")
            .fetch_one(&db)
            .await
            .expect("token row");
    assert!(used.is_some(), "last_used_at is recorded");
    let (hash,): (String,) = sqlx::query_as("SELECT token_hash FROM admin_tokens")
        .fetch_one(&db)
        .await
        .expect("hash");
    assert_eq!(hash.len(), 64);
    assert!(
        !hash.contains(&app.admin_token()),
        "only the hash is stored"
    );
    db.close().await;
}

#[tokio::test]
async fn the_nine_templates_are_listed_and_each_can_be_shown() {
    let app = spawn_app().await;
    let list = admin_get(&app, "/api/templates").await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.json.as_array().expect("array");
    assert_eq!(items.len(), 9, "{}", list.json);
    for item in items {
        let id = item["id"].as_str().expect("id");
        assert!(item["name"]["zh-CN"].is_string(), "{item}");
        let one = admin_get(&app, &format!("/api/templates/{id}")).await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(one.json["survey"]["id"], id);
        assert_eq!(one.json["template"]["id"], id);
    }
    admin_get(&app, "/api/templates/nope")
        .await
        .assert_error(StatusCode::NOT_FOUND, "template_not_found");
}

#[tokio::test]
async fn creating_from_a_template_stores_a_draft_with_the_overrides_applied() {
    let app = spawn_app().await;
    let reply = admin_post(
        &app,
        "/api/surveys",
        &json!({
            "template": "nps", "survey_id": "checkout-nps", "site": "demo",
            "locales": ["zh-CN", "en"], "default_locale": "en",
            "brand_color": "#D9480F", "display_mode": "modal",
            "question_texts": {"nps": {"en": "Would you recommend our shop?"}},
            "thresholds": {"nps": 5},
            "sampling": {"vip": 1.0, "default": 0.25}, "recontact_days": 7
        }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["version"], 1);
    assert_eq!(reply.json["status"], "draft");
    assert_eq!(reply.json["published_version"], Value::Null);
    assert_eq!(
        reply.json["versions"],
        json!([{"version": 1, "status": "draft", "superseded_by": null, "responses": 0,
                "created_at": reply.json["versions"][0]["created_at"]}])
    );

    // The stored row, not only the reply.
    let db = app.db().await;
    let (status, definition): (String, String) = sqlx::query_as(
        "SELECT status, definition FROM surveys WHERE survey_id = 'checkout-nps' AND version = 1",
    )
    .fetch_one(&db)
    .await
    .expect("stored");
    let sampling: Vec<(String, f64, i64)> = sqlx::query_as(
        "SELECT segment, rate, recontact_days FROM survey_sampling
         WHERE survey_id = 'checkout-nps' ORDER BY segment",
    )
    .fetch_all(&db)
    .await
    .expect("sampling");
    db.close().await;
    assert_eq!(status, "draft");
    let d: Value = serde_json::from_str(&definition).expect("json");
    assert_eq!(d["id"], "checkout-nps");
    assert_eq!(d["locales"], json!(["zh-CN", "en"]));
    assert_eq!(d["default_locale"], "en");
    assert_eq!(d["theme"]["brand_color"], "#D9480F");
    assert_eq!(d["display"]["mode"], "modal");
    let questions = d["questions"].as_array().expect("questions");
    assert_eq!(questions[0]["text"]["en"], "Would you recommend our shop?");
    let reasons = questions
        .iter()
        .find(|q| q["id"] == "reasons")
        .expect("reasons");
    assert_eq!(
        reasons["show_if"],
        json!({"question": "nps", "op": "lte", "value": 5})
    );
    let praise = questions
        .iter()
        .find(|q| q["id"] == "praise")
        .expect("praise");
    assert_eq!(
        praise["show_if"]["value"], 9,
        "only low-score conditions move"
    );
    assert_eq!(
        sampling,
        [("default".to_owned(), 0.25, 7), ("vip".to_owned(), 1.0, 7)]
    );

    // A draft is not served; the admin API shows it.
    app.get_survey("checkout-nps")
        .await
        .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    let shown = admin_get(&app, "/api/surveys/checkout-nps").await;
    assert_eq!(shown.json["definition"]["theme"]["brand_color"], "#D9480F");
    let list = admin_get(&app, "/api/surveys").await;
    let ids: Vec<&str> = list
        .json
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["survey_id"].as_str())
        .collect();
    assert_eq!(ids, ["checkout-nps", "post-payment"]);

    // The id is taken now; unknown template and site are 404s.
    admin_post(
        &app,
        "/api/surveys",
        &json!({"template": "nps", "survey_id": "checkout-nps", "site": "demo"}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "survey_exists");
    admin_post(
        &app,
        "/api/surveys",
        &json!({"template": "nope", "survey_id": "a", "site": "demo"}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "template_not_found");
    admin_post(
        &app,
        "/api/surveys",
        &json!({"template": "nps", "survey_id": "a", "site": "nosuchsite"}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "unknown_site");
}

#[tokio::test]
async fn invalid_overrides_are_refused_with_every_path() {
    let app = spawn_app().await;
    let base = json!({"template": "nps", "survey_id": "bad", "site": "demo"});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            json!({"brand_color": "red"}),
            "theme.brand_color",
            "bad_color",
        ),
        (
            json!({"thresholds": {"nps": 11}}),
            "thresholds.nps",
            "out_of_range",
        ),
        (
            json!({"thresholds": {"nope": 3}}),
            "thresholds.nope",
            "unknown_question",
        ),
        (
            json!({"locales": ["zh-CN", "fr"]}),
            "locales[1]",
            "bad_locales",
        ),
        (
            json!({"default_locale": "zh-TW", "locales": ["en"]}),
            "default_locale",
            "bad_locales",
        ),
        (
            json!({"question_texts": {"nope": {"en": "x"}}}),
            "question_texts.nope",
            "unknown_question",
        ),
        (
            json!({"sampling": {"vip": 1.5}}),
            "sampling.vip",
            "out_of_range",
        ),
        (
            json!({"display_mode": "popup"}),
            "display_mode",
            "wrong_type",
        ),
    ];
    for (extra, path, code) in cases {
        let reply = admin_post(&app, "/api/surveys", &with(extra.clone())).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_survey");
        assert!(reply.has_error(path, code), "{extra}: {}", reply.json);
    }
    // Several problems at once are all listed.
    let reply = admin_post(
        &app,
        "/api/surveys",
        &with(json!({"brand_color": "#12345", "thresholds": {"nps": -1}})),
    )
    .await;
    assert!(
        reply.has_error("theme.brand_color", "bad_color"),
        "{}",
        reply.json
    );
    assert!(
        reply.has_error("thresholds.nps", "out_of_range"),
        "{}",
        reply.json
    );

    admin_post(
        &app,
        "/api/surveys",
        &with(json!({"brand_colour": "#000000"})),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let auth = format!("Bearer {}", app.admin_token());
    let reply = Reply::from(
        app.client
            .post(app.url("/api/surveys"))
            .header("authorization", auth)
            .body("{not json")
            .send()
            .await
            .expect("post"),
    )
    .await;
    reply.assert_error(StatusCode::BAD_REQUEST, "malformed_json");
    assert_eq!(app.count("surveys").await, 1, "nothing was stored");
}

#[tokio::test]
async fn versions_keep_the_responses_that_answered_them() {
    let app = spawn_app().await;
    create_nps(&app, "checkout").await;
    publish(&app, "checkout").await;
    let served = app.get_survey("checkout").await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.json);
    assert_eq!(served.json["version"], 1);

    let first = response_to("checkout", 1);
    let reply = app.post_response(&first).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);

    // Editing a published version makes version 2, a draft; v1 is still served.
    let edited = admin_put(
        &app,
        "/api/surveys/checkout",
        &json!({"brand_color": "#000000"}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.json);
    assert_eq!(edited.json["version"], 2);
    assert_eq!(edited.json["status"], "draft");
    assert_eq!(edited.json["published_version"], 1);
    // A second edit changes the draft in place.
    let again = admin_put(
        &app,
        "/api/surveys/checkout",
        &json!({"question_texts": {"nps": {"en": "Recommend us?"}}}),
    )
    .await;
    assert_eq!(again.json["version"], 2, "{}", again.json);
    assert_eq!(again.json["definition"]["theme"]["brand_color"], "#000000");
    let statuses: Vec<(i64, String)> = again.json["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().expect("n"),
                v["status"].as_str().expect("s").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [(1, "published".to_owned()), (2, "draft".to_owned())]
    );
    assert_eq!(app.get_survey("checkout").await.json["version"], 1);

    // Publishing v2: served now; v1 stays answerable for responses in flight.
    let published = publish(&app, "checkout").await;
    assert_eq!(published.json["published_version"], 2);
    let served = app.get_survey("checkout").await;
    assert_eq!(served.json["version"], 2);
    assert_eq!(served.json["theme"]["brand_color"], "#000000");

    let second = response_to("checkout", 2);
    assert_eq!(app.post_response(&second).await.status, StatusCode::CREATED);
    let late = response_to("checkout", 1);
    let reply = app.post_response(&late).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "late v1 answer: {}",
        reply.json
    );

    assert_eq!(stored_version(&app, &first["response_id"]).await, 1);
    assert_eq!(stored_version(&app, &second["response_id"]).await, 2);
    assert_eq!(stored_version(&app, &late["response_id"]).await, 1);

    // The admin API reports each answer under the version it answered, and
    // v1 as superseded by v2 (no longer served, still answerable).
    let history = admin_get(&app, "/api/surveys/checkout").await;
    assert_eq!(
        version_rows(&history.json),
        [
            (1, "published".to_owned(), Some(2), 2),
            (2, "published".to_owned(), None, 1)
        ],
        "{}",
        history.json
    );
    // Counts are the folded rollups plus what is not folded yet: after a
    // report has made the rollups catch up, they are the same (counted
    // once, not twice).
    let report = admin_get(&app, "/api/reports/summary?survey=checkout").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.json);
    let folded = admin_get(&app, "/api/surveys/checkout").await;
    assert_eq!(version_rows(&folded.json), version_rows(&history.json));

    // A full definition is accepted too (its version is ignored).
    let mut definition = served.json.clone();
    definition["version"] = json!(99);
    definition["theme"]["brand_color"] = json!("#123456");
    let full = admin_put(
        &app,
        "/api/surveys/checkout",
        &json!({"definition": definition}),
    )
    .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.json);
    assert_eq!(full.json["version"], 3);
    // A draft supersedes nothing: v2 is still what customers get.
    assert_eq!(
        version_rows(&full.json),
        [
            (1, "published".to_owned(), Some(2), 2),
            (2, "published".to_owned(), None, 1),
            (3, "draft".to_owned(), None, 0)
        ]
    );
    definition["id"] = json!("another");
    admin_put(
        &app,
        "/api/surveys/checkout",
        &json!({"definition": definition}),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_survey");
    admin_put(&app, "/api/surveys/nope", &json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
}

#[tokio::test]
async fn a_paused_survey_is_not_served_nor_answered_until_published_again() {
    let app = spawn_app().await;
    create_nps(&app, "paused-one").await;
    admin_post(&app, "/api/surveys/paused-one/pause", &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "not_published");
    publish(&app, "paused-one").await;
    assert_eq!(app.get_survey("paused-one").await.status, StatusCode::OK);

    let paused = admin_post(&app, "/api/surveys/paused-one/pause", &json!({})).await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.json);
    assert_eq!(paused.json["status"], "paused");
    app.get_survey("paused-one")
        .await
        .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("now");
    let eligibility = app
        .post_to(
            "/v1/eligibility",
            json!({"site": "demo", "survey": "paused-one", "order_id": "P-1",
                   "customer": "c-9", "event_at": now})
            .to_string(),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(eligibility.status, StatusCode::OK, "{}", eligibility.json);
    assert_eq!(
        eligibility.json,
        json!({"eligible": false, "reason": "survey_paused"})
    );
    app.post_response(&response_to("paused-one", 1))
        .await
        .assert_error(StatusCode::NOT_FOUND, "survey_not_found");
    // Pausing again changes nothing; publishing resumes.
    assert_eq!(
        admin_post(&app, "/api/surveys/paused-one/pause", &json!({}))
            .await
            .status,
        StatusCode::OK
    );
    publish(&app, "paused-one").await;
    assert_eq!(app.get_survey("paused-one").await.json["version"], 1);
    assert_eq!(
        app.post_response(&response_to("paused-one", 1))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn sites_are_created_with_a_secret_shown_once_and_listed_without_it() {
    let app = spawn_app().await;
    let body = json!({"key": "shop", "name": "Shop", "allowed_origins": ["https://Shop.Example/"], "require_signature": true});
    let created = admin_post(&app, "/api/sites", &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let secret = created.json["secret"].as_str().expect("secret");
    assert_eq!(secret.len(), 64);
    assert_eq!(
        created.json["allowed_origins"],
        json!(["https://shop.example"])
    );
    admin_post(&app, "/api/sites", &body)
        .await
        .assert_error(StatusCode::CONFLICT, "site_exists");
    admin_post(
        &app,
        "/api/sites",
        &json!({"key": "b", "name": "B", "allowed_origins": ["shop.example/path"]}),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");

    let list = admin_get(&app, "/api/sites").await;
    let sites = list.json.as_array().expect("array");
    let keys: Vec<&str> = sites.iter().filter_map(|s| s["key"].as_str()).collect();
    assert_eq!(keys, ["demo", "shop"]);
    assert!(!list.text().contains(secret), "the secret is never listed");
    assert_eq!(sites[1]["has_secret"], true);
    assert_eq!(sites[1]["require_signature"], true);
}

#[tokio::test]
async fn the_openapi_document_parses_and_lists_every_admin_path() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(
        doc.json["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with('3')),
        "{}",
        doc.json
    );
    let paths = doc.json["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/templates", &["get"][..]),
        ("/api/templates/{id}", &["get"]),
        ("/api/surveys", &["get", "post"]),
        ("/api/surveys/{id}", &["get", "put"]),
        ("/api/surveys/{id}/publish", &["post"]),
        ("/api/surveys/{id}/pause", &["post"]),
        ("/api/sites", &["get", "post"]),
        ("/api/sites/{key}", &["patch"]),
        ("/api/tokens", &["get", "post"]),
        ("/api/tokens/{id}", &["delete"]),
    ] {
        for m in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(*m)).is_some(),
                "{m} {path}"
            );
        }
    }
    assert_eq!(
        doc.json["components"]["securitySchemes"]["bearer"]["scheme"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some("bearer".to_owned())
    );
    assert!(doc.json["components"]["schemas"]["Overrides"].is_object());
}

/// Runs the `manyi` binary with `args` plus `--data-dir data`.
fn manyi(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_manyi"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run manyi")
}

#[tokio::test]
async fn cli_tokens_and_surveys_work_against_a_running_collector() {
    let app = spawn_app().await;
    let out = manyi(&["admin-token", "create", "--name", "ci"], app.data.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_token = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(cli_token.starts_with("manyi_"), "{cli_token}");
    let auth = format!("Bearer {cli_token}");
    let reply = app
        .send(reqwest::Method::GET, "/api/surveys", None, Some(&auth))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);

    let out = manyi(
        &[
            "survey",
            "create",
            "--from-template",
            "delivery",
            "--id",
            "cli-delivery",
            "--site",
            "demo",
            "--brand-color",
            "#112233",
            "--locale",
            "en",
        ],
        app.data.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["definition"]["default_locale"], "en");
    let out = manyi(&["survey", "publish", "cli-delivery"], app.data.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let served = app.get_survey("cli-delivery").await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.json);
    assert_eq!(served.json["theme"]["brand_color"], "#112233");

    let out = manyi(
        &[
            "survey",
            "create",
            "--from-template",
            "nps",
            "--id",
            "x",
            "--site",
            "demo",
            "--brand-color",
            "blue",
        ],
        app.data.path(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("theme.brand_color"));

    let out = Command::new(env!("CARGO_BIN_EXE_manyi"))
        .args(["templates", "list"])
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 9);
}

#[tokio::test]
async fn each_demo_start_replaces_the_demo_token() {
    let app = spawn_app().await;
    let old = app.admin_token();
    let TestApp {
        app: running,
        data,
        _dist,
        ..
    } = app;
    running.shutdown().await.expect("stop");
    let app = spawn_app_in(data, _dist).await;
    let new = app.admin_token();
    assert_ne!(old, new);
    let reply = app
        .send(
            reqwest::Method::GET,
            "/api/templates",
            None,
            Some(&format!("Bearer {old}")),
        )
        .await;
    reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(
        admin_get(&app, "/api/templates").await.status,
        StatusCode::OK
    );
    assert_eq!(app.count("admin_tokens").await, 1);
}

async fn admin_delete(app: &TestApp, path: &str, auth: &str) -> Reply {
    app.send(reqwest::Method::DELETE, path, None, Some(auth))
        .await
}

#[tokio::test]
async fn tokens_are_created_once_listed_without_secrets_and_revoked() {
    let app = spawn_app().await;
    let demo = format!("Bearer {}", app.admin_token());
    let created = admin_post(&app, "/api/tokens", &json!({"name": "  ops laptop "})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(created.json["name"], "ops laptop", "the name is trimmed");
    let new_token = created.json["token"].as_str().expect("token").to_owned();
    assert!(
        new_token.starts_with("manyi_") && new_token.len() == 49,
        "{new_token}"
    );
    let new_id = created.json["id"].as_i64().expect("id");
    let new_auth = format!("Bearer {new_token}");

    // The new token works; the listing marks the caller's own token and
    // holds neither token nor hash.
    let list = app
        .send(reqwest::Method::GET, "/api/tokens", None, Some(&new_auth))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.json);
    let rows: Vec<(String, bool, bool)> = list
        .json
        .as_array()
        .expect("array")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().expect("name").to_owned(),
                t["current"].as_bool().expect("current"),
                t["last_used_at"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("demo".to_owned(), false, true),
            ("ops laptop".to_owned(), true, true)
        ],
        "{}",
        list.json
    );
    let db = app.db().await;
    let (hash,): (String,) = sqlx::query_as("SELECT token_hash FROM admin_tokens WHERE id = ?")
        .bind(new_id)
        .fetch_one(&db)
        .await
        .expect("row");
    db.close().await;
    assert!(
        !list.text().contains(&new_token),
        "the token is never listed"
    );
    assert!(!list.text().contains(&hash), "nor its hash");

    // Revoked with the demo token: the next request with it is refused.
    let revoked = admin_delete(&app, &format!("/api/tokens/{new_id}"), &demo).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.json);
    app.send(reqwest::Method::GET, "/api/surveys", None, Some(&new_auth))
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(app.count("admin_tokens").await, 1);
    admin_delete(&app, &format!("/api/tokens/{new_id}"), &demo)
        .await
        .assert_error(StatusCode::NOT_FOUND, "token_not_found");
    let bad_id = admin_delete(&app, "/api/tokens/abc", &demo).await;
    bad_id.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert!(bad_id.has_error("id", "wrong_type"), "{}", bad_id.json);

    for name in ["", "   ", &"x".repeat(101)] {
        let reply = admin_post(&app, "/api/tokens", &json!({ "name": name })).await;
        reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
        assert!(
            reply.has_error("name", "required"),
            "{name:?}: {}",
            reply.json
        );
    }
    admin_post(&app, "/api/tokens", &json!({"name": "x", "admin": true}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(app.count("admin_tokens").await, 1, "nothing more stored");

    // A session may revoke its own token; it is then refused too.
    let own_id = admin_get(&app, "/api/tokens").await.json[0]["id"]
        .as_i64()
        .expect("id");
    assert_eq!(
        admin_delete(&app, &format!("/api/tokens/{own_id}"), &demo)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    admin_get(&app, "/api/templates")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn site_field_problems_are_listed_with_their_paths() {
    let app = spawn_app().await;
    let reply = admin_post(
        &app,
        "/api/sites",
        &json!({"key": "Bad Key!", "name": " ",
                "allowed_origins": ["https://ok.example", "ftp://x", "https://a/b"]}),
    )
    .await;
    reply.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let paths: Vec<(&str, &str)> = reply.json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["question"].as_str().expect("path"),
                e["code"].as_str().expect("code"),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("key", "wrong_type"),
            ("name", "required"),
            ("allowed_origins[1]", "wrong_type"),
            ("allowed_origins[2]", "wrong_type")
        ],
        "{}",
        reply.json
    );
    assert_eq!(app.count("sites").await, 1, "nothing stored");
}

#[tokio::test]
async fn cli_edits_list_and_revokes_like_the_api() {
    let app = spawn_app().await;
    let data = app.data.path();
    create_nps(&app, "cli-edit").await;
    publish(&app, "cli-edit").await;

    // A file with the PUT body, flags on top: the published v1 gets a v2 draft.
    let file = data.join("edit.json");
    std::fs::write(
        &file,
        json!({"brand_color": "#000000", "question_texts": {"nps": {"en": "From the file"}}})
            .to_string(),
    )
    .expect("write");
    let out = manyi(
        &[
            "survey",
            "edit",
            "cli-edit",
            "--file",
            file.to_str().expect("utf-8 path"),
            "--brand-color",
            "#abcdef",
            "--text",
            "nps.zh-TW=您會推薦我們嗎？",
            "--threshold",
            "nps=5",
            "--sample",
            "vip=0.5",
            "--recontact-days",
            "14",
            "--display-mode",
            "modal",
        ],
        data,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let edited: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (edited["version"].as_i64(), edited["status"].as_str()),
        (Some(2), Some("draft"))
    );
    assert_eq!(edited["published_version"], 1, "v1 is still live");
    let d = &edited["definition"];
    assert_eq!(
        d["theme"]["brand_color"], "#abcdef",
        "the flag wins over the file"
    );
    assert_eq!(d["questions"][0]["text"]["en"], "From the file");
    assert_eq!(d["questions"][0]["text"]["zh-TW"], "您會推薦我們嗎？");
    assert_eq!(d["display"]["mode"], "modal");
    let db = app.db().await;
    let (definition,): (String,) = sqlx::query_as(
        "SELECT definition FROM surveys WHERE survey_id = 'cli-edit' AND version = 2 AND status = 'draft'",
    )
    .fetch_one(&db)
    .await
    .expect("v2 stored as a draft");
    let sampling: Vec<(String, f64, i64)> = sqlx::query_as(
        "SELECT segment, rate, recontact_days FROM survey_sampling WHERE survey_id = 'cli-edit'",
    )
    .fetch_all(&db)
    .await
    .expect("sampling");
    db.close().await;
    let stored: Value = serde_json::from_str(&definition).expect("json");
    let reasons = stored["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["id"] == "reasons")
        .expect("reasons");
    assert_eq!(
        reasons["show_if"],
        json!({"question": "nps", "op": "lte", "value": 5})
    );
    assert_eq!(sampling, [("vip".to_owned(), 0.5, 14)]);
    assert_eq!(app.get_survey("cli-edit").await.json["version"], 1);

    // Invalid edits list their paths and change nothing; an empty edit is refused.
    let out = manyi(
        &["survey", "edit", "cli-edit", "--threshold", "nps=42"],
        data,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("thresholds.nps"));
    let out = manyi(&["survey", "edit", "cli-edit"], data);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
    let out = manyi(&["survey", "edit", "cli-edit", "--threshold", "nps"], data);
    assert!(
        !out.status.success(),
        "a malformed flag is refused by the parser"
    );

    let out = manyi(&["survey", "show", "cli-edit"], data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        version_rows(&shown),
        [
            (1, "published".to_owned(), None, 0),
            (2, "draft".to_owned(), None, 0)
        ]
    );
    let out = manyi(&["survey", "list"], data);
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = listing
        .lines()
        .find(|l| l.starts_with("cli-edit "))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(
        line.contains("v2 draft") && line.ends_with("live v1"),
        "{line}"
    );

    // Tokens: created, listed without secrets, revoked by id.
    let out = manyi(&["admin-token", "create", "--name", "ci bot"], data);
    let secret = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let out = manyi(&["admin-token", "list"], data);
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!listing.contains(&secret), "{listing}");
    let id = listing
        .lines()
        .find(|l| l.contains("ci bot"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("{listing}"))
        .to_owned();
    assert!(listing.lines().any(|l| l.contains("demo")), "{listing}");
    let out = manyi(&["admin-token", "revoke", &id], data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.send(
        reqwest::Method::GET,
        "/api/surveys",
        None,
        Some(&format!("Bearer {secret}")),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "invalid_token");
    let out = manyi(&["admin-token", "revoke", &id], data);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("no admin token has the id {id}"))
    );

    let out = manyi(&["site", "list"], data);
    let sites = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(sites.lines().count(), 1, "{sites}");
    assert!(sites.starts_with("demo "), "{sites}");
}

async fn admin_patch(app: &TestApp, path: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {}", app.admin_token());
    app.send(reqwest::Method::PATCH, path, Some(body), Some(&auth))
        .await
}

#[tokio::test]
async fn a_site_update_changes_who_may_post_at_once_and_rotates_its_secret() {
    let app = spawn_app().await;
    let created = admin_post(
        &app,
        "/api/sites",
        &json!({"key": "shop", "name": "Shop", "allowed_origins": ["https://a.example"]}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let old_secret = created.json["secret"].as_str().expect("secret").to_owned();
    let survey = admin_post(
        &app,
        "/api/surveys",
        &json!({"template": "nps", "survey_id": "shop-nps", "site": "shop"}),
    )
    .await;
    assert_eq!(survey.status, StatusCode::CREATED, "{}", survey.json);
    publish(&app, "shop-nps").await;
    let answer = || {
        let mut p = response_to("shop-nps", 1);
        p["site"] = json!("shop");
        p
    };
    assert_eq!(
        app.post_response_from("https://a.example", &answer())
            .await
            .status,
        StatusCode::CREATED
    );

    let updated = admin_patch(
        &app,
        "/api/sites/shop",
        &json!({"name": " Shop CN ", "allowed_origins": ["https://B.example/"], "rotate_secret": true}),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.json["site"]["name"], "Shop CN");
    assert_eq!(
        updated.json["site"]["allowed_origins"],
        json!(["https://b.example"])
    );
    assert_eq!(
        updated.json["site"]["require_signature"], false,
        "unchanged"
    );
    let new_secret = updated.json["secret"].as_str().expect("new secret");
    assert_eq!(new_secret.len(), 64);
    assert_ne!(new_secret, old_secret);
    let db = app.db().await;
    let (origins, secret): (String, String) =
        sqlx::query_as("SELECT allowed_origins, signing_secret FROM sites WHERE key = 'shop'")
            .fetch_one(&db)
            .await
            .expect("row");
    db.close().await;
    assert_eq!(
        (origins.as_str(), secret.as_str()),
        (r#"["https://b.example"]"#, new_secret)
    );

    // The very next response sees the new origins (the site cache is cleared).
    app.post_response_from("https://a.example", &answer())
        .await
        .assert_error(StatusCode::FORBIDDEN, "origin_not_allowed");
    assert_eq!(
        app.post_response_from("https://b.example", &answer())
            .await
            .status,
        StatusCode::CREATED
    );
    // Without rotate_secret no secret is returned; require_signature alone changes.
    let again = admin_patch(&app, "/api/sites/shop", &json!({"require_signature": true})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.json);
    assert_eq!(again.json["secret"], Value::Null);
    assert_eq!(again.json["site"]["require_signature"], true);
    app.post_response_from("https://b.example", &answer())
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "signature_missing");

    let bad = admin_patch(
        &app,
        "/api/sites/shop",
        &json!({"name": "", "allowed_origins": ["https://ok.example", "https://x/y"]}),
    )
    .await;
    bad.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert!(bad.has_error("name", "required"), "{}", bad.json);
    assert!(
        bad.has_error("allowed_origins[1]", "wrong_type"),
        "{}",
        bad.json
    );
    admin_patch(&app, "/api/sites/nope", &json!({"name": "x"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "unknown_site");
    admin_patch(&app, "/api/sites/shop", &json!({"colour": "red"}))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");

    // The CLI does the same.
    let data = app.data.path();
    let out = manyi(
        &[
            "site",
            "update",
            "shop",
            "--clear-origins",
            "--require-signature",
            "false",
            "--rotate-secret",
        ],
        data,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_secret = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let db = app.db().await;
    let (origins, secret, require): (String, String, i64) = sqlx::query_as(
        "SELECT allowed_origins, signing_secret, require_signature FROM sites WHERE key = 'shop'",
    )
    .fetch_one(&db)
    .await
    .expect("row");
    db.close().await;
    assert_eq!(
        (origins.as_str(), secret.as_str(), require),
        ("[]", cli_secret.as_str(), 0)
    );
    let out = manyi(&["site", "update", "shop"], data);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to change"));
    let out = manyi(&["site", "update", "shop", "--origin", "nope"], data);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("allowed_origins[0]"));
}
