//! The widget's ties to the page around it, through window listeners:
//!
//! - delivery, for the page's lifetime: the responses pending for this
//!   page's collector are retried a back-off step after the first widget
//!   mounts (answers left by an earlier page, which the loader has just
//!   sent once); `online` retries them at once; `pagehide` and
//!   `visibilitychange` send them by beacon. These are added once, by the
//!   first widget mounted, and outlive it (issue #3): a host that hides
//!   the widget on `submitted` — the send failed and the copy is kept —
//!   must still have the copy beaconed when the customer closes the tab.
//!   Copies owed to other collectors are never touched (see [`delivery`]);
//! - placement, per mounted widget ([`watch`] returns its listeners,
//!   removed when it is unmounted): an overlay (bottom sheet, modal)
//!   follows the visual viewport (`resize`/`scroll` of
//!   `window.visualViewport`, and `pageshow`), so the soft keyboard or a
//!   pinch zoom never hides the focused field. The offsets go into CSS
//!   variables (`--mq-vb`, `--mq-vh`) on the host element, read by
//!   style.css (only overlays use them), and when the keyboard opens a
//!   focused text field is scrolled back into the shortened sheet.
//!   `pageshow` (also after a back/forward-cache restore) retries the
//!   pending responses after a back-off step too; a page restored after
//!   the widget was hidden has them beaconed by `visibilitychange`.

use crate::delivery;
use crate::dom::Listeners;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{Event, EventTarget, HtmlElement};

/// A number property of a JS object (`visualViewport.height`, …), read
/// through `Reflect` rather than typed bindings: each binding costs glue.
fn num(obj: &JsValue, key: &str) -> f64 {
    js_sys::Reflect::get(obj, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// `window.visualViewport`, where there is one.
fn visual_viewport(window: &web_sys::Window) -> Option<EventTarget> {
    let vv = js_sys::Reflect::get(window, &"visualViewport".into()).ok()?;
    vv.is_object().then(|| vv.unchecked_into())
}

thread_local! {
    /// Whether the page's delivery listeners are added (once per page).
    static DELIVERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Places the widget just mounted and keeps it placed until the returned
/// listeners are dropped; listens for the page's delivery to the
/// collector at `collector` from the first mount on, for good.
pub fn watch(collector: &str) -> Listeners {
    let mut placement = Placement::default();
    placement.place();
    // One collector per page: the widget's (one loader per page, and
    // every widget it mounts talks to the loader's collector), so the
    // first mount's delivery listeners serve every later widget's copies.
    let url = [collector, "/v1/responses"].concat();
    let mut listeners = listen(url.clone(), placement);
    let Some(window) = web_sys::window() else {
        return listeners;
    };
    if !DELIVERING.replace(true) {
        // Answers an earlier page of this site left for this collector. The
        // loader sends them once as the page loads (it resends its own
        // collector's `manyi:outbox:` copies on every page); what failed there
        // (collector briefly down, flaky link) is retried here, with back-off,
        // for as long as the page is open (so once per page: a later
        // widget finds the chain of retries going on). The first retry
        // waits a back-off step (1–3 s) rather than going at once: the loader's POST is then
        // normally answered and the copy gone, so a slow phone link carries
        // one POST per pending answer, not two (issue #3). A duplicate of a
        // send that worked would be an idempotent 200 anyway. (Not kept for
        // loaders of older releases still cached by browsers: a loader names
        // the widget files of its own release by content hash, so this widget
        // never runs under an older one.)
        delivery::retry(url.clone(), Some(1));
        let mut delivering = listen(url, Placement::default());
        delivering.add(&window, &["online", "pagehide"]);
        if let Some(doc) = window.document() {
            delivering.add(&doc, &["visibilitychange"]);
        }
        // The page's for good: never removed, so never dropped.
        std::mem::forget(delivering);
    }
    listeners.add(&window, &["pageshow"]);
    if let Some(vv) = visual_viewport(&window) {
        listeners.add(&vv, &["resize", "scroll"]);
    }
    listeners
}

/// Listeners, none added yet, calling [`on_event`]. One closure type for
/// the page's delivery listeners and a widget's placement: each type costs
/// its own glue in the module every customer downloads.
fn listen(url: String, mut placement: Placement) -> Listeners {
    Listeners::new(move |ev: Event| on_event(&url, &mut placement, &ev))
}

fn on_event(url: &str, placement: &mut Placement, ev: &Event) {
    match ev.type_().as_str() {
        "online" => delivery::retry(url.to_owned(), None),
        // Hidden or shown again: either way a beacon for what is pending
        // costs nothing when nothing is (and resends are idempotent).
        "pagehide" | "visibilitychange" => delivery::beacon_pending(url),
        "pageshow" => {
            placement.place();
            // A back-off step, not at once: on a fresh load `pageshow`
            // comes while the loader's own resend (and the mount's retry,
            // which this then leaves to go on) may still be on its way.
            // After a back/forward-cache restore, where the loader does
            // not run again, this is the resend.
            delivery::retry(url.to_owned(), Some(0));
        }
        _ => placement.place(),
    }
}

/// What the last placement saw, kept per mounted widget.
#[derive(Default)]
struct Placement {
    /// The visible height at the last placement, in screen pixels (see
    /// [`Placement::place`]); 0 before the first.
    seen_height: u32,
    /// What the sheet's width was last fitted to ([`fit_width`]): the
    /// visual viewport's width and left offset (a pinch zoom changes the
    /// width with the scale) and the layout viewport's width
    /// (`innerWidth`, which a page overflowing sideways widens). Nothing
    /// else moves the sheet sideways, so while these stay as they are — a
    /// vertical scroll, the keyboard opening — the fit is not done again:
    /// it removes the pin, measures the sheet (a forced layout) and pins
    /// it again, on every `scroll` event otherwise.
    fitted_to: (f64, f64, f64),
}

impl Placement {
    /// Keeps the overlay inside the visual viewport: its bottom edge on the
    /// top of the soft keyboard, its height within what is visible.
    fn place(&mut self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        // Set on the host element (looked up rather than kept: one widget
        // at a time); custom properties inherit into the shadow root, and
        // `all` in a host page rule does not reset them.
        let Some(el) = window
            .document()
            .and_then(|d| d.query_selector("[data-manyi-host]").ok().flatten())
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        else {
            return;
        };
        let Some(vv) = visual_viewport(&window) else {
            return;
        };
        let (height, top) = (num(&vv, "height"), num(&vv, "offsetTop"));
        let inner = num(&window, "innerHeight");
        // Whole pixels, formatted as integers: float formatting would add
        // kilobytes to the module. Rounded towards the visible area (bottom
        // up, height down), so that no fraction of the sheet lies under the
        // keyboard.
        let bottom = (inner - height - top).max(0.0).ceil() as i32;
        let style = el.style();
        let _ = style.set_property("--mq-vb", &[&bottom.to_string(), "px"].concat());
        let _ = style.set_property("--mq-vh", &[&(height as i32).to_string(), "px"].concat());
        let fit = (
            num(&vv, "width"),
            num(&vv, "offsetLeft"),
            num(&window, "innerWidth"),
        );
        if fit != self.fitted_to && fit_width(&window, &el, fit.1, fit.0) {
            self.fitted_to = fit;
        }
        // The keyboard opening shrinks the visible height on screen; a
        // pinch zoom shrinks it in CSS pixels only (the scale grows with
        // it), and a `scroll` or a `pageshow` leaves it as it is. Only the
        // keyboard may pull the field back: otherwise a customer who
        // scrolled the sheet up to read the question again would be
        // snapped back to the field.
        let scale = num(&vv, "scale");
        let seen = (height * if scale > 0.0 { scale } else { 1.0 }) as u32;
        if seen < std::mem::replace(&mut self.seen_height, seen) {
            reveal_focused_field(&el);
        }
    }
}

/// `el.getBoundingClientRect()` (through `Reflect`: its typed binding
/// needs another web-sys feature).
fn rect(el: &JsValue) -> Option<JsValue> {
    js_sys::Reflect::get(el, &"getBoundingClientRect".into())
        .ok()?
        .unchecked_into::<js_sys::Function>()
        .call0(el)
        .ok()
}

/// Whether the media query `query` holds (`window.matchMedia`, through
/// `Reflect` for the same reason as [`rect`]).
fn media(window: &web_sys::Window, query: &str) -> bool {
    js_sys::Reflect::get(window, &"matchMedia".into())
        .ok()
        .and_then(|f| {
            f.unchecked_into::<js_sys::Function>()
                .call1(window, &query.into())
                .ok()
        })
        .and_then(|list| js_sys::Reflect::get(&list, &"matches".into()).ok())
        .is_some_and(|m| m.is_truthy())
}

/// Pins a bottom sheet to the visible width (`width` px from `left`, the
/// visual viewport's box) when it sticks out of it. A
/// host page that overflows sideways — WeChat's text zoom makes many do,
/// so do a browser's text zoom and pages wider than the phone — widens the
/// layout viewport that `position: fixed` follows (measured: 498 px on a
/// 360 px phone at 200 %), and a sheet spanning it has its right part off
/// screen. The sheet is measured as style.css places it (inline overrides
/// removed first), so the pin goes away when the page fits again; a
/// desktop sheet (480 px, centred) is left alone, whatever the scrollbar.
///
/// The default `auto` mode is the same sheet on a phone, but a centred
/// dialog from 640 px up (style.css): that one is never pinned. The
/// width is asked of `matchMedia` with style.css's own query, so the two
/// never disagree — also when rotating the phone switches between them.
///
/// Returns whether the sheet was fitted (or is one that is never pinned):
/// false when there is no sheet to fit, so the next placement tries again.
fn fit_width(window: &web_sys::Window, host: &HtmlElement, left: f64, width: f64) -> bool {
    let Some(panel) = host
        .shadow_root()
        .and_then(|r| {
            r.query_selector(".mq-sheet .mq-panel,.mq-auto .mq-panel")
                .ok()
                .flatten()
        })
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    else {
        return false;
    };
    let style = panel.style();
    const PINNED: [&str; 4] = ["left", "width", "right", "margin-left"];
    for name in PINNED {
        let _ = style.remove_property(name);
    }
    let auto = panel.closest(".mq-auto").ok().flatten().is_some();
    if auto && media(window, "(min-width:640px)") {
        return true;
    }
    let Some(rect) = rect(&panel) else {
        return false;
    };
    if num(&rect, "left") < left - 1.0 || num(&rect, "right") > left + width + 1.0 {
        let values = [
            [&(left.ceil() as i32).to_string(), "px"].concat(),
            [&(width as i32).to_string(), "px"].concat(),
            "auto".into(),
            "0".into(),
        ];
        for (name, value) in PINNED.iter().zip(values) {
            let _ = style.set_property(name, &value);
        }
    }
    true
}

/// Scrolls the overlay's panel so that its focused text field is in
/// sight again after the keyboard opened. The sheet then moves up and gets
/// shorter (its `max-height` follows the visible height), and the field
/// the customer is typing in can end up below the sheet's fold: the
/// browser scrolls a focused field into view when it is focused, but it
/// does not know that the sheet was shrunk around it afterwards.
///
/// Only the panel scrolls, by the distance between the two boxes, and only
/// as far as needed (not at all when the field is already visible), like
/// `scrollIntoView({block: "nearest"})` would — which is not used because
/// it also scrolls every other scrollable ancestor, the visual viewport of
/// a zoomed page included.
fn reveal_focused_field(host: &HtmlElement) {
    let Some(field) = host.shadow_root().and_then(|r| r.active_element()) else {
        return;
    };
    // Inline surveys scroll with the page, which the browser already
    // handles; pulling the field back there would fight a customer panning
    // a pinch-zoomed page.
    let Some(panel) = field
        .closest(".mq:not(.mq-inline) .mq-panel")
        .ok()
        .flatten()
        .filter(|_| matches!(field.tag_name().as_str(), "TEXTAREA" | "INPUT"))
    else {
        return;
    };
    let (Some(f), Some(p)) = (rect(&field), rect(&panel)) else {
        return;
    };
    // The panel's scrollport, in the same (client) coordinates as `f`.
    let top = num(&p, "top") + f64::from(panel.client_top());
    let bottom = top + f64::from(panel.client_height());
    let (f_top, f_bottom) = (num(&f, "top"), num(&f, "bottom"));
    // Rounded away from zero: a fraction short would leave the edge hidden.
    let by = if f_top < top || f_bottom - f_top > bottom - top {
        (f_top - top).floor()
    } else if f_bottom > bottom {
        (f_bottom - bottom).ceil()
    } else {
        return;
    };
    panel.set_scroll_top(panel.scroll_top() + by as i32);
}
