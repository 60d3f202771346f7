//! The bottom sheet on a WeChat phone (360×640, WeChat user agent) when
//! the soft keyboard opens and closes, when the customer scrolls it, after
//! a back/forward-cache restore, and under text zoom (WeChat's, and the
//! default placement's sheet in a phone browser); the default placement's
//! desktop dialog, which is never pinned — in a real headless Chromium.
//!
//! Headless Chromium has no soft keyboard, so these tests play what the
//! page sees when one opens on iOS, in Chrome for Android (Chrome 108+
//! "resizes-visual") and in WeChat's web views that behave the same way:
//! the layout viewport — and with it `innerHeight` and what
//! `position: fixed` is laid out against — stays 640 px tall, while the
//! *visual* viewport shrinks to what is left above the keyboard and, on
//! iOS, scrolls down inside the layout viewport to reveal the focused field
//! (`visualViewport.offsetTop`/`pageTop` grow). Chromium cannot shrink only
//! the visual viewport on command (the DevTools size overrides shrink both
//! viewports, which is the other, easier case: a web view that resizes the
//! whole window, where `position: fixed; bottom: 0` suffices), so the test
//! overrides `height`, `offsetTop` and `pageTop` on the page's real
//! `window.visualViewport` object and dispatches its `resize` and `scroll`
//! events, exactly the inputs the widget reads. What is checked is real
//! layout: the bounding boxes Chromium computes for the sheet and the text
//! field with the CSS the widget sets in response.

use anyhow::{Context, Result, bail};
use manyi_tests::app::{HostSite, TestApp, embed_page};
use manyi_tests::browser::{Browser, DEADLINE, Device, find, wait_for};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Installs `window.__keyboard(height, offsetTop)` on the page: the visual
/// viewport becomes `height` px tall, `offsetTop` px down the layout
/// viewport (`null` height: the keyboard is gone, the real values return),
/// followed by `resize` and `scroll` events on it unless `quiet` (a change
/// made while the page is frozen in the back/forward cache sends none).
const KEYBOARD_JS: &str = r#"
window.__keyboard = function (height, offsetTop, quiet) {
  var vv = window.visualViewport;
  ['height', 'offsetTop', 'pageTop'].forEach(function (k) { delete vv[k]; });
  if (height != null) {
    var values = { height: height, offsetTop: offsetTop, pageTop: window.scrollY + offsetTop };
    Object.keys(values).forEach(function (k) {
      Object.defineProperty(vv, k, { configurable: true, get: function () { return values[k]; } });
    });
  }
  if (!quiet) {
    vv.dispatchEvent(new Event('resize'));
    vv.dispatchEvent(new Event('scroll'));
  }
};
"#;

/// Where things are, in layout-viewport (client) coordinates.
const MEASURE_JS: &str = r#"
var s = document.querySelector('[data-manyi-host]').shadowRoot;
var p = s.querySelector('.mq-panel'), t = s.querySelector('[data-question="comment"] textarea');
var vv = window.visualViewport, pr = p.getBoundingClientRect(), tr = t.getBoundingClientRect();
return { vv_top: vv.offsetTop, vv_bottom: vv.offsetTop + vv.height, inner: window.innerHeight,
         panel_top: pr.top, panel_bottom: pr.bottom, field_top: tr.top, field_bottom: tr.bottom,
         focused: s.activeElement ? s.activeElement.tagName : null,
         overflow: getComputedStyle(p).overflowY, persisted: window.__persisted };
"#;

/// One [`MEASURE_JS`] reading.
#[derive(Debug, Clone)]
struct Layout {
    vv_top: f64,
    vv_bottom: f64,
    inner: f64,
    panel_top: f64,
    panel_bottom: f64,
    field_top: f64,
    field_bottom: f64,
    focused: String,
    overflow: String,
}

impl Layout {
    fn read(v: &Value) -> Result<Self> {
        let n = |k: &str| v[k].as_f64().with_context(|| format!("`{k}` in {v}"));
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Ok(Self {
            vv_top: n("vv_top")?,
            vv_bottom: n("vv_bottom")?,
            inner: n("inner")?,
            panel_top: n("panel_top")?,
            panel_bottom: n("panel_bottom")?,
            field_top: n("field_top")?,
            field_bottom: n("field_bottom")?,
            focused: s("focused"),
            overflow: s("overflow"),
        })
    }

    /// The sheet sits on the bottom of the visible area (the top of the
    /// keyboard), its top edge inside it, and the focused text field lies
    /// wholly inside both the visible area and the sheet's scrollport.
    fn field_visible_on_sheet(&self) -> bool {
        const PX: f64 = 1.0;
        (self.panel_bottom - self.vv_bottom).abs() < PX
            && self.panel_top >= self.vv_top - PX
            && self.field_top >= self.vv_top.max(self.panel_top) - PX
            && self.field_bottom <= self.vv_bottom.min(self.panel_bottom) + PX
            && self.focused == "TEXTAREA"
    }
}

/// Polls the layout until `ok` holds; on timeout the error shows the last
/// reading (what the test saw is what a reader needs).
async fn settle(browser: &Browser, what: &str, ok: impl Fn(&Layout) -> bool) -> Result<Layout> {
    let start = Instant::now();
    loop {
        let layout = Layout::read(&browser.js(MEASURE_JS).await?)?;
        if ok(&layout) {
            return Ok(layout);
        }
        if start.elapsed() > DEADLINE {
            bail!("timed out waiting for {what}; last layout: {layout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The shop's pages on their own origin (cacheable, so the back/forward
/// cache may keep them) embedding `app`'s widget as an overlay, which in
/// WeChat is a bottom sheet; `head` goes into the page's `<head>`.
async fn shop(app: &TestApp, head: &str) -> Result<HostSite> {
    let show = json!({ "survey": "post-payment", "locale": "en" });
    let head = format!(
        "{head}<script>addEventListener('pageshow', function (e) {{ window.__persisted = e.persisted; }});</script>"
    );
    HostSite::serve(vec![
        ("/paid", embed_page(&app.base, &show, &head)),
        (
            "/elsewhere",
            "<!doctype html><title>elsewhere</title><p>another page</p>".into(),
        ),
    ])
    .await
}

/// Opens the sheet on a WeChat phone, scores 3 and focuses the comment
/// field; returns once the sheet rests on the bottom edge.
async fn open_sheet_with_focused_field(browser: &Browser, site: &HostSite) -> Result<Layout> {
    browser.client.goto(&site.url("/paid?order=E2E-KB")).await?;
    let widget = browser.widget().await?;
    find(&widget, ".mq[data-mode=bottom_sheet]").await?;
    // Taps land where the control is drawn: wait until the sheet has slid in.
    wait_for("the sheet to finish sliding in", || async {
        let v = browser
            .js(
                "var p = document.querySelector('[data-manyi-host]').shadowRoot \
                 .querySelector('.mq-panel'); \
                 return p.getAnimations().length == 0 && \
                   Math.abs(p.getBoundingClientRect().bottom - \
                     visualViewport.offsetTop - visualViewport.height) < 1;",
            )
            .await?;
        Ok((v == json!(true)).then_some(()))
    })
    .await?;
    find(
        &widget,
        r#"[data-question="nps"] [role=radio][data-value="3"]"#,
    )
    .await?
    .click()
    .await?;
    find(&widget, r#"[data-question="comment"] textarea"#)
        .await?
        .click()
        .await?;
    browser.js(KEYBOARD_JS).await?;
    settle(browser, "the sheet at rest on the bottom edge", |l| {
        (l.panel_bottom - l.inner).abs() < 1.0 && l.focused == "TEXTAREA"
    })
    .await
}

/// The Android / WeChat keyboard (the bottom 340 px) opens; returns once
/// the focused field sits above it on the sheet (`what` names that state).
async fn keyboard_up(browser: &Browser, what: &str) -> Result<Layout> {
    browser.js("window.__keyboard(300, 0);").await?;
    settle(browser, what, Layout::field_visible_on_sheet).await
}

#[tokio::test]
async fn the_soft_keyboard_never_covers_the_focused_text_field() -> Result<()> {
    let app = TestApp::spawn().await?;
    let site = shop(&app, "").await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    let rest = open_sheet_with_focused_field(&browser, &site).await?;
    assert_eq!(rest.inner, 640.0, "the 360×640 phone profile");

    // Android / WeChat: the keyboard takes the bottom 340 px.
    let up = keyboard_up(&browser, "the field above the keyboard").await?;
    assert!(up.panel_top >= 0.0, "sheet not cut off at the top: {up:?}");
    assert_eq!(
        up.overflow, "auto",
        "a sheet taller than the room scrolls inside"
    );

    // iOS: the visual viewport also scrolls down 120 px to show the field.
    browser.js("window.__keyboard(300, 120);").await?;
    let ios = settle(
        &browser,
        "the field inside the scrolled visual viewport",
        |l| l.vv_top == 120.0 && l.field_visible_on_sheet(),
    )
    .await?;
    assert!((ios.panel_bottom - 420.0).abs() < 1.0, "{ios:?}");

    // Keyboard down: back on the bottom edge, at full height.
    browser.js("window.__keyboard(null);").await?;
    let down = settle(&browser, "the sheet back on the bottom edge", |l| {
        (l.panel_bottom - l.inner).abs() < 1.0
    })
    .await?;
    assert!(
        down.panel_bottom - down.panel_top > up.panel_bottom - up.panel_top,
        "taller again: {down:?} vs {up:?}"
    );
    browser.close().await
}

/// Scrolls the sheet to its top, then dispatches `events` on the visual
/// viewport; returns the sheet's `scrollTop` before, right after the
/// scroll, and after the events (the widget's listeners run during
/// `dispatchEvent`, so no waiting is needed).
const SCROLL_UP_THEN_JS: &str = r#"
var p = document.querySelector('[data-manyi-host]').shadowRoot.querySelector('.mq-panel');
var before = p.scrollTop;
p.scrollTop = 0;
var up = p.scrollTop;
arguments[0].forEach(function (e) { visualViewport.dispatchEvent(new Event(e)); });
return [before, up, p.scrollTop];
"#;

/// Issue #3 item 2. With the keyboard up, the customer scrolls the sheet
/// back up to read the question again; the browser's viewport `scroll`
/// and `resize` events that follow (iOS sends them as the page settles)
/// must not snap the sheet back to the text field. A keyboard that gets
/// taller (a suggestions bar appears) still reveals the field.
#[tokio::test]
async fn a_customer_who_scrolls_the_sheet_up_is_not_pulled_back_to_the_field() -> Result<()> {
    let app = TestApp::spawn().await?;
    let site = shop(&app, "").await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    open_sheet_with_focused_field(&browser, &site).await?;
    keyboard_up(&browser, "the field above the keyboard").await?;

    for events in [json!(["scroll"]), json!(["resize", "scroll"])] {
        let v = browser
            .client
            .execute(SCROLL_UP_THEN_JS, vec![events.clone()])
            .await?;
        let n = |i: usize| v[i].as_f64().unwrap_or(f64::NAN);
        assert!(
            n(0) > 0.0 && n(1) == 0.0,
            "the sheet was scrolled down to the field, then up by the customer: {v}"
        );
        assert_eq!(n(2), 0.0, "still at the top after {events}: {v}");
        let still = Layout::read(&browser.js(MEASURE_JS).await?)?;
        assert_eq!(still.focused, "TEXTAREA", "the field keeps focus");
        // Put the field back in view for the next round, as the keyboard
        // opening did.
        browser
            .js("window.__keyboard(640, 0); window.__keyboard(300, 0);")
            .await?;
        settle(
            &browser,
            "the field revealed again",
            Layout::field_visible_on_sheet,
        )
        .await?;
    }

    // The keyboard grows by a suggestions bar: the field is pulled back.
    browser
        .js("document.querySelector('[data-manyi-host]').shadowRoot \
             .querySelector('.mq-panel').scrollTop = 0; window.__keyboard(260, 0);")
        .await?;
    settle(
        &browser,
        "the field above the taller keyboard",
        Layout::field_visible_on_sheet,
    )
    .await?;
    browser.close().await
}

/// Issue #3 item 1, the other side: from 640 px up the default placement
/// is a centred 480 px dialog, never pinned to the visible width — not
/// even when a pinch zoom leaves it sticking out of the visual viewport
/// (here a 400 px wide one at the window's left edge).
#[tokio::test]
async fn on_a_desktop_page_the_default_dialog_is_never_pinned_like_a_sheet() -> Result<()> {
    let app = TestApp::spawn().await?;
    let site = shop(&app, "").await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&site.url("/paid?order=E2E-DESK-AUTO"))
        .await?;
    let widget = browser.widget().await?;
    find(&widget, ".mq[data-mode=auto]").await?;
    let v = browser
        .js(
            "var vv = visualViewport; \
             Object.defineProperty(vv, 'width', { configurable: true, get: function () { return 400; } }); \
             vv.dispatchEvent(new Event('resize')); \
             var p = document.querySelector('[data-manyi-host]').shadowRoot.querySelector('.mq-panel'), \
                 r = p.getBoundingClientRect(); \
             return { left: r.left, right: r.right, inner_width: document.documentElement.clientWidth, vv_width: vv.width, \
                      inline: p.style.cssText };",
        )
        .await?;
    let n = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    assert_eq!(n("vv_width"), 400.0, "the zoomed-in visual viewport: {v}");
    assert!(
        n("right") > 400.0,
        "the dialog sticks out of the visual viewport: {v}"
    );
    assert!(
        (n("right") - n("left") - 480.0).abs() < 1.0,
        "still 480 px wide: {v}"
    );
    assert!(
        ((n("left") + n("right")) / 2.0 - n("inner_width") / 2.0).abs() < 1.0,
        "still centred in the window: {v}"
    );
    assert_eq!(v["inline"], json!(""), "no width pinned on it: {v}");
    browser.close().await
}

#[tokio::test]
async fn a_page_restored_from_the_back_forward_cache_places_the_sheet_again() -> Result<()> {
    let app = TestApp::spawn().await?;
    let site = shop(&app, "").await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    open_sheet_with_focused_field(&browser, &site).await?;
    keyboard_up(&browser, "the sheet above the keyboard").await?;

    // The customer leaves with the keyboard up; it closes while the page
    // sits frozen in the cache, so no viewport event reaches the page.
    browser.js("window.__keyboard(null, 0, true);").await?;
    browser.client.goto(&site.url("/elsewhere")).await?;
    browser.client.back().await?;
    let restored = settle(
        &browser,
        "the sheet on the bottom edge after the restore",
        |l| (l.panel_bottom - l.inner).abs() < 1.0,
    )
    .await?;
    let persisted = browser.js("return window.__persisted;").await?;
    assert_eq!(
        persisted,
        json!(true),
        "the page came back from the back/forward cache (not reloaded): {restored:?}"
    );
    browser.close().await
}

/// WeChat's font-size setting at its 200 % end: on iOS it raises the
/// page's -webkit-text-size-adjust, and host pages sized in rem follow a
/// larger root font size. (Android's web-view text zoom has no DevTools
/// switch: not simulated.) The zoomed host page overflows sideways, which
/// widens the layout viewport past the screen. Browsers' own text zoom
/// (Chrome for Android's accessibility setting, iOS Safari's aA menu)
/// does the same to such pages.
const TEXT_ZOOM: &str = "<style>html { font-size: 200% !important; } html, body { \
                         -webkit-text-size-adjust: 200% !important; \
                         text-size-adjust: 200% !important; }</style>";

/// Waits for the sheet (`.mq[data-mode={mode}]`) to rest on the bottom
/// edge of a text-zoomed page, then checks that it and every control lie
/// within the screen and keep 44 px touch targets.
async fn check_zoomed_sheet_fits(browser: &Browser, mode: &str) -> Result<()> {
    let widget = browser.widget().await?;
    find(&widget, &format!(".mq[data-mode={mode}]")).await?;
    let v = wait_for("the sheet to come to rest", || async {
        let v = browser.js(ZOOM_JS).await?;
        Ok((v["resting"] == json!(true)).then_some(v))
    })
    .await?;
    let n = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    assert!(
        n("inner_width") > 360.0,
        "the zoomed host page widened the layout viewport: {v}"
    );
    let (vl, vr) = (n("vv_left"), n("vv_left") + n("vv_width"));
    assert!(
        n("panel_left") >= vl - 1.0 && n("panel_right") <= vr + 1.0,
        "the sheet lies within the screen's width: {v}"
    );
    assert!(
        n("panel_top") >= n("vv_top") - 1.0,
        "and within its height: {v}"
    );
    let hits = v["hits"].as_array().context("controls")?;
    assert!(hits.len() >= 13, "11 scale points, close, submit: {v}");
    for hit in hits {
        let num = |i: usize| hit[i].as_f64().unwrap_or(f64::NAN);
        assert!(
            num(1) >= 44.0 && num(2) >= 44.0,
            "touch target under 44×44 px: {hit}"
        );
        assert!(
            num(3) >= vl - 1.0 && num(4) <= vr + 1.0,
            "control off screen: {hit} in {v}"
        );
    }
    assert!(
        n("scroll_width") <= n("client_width"),
        "nothing overflows sideways inside the sheet: {v}"
    );
    assert_eq!(
        v["title"],
        json!("18px"),
        "the widget's own type scale: {v}"
    );
    Ok(())
}

#[tokio::test]
async fn under_wechat_text_zoom_the_sheet_fits_the_screen_and_every_control_stays_44_px()
-> Result<()> {
    let app = TestApp::spawn().await?;
    let site = shop(&app, TEXT_ZOOM).await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    browser
        .client
        .goto(&site.url("/paid?order=E2E-ZOOM"))
        .await?;
    // No `mode` asked for: WeChat turns the default into a bottom sheet.
    check_zoomed_sheet_fits(&browser, "bottom_sheet").await?;
    browser.close().await
}

/// From now on counts the page's layout reads (`getBoundingClientRect`
/// calls, whoever makes them) in `window.__rects` and the changes to the
/// sheet's inline style in `window.__styleChanges`.
const COUNT_LAYOUT_WORK_JS: &str = r#"
var p = document.querySelector('[data-manyi-host]').shadowRoot.querySelector('.mq-panel');
var real = Element.prototype.getBoundingClientRect;
window.__rects = 0;
window.__styleChanges = 0;
Element.prototype.getBoundingClientRect = function () {
  window.__rects++;
  return real.apply(this, arguments);
};
new MutationObserver(function (records) { window.__styleChanges += records.length; })
  .observe(p, { attributes: true, attributeFilter: ['style'] });
"#;

/// The sheet's inline style, after `arguments[0]` visual-viewport
/// `scroll` events that change nothing the sheet's width depends on (the
/// widget's listeners run during `dispatchEvent`).
const SCROLL_IN_PLACE_JS: &str = r#"
for (var i = 0; i < arguments[0]; i++) visualViewport.dispatchEvent(new Event('scroll'));
return document.querySelector('[data-manyi-host]').shadowRoot.querySelector('.mq-panel').style.cssText;
"#;

/// Issue #3: the sheet is pinned to the screen's width on a text-zoomed
/// page, and the page scrolls (a `scroll` event for every few pixels on a
/// phone). Nothing the width depends on changes, so the widget neither
/// measures the sheet (a forced layout each time) nor rewrites its pin;
/// when the visual viewport does move sideways, the pin follows it.
#[tokio::test]
async fn scrolling_a_zoomed_page_does_not_measure_or_rewrite_the_pinned_sheet() -> Result<()> {
    let app = TestApp::spawn().await?;
    let site = shop(&app, TEXT_ZOOM).await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    browser
        .client
        .goto(&site.url("/paid?order=E2E-ZOOM-SCROLL"))
        .await?;
    check_zoomed_sheet_fits(&browser, "bottom_sheet").await?;
    let pinned = browser
        .js(
            "return document.querySelector('[data-manyi-host]').shadowRoot \
             .querySelector('.mq-panel').style.cssText;",
        )
        .await?;
    assert!(
        pinned.as_str().is_some_and(|s| s.contains("width: 360px")),
        "the sheet is pinned to the 360 px screen: {pinned}"
    );

    browser.js(COUNT_LAYOUT_WORK_JS).await?;
    let after = browser
        .client
        .execute(SCROLL_IN_PLACE_JS, vec![json!(20)])
        .await?;
    let work = browser
        .js("return [window.__rects, window.__styleChanges];")
        .await?;
    assert_eq!(
        work,
        json!([0, 0]),
        "layout reads, style changes for 20 scroll events"
    );
    assert_eq!(after, pinned, "the pin stays as it was");

    // The customer pans the zoomed page sideways: the pin follows.
    let v = browser
        .js("Object.defineProperty(visualViewport, 'offsetLeft', \
               { configurable: true, get: function () { return 40; } }); \
             visualViewport.dispatchEvent(new Event('scroll')); \
             var r = document.querySelector('[data-manyi-host]').shadowRoot \
               .querySelector('.mq-panel').getBoundingClientRect(); \
             return [r.left, r.right];")
        .await?;
    assert_eq!(v, json!([40, 400]), "the sheet under the panned viewport");
    browser.close().await
}

/// Chrome on an Android phone: what [`Device::WeChatPhone`] emulates,
/// without WeChat in the user agent.
const ANDROID_CHROME_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 7) \
AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.103 Mobile Safari/537.36";

/// Issue #3 item 1. Outside WeChat the default placement stays `auto`,
/// which style.css draws on a phone as the same full-width sheet: it must
/// be pinned to the screen's width on a text-zoomed page just the same.
#[tokio::test]
async fn in_a_phone_browser_the_default_sheet_fits_a_text_zoomed_page_too() -> Result<()> {
    let app = TestApp::spawn().await?;
    let site = shop(&app, TEXT_ZOOM).await?;
    let browser = Browser::start(Device::WeChatPhone).await?;
    // What the widget and the loader read (chromedriver's mobile
    // emulation puts its own user agent back on every navigation, so a
    // DevTools override of the header would not last).
    browser
        .before_each_page(&format!(
            "Object.defineProperty(Navigator.prototype, 'userAgent', \
             {{ configurable: true, get: function () {{ return {}; }} }});",
            json!(ANDROID_CHROME_USER_AGENT)
        ))
        .await?;
    browser
        .client
        .goto(&site.url("/paid?order=E2E-ZOOM-AUTO"))
        .await?;
    let ua = browser.js("return navigator.userAgent;").await?;
    assert_eq!(ua, json!(ANDROID_CHROME_USER_AGENT), "not WeChat");
    check_zoomed_sheet_fits(&browser, "auto").await?;
    browser.close().await
}

/// The other side of the sheet's width pin: on a desktop page that fits
/// its window (a vertical scrollbar, nothing wider), a bottom sheet keeps
/// style.css's 480 px, centred.
#[tokio::test]
async fn on_a_desktop_page_the_bottom_sheet_stays_480_px_and_centred() -> Result<()> {
    let app = TestApp::spawn().await?;
    let show = json!({ "survey": "post-payment", "locale": "en", "mode": "bottom_sheet" });
    let site = HostSite::serve(vec![(
        "/paid",
        embed_page(
            &app.base,
            &show,
            "<style>body { min-height: 3000px; }</style>",
        ),
    )])
    .await?;
    let browser = Browser::start(Device::Desktop).await?;
    browser
        .client
        .goto(&site.url("/paid?order=E2E-DESK"))
        .await?;
    let widget = browser.widget().await?;
    find(&widget, ".mq[data-mode=bottom_sheet]").await?;
    let v = wait_for("the sheet to come to rest", || async {
        let v = browser.js(ZOOM_JS).await?;
        Ok((v["resting"] == json!(true)).then_some(v))
    })
    .await?;
    let n = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let middle = (n("panel_left") + n("panel_right")) / 2.0;
    assert!(
        (n("panel_right") - n("panel_left") - 480.0).abs() < 1.0,
        "480 px wide: {v}"
    );
    assert!(
        (middle - n("vv_width") / 2.0).abs() < 1.0,
        "centred in the window: {v}"
    );
    browser.close().await
}

/// The sheet, the visual viewport and every control's box (for
/// [`under_wechat_text_zoom_the_sheet_fits_the_screen_and_every_control_stays_44_px`]).
const ZOOM_JS: &str = r#"
var s = document.querySelector('[data-manyi-host]').shadowRoot;
var p = s.querySelector('.mq-panel'), r = p.getBoundingClientRect(), vv = window.visualViewport;
var hits = Array.prototype.map.call(s.querySelectorAll('button, [role=radio], textarea, input'),
  function (e) {
    var b = e.getBoundingClientRect();
    return [e.tagName + (e.getAttribute('data-value') || ''), b.width, b.height, b.left, b.right];
  });
return { resting: p.getAnimations().length == 0 &&
           Math.abs(r.bottom - vv.offsetTop - vv.height) < 1,
         inner_width: window.innerWidth, vv_left: vv.offsetLeft, vv_width: vv.width,
         vv_top: vv.offsetTop, panel_left: r.left, panel_right: r.right, panel_top: r.top,
         hits: hits, scroll_width: p.scrollWidth, client_width: p.clientWidth,
         title: getComputedStyle(s.querySelector('.mq-title')).fontSize };
"#;
