//! The analytics dashboard (`/admin/dashboard`) in a real headless Chromium:
//! a service manager logs in, and the figures on the page (KPI tiles,
//! trend, breakdown, heat map, follow-up reasons, the case queue) are the
//! ones computed by hand from a known set of responses submitted through
//! the public API, and the ones the database holds; a case's status changes
//! from the queue; exports hold the rows shown. On a phone the page fits
//! the screen, speaks Chinese and passes an axe-core audit (light and
//! dark); the chart functions draw what they are given.
//!
//! The fixture (survey `dash`, answered "now", so inside the default
//! 30-day range), by hand:
//!
//! | # | nps | csat | ces | reliability | responsiveness | channel | notes |
//! |---|-----|------|-----|-------------|----------------|---------|-------|
//! | 1 | 10 | 5 | 7 | 5 | 4 | web | |
//! | 2 | 9 | 4 | 6 | 4 | 4 | web | |
//! | 3 | 8 | 4 | 5 | 3 | 3 | wechat | |
//! | 4 | 9 | 3 | 4 | 3 | 2 | wechat | segment vip (CSAT ≤ 3: a high case) |
//! | 5 | 3 | 2 | 2 | 2 | 1 | wechat | reasons slow_delivery + price, comment with 欺诈 (urgent case) |
//! | 6 | 0 | 1 | 1 | 2 | 1 | web | reason slow_delivery (normal case) |
//! | 7 | 10 | 1 | 4 | 3 | 3 | web | contradictory (NPS 10, CSAT 1): flagged, excluded |
//!
//! Unflagged (1–6): NPS promoters 3, passives 1, detractors 2 → 16.7,
//! margin 100·1.96·√((0.8333 − 0.1667²)/6) = 71.8; CSAT top-2-box 3/6 =
//! 50 %, margin 196·√(0.25/6) = 40.0 pp; CES mean 25/6 = 4.17, margin
//! 1.96·2.3166/√6 = 1.85; 8 `shown` events → response rate 7/8 = 87.5 % (the flagged D-7 was submitted).
//! By channel: web NPS (2 − 1)/3 = 33.3, wechat (1 − 1)/3 = 0. Heat map:
//! reliability web 11/3 = 3.67, wechat 8/3 = 2.67; responsiveness web 9/3 =
//! 3, wechat 6/3 = 2. Reasons: 2 answered, slow delivery 2 (100 %), price
//! 1 (50 %). With the flagged one included: 7 answers, NPS (4 − 2)/7 = 28.6.

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use fantoccini::key::Key;
use manyi_tests::a11y::{self, AXE_VERSION, Scope};
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, visible, wait_for};
use manyi_tests::surveys::{AdminApi, DEMO_SITE};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SURVEY: &str = "dash";

/// A label in the three languages.
fn text(en: &str, zh: &str) -> Value {
    json!({ "en": en, "zh-CN": zh, "zh-TW": zh })
}

/// Every rating kind the tiles and the heat map read, a follow-up choice
/// and a comment.
fn definition() -> Value {
    json!({
        "id": SURVEY,
        "version": 1,
        "default_locale": "en",
        "locales": ["en", "zh-CN", "zh-TW"],
        "title": text("How did we do?", "评价"),
        "thank_you": text("Thank you!", "谢谢！"),
        "questions": [
            { "id": "nps", "type": "nps", "required": true,
              "text": text("Would you recommend us?", "您会推荐我们吗？") },
            { "id": "csat", "type": "csat", "required": true,
              "text": text("How satisfied are you?", "您满意吗？") },
            { "id": "ces", "type": "ces", "required": true, "direction": "7_is_very_easy",
              "text": text("How easy was it?", "容易吗？") },
            { "id": "rel", "type": "likert", "required": true, "dimension": "reliability",
              "text": text("Delivered as promised.", "按承诺完成。") },
            { "id": "resp", "type": "likert", "required": true, "dimension": "responsiveness",
              "text": text("Prompt answers.", "回应及时。") },
            { "id": "reason", "type": "multi_choice", "required": false, "max_selections": 2,
              "show_if": { "question": "nps", "op": "lte", "value": 6 },
              "text": text("What went wrong?", "哪里不好？"),
              "options": [
                  { "id": "slow_delivery", "label": text("Slow delivery", "配送慢") },
                  { "id": "price", "label": text("Price", "价格") }
              ] },
            { "id": "comment", "type": "text", "required": false, "max_length": 500,
              "text": text("Anything else?", "还有什么？") }
        ]
    })
}

/// One fixture row: (order, answers, channel, segment).
struct Row {
    order: &'static str,
    answers: Value,
    channel: &'static str,
    segment: &'static str,
}

fn rows() -> Vec<Row> {
    let r = |order, nps, csat, ces, rel, resp, channel, segment, extra: Value| {
        let mut answers = json!({ "nps": nps, "csat": csat, "ces": ces, "rel": rel, "resp": resp });
        if let (Some(a), Value::Object(extra)) = (answers.as_object_mut(), extra) {
            a.extend(extra);
        }
        Row {
            order,
            answers,
            channel,
            segment,
        }
    };
    vec![
        r("D-1", 10, 5, 7, 5, 4, "web", "regular", Value::Null),
        r("D-2", 9, 4, 6, 4, 4, "web", "regular", Value::Null),
        r("D-3", 8, 4, 5, 3, 3, "wechat", "regular", Value::Null),
        r("D-4", 9, 3, 4, 3, 2, "wechat", "vip", Value::Null),
        r(
            "D-5",
            3,
            2,
            2,
            2,
            1,
            "wechat",
            "regular",
            json!({ "reason": ["slow_delivery", "price"], "comment": "物流太慢，怀疑欺诈" }),
        ),
        r(
            "D-6",
            0,
            1,
            1,
            2,
            1,
            "web",
            "regular",
            json!({ "reason": ["slow_delivery"] }),
        ),
        r("D-7", 10, 1, 4, 3, 3, "web", "regular", Value::Null),
    ]
}

/// RFC 3339 UTC text of the Unix time `secs`.
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Publishes the survey, submits the fixture through `POST /v1/responses`
/// and 8 `shown` events through `POST /v1/events`, and lets the analysis
/// (flags, tags, cases) run by asking a report once.
async fn seed(app: &TestApp) -> Result<AdminApi> {
    let admin = AdminApi::new(app)?;
    admin.publish_definition(&definition()).await?;
    let http = reqwest::Client::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    for (i, row) in rows().iter().enumerate() {
        let body = json!({
            "response_id": uuid::Uuid::new_v4().to_string(),
            "site": DEMO_SITE, "survey_id": SURVEY, "survey_version": 1,
            "answers": row.answers,
            "context": { "order_id": row.order, "customer": format!("dash-c-{i}"),
                         "channel": row.channel, "segment": row.segment, "locale": "en" },
            "timing": { "shown_at": rfc3339(now - 100), "submitted_at": rfc3339(now - 58) }
        });
        let response = http
            .post(app.url("/v1/responses"))
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        ensure!(
            status == reqwest::StatusCode::CREATED,
            "response {}: {status}: {}",
            row.order,
            response.text().await.unwrap_or_default()
        );
    }
    for i in 1..=8 {
        let body = json!({ "site": DEMO_SITE, "survey": SURVEY, "event": "shown",
                           "order_id": format!("D-{i}") });
        let response = http.post(app.url("/v1/events")).json(&body).send().await?;
        ensure!(
            response.status().is_success(),
            "shown event {i}: {}",
            response.status()
        );
    }
    // A report request first lets the analysis catch up: after it the
    // flags and the cases are in the database.
    admin
        .call(reqwest::Method::GET, "/api/reports/summary", None)
        .await?;
    Ok(admin)
}

/// Opens the dashboard, picks `lang` (when given) and logs in with the
/// token; returns once the figures have loaded.
async fn open_dashboard(browser: &Browser, app: &TestApp, lang: Option<&str>) -> Result<()> {
    let c = &browser.client;
    c.goto(&app.url("/admin/dashboard")).await?;
    if let Some(lang) = lang {
        visible(c, "#ui-lang").await?.select_by_value(lang).await?;
    }
    let input = visible(c, "#token").await?;
    input.send_keys(&app.admin_token()?).await?;
    visible(c, "#login-submit").await?.click().await?;
    loaded_after(browser, 0).await
}

/// The number of completed loads of the page (`body[data-loaded]`).
async fn loads(browser: &Browser) -> Result<u64> {
    let v = browser
        .js("return Number(document.body.getAttribute('data-loaded') || 0);")
        .await?;
    Ok(v.as_u64().unwrap_or(0))
}

/// Waits until the page has finished a load after the `n`-th.
async fn loaded_after(browser: &Browser, n: u64) -> Result<()> {
    wait_for("the dashboard's figures to load", || async {
        let busy = browser
            .js("return document.body.getAttribute('aria-busy') === 'true';")
            .await?;
        Ok((loads(browser).await? > n && busy == json!(false)).then_some(()))
    })
    .await
}

/// Every KPI tile as `{key: {figure, moe, delta, sub, few}}`.
async fn tiles(browser: &Browser) -> Result<Value> {
    browser
        .js(r#"var out = {};
            document.querySelectorAll('#kpis [data-kpi]').forEach(function (li) {
              var q = function (s) { var e = li.querySelector(s); return e ? e.textContent : null; };
              out[li.dataset.kpi] = { title: q('h3'), figure: q('[data-figure]'), moe: q('[data-moe]'),
                delta: q('.delta'), sub: q('[data-sub]'), few: li.dataset.few === 'true',
                mark: q('.few-mark') };
            });
            return out;"#)
        .await
}

/// The rows of the table inside `#id` (header row excluded), as text cells.
async fn table(browser: &Browser, id: &str) -> Result<Vec<Vec<String>>> {
    let v = browser
        .client
        .execute(
            "return Array.prototype.map.call(document.querySelectorAll('#' + arguments[0] + ' tbody tr'), \
             function (tr) { return Array.prototype.map.call(tr.cells, function (c) { return c.textContent; }); });",
            vec![json!(id)],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// The row of `rows` whose first cells are `key`.
fn row<'a>(rows: &'a [Vec<String>], key: &[&str]) -> Result<&'a [String]> {
    rows.iter()
        .find(|r| r.len() >= key.len() && r.iter().zip(key).all(|(a, b)| a == b))
        .map(Vec::as_slice)
        .with_context(|| format!("no row {key:?} in {rows:?}"))
}

/// Case ids (as on the page, in order) and the queue's total.
async fn queue(browser: &Browser) -> Result<(Vec<i64>, i64)> {
    let v = browser
        .js("return { ids: Array.prototype.map.call(document.querySelectorAll('#case-list [data-case-id]'), \
               function (li) { return Number(li.dataset.caseId); }), \
               total: Number(document.getElementById('cases-summary').dataset.total) };")
        .await?;
    Ok((
        serde_json::from_value(v["ids"].clone())?,
        v["total"].as_i64().unwrap_or(-1),
    ))
}

/// The serious and critical axe violations on the whole page.
async fn serious_violations(browser: &Browser) -> Result<Vec<Value>> {
    Ok(a11y::failing(&a11y::audit(browser, Scope::Document).await?))
}

#[tokio::test]
async fn the_dashboard_shows_the_figures_of_the_stored_responses() -> Result<()> {
    let app = TestApp::spawn().await?;
    seed(&app).await?;
    let browser = Browser::start(Device::Desktop).await?;
    let c = &browser.client;
    open_dashboard(&browser, &app, Some("en")).await?;

    // What the database holds: 7 responses, one of them flagged.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM responses WHERE survey_id = ?")
        .bind(SURVEY)
        .fetch_one(&app.db)
        .await?;
    let flagged: Vec<String> = sqlx::query_scalar(
        "SELECT r.order_id FROM responses r JOIN response_analysis a USING (response_id) \
         WHERE a.flagged = 1 ORDER BY r.order_id",
    )
    .fetch_all(&app.db)
    .await?;
    assert_eq!(stored, 7);
    assert_eq!(flagged, vec!["D-7".to_owned()], "the contradictory answer");

    let k = tiles(&browser).await?;
    assert_eq!(k["responses"]["figure"], json!("6"), "{k}");
    assert_eq!(k["responses"]["sub"], json!("1 flagged answers excluded"));
    assert_eq!(k["nps"]["figure"], json!("16.7"));
    assert_eq!(k["nps"]["moe"], json!("± 71.8"));
    assert_eq!(
        k["nps"]["sub"],
        json!("n = 6 · promoters 3 · passives 1 · detractors 2")
    );
    assert_eq!(k["csat"]["figure"], json!("50%"));
    assert_eq!(k["csat"]["moe"], json!("± 40 pp"));
    assert_eq!(k["ces"]["figure"], json!("4.17"));
    assert_eq!(k["ces"]["moe"], json!("± 1.85"));
    // Submitted / shown: the flagged D-7 was submitted too.
    assert_eq!(k["response_rate"]["figure"], json!("87.5%"));
    assert_eq!(k["response_rate"]["sub"], json!("7 of 8 shown"));
    // Six answers are fewer than 30: every rating is marked, in words.
    for key in ["nps", "csat", "ces", "response_rate", "median_seconds"] {
        assert_eq!(k[key]["few"], json!(true), "{key}: {}", k[key]);
        assert_eq!(k[key]["mark"], json!("⚠ too few answers"), "{key}");
    }
    // Nothing in the previous 30 days.
    assert_eq!(k["nps"]["delta"], json!("no previous figure"));
    assert_eq!(
        browser
            .js("return document.getElementById('excluded').textContent")
            .await?,
        json!("1 flagged answers excluded")
    );

    // The same figures against the database: NPS classes of the unflagged answers.
    let classes: (i64, i64, i64) = sqlx::query_as(
        "SELECT SUM(n >= 9), SUM(n BETWEEN 7 AND 8), SUM(n <= 6) FROM ( \
           SELECT json_extract(r.answers, '$.nps') AS n FROM responses r \
           JOIN response_analysis a USING (response_id) WHERE r.survey_id = ? AND a.flagged = 0)",
    )
    .bind(SURVEY)
    .fetch_one(&app.db)
    .await?;
    assert_eq!(
        k["nps"]["sub"],
        json!(format!(
            "n = 6 · promoters {} · passives {} · detractors {}",
            classes.0, classes.1, classes.2
        ))
    );

    // Trend: one bucket (today's; yesterday's if the test straddles
    // midnight in UTC+8) holds all six, the others are empty.
    let with_answers = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
        rows.iter().filter(|r| r[2] != "0").cloned().collect()
    };
    let trend = table(&browser, "trend-table").await?;
    assert_eq!(
        trend.len(),
        30,
        "one row per day of the default range: {trend:?}"
    );
    let filled = with_answers(&trend);
    assert_eq!(filled.len(), 1, "{trend:?}");
    assert_eq!(filled[0][1..3], ["16.7".to_owned(), "6".to_owned()]);
    visible(c, "input[name=interval][value=week]")
        .await?
        .click()
        .await?;
    let weeks = wait_for("weekly buckets", || async {
        let rows = table(&browser, "trend-table").await?;
        Ok((rows.len() <= 6 && rows.len() >= 4).then_some(rows))
    })
    .await?;
    let filled = with_answers(&weeks);
    assert_eq!(filled.len(), 1, "{weeks:?}");
    assert_eq!(filled[0][1..3], ["16.7".to_owned(), "6".to_owned()]);

    // Breakdown by channel (the default).
    let bd = table(&browser, "breakdown-table").await?;
    assert_eq!(
        row(&bd, &["web"])?[1..3],
        ["33.3".to_owned(), "3".to_owned()]
    );
    assert_eq!(
        row(&bd, &["wechat"])?[1..3],
        ["0".to_owned(), "3".to_owned()]
    );
    // The bars carry the same values as text.
    let bar_texts = browser
        .js("return Array.prototype.map.call(document.querySelectorAll('#breakdown-chart svg text.value'), \
             function (t) { return t.textContent; });")
        .await?;
    assert_eq!(bar_texts, json!(["33.3*", "0*"]));

    // SERVQUAL heat map.
    let heat = table(&browser, "heat-table").await?;
    assert_eq!(row(&heat, &["Reliability", "web"])?[2], "3.67");
    assert_eq!(row(&heat, &["Reliability", "wechat"])?[2], "2.67");
    assert_eq!(row(&heat, &["Responsiveness", "web"])?[2], "3");
    assert_eq!(row(&heat, &["Responsiveness", "wechat"])?[2], "2");
    assert_eq!(row(&heat, &["Responsiveness", "wechat"])?[3], "3");

    // Follow-up reasons, labelled from the survey definition.
    let reasons = table(&browser, "reasons-table").await?;
    assert_eq!(
        row(&reasons, &["Slow delivery"])?[1..],
        ["2".to_owned(), "100%".to_owned()]
    );
    assert_eq!(
        row(&reasons, &["Price"])?[1..],
        ["1".to_owned(), "50%".to_owned()]
    );

    // The case queue is the open cases of the database, overdue first.
    let open: Vec<(i64, String)> = sqlx::query_as(
        "SELECT c.id, r.order_id FROM cases c JOIN responses r USING (response_id) \
         WHERE c.status IN ('open', 'contacted') ORDER BY c.id",
    )
    .fetch_all(&app.db)
    .await?;
    let orders: BTreeSet<&str> = open.iter().map(|(_, o)| o.as_str()).collect();
    for order in ["D-4", "D-5", "D-6"] {
        assert!(
            orders.contains(order),
            "a case for {order}: {open:?} (rules: CSAT ≤ 3 for vip, NPS ≤ 6)"
        );
    }
    let (mut ids, total) = queue(&browser).await?;
    assert_eq!(total, open.len() as i64);
    ids.sort_unstable();
    assert_eq!(
        ids,
        open.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        "every open case listed once"
    );
    let k = tiles(&browser).await?;
    assert_eq!(k["open_cases"]["figure"], json!(open.len().to_string()));
    // The alert keyword made D-5's case urgent; the page says so in words.
    let d5 = open.iter().find(|(_, o)| o == "D-5").context("D-5")?.0;
    assert_eq!(
        browser
            .client
            .execute(
                "return document.querySelector('[data-case-id=\"' + arguments[0] + '\"] [data-priority]').textContent",
                vec![json!(d5)],
            )
            .await?,
        json!("urgent")
    );

    // Change D-6's case to "contacted" from the queue.
    let d6 = open.iter().find(|(_, o)| o == "D-6").context("D-6")?.0;
    let before = loads(&browser).await?;
    visible(c, &format!(r#"select[data-case-next="{d6}"]"#))
        .await?
        .select_by_value("contacted")
        .await?;
    visible(c, &format!(r#"button[data-case-apply="{d6}"]"#))
        .await?
        .click()
        .await?;
    loaded_after(&browser, before).await?;
    let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = ?")
        .bind(d6)
        .fetch_one(&app.db)
        .await?;
    assert_eq!(status, "contacted");
    assert_eq!(
        browser
            .client
            .execute(
                "return document.querySelector('[data-case-id=\"' + arguments[0] + '\"]').dataset.status",
                vec![json!(d6)],
            )
            .await?,
        json!("contacted")
    );
    // Its details open from the keyboard and show the answer that opened it.
    browser
        .client
        .execute(
            "document.querySelector('[data-case-details=\"' + arguments[0] + '\"]').focus();",
            vec![json!(d6)],
        )
        .await?;
    browser.press(&[Key::Enter]).await?;
    let detail = wait_for("the case details", || async {
        let t = c
            .find(Locator::Css(&format!("#case-detail-{d6}")))
            .await?
            .text()
            .await?;
        Ok(t.contains("D-6").then_some(t))
    })
    .await?;
    assert!(detail.contains("\"nps\":0"), "{detail}");
    assert_eq!(
        browser
            .client
            .execute(
                "return document.querySelector('[data-case-details=\"' + arguments[0] + '\"]') \
                 .getAttribute('aria-expanded');",
                vec![json!(d6)],
            )
            .await?,
        json!("true")
    );
    // The desktop layout, tables open, passes axe too.
    browser
        .js("document.querySelectorAll('details').forEach(function (d) { d.open = true; });")
        .await?;
    let failing = serious_violations(&browser).await?;
    assert!(
        failing.is_empty(),
        "axe {AXE_VERSION} on the desktop dashboard: {}",
        serde_json::to_string_pretty(&failing)?
    );

    // NDJSON export of the selection: the six unflagged responses.
    visible(c, "#export-ndjson").await?.click().await?;
    let href = wait_for("the export to finish", || async {
        let v = browser
            .js("var b = document.getElementById('export-ndjson'); \
                 return b.dataset.bytes || b.dataset.error ? \
                 { href: b.dataset.href, error: b.dataset.error || null } : null;")
            .await?;
        if v.is_null() {
            return Ok(None);
        }
        ensure!(v["error"].is_null(), "the export failed: {v}");
        Ok(v["href"].as_str().map(str::to_owned))
    })
    .await?;
    assert!(href.contains("include_flagged=false"), "{href}");
    let body = reqwest::Client::new()
        .get(app.url(&href))
        .bearer_auth(app.admin_token()?)
        .send()
        .await?
        .text()
        .await?;
    let mut exported: Vec<String> = body
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .map(|v| v["order_id"].as_str().unwrap_or("").to_owned())
        })
        .collect::<Result<_, _>>()?;
    exported.sort();
    assert_eq!(exported, ["D-1", "D-2", "D-3", "D-4", "D-5", "D-6"]);

    // Include the flagged answer: 7 answers, NPS (4 − 2)/7.
    let before = loads(&browser).await?;
    visible(c, "#f-flagged").await?.click().await?;
    loaded_after(&browser, before).await?;
    let k = tiles(&browser).await?;
    assert_eq!(k["responses"]["figure"], json!("7"));
    assert_eq!(k["nps"]["figure"], json!("28.6"));
    assert_eq!(
        browser
            .js("return document.getElementById('excluded').textContent")
            .await?,
        json!("Flagged answers included")
    );

    // Filter by a channel: only wechat's three.
    let before = loads(&browser).await?;
    visible(c, "#f-channel")
        .await?
        .select_by_value("wechat")
        .await?;
    loaded_after(&browser, before).await?;
    let k = tiles(&browser).await?;
    assert_eq!(k["responses"]["figure"], json!("3"));
    assert_eq!(k["nps"]["figure"], json!("0"));

    // Or by an open-text tag: 欺诈 in D-5's comment tagged it `fraud`.
    let before = loads(&browser).await?;
    visible(c, "#f-channel").await?.select_by_value("").await?;
    loaded_after(&browser, before).await?;
    let before = loads(&browser).await?;
    visible(c, "#f-tag").await?.select_by_value("fraud").await?;
    loaded_after(&browser, before).await?;
    let k = tiles(&browser).await?;
    assert_eq!(k["responses"]["figure"], json!("1"));
    assert_eq!(k["nps"]["figure"], json!("-100"));
    browser.close().await
}

#[tokio::test]
async fn on_a_phone_the_dashboard_fits_the_screen_and_speaks_chinese() -> Result<()> {
    let app = TestApp::spawn().await?;
    seed(&app).await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    // A Traditional-Chinese phone: the page starts in zh-TW by itself.
    browser
        .before_each_page(
            "Object.defineProperty(navigator, 'language', { get: function () { return 'zh-TW'; } });",
        )
        .await?;
    let c = &browser.client;
    open_dashboard(&browser, &app, None).await?;
    assert_eq!(
        browser.js("return document.documentElement.lang").await?,
        json!("zh-TW")
    );
    assert_eq!(visible(c, "#trend-title").await?.text().await?, "趨勢");

    // Switch to Simplified Chinese.
    visible(c, "#ui-lang")
        .await?
        .select_by_value("zh-CN")
        .await?;
    let k = tiles(&browser).await?;
    assert_eq!(k["nps"]["title"], json!("NPS 净推荐值"));
    assert_eq!(k["nps"]["figure"], json!("16.7"));
    assert_eq!(k["nps"]["mark"], json!("⚠ 样本过少"));
    assert_eq!(k["csat"]["title"], json!("CSAT 满意率（4–5 分）"));
    assert_eq!(visible(c, "#cases-title").await?.text().await?, "工单队列");
    assert_eq!(
        browser
            .js("return document.getElementById('excluded').textContent")
            .await?,
        json!("已排除 1 份被标记的答卷")
    );
    let heat = table(&browser, "heat-table").await?;
    assert_eq!(row(&heat, &["可靠性", "web"])?[2], "3.67");

    // Open every table and a case's details: still no sideways scrolling.
    browser
        .js(
            "document.querySelectorAll('details').forEach(function (d) { d.open = true; }); \
             var b = document.querySelector('[data-case-details]'); if (b) b.click();",
        )
        .await?;
    wait_for("the case details", || async {
        let v = browser
            .js("var d = document.querySelector('.case-detail:not([hidden]) dl'); return !!d;")
            .await?;
        Ok(v.as_bool().unwrap_or(false).then_some(()))
    })
    .await?;
    let fit = browser
        .js(
            "return { page: document.documentElement.scrollWidth, body: document.body.scrollWidth, \
                      viewport: window.innerWidth };",
        )
        .await?;
    let viewport = fit["viewport"].as_i64().context("viewport")?;
    assert!(viewport <= 375, "a phone-sized viewport: {fit}");
    assert!(
        fit["page"].as_i64() <= Some(viewport) && fit["body"].as_i64() <= Some(viewport),
        "no horizontal scrolling of the page: {fit}"
    );
    // Every element but the scrollable table boxes stays inside the screen.
    let wide = browser
        .js("var w = window.innerWidth, out = []; \
             document.querySelectorAll('main *').forEach(function (e) { \
               if (e.closest('.table-wrap') || e.closest('#heat-chart')) return; \
               var r = e.getBoundingClientRect(); \
               if (r.width && (r.right > w + 1 || r.left < -1)) out.push(e.tagName + '#' + e.id + '.' + e.className); }); \
             return out;")
        .await?;
    assert_eq!(wide, json!([]), "elements wider than the phone");

    // Charts have text alternatives.
    let labelled = browser
        .js("return Array.prototype.map.call(document.querySelectorAll('.chart svg'), function (s) { \
               var t = s.querySelector('title'); return s.getAttribute('role') + ':' + (t ? t.textContent.length > 0 : false); });")
        .await?;
    let labelled: Vec<String> = serde_json::from_value(labelled)?;
    assert!(
        labelled.len() >= 4,
        "trend, breakdown, heat map, reasons: {labelled:?}"
    );
    assert!(labelled.iter().all(|l| l == "img:true"), "{labelled:?}");

    // axe-core finds no serious or critical problem, in light and dark.
    let failing = serious_violations(&browser).await?;
    assert!(
        failing.is_empty(),
        "axe {AXE_VERSION} on the phone dashboard: {}",
        serde_json::to_string_pretty(&failing)?
    );
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
        )
        .await?;
    let failing = serious_violations(&browser).await?;
    assert!(
        failing.is_empty(),
        "axe {AXE_VERSION} on the phone dashboard, dark: {}",
        serde_json::to_string_pretty(&failing)?
    );
    browser.close().await
}

#[tokio::test]
async fn the_chart_functions_draw_what_they_are_given() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser.client.goto(&app.url("/admin/dashboard")).await?;
    wait_for("the chart functions", || async {
        let v = browser.js("return !!window.manyiCharts;").await?;
        Ok(v.as_bool().unwrap_or(false).then_some(()))
    })
    .await?;
    let drawn = browser
        .js(r#"var C = window.manyiCharts, box = document.createElement('div');
          document.body.appendChild(box);
          function parse(svg) { box.innerHTML = svg; return box.querySelector('svg'); }
          var bars = parse(C.barChart([
              { label: 'web', value: 33.3 }, { label: 'wechat', value: -20, few: true }, { label: 'app', value: null }
            ], { id: 'b', width: 400, title: 'NPS by channel', format: function (v) { return v.toFixed(1); } }));
          var b = { rects: bars.querySelectorAll('rect.bar').length, neg: bars.querySelectorAll('rect.neg').length,
                    hatched: bars.querySelectorAll('rect.few').length,
                    values: Array.prototype.map.call(bars.querySelectorAll('text.value'), function (t) { return t.textContent; }),
                    title: bars.querySelector('title').textContent, role: bars.getAttribute('role'),
                    width: bars.getAttribute('width') };
          var line = parse(C.lineChart([
              { label: 'a', value: 10 }, { label: 'b', value: 20 }, { label: 'c', value: null },
              { label: 'd', value: 5, few: true }, { label: 'e', value: 15 }
            ], { id: 'l', width: 500, title: 'trend' }));
          var l = { moves: (line.querySelector('path.line').getAttribute('d').match(/M/g) || []).length,
                    dots: line.querySelectorAll('circle.dot').length, hollow: line.querySelectorAll('circle.few').length };
          var empty = parse(C.lineChart([{ label: 'a', value: null }], { id: 'e', width: 300, title: 't', empty: 'No data' }));
          var heat = parse(C.heatMap([{ key: 'r', label: 'Reliability' }], [{ key: 'web', label: 'web' }, { key: 'app', label: 'app' }],
            function (r, c) { return c.key === 'web' ? { value: 4.5, few: true } : null; },
            { id: 'h', width: 400, title: 'heat', min: 1, max: 5, lo: '#ffffff', hi: '#000000', format: String }));
          var h = Array.prototype.map.call(heat.querySelectorAll('text'), function (t) { return t.textContent; });
          box.remove();
          return { bars: b, line: l, empty: empty.textContent, heat: h,
                   light: C.ramp('#ffffff', '#000000', 0), dark: C.ramp('#ffffff', '#000000', 1),
                   ticks: C.ticks(-67, 90, 4) };"#)
        .await?;
    assert_eq!(
        drawn["bars"],
        json!({ "rects": 2, "neg": 1, "hatched": 1, "values": ["33.3", "-20.0*"],
                "title": "NPS by channel", "role": "img", "width": "400" }),
        "a bar per value, a dash for none, low samples hatched and starred"
    );
    assert_eq!(
        drawn["line"],
        json!({ "moves": 2, "dots": 4, "hollow": 1 }),
        "a gap where a bucket has no value; low samples hollow"
    );
    assert!(
        drawn["empty"].as_str().unwrap_or("").contains("No data"),
        "{}",
        drawn["empty"]
    );
    assert_eq!(
        drawn["heat"],
        json!(["web", "app", "Reliability", "4.5*", "—"]),
        "every cell prints its value"
    );
    assert_eq!(
        drawn["light"],
        json!({ "fill": "rgb(255,255,255)", "text": "#000" })
    );
    assert_eq!(
        drawn["dark"],
        json!({ "fill": "rgb(0,0,0)", "text": "#fff" })
    );
    assert_eq!(drawn["ticks"], json!([-100, -50, 0, 50, 100]));

    // The page follows the system's dark mode.
    let background = "return getComputedStyle(document.documentElement).backgroundColor;";
    assert_eq!(browser.js(background).await?, json!("rgb(255, 255, 255)"));
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
        )
        .await?;
    assert_eq!(browser.js(background).await?, json!("rgb(13, 17, 23)"));
    browser.close().await
}

/// A survey whose answers fill the breakdown and the heat map: NPS and one
/// Likert question of the reliability dimension.
fn capped_definition() -> Value {
    json!({
        "id": "capped",
        "version": 1,
        "default_locale": "en",
        "locales": ["en", "zh-CN", "zh-TW"],
        "title": text("How did we do?", "评价"),
        "thank_you": text("Thank you!", "谢谢！"),
        "questions": [
            { "id": "nps", "type": "nps", "required": true,
              "text": text("Would you recommend us?", "您会推荐我们吗？") },
            { "id": "rel", "type": "likert", "required": true, "dimension": "reliability",
              "text": text("Delivered as promised.", "按承诺完成。") }
        ]
    })
}

/// Context values come from the public payload, so the breakdown lists 50
/// channels and sums the rest in `other`; the dashboard draws that sum as
/// one "Other" bar, says how many heat-map columns are left out, and a
/// channel beyond the 50 can still be filtered by (typed in).
///
/// By hand: `ch00` … `ch49` with 3 answers each (NPS 9, reliability 4) are
/// the 50 listed (ties by key); `zz-late` (NPS 10 and 3) and `zz-other`
/// (NPS 0) are summed: Other = 2 groups, 3 answers, promoters 1,
/// detractors 2 → NPS (1 − 2)/3 = −33.3. `zz-late` alone: promoters 1,
/// detractors 1 → NPS 0.
#[tokio::test]
async fn past_fifty_channels_the_rest_is_one_other_bar_and_any_channel_can_be_typed() -> Result<()>
{
    let app = TestApp::spawn().await?;
    let admin = AdminApi::new(&app)?;
    admin.publish_definition(&capped_definition()).await?;
    let http = reqwest::Client::new();
    let mut answers: Vec<(String, i64)> = Vec::new();
    for ch in 0..50 {
        for _ in 0..3 {
            answers.push((format!("ch{ch:02}"), 9));
        }
    }
    answers.extend([
        ("zz-late".to_owned(), 10),
        ("zz-late".to_owned(), 3),
        ("zz-other".to_owned(), 0),
    ]);
    for (i, (channel, nps)) in answers.iter().enumerate() {
        let body = json!({
            "response_id": uuid::Uuid::new_v4().to_string(),
            "site": DEMO_SITE, "survey_id": "capped", "survey_version": 1,
            "answers": { "nps": nps, "rel": 4 },
            "context": { "order_id": format!("CAP-{i}"), "customer": format!("cap-c-{i}"),
                         "channel": channel, "locale": "en" }
        });
        let response = http
            .post(app.url("/v1/responses"))
            .json(&body)
            .send()
            .await?;
        ensure!(
            response.status() == reqwest::StatusCode::CREATED,
            "response {i}: {}",
            response.status()
        );
    }
    let channels: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT channel) FROM responses WHERE survey_id = ?")
            .bind("capped")
            .fetch_one(&app.db)
            .await?;
    assert_eq!(channels, 52, "52 channel values stored");

    let browser = Browser::start(Device::Desktop).await?;
    let c = &browser.client;
    open_dashboard(&browser, &app, Some("en")).await?;

    // The breakdown: 50 channels, then one bar for the two summed.
    let bd = table(&browser, "breakdown-table").await?;
    assert_eq!(bd.len(), 51, "{bd:?}");
    assert_eq!(
        bd[0][..3],
        ["ch00".to_owned(), "100".to_owned(), "3".to_owned()]
    );
    assert_eq!(bd[49][0], "ch49");
    assert_eq!(
        bd[50],
        ["Other (2 groups)", "-33.3", "3", "too few answers"].map(str::to_owned),
        "the API's `other`: 3 answers of 2 channels"
    );
    let other_bar = browser
        .js(
            "var r = document.querySelectorAll('#breakdown-chart rect.bar.other'); \
             var texts = document.querySelectorAll('#breakdown-chart svg text.value'); \
             return { bars: r.length, last: texts[texts.length - 1].textContent };",
        )
        .await?;
    assert_eq!(other_bar, json!({ "bars": 1, "last": "-33.3*" }));

    // The heat map keeps 50 columns and says how many more had answers.
    let heat = table(&browser, "heat-table").await?;
    assert_eq!(heat.len(), 50, "one reliability cell per listed channel");
    let note = browser
        .js("var p = document.getElementById('heat-omitted'); \
             return { hidden: p.hidden, text: p.textContent, n: p.dataset.omitted };")
        .await?;
    assert_eq!(
        note,
        json!({ "hidden": false, "n": "2",
                "text": "2 more columns not shown (the 50 with the most answers are)." })
    );

    // The channel list: All, the 50, "(none)" (it might be among the
    // rest), and the entry for any other value.
    let options = browser
        .js(
            "return Array.prototype.map.call(document.getElementById('f-channel').options, \
             function (o) { return o.textContent; });",
        )
        .await?;
    let options: Vec<String> = serde_json::from_value(options)?;
    assert_eq!(options.len(), 53, "{options:?}");
    assert_eq!(options[1], "ch00");
    assert!(!options.iter().any(|o| o.starts_with("zz-")), "{options:?}");
    assert_eq!(options[51], "(none)");
    assert_eq!(options[52], "Other value… (2 more not listed)");

    // The same in Chinese (switching redraws from the last answers).
    visible(c, "#ui-lang")
        .await?
        .select_by_value("zh-CN")
        .await?;
    let zh = browser
        .js("var rows = document.querySelectorAll('#breakdown-table tbody tr'); \
             return { other: rows[rows.length - 1].cells[0].textContent, \
                      heat: document.getElementById('heat-omitted').textContent, \
                      entry: document.querySelector('#f-channel option[data-other]').textContent };")
        .await?;
    assert_eq!(
        zh,
        json!({ "other": "其他（2 组）", "heat": "另有 2 列未显示（只显示回答最多的 50 列）。",
                "entry": "其他值…（另有 2 个未列出）" })
    );
    visible(c, "#ui-lang").await?.select_by_value("en").await?;

    // Type a channel the list leaves out: its exact figures.
    let before = loads(&browser).await?;
    visible(c, "#f-channel option[data-other]")
        .await?
        .click()
        .await?;
    let entry = visible(c, "#f-channel-text").await?;
    // The open entry is labelled (channel + what to type) and passes axe.
    assert_eq!(
        browser
            .js("var i = document.getElementById('f-channel-text'); \
                 return i.getAttribute('aria-labelledby').split(' ').map(function (id) { \
                   return document.getElementById(id).textContent; }).join(': ');")
            .await?,
        json!("Channel: Exact value (Enter to apply)")
    );
    let failing = serious_violations(&browser).await?;
    assert!(
        failing.is_empty(),
        "axe {AXE_VERSION} with the entry open: {}",
        serde_json::to_string_pretty(&failing)?
    );
    entry.send_keys("zz-late").await?;
    browser.press(&[Key::Enter]).await?;
    loaded_after(&browser, before).await?;
    let k = tiles(&browser).await?;
    assert_eq!(k["responses"]["figure"], json!("2"), "{k}");
    assert_eq!(k["nps"]["figure"], json!("0"));
    assert_eq!(
        k["nps"]["sub"],
        json!("n = 2 · promoters 1 · passives 0 · detractors 1")
    );
    let state = browser
        .js(
            "return { value: document.getElementById('f-channel').value, \
                      entry: document.getElementById('f-channel-entry').hidden, \
                      url: location.search };",
        )
        .await?;
    assert_eq!(state["value"], json!("zz-late"), "{state}");
    assert_eq!(state["entry"], json!(true), "the entry closes once applied");
    assert!(
        state["url"]
            .as_str()
            .unwrap_or("")
            .contains("channel=zz-late"),
        "{state}"
    );
    // The breakdown under that filter: the one channel, nothing summed.
    let bd = table(&browser, "breakdown-table").await?;
    assert_eq!(
        bd,
        vec![["zz-late", "0", "2", "too few answers"].map(str::to_owned)]
    );
    browser.close().await
}

/// The summary requests the page sent (ms since it loaded), recorded by a
/// wrapper around `fetch` installed before each page's scripts.
const COUNT_FETCHES: &str = "window.__summaries = []; var f = window.fetch; \
    window.fetch = function (u) { \
      if (String(u).indexOf('/api/reports/summary') >= 0) window.__summaries.push(performance.now()); \
      return f.apply(this, arguments); };";

/// The times of the summary requests of this page.
async fn summaries(browser: &Browser) -> Result<Vec<f64>> {
    Ok(serde_json::from_value(
        browser.js("return window.__summaries || [];").await?,
    )?)
}

/// Waits until the page is signed in and says the reports are warming up.
async fn warming_shown(browser: &Browser) -> Result<Value> {
    wait_for("the warming-up status", || async {
        let v = browser
            .js("return document.body.hasAttribute('data-warming') ? { \
                   status: document.getElementById('status').textContent, \
                   warming: document.getElementById('status').classList.contains('warming'), \
                   dash: !document.getElementById('dash-view').hidden, \
                   login: !document.getElementById('login-view').hidden, \
                   login_error: document.getElementById('login-error').textContent } : null;")
            .await?;
        Ok((!v.is_null()).then_some(v))
    })
    .await
}

/// While the rollups are far behind (an upgrade's refold, or a burst), the
/// reports answer 503 `reports_warming_up`. A manager who logs in then
/// sees the dashboard with the preparation's progress — not a failed
/// login — and the figures appear by themselves once the reports answer,
/// filter lists included; a reload meanwhile stays signed in; retries come
/// one at a time, Retry-After (5 s) apart, however many calls failed.
///
/// The backlog: 100,000 analysed responses written straight into the
/// database (as in collector/tests/reports.rs), more than the 40,000 a
/// report folds itself; the test then holds SQLite's write lock, so the
/// rollup worker cannot fold them (reads go on: WAL) until it lets go.
/// By hand: every 4th answer NPS 3, the others 9 → promoters 75,000,
/// detractors 25,000, NPS 50; nothing folded yet → "0 % done".
#[tokio::test]
async fn a_login_while_reports_warm_up_shows_the_progress_then_the_figures() -> Result<()> {
    use sqlx::Connection as _;

    let app = TestApp::spawn().await?;
    // The token's first use writes its last_used_at: before the lock.
    AdminApi::new(&app)?
        .call(reqwest::Method::GET, "/api/surveys", None)
        .await?;
    let mut writer = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(&app.app.db_path),
    )
    .await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut writer).await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
         INSERT INTO responses (response_id, site_key, survey_id, survey_version, order_id,
             channel, answers, payload_hash, received_at, signed)
         SELECT printf('00000000-0000-4000-8000-%012d', i), 'demo', 'post-payment', 1,
             'warm-' || i, 'web', CASE i % 4 WHEN 0 THEN '{\"nps\": 3}' ELSE '{\"nps\": 9}' END,
             'x', '2026-11-02T02:00:00.000Z', 0
         FROM n",
    )
    .execute(&mut writer)
    .await?;
    sqlx::query(
        "UPDATE pipeline_cursors SET last_rowid = (SELECT MAX(rowid) FROM responses)
         WHERE name = 'analysis'",
    )
    .execute(&mut writer)
    .await?;
    // Committed and locked again at once: the rollup worker (every 500 ms)
    // finds the rows but cannot write its fold.
    sqlx::query("COMMIT").execute(&mut writer).await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut writer).await?;

    let browser = Browser::start(Device::Desktop).await?;
    browser.before_each_page(COUNT_FETCHES).await?;
    let c = &browser.client;
    c.goto(&app.url("/admin/dashboard?from=2026-11-01&to=2026-11-03"))
        .await?;
    visible(c, "#ui-lang").await?.select_by_value("en").await?;
    visible(c, "#token")
        .await?
        .send_keys(&app.admin_token()?)
        .await?;
    visible(c, "#login-submit").await?.click().await?;

    let shown = warming_shown(&browser).await?;
    assert_eq!(
        shown,
        json!({ "status": "The figures are being prepared (0 % done); they will appear here by themselves.",
                "warming": true, "dash": true, "login": false, "login_error": "" }),
        "signed in, with the progress"
    );
    // More calls fail meanwhile (another breakdown, another interval):
    // they re-arm the one retry instead of adding their own.
    visible(c, "#breakdown-by")
        .await?
        .select_by_value("segment")
        .await?;
    visible(c, "input[name=interval][value=week]")
        .await?
        .click()
        .await?;
    let times = wait_for("two retries", || async {
        let t = summaries(&browser).await?;
        Ok((t.len() >= 3).then_some(t))
    })
    .await?;
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= 4_500.0,
            "one retry per Retry-After (5 s): {times:?}"
        );
    }
    assert_eq!(loads(&browser).await?, 0, "no figures while warming up");

    // A reload meanwhile: still signed in (the token is in the tab), still warming.
    c.refresh().await?;
    let shown = warming_shown(&browser).await?;
    assert_eq!(
        (&shown["dash"], &shown["login"]),
        (&json!(true), &json!(false)),
        "{shown}"
    );
    browser.js("window.__sameDocument = true;").await?;
    // The status follows the language.
    visible(c, "#ui-lang")
        .await?
        .select_by_value("zh-TW")
        .await?;
    assert_eq!(
        browser
            .js("return document.getElementById('status').textContent;")
            .await?,
        json!("資料正在準備中（已完成 0%），準備好後會自動顯示。")
    );
    visible(c, "#ui-lang").await?.select_by_value("en").await?;

    // The rollups may fold now: the figures come without a reload.
    sqlx::query("COMMIT").execute(&mut writer).await?;
    writer.close().await?;
    loaded_after(&browser, 0).await?;
    let k = tiles(&browser).await?;
    assert_eq!(k["responses"]["figure"], json!("100,000"), "{k}");
    assert_eq!(k["nps"]["figure"], json!("50"));
    assert_eq!(
        k["nps"]["sub"],
        json!("n = 100,000 · promoters 75,000 · passives 0 · detractors 25,000")
    );
    let after = browser
        .js("return { same: window.__sameDocument === true, \
                      warming: document.body.hasAttribute('data-warming'), \
                      status: document.getElementById('status').textContent, \
                      channels: Array.prototype.map.call(document.getElementById('f-channel').options, \
                        function (o) { return o.value; }) };")
        .await?;
    assert_eq!(after["same"], json!(true), "no reload: {after}");
    assert_eq!(after["warming"], json!(false), "{after}");
    assert!(
        after["status"]
            .as_str()
            .unwrap_or("")
            .starts_with("Figures updated"),
        "{after}"
    );
    // The filter lists loaded too (the old retry reloaded the figures only).
    assert_eq!(after["channels"], json!(["", "web", "\u{1}"]), "{after}");
    browser.close().await
}
