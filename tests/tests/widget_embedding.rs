//! The widget inside other people's pages: WeChat phones, keyboard-only
//! customers, hostile host stylesheets, browsers without WebAssembly, and
//! the `manyi('on', …)` callbacks web teams rely on — in a real headless
//! Chromium.

use anyhow::{Context, Result};
use fantoccini::Locator;
use fantoccini::key::Key;
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, DEADLINE, Device, find, wait_for};
use manyi_tests::{DemoSession, open_demo};
use serde_json::{Value, json};

/// Shows the demo survey for `order` as an overlay (no target), after
/// registering callbacks that log into `window.__log`. Arguments: order,
/// mode, eventAt.
const SHOW_OVERLAY: &str = r#"
window.__log = window.__log || [];
if (!window.__hooked) {
  window.__hooked = true;
  ['shown', 'submitted', 'dismissed', 'ineligible'].forEach(function (n) {
    manyi('on', n, function (d) { window.__log.push(n + ':' + (d || '')); });
  });
}
manyi('show', { survey: 'post-payment', orderId: arguments[0], customer: 'c-' + arguments[0],
                locale: 'en', mode: arguments[1] || undefined, eventAt: arguments[2] || undefined });
"#;

async fn show_overlay(browser: &Browser, order: &str, mode: Option<&str>) -> Result<()> {
    browser
        .client
        .execute(SHOW_OVERLAY, vec![json!(order), json!(mode), Value::Null])
        .await
        .context("manyi('show', …)")?;
    Ok(())
}

/// Waits until `window.__log` holds an entry starting with `prefix`.
async fn logged(browser: &Browser, prefix: &str) -> Result<String> {
    wait_for(&format!("callback `{prefix}`"), || async {
        let log = browser.js("return window.__log || [];").await?;
        Ok(log.as_array().and_then(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .find(|e| e.starts_with(prefix))
                .map(str::to_owned)
        }))
    })
    .await
}

/// A computed style property of the first element matching `css` in the
/// widget's shadow root.
async fn widget_style(browser: &Browser, css: &str, property: &str) -> Result<String> {
    let v = browser
        .client
        .execute(
            "var e = document.querySelector('[data-manyi-host]').shadowRoot.querySelector(arguments[0]); \
             return e ? getComputedStyle(e).getPropertyValue(arguments[1]) : null;",
            vec![json!(css), json!(property)],
        )
        .await?;
    v.as_str()
        .map(str::to_owned)
        .with_context(|| format!("no `{css}` in the widget"))
}

#[tokio::test]
async fn in_wechat_the_survey_is_a_bottom_sheet_and_the_channel_is_wechat() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-WX-INLINE&locale=zh-CN"))
        .await?;
    browser.widget().await?;
    // The page's own inline slot stays inline; an overlay becomes a sheet.
    browser.js("manyi('hide');").await?;
    show_overlay(&browser, "E2E-WX", None).await?;
    let widget = browser.widget().await?;
    let root = find(&widget, ".mq[data-mode=bottom_sheet]").await?;
    assert_eq!(
        root.attr("data-mode").await?.as_deref(),
        Some("bottom_sheet")
    );
    let panel = find(&widget, ".mq-panel").await?;
    assert_eq!(panel.attr("aria-modal").await?.as_deref(), Some("true"));
    assert_eq!(
        widget_style(&browser, ".mq-panel", "position").await?,
        "fixed"
    );
    assert_eq!(widget_style(&browser, ".mq-panel", "bottom").await?, "0px");
    let pad: f64 = widget_style(&browser, ".mq-panel", "padding-bottom")
        .await?
        .trim_end_matches("px")
        .parse()?;
    assert!(pad >= 12.0, "safe-area floor, got {pad}px");
    // The sheet slides up (a short animation), then rests on the bottom edge.
    let n: Vec<f64> = wait_for("the sheet to rest on the bottom edge", || async {
        let v = browser
            .js(
                "var s = document.querySelector('[data-manyi-host]').shadowRoot; \
                 var p = s.querySelector('.mq-panel').getBoundingClientRect(); \
                 var r = s.querySelector('[role=radio]').getBoundingClientRect(); \
                 return [p.bottom, window.innerHeight, p.left, p.right, window.innerWidth, r.height];",
            )
            .await?;
        let n: Vec<f64> = serde_json::from_value(v)?;
        Ok(((n[0] - n[1]).abs() < 1.0).then_some(n))
    })
    .await?;
    assert!(
        n[2].abs() < 1.0 && (n[3] - n[4]).abs() < 1.0,
        "full width: {n:?}"
    );
    assert!(n[5] >= 44.0, "touch target at least 44 px tall: {n:?}");
    wait_for("focus moved into the sheet", || async {
        Ok((browser.focused().await? == "panel").then_some(()))
    })
    .await?;

    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="10"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-WX"));
    assert_eq!(rows[0].channel.as_deref(), Some("wechat"));
    browser.close().await
}

#[tokio::test]
async fn the_survey_can_be_answered_with_the_keyboard_only() -> Result<()> {
    let DemoSession {
        app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=E2E-KEYS&locale=en").await?;
    find(&widget, "[role=radio]").await?;

    // Tab into the scale: one stop, on the first point.
    browser.tab_to("radio:0").await?;
    let mut rights = vec![Key::Right; 9];
    rights.push(Key::Space);
    browser.press(&rights).await?;
    assert_eq!(browser.focused().await?, "radio:9");
    let nine = find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="9"]"#,
    )
    .await?;
    assert_eq!(nine.attr("aria-checked").await?.as_deref(), Some("true"));
    // The comment field shows for any score; Tab passes it to the button.
    find(&widget, r#"[data-question="comment"] textarea"#).await?;
    browser.tab_to("textarea").await?;
    browser.press(&[Key::Tab]).await?;
    assert_eq!(browser.focused().await?, "submit");
    browser.press(&[Key::Enter]).await?;

    find(&widget, "[data-thanks]").await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-KEYS"));
    assert_eq!(rows[0].answers(), json!({ "nps": 9 }));
    browser.close().await
}

#[tokio::test]
async fn a_hostile_host_stylesheet_does_not_reach_the_widget() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-HOSTILE&locale=en"))
        .await?;
    browser
        .js("var s = document.createElement('style'); \
             s.textContent = '* { all: unset !important; font-size: 40px !important }'; \
             document.head.appendChild(s);")
        .await?;
    let widget = browser.widget().await?;
    let five = find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="5"]"#,
    )
    .await?;
    // The page's rule did apply to the page…
    let page_size = browser
        .js("return getComputedStyle(document.querySelector('h1')).fontSize;")
        .await?;
    assert_eq!(page_size, json!("40px"), "the hostile rule is in force");
    // …but not inside the shadow root.
    let size = widget_style(&browser, r#"[role=radio][data-value="5"]"#, "font-size").await?;
    assert_eq!(size, "16px");
    assert_eq!(
        widget_style(&browser, r#"[role=radio][data-value="5"]"#, "display").await?,
        "block"
    );
    assert_eq!(
        widget_style(&browser, "button[type=submit]", "font-size").await?,
        "16px"
    );
    assert!(five.is_displayed().await?);
    five.click().await?;
    assert_eq!(five.attr("aria-checked").await?.as_deref(), Some("true"));
    find(&widget, r#"[data-question="reason"] input[value="price"]"#)
        .await?
        .click()
        .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows[0].answers(), json!({ "nps": 5, "reason": ["price"] }));
    browser.close().await
}

#[tokio::test]
async fn without_webassembly_a_link_opens_the_hosted_survey() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .before_each_page("delete window.WebAssembly;")
        .await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-FALLBACK&locale=en"))
        .await?;
    let link = browser
        .client
        .wait()
        .at_most(DEADLINE)
        .for_element(Locator::Css(
            r#"[data-manyi-host] a[href*="/s/post-payment"]"#,
        ))
        .await
        .context("the fallback link never appeared")?;
    assert!(link.is_displayed().await?);
    let href = link.attr("href").await?.context("link has an href")?;
    assert!(href.starts_with(&app.url("/s/post-payment?")), "{href}");
    assert!(
        href.contains("site=demo") && href.contains("order=E2E-FALLBACK"),
        "{href}"
    );
    assert!(
        browser
            .js("return typeof WebAssembly;")
            .await?
            .as_str()
            .is_some_and(|t| t == "undefined")
    );

    browser.client.goto(&href).await?;
    let radios = browser
        .client
        .wait()
        .at_most(DEADLINE)
        .for_element(Locator::Css(r#"form input[type=radio][name="nps"]"#))
        .await
        .context("the hosted form never rendered")?;
    assert_eq!(radios.attr("value").await?.as_deref(), Some("0"));
    let points = browser
        .client
        .find_all(Locator::Css(r#"form input[type=radio][name="nps"]"#))
        .await?;
    assert_eq!(points.len(), 11, "the NPS scale 0–10");
    browser.close().await
}

#[tokio::test]
async fn callbacks_fire_and_a_modal_traps_and_restores_focus() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-CB-PAGE&locale=en"))
        .await?;
    browser.widget().await?;
    browser.js("manyi('hide');").await?;
    // Focus sits on a page link when the survey opens.
    browser
        .js("document.querySelector('.actions a').focus();")
        .await?;
    assert_eq!(browser.focused().await?, "page:a.primary");

    show_overlay(&browser, "E2E-CB-1", Some("modal")).await?;
    logged(&browser, "shown:").await?;
    let widget = browser.widget().await?;
    let panel = find(&widget, ".mq-panel").await?;
    assert_eq!(panel.attr("role").await?.as_deref(), Some("dialog"));
    assert_eq!(panel.attr("aria-modal").await?.as_deref(), Some("true"));
    wait_for("focus moved into the dialog", || async {
        Ok((browser.focused().await? == "panel").then_some(()))
    })
    .await?;
    // Focus cycles inside: back from the start reaches the last control,
    // forward from the last reaches the first.
    browser.shift_tab().await?;
    assert_eq!(browser.focused().await?, "submit");
    browser.press(&[Key::Tab]).await?;
    assert_eq!(browser.focused().await?, "dismiss");
    browser.press(&[Key::Escape]).await?;
    logged(&browser, "dismissed:").await?;
    wait_for("the dialog to close", || async {
        let hosts = browser
            .client
            .find_all(Locator::Css("[data-manyi-host]"))
            .await?;
        Ok(hosts.is_empty().then_some(()))
    })
    .await?;
    assert_eq!(
        browser.focused().await?,
        "page:a.primary",
        "focus is back where it was"
    );

    // Answered: `submitted` gets the response id.
    show_overlay(&browser, "E2E-CB-2", Some("modal")).await?;
    let widget = browser.widget().await?;
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="8"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    let submitted = logged(&browser, "submitted:").await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(submitted, format!("submitted:{}", rows[0].response_id));

    // The same order again: nothing renders, `ineligible` says why.
    browser.js("window.__log = [];").await?;
    show_overlay(&browser, "E2E-CB-2", None).await?;
    assert_eq!(
        logged(&browser, "ineligible:").await?,
        "ineligible:already_answered"
    );
    let hosts = browser
        .client
        .find_all(Locator::Css("[data-manyi-host]"))
        .await?;
    assert!(
        hosts.is_empty(),
        "an ineligible survey leaves nothing behind"
    );
    let log = browser.js("return window.__log;").await?;
    assert_eq!(log, json!(["ineligible:already_answered"]), "no shown");

    // A payment long past (`eventAt`) is outside the trigger window.
    browser
        .client
        .execute(
            SHOW_OVERLAY,
            vec![
                json!("E2E-CB-OLD"),
                Value::Null,
                json!("2020-01-01T00:00:00Z"),
            ],
        )
        .await?;
    assert_eq!(
        logged(&browser, "ineligible:o").await?,
        "ineligible:outside_trigger_window"
    );
    browser.close().await
}
