//! The hosted survey page (`GET/POST /s/{survey_id}`), driven like a browser
//! with JavaScript off: fetch the page, read its hidden fields, post the form.

mod common;

use common::{TestApp, spawn_app};
use manyi_collector::store::Store;
use manyi_collector::store::surveys::SurveyStatus;
use manyi_shared::signing::{self, SignedParts};
use manyi_shared::{SiteKey, Survey};
use reqwest::StatusCode;
use reqwest::header;
use serde_json::{Value, json};
use sqlx::sqlite::SqliteConnectOptions;

/// The value of the first `name="…" value="…"` input in `html` (the
/// renderer writes `name` then `value`, escaped).
fn field(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\" value=\""))? + name.len() + 15;
    let end = start + html[start..].find('"')?;
    Some(
        html[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

/// Every hidden field of the form, as the browser would send them.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.match_indices("<input type=\"hidden\" name=\"")
        .filter_map(|(i, _)| {
            let rest = &html[i + 27..];
            let name = &rest[..rest.find('"')?];
            Some((name.to_owned(), field(&html[i..], name)?))
        })
        .collect()
}

/// Form-urlencodes pairs.
fn encode(pairs: &[(String, String)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                b => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Fetches the page for `query`; asserts it is an HTML form.
async fn open_form(app: &TestApp, query: &str) -> String {
    let reply = app.get(&format!("/s/post-payment?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.text()
}

/// Posts the form's hidden fields plus `answers`.
async fn post_form(app: &TestApp, html: &str, answers: &[(&str, &str)]) -> common::Reply {
    let mut pairs = hidden_fields(html);
    pairs.extend(
        answers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    app.post_to(
        "/s/post-payment",
        encode(&pairs),
        "application/x-www-form-urlencoded",
        &[],
    )
    .await
}

/// A second handle on the collector's database, for setting up data.
async fn store(app: &TestApp) -> Store {
    let options = SqliteConnectOptions::new()
        .filename(&app.app.db_path)
        .busy_timeout(std::time::Duration::from_secs(5));
    Store::open(options).await.expect("open store")
}

#[tokio::test]
async fn the_page_renders_every_question_with_its_label_inputs_and_follow_up_hint() {
    let app = spawn_app().await;
    let reply = app
        .get("/s/post-payment?site=demo&order=A1&customer=c-1&channel=sms&locale=zh-CN")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert!(
        reply
            .header(header::CONTENT_SECURITY_POLICY)
            .contains("default-src 'none'")
    );
    let html = reply.text();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("name=\"viewport\""));
    assert!(html.contains("--brand:#d9480f"));
    assert!(html.contains("<form method=\"post\" action=\"post-payment\""));
    assert!(!html.contains("<script"), "works without JavaScript");
    // Every question, numbered, with its text.
    for (n, text) in [
        (1, "您有多大可能向朋友或同事推荐我们？"),
        (2, "主要是哪些方面让您不满意？"),
        (3, "还有什么想告诉我们的吗？（选填）"),
    ] {
        assert!(
            html.contains(&format!("<span class=\"n\">{n}.</span> {text}")),
            "{text}"
        );
    }
    // NPS as 11 labelled radio buttons with the end labels.
    for score in 0..=10 {
        assert!(html.contains(&format!(
            "<input type=\"radio\" name=\"nps\" value=\"{score}\""
        )));
    }
    assert!(html.contains("0 = 完全不可能") && html.contains("10 = 非常可能"));
    // Choices as checkboxes with labels, "other" with its text field.
    for label in ["配送慢", "商品质量", "服务态度", "价格", "其他"] {
        assert!(html.contains(&format!("<span>{label}</span>")), "{label}");
    }
    assert!(html.contains("type=\"checkbox\" name=\"reason\" value=\"slow_delivery\""));
    assert!(html.contains("name=\"reason.other\" maxlength=\"200\""));
    assert!(html.contains("最多选择 3 项"));
    assert!(
        html.contains("<textarea name=\"comment\" aria-labelledby=\"l-comment\" maxlength=\"500\"")
    );
    // Follow-ups say when they apply.
    assert!(html.contains("如果您第 1 题的评分 ≤ 6，请回答"));
    assert!(html.contains("如果您回答了第 1 题，请回答"));
    // The link context rides along in hidden fields, with a fresh response id.
    assert_eq!(field(&html, "_order").as_deref(), Some("A1"));
    assert_eq!(field(&html, "_channel").as_deref(), Some("sms"));
    let id = field(&html, "_response_id").expect("response id");
    assert_eq!(id.len(), 36);
    let again = open_form(&app, "site=demo&order=A1").await;
    assert_ne!(field(&again, "_response_id"), Some(id));
}

#[tokio::test]
async fn the_locale_comes_from_the_link_else_accept_language() {
    let app = spawn_app().await;
    let en = app
        .get_with(
            "/s/post-payment?site=demo",
            "accept-language",
            "en-US,en;q=0.9",
        )
        .await
        .text();
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("How likely are you to recommend us"));
    assert!(en.contains("Answer if your rating in question 1 ≤ 6"));
    assert!(en.contains(">Submit</button>"));
    let tw = app
        .get_with(
            "/s/post-payment?site=demo&locale=zh-Hant-HK",
            "accept-language",
            "en",
        )
        .await
        .text();
    assert!(tw.contains("<html lang=\"zh-TW\">"));
    assert!(tw.contains("您有多大可能向朋友或同事推薦我們？"));
}

#[tokio::test]
async fn a_valid_form_is_stored_once_with_the_link_context() {
    let app = spawn_app().await;
    let html = open_form(
        &app,
        "site=demo&order=H-1&customer=c-7&channel=sms&segment=vip",
    )
    .await;
    let reply = post_form(
        &app,
        &html,
        &[
            ("nps", "3"),
            ("reason", "slow_delivery"),
            ("reason.other", "包装破损"),
            ("comment", "太慢了\r\n下次改进"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.text().contains("感谢您的反馈！"));
    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(Some(row.response_id.clone()), field(&html, "_response_id"));
    assert_eq!(row.site_key, "demo");
    assert_eq!(row.order_id.as_deref(), Some("H-1"));
    assert_eq!(row.customer.as_deref(), Some("c-7"));
    assert_eq!(row.channel.as_deref(), Some("sms"));
    assert_eq!(row.segment.as_deref(), Some("vip"));
    assert_eq!(row.locale.as_deref(), Some("zh-CN"));
    assert!(row.shown_at.is_some());
    assert_eq!(row.submitted_at, None);
    let answers: Value = serde_json::from_str(&row.answers).expect("json");
    assert_eq!(
        answers,
        json!({
            "nps": 3,
            "reason": {"choices": ["slow_delivery", "other"], "other_text": "包装破损"},
            "comment": "太慢了\n下次改进"
        })
    );
}

#[tokio::test]
async fn the_channel_defaults_to_link() {
    let app = spawn_app().await;
    let html = open_form(&app, "site=demo&order=H-2").await;
    let reply = post_form(&app, &html, &[("nps", "10")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let rows = app.stored_responses().await;
    assert_eq!(rows[0].channel.as_deref(), Some("link"));
    assert_eq!(rows[0].answers, r#"{"nps":10}"#);
}

#[tokio::test]
async fn answers_to_follow_ups_that_do_not_apply_are_dropped() {
    let app = spawn_app().await;
    let html = open_form(&app, "site=demo&order=H-3").await;
    // A promoter who also ticked a reason: "reason" applies only to ≤ 6.
    let reply = post_form(
        &app,
        &html,
        &[
            ("nps", "9"),
            ("reason", "price"),
            ("reason.other", "x"),
            ("comment", "很好"),
        ],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let rows = app.stored_responses().await;
    let answers: Value = serde_json::from_str(&rows[0].answers).expect("json");
    assert_eq!(answers, json!({"nps": 9, "comment": "很好"}));
}

#[tokio::test]
async fn an_invalid_form_comes_back_with_the_message_next_to_the_question_and_nothing_stored() {
    let app = spawn_app().await;
    let html = open_form(&app, "site=demo&order=H-4").await;
    // A detractor who skipped the required follow-up.
    let reply = post_form(&app, &html, &[("nps", "2"), ("comment", "<b>慢</b>")]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = reply.text();
    let question = page.find("id=\"q-reason\"").expect("reason question");
    let next = page.find("id=\"q-comment\"").expect("comment question");
    let message = page
        .find("<p class=\"err\" id=\"e-reason\">请回答此问题</p>")
        .expect("message");
    assert!(
        question < message && message < next,
        "the message is inside the reason question"
    );
    assert!(
        page.contains("<fieldset id=\"q-reason\" class=\"bad\" aria-describedby=\"e-reason\">")
    );
    assert!(page.contains("请完成标出的问题"));
    // The customer's answers are kept (escaped), with the same response id.
    assert!(page.contains("name=\"nps\" value=\"2\" checked"));
    assert!(page.contains("&lt;b&gt;慢&lt;/b&gt;</textarea>"));
    assert_eq!(field(&page, "_response_id"), field(&html, "_response_id"));
    assert_eq!(app.count("responses").await, 0);

    // An out-of-range score is reported next to the score.
    let reply = post_form(&app, &html, &[("nps", "11")]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        reply
            .text()
            .contains("<p class=\"err\" id=\"e-nps\">请选择量表上的一个分值</p>")
    );
    assert_eq!(app.count("responses").await, 0);

    // Fixed, the same form goes through.
    let reply = post_form(
        &app,
        &page_fields_only(&page),
        &[("nps", "2"), ("reason", "price")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(app.count("responses").await, 1);
}

/// The hidden fields of a page only (its answers are re-sent by the test).
fn page_fields_only(page: &str) -> String {
    hidden_fields(page)
        .into_iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{v}\">"))
        .collect()
}

#[tokio::test]
async fn posting_the_same_form_again_shows_the_same_thank_you_and_stores_one_row() {
    let app = spawn_app().await;
    let html = open_form(&app, "site=demo&order=H-5").await;
    let answers = [("nps", "8"), ("comment", "ok")];
    let (a, b) = tokio::join!(
        post_form(&app, &html, &answers),
        post_form(&app, &html, &answers)
    );
    let c = post_form(&app, &html, &answers).await;
    for reply in [&a, &b, &c] {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert!(reply.text().contains("感谢您的反馈！"));
    }
    assert_eq!(a.bytes, c.bytes);
    assert_eq!(app.count("responses").await, 1);
}

#[tokio::test]
async fn another_response_for_an_answered_order_gets_the_already_answered_page() {
    let app = spawn_app().await;
    let first = open_form(&app, "site=demo&order=H-6").await;
    let second = open_form(&app, "site=demo&order=H-6").await;
    assert_eq!(
        post_form(&app, &first, &[("nps", "7")]).await.status,
        StatusCode::OK
    );

    // Another page for the same order.
    let reply = post_form(&app, &second, &[("nps", "1"), ("reason", "price")]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.text().contains("您已评价过该订单"));
    // The same page with changed answers.
    let reply = post_form(&app, &first, &[("nps", "10")]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(reply.text().contains("您已评价过该订单"));
    // Opening the link again says so instead of showing a form.
    let reply = app.get("/s/post-payment?site=demo&order=H-6").await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert!(!reply.text().contains("<form"));
    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].answers, r#"{"nps":7}"#);
}

#[tokio::test]
async fn broken_or_unknown_links_get_friendly_pages() {
    let app = spawn_app().await;
    let reply = app.get("/s/post-payment").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.text().contains("链接无效"));
    for path in [
        "/s/no-such-survey?site=demo",
        "/s/post-payment?site=nope",
        "/s/Bad%20Id?site=demo",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
        assert!(reply.text().contains("问卷不存在"));
    }
    // A tampered form: no response id.
    let html = open_form(&app, "site=demo&order=H-7").await;
    let pairs: Vec<(String, String)> = hidden_fields(&html)
        .into_iter()
        .filter(|(k, _)| k != "_response_id")
        .chain([("nps".to_owned(), "9".to_owned())])
        .collect();
    let reply = app
        .post_to(
            "/s/post-payment",
            encode(&pairs),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("responses").await, 0);
}

#[tokio::test]
async fn link_parameters_are_escaped() {
    let app = spawn_app().await;
    let html = open_form(
        &app,
        "site=demo&order=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    )
    .await;
    assert!(!html.contains("<script"));
    assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
}

#[tokio::test]
async fn a_site_requiring_signatures_needs_a_valid_unexpired_signature_on_the_link() {
    let app = spawn_app().await;
    let store = store(&app).await;
    let site = SiteKey::parse("shop").expect("key");
    store
        .insert_site_if_absent(&manyi_collector::store::sites::NewSite {
            key: &site,
            name: "Shop",
            allowed_origins: &["*"],
            require_signature: true,
        })
        .await
        .expect("site");
    sqlx::query("UPDATE sites SET signing_secret = 'k' WHERE key = 'shop'")
        .execute(
            &sqlx::SqlitePool::connect_with(SqliteConnectOptions::new().filename(&app.app.db_path))
                .await
                .expect("db"),
        )
        .await
        .expect("secret");
    let mut survey: Survey = manyi_collector::seed::demo_survey().expect("survey");
    survey.id = manyi_shared::SurveyId::parse("shop-survey").expect("id");
    store
        .insert_survey_if_absent(&site, &survey, SurveyStatus::Published)
        .await
        .expect("survey");
    store.close().await;

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let sign = |exp: i64| {
        signing::sign(
            b"k",
            &SignedParts {
                site: "shop",
                survey: "shop-survey",
                order_id: Some("S-1"),
                customer: Some("c-1"),
                exp: Some(exp),
            },
        )
    };
    let link = |sig: &str, exp: i64| {
        format!("/s/shop-survey?site=shop&order=S-1&customer=c-1&exp={exp}&sig={sig}")
    };
    let unsigned = app
        .get("/s/shop-survey?site=shop&order=S-1&customer=c-1")
        .await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    assert!(unsigned.text().contains("链接无效"));
    let expired = app.get(&link(&sign(now - 10), now - 10)).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(expired.text().contains("此链接已过期"));
    let forged = app.get(&link(&sign(now + 3600), now + 7200)).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    let good = app.get(&link(&sign(now + 3600), now + 3600)).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text());
    let mut pairs = hidden_fields(&good.text());
    // Answering for another order with this signature fails.
    let tampered: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            if k == "_order" {
                (k.clone(), "S-2".to_owned())
            } else {
                (k.clone(), v.clone())
            }
        })
        .chain([("nps".to_owned(), "9".to_owned())])
        .collect();
    let reply = app
        .post_to(
            "/s/shop-survey",
            encode(&tampered),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("responses").await, 0);

    pairs.push(("nps".to_owned(), "9".to_owned()));
    let reply = app
        .post_to(
            "/s/shop-survey",
            encode(&pairs),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let rows = app.stored_responses().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].order_id.as_deref(), Some("S-1"));
}

#[tokio::test]
async fn every_question_kind_is_a_native_input() {
    let app = spawn_app().await;
    let t = |s: &str| json!({"en": s});
    let survey: Survey = serde_json::from_value(json!({
        "id": "kinds", "version": 1, "default_locale": "en", "locales": ["en"],
        "title": t("Kinds"), "thank_you": t("Thanks"),
        "questions": [
            {"id": "sat", "type": "csat", "required": true, "text": t("Satisfied?")},
            {"id": "effort", "type": "ces", "text": t("Easy?")},
            {"id": "agree", "type": "likert", "points": 7, "text": t("Agree?"), "help": t("Be honest")},
            {"id": "pick", "type": "single_choice", "allow_other": true, "text": t("Pick one"),
             "options": [{"id": "a", "label": t("Alpha")}, {"id": "b", "label": t("Beta")}],
             "show_if": {"question": "sat", "op": "in", "value": [1, 2]}},
            {"id": "name", "type": "text", "multiline": false, "max_length": 20, "text": t("Name"),
             "show_if": {"question": "pick", "op": "eq", "value": "a"}}
        ]
    }))
    .expect("survey");
    let store = store(&app).await;
    let site = SiteKey::parse("demo").expect("key");
    store
        .insert_survey_if_absent(&site, &survey, SurveyStatus::Published)
        .await
        .expect("survey");
    store.close().await;

    let reply = app.get("/s/kinds?site=demo").await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    assert!(html.contains("name=\"sat\" value=\"1\" required><span>1 · Very dissatisfied</span>"));
    assert!(html.contains("<span>5 · Very satisfied</span>"));
    assert!(html.contains("name=\"effort\" value=\"7\"><span>7</span>"));
    assert!(html.contains("1 = Very difficult") && html.contains("7 = Very easy"));
    assert!(
        html.contains("<span>4 · Neutral</span>")
            && html.contains("<span>7 · Very satisfied</span>")
    );
    assert!(html.contains("<p class=\"help\">Be honest</p>"));
    assert!(html.contains("type=\"radio\" name=\"pick\" value=\"a\"><span>Alpha</span>"));
    assert!(html.contains("type=\"radio\" name=\"pick\" value=\"other\"><span>Other</span>"));
    assert!(html.contains("Answer if your rating in question 1 is 1, 2"));
    assert!(html.contains("Answer if you chose “Alpha” in question 4"));
    assert!(html.contains(
        "<input type=\"text\" name=\"name\" aria-labelledby=\"l-name\" maxlength=\"20\""
    ));

    // Text in "other" without ticking it counts as "other".
    let mut pairs = hidden_fields(&html);
    for (k, v) in [
        ("sat", "1"),
        ("pick.other", "Gamma"),
        ("name", "ignored: pick is not a"),
    ] {
        pairs.push((k.to_owned(), v.to_owned()));
    }
    let reply = app
        .post_to(
            "/s/kinds",
            encode(&pairs),
            "application/x-www-form-urlencoded",
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let rows = app.stored_responses().await;
    let answers: Value = serde_json::from_str(&rows[0].answers).expect("json");
    assert_eq!(
        answers,
        json!({"sat": 1, "pick": {"choice": "other", "other_text": "Gamma"}})
    );
}
