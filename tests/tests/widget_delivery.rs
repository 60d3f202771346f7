//! A customer's answer reaches the collector exactly once even when the
//! network does not cooperate, and the widget's impressions (shown, started,
//! dismissed) are recorded — in a real headless Chromium.

use anyhow::{Context, Result};
use fantoccini::key::Key;
use manyi_tests::app::TestApp;
use manyi_tests::browser::{Browser, Device, find, wait_for};
use manyi_tests::{DemoSession, open_demo};
use serde_json::json;

/// Keys of the copies the widget keeps, per collector:
/// `manyi:outbox:<collector>/v1/responses#<response_id>`.
const OUTBOX: &str = "manyi:outbox:";
/// Keys of copies from before keys named their collector; the loader resends them.
const PENDING: &str = "manyi:pending:";

/// The `timing` of an answer left on the device a moment ago (the loader
/// drops copies 30 days old: widget/loader/README.md).
fn just_now() -> serde_json::Value {
    let now = manyi_collector::store::now_timestamp();
    json!({ "shown_at": now, "submitted_at": now })
}

/// Keeps an NPS answer in the outbox as an earlier page of the collector's
/// origin would have left it; returns its response_id.
async fn left_by_an_earlier_page(
    app: &TestApp,
    browser: &Browser,
    nps: u8,
    order: &str,
) -> Result<String> {
    // Any page of the collector's origin, to write its localStorage.
    browser.client.goto(&app.url("/healthz")).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let payload = json!({
        "response_id": id, "site": "demo", "survey_id": "post-payment", "survey_version": 1,
        "answers": { "nps": nps },
        "context": { "order_id": order, "customer": format!("c-{order}"), "channel": "web" },
        "timing": just_now(),
    });
    let key = format!("{OUTBOX}{}/v1/responses#{id}", app.base);
    browser
        .client
        .execute(
            "localStorage.setItem(arguments[0], arguments[1]);",
            vec![json!(key), json!(payload.to_string())],
        )
        .await?;
    Ok(id)
}

#[tokio::test]
async fn an_answer_given_offline_is_kept_and_delivered_once_when_back_online() -> Result<()> {
    let DemoSession {
        app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=E2E-OFFLINE&locale=en").await?;

    browser.set_offline(true).await?;
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="9"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    // The answer is safe on the device: the respondent is thanked.
    find(&widget, "[data-thanks]").await?;
    let keys = browser.storage_keys(OUTBOX).await?;
    assert_eq!(keys.len(), 1, "one pending copy: {keys:?}");
    assert!(
        app.responses().await?.is_empty(),
        "nothing can arrive while offline"
    );

    browser.set_offline(false).await?;
    let rows = app.wait_for_responses(1).await?;
    wait_for("the pending copy to be removed", || async {
        Ok(browser
            .storage_keys(PENDING)
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    let rows_after = app.responses().await?;
    assert_eq!(rows_after.len(), 1, "exactly one stored response");
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-OFFLINE"));
    assert_eq!(
        keys[0],
        format!("{OUTBOX}{}/v1/responses#{}", app.base, rows[0].response_id),
        "the stored response is the one that was pending"
    );
    assert_eq!(rows[0].answers(), json!({ "nps": 9 }));
    browser.close().await
}

#[tokio::test]
async fn a_failed_send_is_retried_in_the_background_until_the_collector_takes_it() -> Result<()> {
    let DemoSession {
        app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=E2E-RETRY&locale=en").await?;
    // The browser stays online (no `online` event will come): only the
    // back-off timer can deliver.
    browser.block_urls(&["*/v1/responses"]).await?;
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="10"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    assert_eq!(browser.storage_keys(OUTBOX).await?.len(), 1);
    assert!(app.responses().await?.is_empty());

    browser.block_urls(&[]).await?;
    let rows = app.wait_for_responses(1).await?;
    wait_for("the pending copy to be removed", || async {
        Ok(browser
            .storage_keys(PENDING)
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-RETRY"));
    assert_eq!(
        app.responses().await?.len(),
        1,
        "exactly one stored response"
    );
    browser.close().await
}

#[tokio::test]
async fn answers_left_by_an_earlier_page_are_sent_on_the_next_load_and_refusals_dropped()
-> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    // Any page of the collector's origin, to write its localStorage.
    browser.client.goto(&app.url("/healthz")).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let payload = json!({
        "response_id": id, "site": "demo", "survey_id": "post-payment", "survey_version": 1,
        "answers": { "nps": 10 },
        "context": { "order_id": "E2E-LEFT", "customer": "c-left", "channel": "web" },
        "timing": just_now(),
    });
    // A copy another site's page left on this origin: not this loader's to send.
    let elsewhere = uuid::Uuid::new_v4().to_string();
    let mut theirs = payload.clone();
    theirs["response_id"] = json!(elsewhere);
    theirs["site"] = json!("elsewhere");
    browser
        .client
        .execute(
            "localStorage.setItem(arguments[0], arguments[1]); \
             localStorage.setItem(arguments[2], 'not json: refused for good'); \
             localStorage.setItem(arguments[3], arguments[4]);",
            vec![
                json!(format!("{PENDING}{id}")),
                json!(payload.to_string()),
                json!(format!("{PENDING}{}", uuid::Uuid::new_v4())),
                json!(format!("{PENDING}{elsewhere}")),
                json!(theirs.to_string()),
            ],
        )
        .await?;
    assert_eq!(browser.storage_keys(PENDING).await?.len(), 3);

    // The next page that loads the loader sends them.
    browser
        .client
        .goto(&app.url("/demo?order=E2E-NEXT&locale=en"))
        .await?;
    let rows = app.wait_for_responses(1).await?;
    let left = vec![format!("{PENDING}{elsewhere}")];
    wait_for("this site's pending copies to be removed", || async {
        Ok((browser.storage_keys(PENDING).await? == left).then_some(()))
    })
    .await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].response_id, id);
    assert_eq!(rows[0].order_id.as_deref(), Some("E2E-LEFT"));
    assert_eq!(
        app.responses().await?.len(),
        1,
        "the refused one is dropped, the other site's is not sent"
    );
    browser.close().await
}

#[tokio::test]
async fn showing_answering_and_dismissing_are_recorded_as_events() -> Result<()> {
    let DemoSession {
        app,
        browser,
        widget,
    } = open_demo(Device::Desktop, "order=E2E-EVENTS&locale=en").await?;
    app.wait_for_events("E2E-EVENTS", &["shown"]).await?;

    // Touching the scale starts the survey; the close control dismisses it.
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="4"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[data-dismiss]").await?.click().await?;
    let mut events = app
        .wait_for_events("E2E-EVENTS", &["shown", "started", "dismissed"])
        .await?;
    // `started` and `dismissed` leave as two independent beacons a moment
    // apart: the collector may receive them in either order.
    events.sort();
    assert_eq!(events, ["dismissed", "shown", "started"], "one of each");

    // An overlay shown and closed with Escape: shown + dismissed, not started.
    browser
        .js(
            "manyi('show', { survey: 'post-payment', orderId: 'E2E-EVENTS-2', \
             customer: 'c-ev', locale: 'en', mode: 'modal' });",
        )
        .await?;
    let widget = browser.widget().await?;
    find(&widget, ".mq-panel").await?;
    wait_for("focus in the dialog", || async {
        Ok((browser.focused().await? == "panel").then_some(()))
    })
    .await?;
    browser.press(&[Key::Escape]).await?;
    let events = app
        .wait_for_events("E2E-EVENTS-2", &["shown", "dismissed"])
        .await?;
    assert_eq!(events, ["shown", "dismissed"]);
    assert!(
        app.responses().await?.is_empty(),
        "dismissing stores no response"
    );
    browser.close().await
}

/// Stands in for the network between the page and the collector's
/// `POST /v1/responses` (installed before the page's own scripts; the
/// loader and the widget both call `window.fetch`). Every POST of the
/// response whose id is `window.__oldId` waits until the test calls
/// `window.__release()`; the first POST of any other response gets a 503,
/// as from a collector restarting; everything else goes through.
/// `window.__posts` lists what happened, in order.
const HOLD_OLD_FAIL_NEW_JS: &str = r#"
(function () {
  var real = window.fetch, failed = false;
  window.__posts = [];
  var held = new Promise(function (r) { window.__release = r; });
  window.fetch = function (url, init) {
    var args = arguments, self = this;
    if (String(url).indexOf('/v1/responses') < 0 || !init || init.method != 'POST')
      return real.apply(self, args);
    if (String(init.body).indexOf(window.__oldId) >= 0) {
      window.__posts.push('old:held');
      return held.then(function () { return real.apply(self, args); });
    }
    if (!failed) {
      failed = true;
      window.__posts.push('new:503');
      return Promise.resolve(new Response('{"code":"unavailable"}', { status: 503 }));
    }
    window.__posts.push('new:sent');
    return real.apply(self, args);
  };
})();
"#;

/// Issue #3 item 3. An answer left by an earlier page is being resent
/// when the widget mounts; while that resend waits on the network, the
/// customer answers and the first POST of the new answer fails. The new
/// answer must still be retried in the background once the old one is
/// through — without an `online` or `pageshow` event, or another page.
#[tokio::test]
async fn a_failed_answer_is_retried_even_while_an_older_copy_was_being_resent() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    let old = left_by_an_earlier_page(&app, &browser, 10, "E2E-OLDER").await?;
    browser
        .before_each_page(&format!(
            "window.__oldId = {};{HOLD_OLD_FAIL_NEW_JS}",
            json!(old)
        ))
        .await?;

    browser
        .client
        .goto(&app.url("/demo?order=E2E-NEWER&locale=en"))
        .await?;
    let widget = browser.widget().await?;
    // The loader's resend and the widget's first retry of the old copy
    // (a back-off step after the mount, the loader's POST being held) are
    // both on the wire (held) before the customer answers.
    wait_for("both resends of the old copy in flight", || async {
        let held = browser
            .js("return window.__posts.filter(function (p) { return p == 'old:held'; }).length;")
            .await?;
        Ok((held.as_u64() >= Some(2)).then_some(()))
    })
    .await?;
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="9"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    let posts = browser.js("return window.__posts;").await?;
    assert_eq!(
        posts.as_array().and_then(|p| p.last()),
        Some(&json!("new:503")),
        "the new answer's one POST failed while the old copy was held: {posts}"
    );
    assert_eq!(
        browser.storage_keys(OUTBOX).await?.len(),
        2,
        "the old copy and the new one wait on the device"
    );

    // The old copy goes through; only the back-off timer can send the new one.
    browser.js("window.__release();").await?;
    let rows = app.wait_for_responses(2).await?;
    wait_for("both copies to be removed", || async {
        Ok(browser.storage_keys(OUTBOX).await?.is_empty().then_some(()))
    })
    .await?;
    let mut orders: Vec<_> = rows.iter().map(|r| r.order_id.clone()).collect();
    orders.sort();
    assert_eq!(
        orders,
        [Some("E2E-NEWER".to_owned()), Some("E2E-OLDER".to_owned())]
    );
    let newer = rows
        .iter()
        .find(|r| r.order_id.as_deref() == Some("E2E-NEWER"))
        .context("the newer answer's row")?;
    assert_eq!(newer.answers(), json!({ "nps": 9 }));
    assert_eq!(app.responses().await?.len(), 2, "each stored once");
    let posts = browser.js("return window.__posts;").await?;
    assert_eq!(
        posts.as_array().and_then(|p| p.last()),
        Some(&json!("new:sent")),
        "delivered by a retry: {posts}"
    );
    browser.close().await
}

/// Installed before the page's scripts: every POST of the response whose
/// id is `window.__heldId` waits until the test calls `window.__release()`
/// (a slow phone link), and `window.__heldPosts` counts them.
const HOLD_ONE_JS: &str = r#"
(function () {
  var real = window.fetch;
  window.__heldPosts = 0;
  var held = new Promise(function (r) { window.__release = r; });
  window.fetch = function (url, init) {
    var args = arguments, self = this;
    if (String(url).indexOf('/v1/responses') >= 0 && init && init.method == 'POST' &&
        String(init.body).indexOf(window.__heldId) >= 0) {
      window.__heldPosts++;
      return held.then(function () { return real.apply(self, args); });
    }
    return real.apply(self, args);
  };
})();
"#;

/// The widget's first retry of what an earlier page left waits at most
/// this long after the mount: the back-off for retry 1 (2 s × up to 1.5,
/// widget/src/delivery.rs `backoff_ms`).
const FIRST_RETRY_AT_MOST: std::time::Duration = std::time::Duration::from_millis(3000);

/// Issue #3: an answer left by an earlier page is resent by the loader as
/// the next page loads; the widget mounting on that page must not send it
/// a second time while the loader's POST is still on its way (on a slow
/// link it is, when the widget mounts), nor again on the page's first
/// `pageshow`. One POST per pending answer per page load.
#[tokio::test]
async fn an_answer_left_by_an_earlier_page_is_posted_once_when_the_next_page_loads() -> Result<()> {
    let app = TestApp::spawn().await?;
    let browser = Browser::start(Device::Desktop).await?;
    let id = left_by_an_earlier_page(&app, &browser, 8, "E2E-LEFT-ONCE").await?;
    browser
        .before_each_page(&format!("window.__heldId = {};{HOLD_ONE_JS}", json!(id)))
        .await?;

    browser
        .client
        .goto(&app.url("/demo?order=E2E-NEXT-PAGE&locale=en"))
        .await?;
    let widget = browser.widget().await?;
    find(&widget, "[data-question=nps]").await?;
    // The widget is up while the loader's POST is still held; now it goes through.
    browser.js("window.__release();").await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(rows[0].response_id, id);
    wait_for("the delivered copy to be removed", || async {
        Ok(browser.storage_keys(OUTBOX).await?.is_empty().then_some(()))
    })
    .await?;
    // Nothing to wait for can show that a POST did *not* happen: give the
    // widget's first retry (and the page's `pageshow`) time to fire.
    tokio::time::sleep(FIRST_RETRY_AT_MOST + std::time::Duration::from_millis(500)).await;
    let posts = browser.js("return window.__heldPosts;").await?;
    assert_eq!(
        posts,
        json!(1),
        "one POST of the pending answer on this page load"
    );
    assert_eq!(app.responses().await?.len(), 1, "stored once");
    browser.close().await
}
