//! The admin UI (`/admin`) in a real headless Chromium: a marketer logs in
//! with a token, picks the NPS template, sees a validation error next to the
//! field that caused it, creates and publishes the survey, and a customer
//! then answers it through the ordinary loader; a wrong token is refused on
//! the login form.

use anyhow::{Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find, wait_for};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

/// Waits for a displayed element of the page (outside any shadow root).
async fn visible(client: &Client, css: &str) -> Result<Element> {
    wait_for(&format!("`{css}` shown on the page"), || async {
        match client.find(Locator::Css(css)).await {
            Ok(e) if e.is_displayed().await.unwrap_or(false) => Ok(Some(e)),
            _ => Ok(None),
        }
    })
    .await
}

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
    let token = app
        .app
        .demo_admin_token
        .as_ref()
        .context("the demo seed hands out an admin token")?
        .expose_secret()
        .to_owned();
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
