//! Free-text answers: a `textarea` (or one-line `input[type=text]`) with a
//! character counter against the question's `max_length`. Typing is
//! handled by `events`.

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
    // `maxlength` counts UTF-16 units, the rule book counts characters: the
    // browser limit is never looser than the server's. `events` updates the
    // counter (the element after the field) as the respondent types.
    let max_attr = max.to_string();
    let counter = [&initial.chars().count().to_string(), " / ", &max_attr].concat();
    let control = if multiline {
        view! {
            <textarea
                class="mq-text"
                rows="3"
                maxlength=max_attr
                placeholder=placeholder
                aria-labelledby=field.title_id.clone()
                aria-describedby=field.described_by
                aria-invalid=field.aria_invalid
                prop:value=initial
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
                aria-describedby=field.described_by
                aria-invalid=field.aria_invalid
                prop:value=initial
            />
        }
        .into_any()
    };
    view! {
        {control}
        <p class="mq-count" aria-hidden="true">{counter}</p>
    }
}
