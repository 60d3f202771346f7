//! A single-page app shows the survey, moves on to another view
//! (`manyi('hide')`) and shows a survey again later, all in one document.
//! Nothing of the first widget may stay behind: its placement listeners
//! and its view go with `hide`, and the second widget's answer is stored
//! and reported once. The delivery listeners (beacon on page hide, resend
//! when back online) are the page's, added once: an answer kept on the
//! device is still handed over when the page is left after `hide`. Focus
//! inside a hidden overlay goes back where it was. In a real headless
//! Chromium.

use anyhow::Result;
use manyi_tests::app::{HostSite, TestApp, embed_page};
use manyi_tests::browser::{Browser, Device, find, wait_for};
use serde_json::{Value, json};

/// Installed in the page's `<head>`, before the loader: keeps count of the
/// listeners added to (and removed from) the window, the document and the
/// visual viewport, which is where the widget listens to the page. A
/// listener counts once per (target, type, function), as the DOM does.
/// `window.__listeners()` gives `{"window:online": 1, …}` for the types
/// that have any.
const LISTENER_SPY: &str = r#"<script>
(function () {
  var live = {}, proto = EventTarget.prototype, add = proto.addEventListener,
      remove = proto.removeEventListener;
  function key(target, type) {
    var n = target === window ? 'window' : target === document ? 'document' :
      target === window.visualViewport ? 'viewport' : null;
    return n && n + ':' + type;
  }
  proto.addEventListener = function (type, fn) {
    var k = key(this, type);
    if (k && fn) {
      var l = live[k] = live[k] || [];
      if (l.indexOf(fn) < 0) l.push(fn);
    }
    return add.apply(this, arguments);
  };
  proto.removeEventListener = function (type, fn) {
    var k = key(this, type), l = k && live[k], i = l ? l.indexOf(fn) : -1;
    if (i >= 0) l.splice(i, 1);
    return remove.apply(this, arguments);
  };
  window.__listeners = function () {
    var out = {};
    for (var k in live) if (live[k].length) out[k] = live[k].length;
    return out;
  };
})();
</script>"#;

/// The page events the widget listens for (widget/src/page.rs).
const WIDGET_EVENTS: [&str; 6] = [
    "window:online",
    "window:pagehide",
    "window:pageshow",
    "document:visibilitychange",
    "viewport:resize",
    "viewport:scroll",
];

/// The listeners of [`WIDGET_EVENTS`] while a widget is shown: the page's
/// delivery listeners (`online`, `pagehide`, `visibilitychange`) and the
/// widget's placement (`pageshow`, the visual viewport's `resize` and
/// `scroll`).
const SHOWN: [u64; 6] = [1, 1, 1, 1, 1, 1];

/// The listeners left once no widget is shown: the page's delivery
/// listeners only, once each however many widgets came and went.
const HIDDEN: [u64; 6] = [1, 1, 0, 1, 0, 0];

/// How many listeners each of [`WIDGET_EVENTS`] has on the page now.
async fn widget_listeners(browser: &Browser) -> Result<Vec<u64>> {
    let all = browser.js("return window.__listeners();").await?;
    Ok(WIDGET_EVENTS
        .iter()
        .map(|k| all[*k].as_u64().unwrap_or(0))
        .collect())
}

/// Waits until [`WIDGET_EVENTS`] have exactly `n` listeners each.
async fn wait_for_listeners(browser: &Browser, n: [u64; 6], what: &str) -> Result<()> {
    let r = wait_for(what, || async {
        let counts = widget_listeners(browser).await?;
        Ok((counts == n).then_some(()))
    })
    .await;
    if r.is_err() {
        let all = browser.js("return window.__listeners();").await?;
        anyhow::bail!("{what}: never {n:?} listeners of {WIDGET_EVENTS:?}; page has {all}");
    }
    Ok(())
}

#[tokio::test]
async fn a_survey_hidden_and_shown_again_leaves_one_widget_and_one_answer() -> Result<()> {
    let app = TestApp::spawn().await?;
    // An overlay: the kind that follows the visual viewport.
    let show = json!({ "survey": "post-payment", "locale": "en" });
    let site = HostSite::serve(vec![("/app", embed_page(&app.base, &show, LISTENER_SPY))]).await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&site.url("/app?order=E2E-SPA-1"))
        .await?;
    let first = browser.widget().await?;
    find(&first, "[data-question=nps]").await?;
    wait_for_listeners(&browser, SHOWN, "the first widget listening to the page").await?;

    // The app moves on to another view.
    browser
        .js("window.__first = document.querySelector('[data-manyi-host]'); manyi('hide');")
        .await?;
    wait_for_listeners(
        &browser,
        HIDDEN,
        "only the delivery listeners left after `hide`",
    )
    .await?;
    wait_for("the first widget's view to be torn down", || async {
        let left = browser
            .js("return window.__first.shadowRoot.querySelectorAll('[data-question]').length;")
            .await?;
        Ok((left == json!(0)).then_some(()))
    })
    .await?;

    // …and later shows a survey again.
    browser
        .js("window.__log = []; \
             manyi('on', 'submitted', function (id) { window.__log.push(id); }); \
             manyi('show', { survey: 'post-payment', orderId: 'E2E-SPA-2', \
                             customer: 'c-E2E-SPA-2', locale: 'en' });")
        .await?;
    let second = browser.widget().await?;
    find(&second, "[data-question=nps]").await?;
    wait_for_listeners(
        &browser,
        SHOWN,
        "the second widget alone placed, delivery listeners not added twice",
    )
    .await?;
    let hosts = browser
        .js("return document.querySelectorAll('[data-manyi-host]').length;")
        .await?;
    assert_eq!(hosts, json!(1), "one widget on the page");

    find(
        &second,
        r#"[data-question="nps"] [role=radio][data-value="9"]"#,
    )
    .await?
    .click()
    .await?;
    find(&second, "button[type=submit]").await?.click().await?;
    find(&second, "[data-thanks]").await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows.len(), 1, "exactly one stored response");
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-SPA-2"));
    assert_eq!(rows[0].answers(), json!({ "nps": 9 }));
    let log = browser.js("return window.__log;").await?;
    assert_eq!(
        log,
        Value::from(vec![rows[0].response_id.clone()]),
        "one `submitted` callback, with the stored response's id"
    );

    // Closing the thank-you screen unmounts the widget too.
    find(&second, "button[data-dismiss]").await?.click().await?;
    wait_for_listeners(
        &browser,
        HIDDEN,
        "only the delivery listeners left after closing",
    )
    .await?;
    assert_eq!(app.responses().await?.len(), 1, "still one response");
    browser.close().await
}

/// Issue #3: the send fails, the answer is kept on the device and the
/// customer thanked; the host hides the widget on `submitted`; the
/// customer leaves the page. The beacon for the kept copy must still go:
/// the page's delivery listeners outlive the widget. The page's own POSTs
/// stay blocked (DevTools URL blocking does not bind a beacon outliving
/// the page) and the next page loads no manyi script, so only the beacon
/// can deliver.
#[tokio::test]
async fn an_answer_kept_after_a_failed_send_is_beaconed_when_the_page_is_left_after_hide()
-> Result<()> {
    let app = TestApp::spawn().await?;
    let show = json!({ "survey": "post-payment", "locale": "en" });
    let site = HostSite::serve(vec![
        ("/app", embed_page(&app.base, &show, LISTENER_SPY)),
        (
            "/elsewhere",
            "<!doctype html><title>elsewhere</title>".into(),
        ),
    ])
    .await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&site.url("/app?order=E2E-SPA-BEACON"))
        .await?;
    let widget = browser.widget().await?;
    find(&widget, "[data-question=nps]").await?;
    browser
        .block_urls(&[&format!("{}/v1/responses", app.base)])
        .await?;
    browser
        .js("window.__log = []; \
             manyi('on', 'submitted', function (id) { window.__log.push(id); manyi('hide'); });")
        .await?;
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="8"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    let id = wait_for("`submitted` reported and the widget hidden", || async {
        let log = browser
            .js("return document.querySelector('[data-manyi-host]') ? [] : window.__log;")
            .await?;
        Ok(log[0].as_str().map(str::to_owned))
    })
    .await?;
    let kept = browser.storage_keys("manyi:").await?;
    assert_eq!(
        kept,
        [format!("manyi:outbox:{}/v1/responses#{id}", app.base)],
        "the answer kept on the device"
    );
    assert!(
        app.responses().await?.is_empty(),
        "the page's POSTs are blocked"
    );

    browser.client.goto(&site.url("/elsewhere")).await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows.len(), 1, "exactly one stored response");
    assert_eq!(rows[0].response_id, id, "the kept answer");
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-SPA-BEACON"));
    assert_eq!(rows[0].answers(), json!({ "nps": 8 }));
    browser.close().await
}

/// `manyi('hide')` while the overlay holds focus gives it back to what had
/// it before the survey was shown (as the close button does), not to
/// `<body>`; focus the page moved out of the widget itself stays there.
#[tokio::test]
async fn hiding_an_overlay_that_holds_focus_gives_focus_back_to_the_page() -> Result<()> {
    let app = TestApp::spawn().await?;
    let show = json!({ "survey": "post-payment", "locale": "en" });
    let site = HostSite::serve(vec![("/app", embed_page(&app.base, &show, ""))]).await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&site.url("/app?order=E2E-SPA-F"))
        .await?;
    find(&browser.widget().await?, "[data-question=nps]").await?;
    browser
        .js("manyi('hide'); \
             var b = document.createElement('button'); b.id = 'opener'; \
             b.textContent = 'Rate us'; document.body.appendChild(b); \
             var i = document.createElement('input'); i.id = 'search'; \
             document.body.appendChild(i); \
             b.focus(); manyi('show', { survey: 'post-payment', locale: 'en' });")
        .await?;
    find(&browser.widget().await?, "[data-question=nps]").await?;
    wait_for("focus inside the overlay", || async {
        Ok((browser.focused().await? == "panel").then_some(()))
    })
    .await?;
    browser.js("manyi('hide');").await?;
    assert_eq!(
        browser.js("return document.activeElement.id;").await?,
        json!("opener"),
        "focus back on the button focused before `show`"
    );

    // Shown again; the page moves focus to its own search field, then hides.
    browser
        .js("manyi('show', { survey: 'post-payment', locale: 'en' });")
        .await?;
    find(&browser.widget().await?, "[data-question=nps]").await?;
    wait_for("focus inside the overlay again", || async {
        Ok((browser.focused().await? == "panel").then_some(()))
    })
    .await?;
    browser
        .js("document.getElementById('search').focus(); manyi('hide');")
        .await?;
    assert_eq!(
        browser.js("return document.activeElement.id;").await?,
        json!("search"),
        "focus the page moved is left where it is"
    );
    browser.close().await
}
