//! The admin UI (`/admin`) in a real headless Chromium: a marketer logs in
//! with a token, picks the NPS template, sees a validation error next to the
//! field that caused it, creates and publishes the survey, and a customer
//! then answers it through the ordinary loader; a wrong token is refused on
//! the login form; on a phone, a site is created (its origin error shown
//! next to the field, its secret shown once) and tokens are created and
//! revoked; a survey's version history shows a superseded version with the
//! answers it keeps, and the embed code asks for a signature when the site
//! requires one; axe-core finds no serious or critical violation on the
//! login form, the home view or the editor showing errors (an emptied
//! question text and a bad colour, each next to its field).

use anyhow::Result;
use fantoccini::{Client, Locator};
use manyi_tests::a11y::{Scope, assert_accessible};
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find, visible, wait_for};
use manyi_tests::surveys::AdminApi;
use serde_json::{Value, json};

/// Waits until the text of `css` contains `needle`; returns the text.
async fn text_containing(client: &Client, css: &str, needle: &str) -> Result<String> {
    wait_for(&format!("`{css}` to contain {needle:?}"), || async {
        let text = match client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        Ok(text.contains(needle).then_some(text))
    })
    .await
}

/// Replaces the value of a text field, as typing would.
async fn type_into(client: &Client, css: &str, text: &str) -> Result<()> {
    let input = visible(client, css).await?;
    input.clear().await?;
    input.send_keys(text).await?;
    Ok(())
}

/// Opens `/admin` in English and logs in with `token`.
async fn log_in(browser: &Browser, app: &TestApp, token: &str) -> Result<()> {
    let c = &browser.client;
    c.goto(&app.url("/admin")).await?;
    visible(c, "#ui-lang").await?.select_by_value("en").await?;
    type_into(c, "#token", token).await?;
    visible(c, "#login-submit").await?.click().await?;
    Ok(())
}

#[tokio::test]
async fn a_survey_made_from_a_template_in_the_admin_ui_is_answered_through_the_loader() -> Result<()>
{
    let app = TestApp::spawn().await?;
    let token = app.admin_token()?;
    let browser = Browser::start(Device::Desktop).await?;
    let c = &browser.client;
    log_in(&browser, &app, &token).await?;

    // The gallery lists the templates with name, description and time.
    let card = text_containing(c, r#"[data-template-card="nps"]"#, "Net Promoter Score").await?;
    assert!(
        card.contains("about 30 s"),
        "estimated time on the card: {card}"
    );
    visible(c, r#"button[data-template="nps"]"#)
        .await?
        .click()
        .await?;

    type_into(c, "#f-survey_id", "e2e-nps").await?;
    visible(c, "#f-site").await?.select_by_value("demo").await?;
    type_into(c, "#f-brand_color", "blue").await?;
    visible(c, "#create").await?.click().await?;

    // The collector's `theme.brand_color` error lands next to the colour field.
    let placement = wait_for("the colour error", || async {
        let v = browser
            .js(
                "var i = document.getElementById('f-brand_color'); \
                 var e = document.querySelector('[data-error-for=brand_color]'); \
                 if (!e.textContent) return null; \
                 return { same_field: i.closest('[data-field]') === e.closest('[data-field]'), \
                          invalid: i.getAttribute('aria-invalid'), \
                          described: i.getAttribute('aria-describedby').split(' ').indexOf(e.id) >= 0, \
                          focused: document.activeElement === i, \
                          summary_hidden: document.getElementById('error-summary').hidden, \
                          text: e.textContent };",
            )
            .await?;
        Ok((!v.is_null()).then_some(v))
    })
    .await?;
    assert_eq!(
        placement,
        json!({ "same_field": true, "invalid": "true", "described": true, "focused": true,
                "summary_hidden": true, "text": placement["text"] }),
        "error next to the field, announced and focused"
    );
    assert!(
        placement["text"]
            .as_str()
            .unwrap_or_default()
            .contains("blue"),
        "the collector's message names the bad value: {placement}"
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM surveys WHERE survey_id = 'e2e-nps'")
            .fetch_one(&app.db)
            .await?;
    assert_eq!(stored, 0, "nothing stored for an invalid survey");

    // Fixed: created as a draft, the error cleared.
    type_into(c, "#f-brand_color", "#d9480f").await?;
    visible(c, "#create").await?.click().await?;
    text_containing(c, "#editor-state", "draft").await?;
    assert_eq!(
        browser
            .js("return document.querySelector('[data-error-for=brand_color]').textContent")
            .await?,
        json!("")
    );

    // The preview is the real widget, showing the draft's NPS question.
    let preview_host = visible(c, "#preview [data-manyi-preview]").await?;
    let preview = wait_for("the preview's shadow root", || async {
        Ok(preview_host.shadow_root().await.ok())
    })
    .await?;
    find(
        &preview,
        r#"[data-question="nps"] [role=radio][data-value="10"]"#,
    )
    .await?;

    // The embed code names this survey and site.
    let code = text_containing(c, "#code-show", "e2e-nps").await?;
    assert!(code.contains("manyi('show'"), "{code}");
    text_containing(c, "#code-tag", r#"data-site="demo""#).await?;

    visible(c, "#publish").await?.click().await?;
    text_containing(c, "#editor-state", "published").await?;
    let (version, status, definition): (i64, String, String) = sqlx::query_as(
        "SELECT version, status, definition FROM surveys WHERE survey_id = 'e2e-nps'",
    )
    .fetch_one(&app.db)
    .await?;
    assert_eq!((version, status.as_str()), (1, "published"));
    let definition: Value = serde_json::from_str(&definition)?;
    assert_eq!(definition["theme"]["brand_color"], json!("#d9480f"));

    // Pause, then resume: an unchanged form publishes the same version again.
    visible(c, "#pause").await?.click().await?;
    text_containing(c, "#editor-state", "paused").await?;
    visible(c, "#publish").await?.click().await?;
    text_containing(c, "#editor-state", "published").await?;
    let versions: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, status FROM surveys WHERE survey_id = 'e2e-nps'")
            .fetch_all(&app.db)
            .await?;
    assert_eq!(versions, vec![(1, "published".to_owned())]);

    // A customer gets it through the loader on an ordinary page.
    c.goto(&app.url("/demo?order=ADMIN-1&locale=en")).await?;
    browser.widget().await?;
    browser
        .js(
            "manyi('show', { survey: 'e2e-nps', orderId: 'ADMIN-2', customer: 'c-9', \
             locale: 'en', target: '#survey-slot' });",
        )
        .await?;
    let host = wait_for("the e2e-nps widget", || async {
        let Ok(host) = c.find(Locator::Css(r#"[data-manyi-host="e2e-nps"]"#)).await else {
            return Ok(None);
        };
        Ok(host.shadow_root().await.ok())
    })
    .await?;
    let question = find(&host, r#"[data-question="nps"]"#).await?;
    assert!(
        question
            .text()
            .await?
            .contains("How likely are you to recommend us"),
        "the NPS question of e2e-nps"
    );
    find(
        &host,
        r#"[data-question="nps"] [role=radio][data-value="9"]"#,
    )
    .await?
    .click()
    .await?;
    find(&host, "button[type=submit]").await?.click().await?;
    find(&host, "[data-thanks]").await?;

    let row: (String, i64, Option<String>, Option<String>, String) =
        wait_for("the e2e-nps response", || async {
            Ok(sqlx::query_as(
                "SELECT survey_id, survey_version, order_id, customer, answers \
                 FROM responses WHERE survey_id = 'e2e-nps'",
            )
            .fetch_optional(&app.db)
            .await?)
        })
        .await?;
    assert_eq!(
        (row.0.as_str(), row.1, row.2.as_deref(), row.3.as_deref()),
        ("e2e-nps", 1, Some("ADMIN-2"), Some("c-9"))
    );
    let answers: Value = serde_json::from_str(&row.4)?;
    assert_eq!(answers["nps"], json!(9));

    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_wrong_token_is_refused_on_the_login_form() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    let c = &browser.client;
    log_in(
        &browser,
        &app,
        "manyi_0000000000000000000000000000000000000000000000000000000000000000",
    )
    .await?;
    let message = text_containing(c, "#login-error", "not valid").await?;
    assert!(message.contains("log in again") || message.contains("Log in again"));
    assert_eq!(
        browser
            .js("return [document.getElementById('home-view').hidden, \
                 document.getElementById('token').getAttribute('aria-invalid'), \
                 sessionStorage.getItem('manyi:admin-token')]")
            .await?,
        json!([true, "true", null]),
        "still on the login form, the field marked, no token kept"
    );

    // An empty token is refused without asking the collector.
    type_into(c, "#token", " ").await?;
    visible(c, "#login-submit").await?.click().await?;
    text_containing(c, "#login-error", "Paste an admin token").await?;

    browser.close().await?;
    Ok(())
}

/// The field-error placement probe: is the message in `slot` next to
/// `input`, is the input marked invalid, described by it, and focused?
async fn error_next_to(browser: &Browser, input: &str, slot: &str) -> Result<Value> {
    let script = format!(
        "var i = document.getElementById('{input}'); var e = document.getElementById('{slot}'); \
         if (!e.textContent) return null; \
         return {{ same_field: i.closest('.field') === e.closest('.field'), \
                  invalid: i.getAttribute('aria-invalid'), \
                  described: i.getAttribute('aria-describedby').split(' ').indexOf(e.id) >= 0, \
                  focused: document.activeElement === i, text: e.textContent }};"
    );
    wait_for(&format!("an error in #{slot}"), || async {
        let v = browser.js(&script).await?;
        Ok((!v.is_null()).then_some(v))
    })
    .await
}

#[tokio::test]
async fn sites_and_tokens_are_managed_from_the_admin_ui_on_a_phone() -> Result<()> {
    let app = TestApp::spawn().await?;
    let token = app.admin_token()?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    let c = &browser.client;
    log_in(&browser, &app, &token).await?;
    text_containing(c, "#site-list", "demo").await?;

    // A bad origin: the collector's message lands next to the origins field.
    type_into(c, "#s-key", "shop-tw").await?;
    type_into(c, "#s-name", "Shop TW").await?;
    type_into(c, "#s-origins", "https://shop.example\nftp://nope").await?;
    visible(c, "#s-require").await?.click().await?;
    visible(c, "#site-create").await?.click().await?;
    let placement = error_next_to(&browser, "s-origins", "err-s-origins").await?;
    assert_eq!(
        placement,
        json!({ "same_field": true, "invalid": "true", "described": true, "focused": true,
                "text": placement["text"] }),
        "error next to the origins field, announced and focused"
    );
    assert!(
        placement["text"]
            .as_str()
            .unwrap_or_default()
            .contains("ftp://nope"),
        "{placement}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sites WHERE key = 'shop-tw'")
        .fetch_one(&app.db)
        .await?;
    assert_eq!(stored, 0, "nothing stored for an invalid site");

    // Fixed: created, the secret shown once, the stored row as asked.
    type_into(c, "#s-origins", "https://Shop.Example/").await?;
    visible(c, "#site-create").await?.click().await?;
    let secret = visible(c, "#site-secret-value").await?.text().await?;
    assert!(
        secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()),
        "{secret}"
    );
    let (origins, require, stored_secret): (String, i64, Option<String>) = sqlx::query_as(
        "SELECT allowed_origins, require_signature, signing_secret FROM sites WHERE key = 'shop-tw'",
    )
    .fetch_one(&app.db)
    .await?;
    assert_eq!(
        (origins.as_str(), require, stored_secret.as_deref()),
        (r#"["https://shop.example"]"#, 1, Some(secret.as_str()))
    );
    let row = text_containing(c, r#"#site-list [data-site-key="shop-tw"]"#, "Shop TW").await?;
    assert!(
        row.contains("https://shop.example") && row.contains("signatures required"),
        "{row}"
    );
    assert_eq!(
        browser
            .js("return [document.getElementById('s-key').value, \
                 document.getElementById('err-s-origins').textContent, \
                 document.getElementById('s-origins').hasAttribute('aria-invalid')]")
            .await?,
        json!(["", "", false]),
        "the form is cleared with its errors"
    );

    // Changed from its row: new origins and a new secret, stored at once.
    visible(c, r#"button[data-edit-site="shop-tw"]"#)
        .await?
        .click()
        .await?;
    text_containing(c, "#site-form-title", "Edit site shop-tw").await?;
    // In Traditional Chinese the section and the form follow, still editing.
    visible(c, "#ui-lang")
        .await?
        .select_by_value("zh-TW")
        .await?;
    text_containing(c, "#site-form-title", "編輯網站 shop-tw").await?;
    text_containing(c, "#sites-title", "網站").await?;
    text_containing(c, "#site-create", "儲存網站").await?;
    visible(c, "#ui-lang").await?.select_by_value("en").await?;
    text_containing(c, "#site-form-title", "Edit site shop-tw").await?;
    visible(c, "#s-name").await?.click().await?;
    assert_eq!(
        browser
            .js("return [document.getElementById('s-key').readOnly, \
                 document.getElementById('s-origins').value, document.activeElement.id]")
            .await?,
        json!([true, "https://shop.example", "s-name"])
    );
    type_into(
        c,
        "#s-origins",
        "https://shop.example\nhttps://m.shop.example",
    )
    .await?;
    visible(c, "#s-rotate").await?.click().await?;
    visible(c, "#site-create").await?.click().await?;
    let rotated = wait_for("the new secret", || async {
        let shown = match c.find(Locator::Css("#site-secret-value")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        Ok((shown.len() == 64 && shown != secret).then_some(shown))
    })
    .await?;
    let (origins, require, stored_secret): (String, i64, Option<String>) = sqlx::query_as(
        "SELECT allowed_origins, require_signature, signing_secret FROM sites WHERE key = 'shop-tw'",
    )
    .fetch_one(&app.db)
    .await?;
    assert_eq!(
        (origins.as_str(), require, stored_secret.as_deref()),
        (
            r#"["https://shop.example","https://m.shop.example"]"#,
            1,
            Some(rotated.as_str())
        )
    );
    text_containing(c, "#site-form-title", "Add a site").await?;
    text_containing(
        c,
        r#"#site-list [data-site-key="shop-tw"]"#,
        "https://m.shop.example",
    )
    .await?;

    // A token: created and shown once; the session's own token is marked.
    type_into(c, "#t-name", "ci bot").await?;
    visible(c, "#token-create").await?.click().await?;
    let new_token = visible(c, "#token-secret-value").await?.text().await?;
    assert!(new_token.starts_with("manyi_"), "{new_token}");
    let (new_id,): (i64,) = sqlx::query_as("SELECT id FROM admin_tokens WHERE name = 'ci bot'")
        .fetch_one(&app.db)
        .await?;
    text_containing(c, &format!(r#"[data-token-id="{new_id}"]"#), "ci bot").await?;
    let (demo_id,): (i64,) = sqlx::query_as("SELECT id FROM admin_tokens WHERE name = 'demo'")
        .fetch_one(&app.db)
        .await?;
    text_containing(
        c,
        &format!(r#"[data-token-id="{demo_id}"]"#),
        "this session",
    )
    .await?;

    // Nothing overflows sideways on the 360 px phone.
    assert_eq!(
        browser
            .js("return document.documentElement.scrollWidth <= window.innerWidth")
            .await?,
        json!(true),
        "the page fits the phone's width"
    );

    // Revoking asks once more on the button itself, then removes the row.
    let revoke = format!(r#"button[data-revoke="{new_id}"]"#);
    visible(c, &revoke).await?.click().await?;
    text_containing(c, &revoke, "Confirm: revoke “ci bot”").await?;
    let count = |id: i64| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM admin_tokens WHERE id = ?")
            .bind(id)
            .fetch_one(&app.db)
    };
    assert_eq!(count(new_id).await?, 1, "not yet revoked");
    visible(c, &revoke).await?.click().await?;
    wait_for("the ci bot token revoked", || async {
        Ok((count(new_id).await? == 0).then_some(()))
    })
    .await?;
    text_containing(c, "#status", "revoked").await?;

    // Revoking the session's own token ends the session.
    let own = format!(r#"button[data-revoke="{demo_id}"]"#);
    visible(c, &own).await?.click().await?;
    visible(c, &own).await?.click().await?;
    text_containing(c, "#login-error", "You revoked the token of this session").await?;
    assert_eq!(count(demo_id).await?, 0);
    assert_eq!(
        browser
            .js("return [document.getElementById('home-view').hidden, \
                 sessionStorage.getItem('manyi:admin-token')]")
            .await?,
        json!([true, null])
    );

    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn the_version_history_and_the_embed_code_follow_the_survey_and_its_site() -> Result<()> {
    let app = TestApp::spawn().await?;
    let token = app.admin_token()?;
    let admin = AdminApi::new(&app)?;
    admin.publish_template("nps", "hist").await?;
    // One answer to v1, then v2 published.
    let response = json!({
        "response_id": uuid::Uuid::new_v4().to_string(), "site": "demo",
        "survey_id": "hist", "survey_version": 1, "answers": { "nps": 10 },
        "context": { "order_id": "H-1", "customer": "c-h" },
        "timing": { "shown_at": "2026-11-23T08:00:00Z", "submitted_at": "2026-11-23T08:00:20Z" }
    });
    admin
        .call(reqwest::Method::POST, "/v1/responses", Some(response))
        .await?;
    admin
        .call(
            reqwest::Method::PUT,
            "/api/surveys/hist",
            Some(json!({ "brand_color": "#000000" })),
        )
        .await?;
    admin.publish("hist").await?;
    admin
        .call(
            reqwest::Method::POST,
            "/api/sites",
            Some(json!({ "key": "signed-shop", "name": "Signed shop", "require_signature": true })),
        )
        .await?;

    let browser = Browser::start(Device::Desktop).await?;
    let c = &browser.client;
    log_in(&browser, &app, &token).await?;
    visible(c, r#"button[data-edit="hist"]"#)
        .await?
        .click()
        .await?;
    let rows = wait_for("the version history", || async {
        let v = browser
            .js("return Array.prototype.map.call(document.querySelectorAll('#history-rows tr'), \
                 function (r) { return [r.dataset.version, r.querySelector('[data-state]').textContent, \
                 r.querySelector('[data-responses]').textContent]; })")
            .await?;
        Ok((v.as_array().is_some_and(|a| a.len() == 2)).then_some(v))
    })
    .await?;
    assert_eq!(
        rows,
        json!([
            ["2", "published · live", "0"],
            [
                "1",
                "superseded by version 2 (still accepts answers already under way)",
                "1"
            ]
        ])
    );

    // The embed code for this survey on the demo site (signatures optional).
    let code = text_containing(c, "#code-show", "survey: 'hist'").await?;
    assert!(code.contains("manyi('show', {"), "{code}");
    assert!(
        code.contains("// sig: SIG_FROM_YOUR_SERVER, exp: EXP_FROM_YOUR_SERVER"),
        "{code}"
    );
    text_containing(c, "#code-tag", r#"/manyi.js" data-site="demo""#).await?;
    let signing = browser
        .js("return document.getElementById('code-panel').textContent")
        .await?;
    let signing = signing.as_str().unwrap_or_default();
    for needle in [
        "site|survey|order|customer|exp",
        "createHmac('sha256', secret)",
        "hmac.new(secret.encode()",
    ] {
        assert!(signing.contains(needle), "{needle} in the code panel");
    }

    // A new survey on a site that requires signatures: sig and exp are asked for.
    visible(c, "#back").await?.click().await?;
    visible(c, r#"button[data-template="nps"]"#)
        .await?
        .click()
        .await?;
    text_containing(c, "#editor-title", "New survey").await?;
    assert_eq!(
        browser
            .js("return document.getElementById('history-panel').hidden")
            .await?,
        json!(true),
        "no history before the survey exists"
    );
    visible(c, "#f-site")
        .await?
        .select_by_value("signed-shop")
        .await?;
    type_into(c, "#f-survey_id", "signed-nps").await?;
    let code = text_containing(c, "#code-show", "survey: 'signed-nps'").await?;
    assert!(
        code.contains("\n                  sig: SIG_FROM_YOUR_SERVER, exp: EXP_FROM_YOUR_SERVER"),
        "{code}"
    );
    text_containing(c, "#code-tag", r#"data-site="signed-shop""#).await?;

    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn the_admin_pages_pass_axe() -> Result<()> {
    let app = TestApp::spawn().await?;
    let token = app.admin_token()?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    let c = &browser.client;
    c.goto(&app.url("/admin")).await?;
    visible(c, "#token").await?;
    assert_accessible(&browser, Scope::Document, "the login form").await?;

    log_in(&browser, &app, &token).await?;
    text_containing(c, "#site-list", "demo").await?;
    text_containing(c, "#token-list", "this session").await?;
    assert_accessible(&browser, Scope::Document, "the home view").await?;

    visible(c, r#"button[data-template="nps"]"#)
        .await?
        .click()
        .await?;
    type_into(c, "#f-survey_id", "axe-nps").await?;
    type_into(c, "#f-brand_color", "nope").await?;
    // An emptied question text: the collector's `question_texts.nps.zh-CN`
    // lands next to that text field, the colour's next to the colour.
    visible(c, "#f-text_nps_zh-CN").await?.clear().await?;
    visible(c, "#create").await?.click().await?;
    error_next_to(&browser, "f-text_nps_zh-CN", "err-f-text_nps_zh-CN").await?;
    assert_eq!(
        browser
            .js("var i = document.getElementById('f-brand_color'); \
                 return [i.getAttribute('aria-invalid'), \
                 document.getElementById('err-brand_color').textContent.indexOf('nope') >= 0, \
                 document.getElementById('error-summary').hidden]")
            .await?,
        json!(["true", true, true]),
        "both errors by their fields, none left for the summary"
    );
    visible(c, "#preview [data-manyi-preview]").await?;
    assert_accessible(&browser, Scope::Document, "the editor with an error").await?;
    assert_eq!(
        browser
            .js("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await?,
        json!([360, 360]),
        "the editor, its preview and code panel fit the 360 px phone"
    );

    browser.close().await?;
    Ok(())
}
