//! An answer waiting on the device belongs to the collector it was given
//! to. Two shops on one origin (or one shop moving collector) share one
//! `localStorage`: a copy owed to collector A must never be posted to
//! collector B — B could store it (the same site key and survey exist on
//! both) or refuse it for good, and A would never get it — and it must
//! still reach A exactly once when A is back. In a real headless Chromium,
//! with two collectors, each with its own database.

use anyhow::Result;
use manyi_tests::app::{Gate, HostSite, TestApp, embed_page};
use manyi_tests::browser::{Browser, Device, find, wait_for};
use serde_json::json;

/// Every key of a pending copy starts with this, whatever its scheme
/// (`manyi:outbox:<collector>/v1/responses#<id>`, or the legacy
/// `manyi:pending:<id>`).
const ANY_PENDING: &str = "manyi:";

/// Picks `score` (7 or more: no required follow-up) on the demo survey's
/// NPS scale and submits; the widget thanks the customer (accepted, or kept on the device for later).
async fn answer(browser: &Browser, score: u8) -> Result<()> {
    let widget = browser.widget().await?;
    find(
        &widget,
        &format!(r#"[data-question="nps"] [role=radio][data-value="{score}"]"#),
    )
    .await?
    .click()
    .await?;
    find(&widget, "button[type=submit]").await?.click().await?;
    find(&widget, "[data-thanks]").await?;
    Ok(())
}

/// The order ids stored by `app`, oldest first.
async fn orders(app: &TestApp) -> Result<Vec<String>> {
    Ok(app
        .responses()
        .await?
        .into_iter()
        .map(|r| r.order_id.unwrap_or_default())
        .collect())
}

/// A shop page that includes the collector's script and shows nothing.
fn loader_only_page(collector: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Shop</title></head>
<body>
<h1>Welcome back</h1>
<script async src="{collector}/manyi.js" data-site="demo"></script>
</body>
</html>"#
    )
}

#[tokio::test]
async fn an_answer_owed_to_one_collector_is_never_sent_to_another_and_reaches_its_own_once()
-> Result<()> {
    let (a, b) = tokio::try_join!(TestApp::spawn(), TestApp::spawn())?;
    // Each collector behind a gate the test can close: really unreachable,
    // for beacons sent by a page being left too.
    let (gate_a, gate_b) = tokio::try_join!(Gate::to(a.app.addr), Gate::to(b.app.addr))?;
    let show = json!({ "survey": "post-payment", "locale": "en", "target": "#slot" });
    // One shop origin, two pages, each embedding a different collector.
    let shop = HostSite::serve(vec![
        ("/a", embed_page(&gate_a.base, &show, "")),
        ("/b", embed_page(&gate_b.base, &show, "")),
        ("/a-home", loader_only_page(&gate_a.base)),
    ])
    .await?;
    let browser = Browser::start(Device::Desktop).await?;

    // Page A: collector A goes down before the customer answers.
    browser.client.goto(&shop.url("/a?order=E2E-A")).await?;
    browser.widget().await?;
    gate_a.set_open(false);
    answer(&browser, 9).await?;
    let kept = browser.storage_keys(ANY_PENDING).await?;
    assert_eq!(kept.len(), 1, "one copy kept on the device: {kept:?}");

    // Page B of the same origin, collector A still down. Every road by
    // which B's loader and widget send what is pending gets its turn while
    // A's copy sits in storage: the loader's resend at start, the widget's
    // at mount, its own answer failing and retried with back-off, an
    // `online` event, and B coming back.
    browser.client.goto(&shop.url("/b?order=E2E-B")).await?;
    browser.widget().await?;
    gate_b.set_open(false);
    answer(&browser, 10).await?;
    assert_eq!(browser.storage_keys(ANY_PENDING).await?.len(), 2);
    browser.set_offline(true).await?;
    gate_b.set_open(true);
    browser.set_offline(false).await?;
    let at_b = wait_for("B's own answer stored at B", || async {
        let at_b = orders(&b).await?;
        Ok(at_b.iter().any(|o| o == "E2E-B").then_some(at_b))
    })
    .await?;
    assert_eq!(at_b, ["E2E-B"], "collector B got its own answer, not A's");
    wait_for("B's own copy to be removed, A's kept", || async {
        Ok((browser.storage_keys(ANY_PENDING).await? == kept).then_some(()))
    })
    .await?;
    assert!(a.responses().await?.is_empty(), "A was down all along");

    // A is back; the next page of A's shop delivers A's answer, once — a
    // page with A's script that shows no survey: the loader's resend alone.
    // (Leaving B, its widget beacons only what B is owed: nothing now.)
    gate_a.set_open(true);
    browser.client.goto(&shop.url("/a-home")).await?;
    let rows = a.wait_for_responses(1).await?;
    wait_for("A's copy to be removed", || async {
        Ok(browser
            .storage_keys(ANY_PENDING)
            .await?
            .is_empty()
            .then_some(()))
    })
    .await?;
    assert_eq!(orders(&a).await?, ["E2E-A"], "exactly one stored response");
    assert_eq!(rows[0].answers(), json!({ "nps": 9 }));
    assert_eq!(
        kept[0],
        format!(
            "manyi:outbox:{}/v1/responses#{}",
            gate_a.base, rows[0].response_id
        ),
        "the copy named its collector and response"
    );
    assert_eq!(orders(&b).await?, ["E2E-B"], "still nothing of A's at B");
    browser.close().await
}

/// The page is left while an answer waits: the widget hands it to
/// `navigator.sendBeacon` on `pagehide`/`visibilitychange`, which the
/// browser sends after the page is gone. The page's own fetches to the
/// collector stay blocked (DevTools URL blocking, which binds the page's
/// requests but not a beacon outliving it), and the next page loads no
/// manyi script, so only the beacon can deliver.
#[tokio::test]
async fn an_answer_still_waiting_when_the_page_is_left_is_sent_by_beacon() -> Result<()> {
    let app = TestApp::spawn().await?;
    let show = json!({ "survey": "post-payment", "locale": "en", "target": "#slot" });
    let shop = HostSite::serve(vec![
        ("/paid", embed_page(&app.base, &show, "")),
        (
            "/elsewhere",
            "<!doctype html><title>elsewhere</title>".into(),
        ),
    ])
    .await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&shop.url("/paid?order=E2E-BEACON"))
        .await?;
    browser.widget().await?;
    browser
        .block_urls(&[&format!("{}/v1/responses", app.base)])
        .await?;
    answer(&browser, 8).await?;
    assert_eq!(browser.storage_keys(ANY_PENDING).await?.len(), 1);
    assert!(
        app.responses().await?.is_empty(),
        "the page's POSTs are blocked"
    );

    browser.client.goto(&shop.url("/elsewhere")).await?;
    let rows = app.wait_for_responses(1).await?;
    assert_eq!(orders(&app).await?, ["E2E-BEACON"]);
    assert_eq!(rows[0].answers(), json!({ "nps": 8 }));
    browser.close().await
}

/// Writes pending copies into the page origin's `localStorage`, each
/// `[key, response_id, days_old, site, order_id]`: the demo survey's
/// payload, submitted `days_old` days ago by this browser's clock.
const WRITE_COPIES_JS: &str = r#"
arguments[0].forEach(function (c) {
  var at = new Date(Date.now() - c[2] * 864e5).toISOString();
  localStorage.setItem(c[0], JSON.stringify({
    response_id: c[1], site: c[3], survey_id: 'post-payment', survey_version: 1,
    answers: { nps: 9 }, context: { order_id: c[4], customer: 'c-' + c[4], channel: 'web' },
    timing: { shown_at: at, submitted_at: at } }));
});
"#;

/// Issue #3: copies owed to a collector nobody on this site talks to any
/// more (the shop moved collector) were kept for ever. The loader drops a
/// copy submitted 30 or more days ago when it is one of its own
/// collector's or names its site — wherever it was going, without sending
/// it — and leaves younger copies and other sites' copies alone.
#[tokio::test]
async fn copies_a_month_old_are_dropped_and_younger_or_other_sites_copies_kept() -> Result<()> {
    let app = TestApp::spawn().await?;
    let shop = HostSite::serve(vec![
        ("/blank", "<!doctype html><title>blank</title>".into()),
        ("/home", loader_only_page(&app.base)),
    ])
    .await?;
    let browser = Browser::start(Device::Desktop).await?;
    // A page of the shop's origin without the loader, to write its storage.
    browser.client.goto(&shop.url("/blank")).await?;
    let retired = "manyi:outbox:http://127.0.0.1:9/v1/responses#";
    let own = format!("manyi:outbox:{}/v1/responses#", app.base);
    let copy = |prefix: &str, days: u32, site: &str, order: &str| {
        let id = uuid::Uuid::new_v4().to_string();
        json!([format!("{prefix}{id}"), id, days, site, order])
    };
    let stale_retired = copy(retired, 31, "demo", "E2E-STALE-RETIRED");
    let young_retired = copy(retired, 29, "demo", "E2E-YOUNG-RETIRED");
    let stale_other_site = copy(retired, 31, "elsewhere", "E2E-STALE-OTHER");
    let stale_legacy = copy("manyi:pending:", 40, "demo", "E2E-STALE-LEGACY");
    let stale_own = copy(&own, 31, "demo", "E2E-STALE-OWN");
    let young_own = copy(&own, 1, "demo", "E2E-YOUNG-OWN");
    let all = json!([
        stale_retired,
        young_retired,
        stale_other_site,
        stale_legacy,
        stale_own,
        young_own
    ]);
    browser.client.execute(WRITE_COPIES_JS, vec![all]).await?;
    assert_eq!(browser.storage_keys(ANY_PENDING).await?.len(), 6);

    // A page of the shop with the collector's script.
    browser.client.goto(&shop.url("/home")).await?;
    let mut kept = vec![
        young_retired[0].as_str().unwrap_or_default().to_owned(),
        stale_other_site[0].as_str().unwrap_or_default().to_owned(),
    ];
    kept.sort();
    wait_for(
        "the month-old copies dropped, the young one sent",
        || async {
            let mut keys = browser.storage_keys(ANY_PENDING).await?;
            keys.sort();
            Ok((keys == kept).then_some(()))
        },
    )
    .await?;
    assert_eq!(
        orders(&app).await?,
        ["E2E-YOUNG-OWN"],
        "only the young copy owed to this collector was sent; the stale ones were dropped unsent"
    );
    browser.close().await
}
