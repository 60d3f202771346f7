//! Small DOM helpers for the components: events on the host element, focus
//! (into an overlay on open, back where it was on close, kept inside while
//! open), and event listeners that go away with the widget ([`Listeners`]).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event, EventTarget, HtmlElement};

/// One closure listening for events on one or more targets, until dropped:
/// dropping it removes every listener it added. The widget keeps these
/// (rather than leaking the closures) so that a page that hides it — a
/// single-page app going on to its next view — is left with nothing of it
/// still running: no resend, no placement of a sheet that is gone.
pub struct Listeners {
    cb: Closure<dyn FnMut(Event)>,
    on: Vec<(EventTarget, &'static str)>,
}

impl Listeners {
    /// Listeners calling `f`; none added yet.
    pub fn new(f: impl FnMut(Event) + 'static) -> Self {
        Listeners {
            cb: Closure::new(f),
            on: Vec::new(),
        }
    }

    /// Listens for each of `names` on `target`.
    pub fn add(&mut self, target: &EventTarget, names: &[&'static str]) {
        for &name in names {
            let _ = target.add_event_listener_with_callback(name, self.cb.as_ref().unchecked_ref());
            self.on.push((target.clone(), name));
        }
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for (target, name) in &self.on {
            let _ =
                target.remove_event_listener_with_callback(name, self.cb.as_ref().unchecked_ref());
        }
        // Dropping the closure while it runs (a host callback hiding the
        // widget from inside one of its handlers) is safe: wasm-bindgen
        // frees it when that call returns.
    }
}

/// Dispatches a bubbling, composed `CustomEvent` on the host element, so the
/// host page (and the loader's `manyi('on', …)` callbacks) can listen for it.
pub fn dispatch(host: &Element, name: &str, detail: Option<&str>) {
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    if let Some(d) = detail {
        init.set_detail(&JsValue::from_str(d));
    }
    if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&ev);
    }
}

/// The element an event was dispatched to.
pub fn target(ev: &Event) -> Option<Element> {
    ev.target()?.dyn_into().ok()
}

/// The shadow root's host element of the element `el` lives in.
pub fn host_of(el: &Element) -> Option<Element> {
    let root: web_sys::ShadowRoot = el.get_root_node().dyn_into().ok()?;
    Some(root.host())
}

/// Focuses the first element matching `selector` inside `scope`.
pub fn focus_in(scope: &Element, selector: &str) {
    if let Ok(Some(el)) = scope.query_selector(selector)
        && let Ok(el) = el.dyn_into::<HtmlElement>()
    {
        let _ = el.focus();
    }
}

/// Focuses the first control of a question (the checked or first radio of a
/// scale, the first enabled input, or the text field) inside `scope`.
pub fn focus_question(scope: &Element, question: &str) {
    let q = ["[data-question=\"", question, "\"] "].concat();
    let selector = [
        &q,
        "[role=radio][tabindex=\"0\"],",
        &q,
        "input:not([disabled]),",
        &q,
        "textarea",
    ]
    .concat();
    focus_in(scope, &selector);
}

thread_local! {
    /// What had focus before an overlay opened (one widget at a time).
    static OPENER: std::cell::RefCell<Option<HtmlElement>> = const { std::cell::RefCell::new(None) };
}

/// The page's focused element (`<body>` when none is). Unchecked: an SVG
/// element can have focus too, and has `focus()` as well.
fn focused() -> Option<HtmlElement> {
    let el = web_sys::window()?.document()?.active_element()?;
    Some(el.unchecked_into())
}

/// Remembers the page's focused element and moves focus into the overlay
/// rendered in `container` (its panel, which names the dialog).
pub fn open_dialog(container: &HtmlElement) {
    OPENER.with(|o| *o.borrow_mut() = focused());
    let container = container.clone();
    after_render(move || focus_in(&container, ".mq-panel"));
}

/// Gives focus back to what had it before the overlay opened, when the
/// focus is nowhere now: on `<body>`, where the browser puts it when the
/// removed widget held it (closed, or hidden by `manyi('hide')`), so
/// keyboard and screen-reader users are not stranded at the page's top.
/// Focus the page moved elsewhere meanwhile is left there. (An opener
/// the page has removed since ignores `focus()`.)
pub fn restore_focus() {
    if let Some(el) = OPENER.with(|o| o.borrow_mut().take())
        && focused().is_none_or(|e| e.tag_name() == "BODY")
    {
        let _ = el.focus();
    }
}

/// What Tab may reach inside `panel` (a scale counts once: its roving stop).
const TABBABLE: &str =
    "button:not([disabled]):not([tabindex=\"-1\"]),input:not([disabled]),textarea,[href]";

/// Keeps Tab and Shift+Tab inside the dialog `panel`: from the last stop
/// to the first and back. Returns whether it moved focus.
pub fn trap_tab(panel: &Element, from: &Element, back: bool) -> bool {
    let Ok(list) = panel.query_selector_all(TABBABLE) else {
        return false;
    };
    let (Some(first), Some(last)) = (list.item(0), list.item(list.length().saturating_sub(1)))
    else {
        return false;
    };
    let from: &web_sys::Node = from;
    let to = if back && (from.is_same_node(Some(&first)) || from.is_same_node(Some(panel))) {
        last
    } else if !back && from.is_same_node(Some(&last)) {
        first
    } else {
        return false;
    };
    match to.dyn_into::<HtmlElement>() {
        Ok(el) => el.focus().is_ok(),
        Err(_) => false,
    }
}

/// Runs `f` after the pending DOM updates (Leptos applies signal changes
/// asynchronously), e.g. to focus an element that is about to appear.
pub fn after_render(f: impl FnOnce() + 'static) {
    leptos::prelude::request_animation_frame(f);
}
