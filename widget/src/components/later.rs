//! The answer controls the first screen rarely needs — choices and free
//! text — and their input handling, in the lazily loaded `controls` chunk
//! (see [`crate::split`]). Rating scales, the usual first question, stay
//! in the main module.

// The split macro declares the chunk's import and export with
// `unsafe extern "C"` and `#[unsafe(no_mangle)]` (see `crate::split`).
#![allow(unsafe_code)]

use super::events::{note_start, question_of};
use super::{Ctx, Field, choice, text};
use leptos::__reexports::send_wrapper::SendWrapper;
use leptos::prelude::*;
use manyi_shared::{OptionId, QuestionKind};
use std::time::Duration;
use wasm_split_helpers::{SplitLoaderError, wasm_split};
use web_sys::Element;

/// How long to wait before asking for a chunk that failed to load again.
const RETRY_AFTER_MS: u64 = 1500;

#[wasm_split(controls, fallible, preload(prefetch_controls))]
fn build(field: Field, is_text: bool) -> Result<AnyView, SplitLoaderError> {
    Ok(if is_text {
        view! { <text::TextAnswer field /> }.into_any()
    } else {
        view! { <choice::Choices field /> }.into_any()
    })
}

/// Fetches the `controls` chunk ahead of need (see [`crate::split::prefetch`]).
pub async fn prefetch() -> Result<(), SplitLoaderError> {
    prefetch_controls().await
}

/// The control of a choice (`is_text == false`) or text question, rendered
/// once its chunk is loaded (at once when it already is). A signal slot
/// filled by a task rather than `Suspend`: the suspense machinery cost
/// the main module more than the controls it deferred.
///
/// A chunk that cannot be fetched is asked for again once, a moment
/// later; failing again, the widget gives up and reports `manyi:failed`
/// on its host, where the loader puts the link to the hosted survey page
/// in its place: a question without its control would be a dead end.
pub fn control(field: Field, is_text: bool) -> AnyView {
    let slot = RwSignal::new(None::<SendWrapper<AnyView>>);
    load(field, is_text, slot, false);
    (move || {
        slot.track();
        slot.try_update_untracked(Option::take)
            .flatten()
            .map(SendWrapper::take)
    })
    .into_any()
}

/// Builds the control into `slot` once the chunk is loaded; see [`control`].
fn load(field: Field, is_text: bool, slot: RwSignal<Option<SendWrapper<AnyView>>>, again: bool) {
    leptos::task::spawn_local(async move {
        match build(field.clone(), is_text).await {
            Ok(view) => slot.try_set(Some(SendWrapper::new(view))).map_or((), drop),
            Err(_) if !again => set_timeout(
                move || load(field, is_text, slot, true),
                Duration::from_millis(RETRY_AFTER_MS),
            ),
            Err(_) => crate::split::give_up(),
        }
    });
}

/// A `change` (`is_input == false`) or `input` event on `target`, handled
/// once the chunk is there: only the controls in it send these, so it
/// always is.
pub fn edit(ctx: Ctx, target: Element, is_input: bool) {
    leptos::task::spawn_local(async move {
        let _ = edit_now(ctx, target, is_input).await;
    });
}

#[wasm_split(controls, fallible)]
fn edit_now(ctx: Ctx, target: Element, is_input: bool) -> Result<(), SplitLoaderError> {
    if is_input {
        on_input(ctx, &target);
    } else {
        on_change(ctx, &target);
    }
    note_start(ctx, &target);
    Ok(())
}

/// A DOM property of `el` (e.g. an input's `value` or `checked`).
fn prop(el: &Element, name: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(el, &name.into()).unwrap_or_default()
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
