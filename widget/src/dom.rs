//! Small DOM helpers for the components: events on the host element, focus.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Event, HtmlElement};

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

/// Runs `f` after the pending DOM updates (Leptos applies signal changes
/// asynchronously), e.g. to focus an element that is about to appear.
pub fn after_render(f: impl FnOnce() + 'static) {
    leptos::prelude::request_animation_frame(f);
}
