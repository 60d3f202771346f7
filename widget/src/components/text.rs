//! Free-text answers: a `textarea` (or one-line `input[type=text]`) with a
//! character counter against the question's `max_length`.

use super::Field;
use leptos::prelude::*;
use manyi_shared::{AnswerValue, QuestionKind};

/// A text question's field and counter.
#[component]
pub fn TextAnswer(
    /// The question and its wiring.
    field: Field,
) -> impl IntoView {
    let q = field.question.clone();
    let flow = field.flow;
    let (max, multiline, placeholder) = match &q.kind {
        QuestionKind::Text {
            max_length,
            multiline,
            placeholder,
        } => (
            *max_length,
            *multiline,
            placeholder.as_ref().map(|p| field.tr(p)),
        ),
        _ => (1000, true, None),
    };
    // The DOM owns the text while typing; the flow mirrors it. Only the
    // initial value (an answer kept while the question was hidden) is set.
    let initial = flow.with_untracked(|f| match f.answer(q.id.as_str()) {
        Some(AnswerValue::Text(t)) => t.clone(),
        _ => String::new(),
    });
    let count = RwSignal::new(initial.chars().count());
    let id = q.id.clone();
    let on_input = move |ev: web_sys::Event| {
        let text = event_target_value(&ev);
        count.set(text.chars().count());
        flow.update(|f| f.set_text(&id, text));
    };
    // `maxlength` counts UTF-16 units, the rule book counts characters: the
    // browser limit is never looser than the server's.
    let max_attr = max.to_string();
    let control = if multiline {
        view! {
            <textarea
                class="mq-text"
                rows="3"
                maxlength=max_attr
                placeholder=placeholder
                aria-labelledby=field.title_id.clone()
                aria-describedby=field.described_by()
                aria-invalid=field.aria_invalid()
                prop:value=initial
                on:input=on_input
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                type="text"
                class="mq-text"
                maxlength=max_attr
                placeholder=placeholder
                aria-labelledby=field.title_id.clone()
                aria-describedby=field.described_by()
                aria-invalid=field.aria_invalid()
                prop:value=initial
                on:input=on_input
            />
        }
        .into_any()
    };
    view! {
        {control}
        <p class="mq-count" aria-hidden="true">{move || count.get()} " / " {max}</p>
    }
}
