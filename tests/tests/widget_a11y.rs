//! An axe-core audit of the open widget in a real headless Chromium: no
//! `serious` or `critical` WCAG 2 A/AA or best-practice violation, inline
//! and as a modal overlay, with follow-ups, field errors and the thank-you
//! screen on screen.
//!
//! The audit (axe-core from npm, see [`manyi_tests::a11y`]) runs on the
//! widget's host element; axe walks into the open shadow root.

use anyhow::Result;
use manyi_tests::a11y::{self, Scope};
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find};
use manyi_tests::surveys::{self, AdminApi};
use manyi_tests::{DemoSession, open_demo};
use serde_json::json;

/// Audits the widget showing `survey` in its current state (`what`).
async fn assert_accessible(browser: &Browser, survey: &str, what: &str) -> Result<()> {
    a11y::assert_accessible(
        browser,
        Scope::WidgetHost(survey),
        &format!("the widget ({what})"),
    )
    .await
}

#[tokio::test]
async fn the_inline_demo_survey_passes_axe_while_answering_with_errors_and_when_thanked()
-> Result<()> {
    // `_app` keeps the collector running until the end of the test.
    let DemoSession {
        app: _app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=A11Y-INLINE&locale=zh-CN").await?;
    find(&widget, r#"[data-question="nps"] [role=radio]"#).await?;
    assert_accessible(&browser, "post-payment", "inline, as shown").await?;

    // A low score opens the follow-up; submitting without it shows errors.
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="2"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, r#"[data-question="reason"]"#).await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, r#"[data-question="reason"] [data-error]"#).await?;
    assert_accessible(&browser, "post-payment", "inline, follow-up with an error").await?;

    find(&widget, r#"[data-question="reason"] input[value="other"]"#)
        .await?
        .click()
        .await?;
    find(&widget, r#"[data-question="reason"] input[data-other]"#)
        .await?
        .send_keys("太慢")
        .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    assert_accessible(&browser, "post-payment", "inline, thank-you screen").await?;
    browser.close().await
}

#[tokio::test]
async fn a_template_shown_as_a_modal_passes_axe_in_every_locale() -> Result<()> {
    let app = TestApp::spawn().await?;
    // SERVQUAL: five labelled likert scales, CSAT, and the reasons
    // follow-up with "other".
    AdminApi::new(&app)?
        .publish_template("servqual-short", "servqual-short")
        .await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser.client.goto(&app.url("/demo?locale=en")).await?;
    for locale in ["zh-CN", "zh-TW", "en"] {
        let widget = surveys::show(
            &browser,
            json!({ "survey": "servqual-short", "orderId": format!("A11Y-{locale}"),
                    "customer": format!("c-{locale}"), "locale": locale, "mode": "modal" }),
        )
        .await?;
        find(&widget, ".mq-panel[role=dialog]").await?;
        find(
            &widget,
            r#"[data-question="overall"] [role=radio][data-value="1"]"#,
        )
        .await?
        .click()
        .await?;
        find(&widget, r#"[data-question="reasons"] input[data-other]"#).await?;
        assert_accessible(&browser, "servqual-short", &format!("modal, {locale}")).await?;
    }
    browser.close().await
}
