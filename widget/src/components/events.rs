//! Every user interaction, handled by one delegated listener on the widget
//! container: clicks (dismiss, rating points), keys (Escape, Tab kept inside
//! an overlay, arrow keys on rating scales), `change` (choice inputs),
//! `input` (text fields and the "other" field) and `submit`. The first
//! answer dispatches `manyi:started`, closing before answering
//! `manyi:dismissed` (the loader records both as events).
//!
//! One `Closure<dyn FnMut(Event)>` for everything instead of a typed
//! `on:` handler per control keeps the WebAssembly small: every distinct
//! handler type costs its own copy of the event wiring. The controls carry
//! what the handlers need in the DOM the tests select on anyway
//! (`[data-question]`, `[data-value]`, input `value`, `[data-other]`).

use super::Ctx;
use crate::dom::{self, Listeners};
use crate::flow::Stage;
use leptos::prelude::*;
use manyi_shared::QuestionId;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use wasm_bindgen::JsCast;
use web_sys::{Element, Event};

/// `manyi:started` was dispatched for the current widget (one at a time;
/// an atomic costs less code than a reactive value).
static STARTED: AtomicBool = AtomicBool::new(false);

/// Routes the widget's events inside `container` to [`Ctx`], until the
/// returned listeners are dropped (when the widget is unmounted).
pub fn listen(container: &web_sys::HtmlElement, ctx: Ctx) -> Listeners {
    STARTED.store(false, Relaxed);
    let mut listeners = Listeners::new(move |ev: Event| handle(ctx, &ev));
    listeners.add(
        container,
        &["click", "keydown", "change", "input", "submit"],
    );
    listeners
}

fn handle(ctx: Ctx, ev: &Event) {
    let Some(target) = dom::target(ev) else {
        return;
    };
    match ev.type_().as_str() {
        "click" => on_click(ctx, &target),
        "keydown" => on_key(ctx, ev, &target),
        // Only choice and text controls send these: they and their
        // handlers live in the `controls` chunk (see `later`).
        kind @ ("change" | "input") => super::later::edit(ctx, target.clone(), kind == "input"),
        "submit" => {
            ev.prevent_default();
            super::send::submit(ctx, target.clone());
        }
        _ => {}
    }
    note_start(ctx, &target);
}

/// Dispatches `manyi:started` once the first answer is given.
pub(super) fn note_start(ctx: Ctx, target: &Element) {
    // `try_`: a host callback may have unmounted the widget meanwhile
    // (`manyi('hide')` on `dismissed`), disposing the flow.
    if !STARTED.load(Relaxed)
        && ctx.flow.try_with_untracked(|f| !f.answers().is_empty()) == Some(true)
        && let Some(host) = dom::host_of(target)
    {
        STARTED.store(true, Relaxed);
        dom::dispatch(&host, "manyi:started", None);
    }
}

/// The nearest ancestor (or self) matching `selector`.
pub(super) fn closest(el: &Element, selector: &str) -> Option<Element> {
    el.closest(selector).ok().flatten()
}

/// The id of the question `el` belongs to.
pub(super) fn question_of(el: &Element) -> Option<QuestionId> {
    let q = closest(el, "[data-question]")?.get_attribute("data-question")?;
    QuestionId::parse(q).ok()
}

fn on_click(ctx: Ctx, target: &Element) {
    if closest(target, "[data-dismiss]").is_some() {
        close(ctx, target);
    } else if let Some(radio) = closest(target, "[role=radio]")
        && let (Some(q), Some(v)) = (question_of(&radio), score_of(&radio))
    {
        ctx.flow.update(|f| f.set_score(&q, v));
    }
}

fn score_of(radio: &Element) -> Option<i64> {
    radio.get_attribute("data-value")?.parse().ok()
}

fn on_key(ctx: Ctx, ev: &Event, target: &Element) {
    let Some(key) = ev.dyn_ref::<web_sys::KeyboardEvent>().map(|k| k.key()) else {
        return;
    };
    if key == "Escape" {
        if ctx.can_close_untracked() && !ctx.inline {
            close(ctx, target);
        }
        return;
    }
    if key == "Tab" {
        let back = ev
            .dyn_ref::<web_sys::KeyboardEvent>()
            .is_some_and(|k| k.shift_key());
        if !ctx.inline
            && let Some(panel) = closest(target, ".mq-panel")
            && dom::trap_tab(&panel, target, back)
        {
            ev.prevent_default();
        }
        return;
    }
    if target.get_attribute("role").as_deref() != Some("radio") {
        return;
    }
    let (Some(q), Some(v)) = (question_of(target), score_of(target)) else {
        return;
    };
    let scale = ctx
        .flow
        .with_untracked(|f| f.survey().question(q.as_str()).and_then(|q| q.kind.scale()));
    let Some(next) = scale.and_then(|(min, max)| crate::keys::scale_target(&key, v, min, max))
    else {
        return;
    };
    ev.prevent_default();
    ctx.flow.update(|f| f.set_score(&q, next));
    if let Some(group) = target.parent_element() {
        dom::focus_in(
            &group,
            &["[data-value=\"", &next.to_string(), "\"]"].concat(),
        );
    }
}

/// Removes the widget and gives focus back to the page; reports
/// `manyi:dismissed` unless it was answered. The widget is unmounted as
/// well: a closed survey leaves no listener on the page.
fn close(ctx: Ctx, target: &Element) {
    if let Some(host) = dom::host_of(target) {
        if ctx.stage.get_untracked() != Stage::Thanks {
            dom::dispatch(&host, "manyi:dismissed", None);
        }
        host.remove();
        dom::restore_focus();
        crate::unmount();
    }
}
