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
use crate::delivery::{self, Outcome};
use crate::dom::{self, Listeners};
use crate::flow::{Flow, Notice, Stage};
use leptos::prelude::*;
use manyi_shared::json;
use manyi_shared::{OptionId, QuestionId, QuestionKind, ResponseId, Timing};
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
        "change" => on_change(ctx, &target),
        "input" => on_input(ctx, &target),
        "submit" => {
            ev.prevent_default();
            submit(ctx, target.clone());
        }
        _ => {}
    }
    // `try_`: a host callback may have unmounted the widget meanwhile
    // (`manyi('hide')` on `dismissed`), disposing the flow.
    if !STARTED.load(Relaxed)
        && ctx.flow.try_with_untracked(|f| !f.answers().is_empty()) == Some(true)
        && let Some(host) = dom::host_of(&target)
    {
        STARTED.store(true, Relaxed);
        dom::dispatch(&host, "manyi:started", None);
    }
}

/// The nearest ancestor (or self) matching `selector`.
fn closest(el: &Element, selector: &str) -> Option<Element> {
    el.closest(selector).ok().flatten()
}

/// The id of the question `el` belongs to.
fn question_of(el: &Element) -> Option<QuestionId> {
    let q = closest(el, "[data-question]")?.get_attribute("data-question")?;
    QuestionId::parse(q).ok()
}

/// A DOM property of `el` (e.g. an input's `value` or `checked`).
fn prop(el: &Element, name: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(el, &name.into()).unwrap_or_default()
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

/// A choice input changed: select or deselect its option.
fn on_change(ctx: Ctx, target: &Element) {
    let (Some(q), Some(option)) = (question_of(target), target.get_attribute("value")) else {
        return;
    };
    if !matches!(
        target.get_attribute("type").as_deref(),
        Some("radio" | "checkbox")
    ) {
        return;
    }
    let on = prop(target, "checked").is_truthy();
    ctx.flow.update(|f| {
        let survey = f.survey_arc();
        let Some(question) = survey.question(q.as_str()) else {
            return;
        };
        if matches!(question.kind, QuestionKind::MultiChoice { .. }) {
            f.toggle_choice(question, &option, on);
        } else if let (true, Ok(choice)) = (on, OptionId::parse(option)) {
            f.choose_single(&question.id, choice);
        }
    });
}

/// Typing in a text answer (updates its counter) or in an "other" field.
fn on_input(ctx: Ctx, target: &Element) {
    let Some(q) = question_of(target) else {
        return;
    };
    let text = prop(target, "value").as_string().unwrap_or_default();
    if target.has_attribute("data-other") {
        ctx.flow.update(|f| {
            let survey = f.survey_arc();
            if let Some(question) = survey.question(q.as_str()) {
                f.set_other_text(question, text);
            }
        });
    } else if target.matches(".mq-text").unwrap_or(false) {
        // The DOM owns the text while typing; the flow mirrors it.
        if let Some(counter) = target.next_element_sibling() {
            let max = target.get_attribute("maxlength").unwrap_or_default();
            let count = text.chars().count().to_string();
            counter.set_text_content(Some(&[&count, " / ", &max].concat()));
        }
        ctx.flow.update(|f| f.set_text(&q, text));
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
        // Gives focus back to the page too.
        crate::unmount();
    }
}

/// Validates, then POSTs the response (reusing its id on a retry).
fn submit(ctx: Ctx, form: Element) {
    let Ctx {
        flow,
        stage,
        notice,
        response_id,
        ..
    } = ctx;
    if stage.get_untracked() == Stage::Sending {
        return;
    }
    if let Some(Err(first)) = flow.try_update(Flow::validate) {
        notice.set(Some(Notice::FixErrors));
        dom::after_render(move || dom::focus_question(&form, &first));
        return;
    }
    // One id per widget: a retry after a network failure reuses it, so the
    // collector can recognise a response it already committed.
    let Some(id) = response_id.get_value().or_else(delivery::new_response_id) else {
        notice.set(Some(Notice::CannotSubmit));
        return;
    };
    response_id.set_value(Some(id));
    let url = ctx.url("/v1/responses");
    let shown_at = ctx.send.with_value(|(_, at)| at.clone());
    let timing = Timing {
        shown_at: Some(shown_at),
        submitted_at: Some(delivery::now_rfc3339()),
    };
    let body = flow.with_untracked(|f| json::to_string(&f.payload(id, timing).to_json()));
    notice.set(None);
    stage.set(Stage::Sending);
    // Found now: if the page hides the widget while the answer is on its
    // way, the form leaves the shadow root, but `submitted` is still owed.
    let host = dom::host_of(&form);
    delivery::send(url, body, id, move |outcome| {
        finish(ctx, outcome, id, &form, host)
    });
}

/// Applies the collector's answer to the widget state (`host`: the
/// widget's host element, to report `manyi:submitted` on).
fn finish(ctx: Ctx, outcome: Outcome, id: ResponseId, form: &Element, host: Option<Element>) {
    let Ctx {
        flow,
        stage,
        notice,
        ..
    } = ctx;
    let retry = |n: Notice| {
        stage.set(Stage::Answering);
        notice.set(Some(n));
    };
    match outcome {
        Outcome::Accepted => {
            // The form goes away with the thank-you screen: hold on to the
            // panel and host before it does.
            let panel = form.parent_element();
            if let Some(host) = host {
                dom::dispatch(&host, "manyi:submitted", Some(&String::from(id)));
            }
            stage.set(Stage::Thanks);
            if let Some(panel) = panel {
                dom::after_render(move || dom::focus_in(&panel, "[data-thanks]"));
            }
        }
        Outcome::Invalid(errors) => {
            stage.set(Stage::Answering);
            let errors = delivery::or_general(errors);
            match flow.try_update(|f| f.set_errors(&errors)).flatten() {
                Some(first) if !first.is_empty() => {
                    notice.set(Some(Notice::FixErrors));
                    let form = form.clone();
                    dom::after_render(move || dom::focus_question(&form, &first));
                }
                _ => notice.set(Some(Notice::CannotSubmit)),
            }
        }
        Outcome::AlreadyAnswered => retry(Notice::AlreadyAnswered),
        Outcome::Refused => retry(Notice::CannotSubmit),
        // Not stored on the device either: the respondent may try again.
        Outcome::RetryLater => retry(Notice::RetryLater),
    }
}
