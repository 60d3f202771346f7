//! The widget's lazily loaded chunks (widget/src/split.rs): the choice and
//! text controls (`split_controls`) and the rule book check, POST and
//! retries (`split_deliver`, with a shared `chunk_N`). In a real headless
//! Chromium, with the chunk URLs blocked by DevTools: the first question
//! needs none of them, an answer given while they cannot be fetched is
//! kept and sent once they can, and a control that cannot be loaded hands
//! over to the hosted survey page instead of leaving a dead question.

use anyhow::{Context, Result};
use fantoccini::Locator;
use manyi_tests::app::{HostSite, TestApp, embed_page};
use manyi_tests::browser::{Browser, Device, find, wait_for};
use serde_json::json;

/// DevTools URL patterns of every chunk of the dist build.
const ALL_CHUNKS: [&str; 2] = ["*manyi_widget.split_*", "*manyi_widget.chunk_*"];

#[tokio::test]
async fn without_its_chunks_the_widget_shows_the_first_question_and_keeps_the_answer_until_they_load()
-> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser.block_urls(&ALL_CHUNKS).await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-CHUNKLESS&locale=en"))
        .await?;
    let widget = browser.widget().await?;
    // The first question comes from the main module alone.
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="9"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    // No `deliver` chunk: the answer is kept on the device, unchecked, and
    // the customer thanked as for any send that failed.
    find(&widget, "[data-thanks]").await?;
    let kept = browser.storage_keys("manyi:").await?;
    assert_eq!(kept.len(), 1, "one copy kept on the device: {kept:?}");
    assert!(app.responses().await?.is_empty(), "nothing could be sent");

    // The chunks can be fetched again: the page's own back-off retry
    // loads `deliver` and sends the copy, once.
    browser.block_urls(&[]).await?;
    let rows = app.wait_for_responses(1).await?;
    wait_for("the kept copy to be removed", || async {
        Ok(browser
            .storage_keys("manyi:")
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    assert_eq!(
        app.responses().await?.len(),
        1,
        "exactly one stored response"
    );
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-CHUNKLESS"));
    assert_eq!(rows[0].answers(), json!({ "nps": 9 }));
    assert_eq!(
        kept[0],
        format!(
            "manyi:outbox:{}/v1/responses#{}",
            app.base, rows[0].response_id
        )
    );
    browser.close().await
}

#[tokio::test]
async fn a_follow_up_whose_control_cannot_be_loaded_hands_over_to_the_hosted_survey() -> Result<()>
{
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .block_urls(&["*manyi_widget.split_controls.*"])
        .await?;
    browser
        .client
        .goto(&app.url("/demo?order=E2E-NOCONTROLS&locale=en"))
        .await?;
    let widget = browser.widget().await?;
    // A low score brings up the "reason" follow-up: a choice question,
    // whose control is in the blocked chunk.
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="3"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, r#"[data-question="reason"]"#).await?;
    // Asked for twice (1.5 s apart), then the loader's fallback replaces
    // the widget (in its shadow root) with the link to the hosted page.
    let link = find(&widget, r#"a[href*="/s/post-payment"]"#)
        .await
        .context("the fallback link never appeared")?;
    assert!(link.is_displayed().await?);
    let href = link.attr("href").await?.context("link has an href")?;
    assert!(href.starts_with(&app.url("/s/post-payment?")), "{href}");
    assert!(href.contains("order=E2E-NOCONTROLS"), "{href}");
    assert!(
        widget.find_all(Locator::Css(".mq-panel")).await?.is_empty(),
        "the widget is gone from the host element"
    );
    browser.close().await
}

/// A shop page whose CSP allows exactly what the widget's main module
/// needs: the collector's scripts, fetches to it, `'unsafe-eval'` (the
/// loader imports the glue through `Function('u', 'return import(u)')`;
/// in Chromium it allows WebAssembly compilation as well) and
/// `'wasm-unsafe-eval'`. Inline script for the page's own `manyi()` queue.
fn strict_csp_page(collector: &str) -> String {
    let show = serde_json::json!({ "survey": "post-payment", "locale": "en", "target": "#slot" });
    embed_page(
        collector,
        &show,
        &format!(
            r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' {collector} 'wasm-unsafe-eval'; connect-src {collector}; style-src 'unsafe-inline'">"#
        ),
    )
}

#[tokio::test]
async fn a_host_csp_that_allows_the_main_module_allows_its_chunks_too() -> Result<()> {
    let app = TestApp::spawn().await?;
    let shop = HostSite::serve(vec![("/paid", strict_csp_page(&app.base))]).await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&shop.url("/paid?order=E2E-CSP"))
        .await?;
    let widget = browser.widget().await?;
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="3"]"#,
    )
    .await?
    .click()
    .await?;
    // Both follow-ups come from the `controls` chunk, the POST from
    // `deliver`: fetched from the collector, compiled like the main module.
    find(
        &widget,
        r#"[data-question="reason"] input[value="slow_delivery"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, r#"[data-question="comment"] textarea"#)
        .await?
        .send_keys("Late.")
        .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(
        rows[0].answers(),
        json!({ "nps": 3, "reason": ["slow_delivery"], "comment": "Late." })
    );
    assert!(
        browser.storage_keys("manyi:").await?.is_empty(),
        "sent, not kept: the deliver chunk loaded"
    );

    browser.close().await
}
