//! Single choice (radio inputs) and multi choice (checkboxes, honouring
//! `max_selections` by disabling the rest), each with an optional "other"
//! option and its free-text field (`input[data-other]`). Changes and typing
//! are handled by `events`.

use super::Field;
use crate::i18n::{self, Text};
use leptos::prelude::*;
use manyi_shared::QuestionKind;
use manyi_shared::survey::OTHER_OPTION;

/// Longest "other" text accepted by the field.
const OTHER_MAX: &str = "200";

/// A choice question's options as native inputs inside their labels.
#[component]
pub fn Choices(
    /// The question and its wiring.
    field: Field,
) -> impl IntoView {
    let q = field.question.clone();
    let flow = field.flow;
    let locale = field.locale;
    let (options, allow_other, multi, max) = match &q.kind {
        QuestionKind::SingleChoice {
            options,
            allow_other,
        } => (options.as_slice(), *allow_other, false, None),
        QuestionKind::MultiChoice {
            options,
            allow_other,
            max_selections,
        } => (options.as_slice(), *allow_other, true, *max_selections),
        _ => (&[][..], false, false, None),
    };
    let mut items: Vec<(String, String)> = options
        .iter()
        .map(|o| (o.id.as_str().to_owned(), field.tr(&o.label)))
        .collect();
    if allow_other {
        items.push((
            OTHER_OPTION.to_owned(),
            i18n::text(locale, Text::Other).to_owned(),
        ));
    }
    let kind = if multi { "checkbox" } else { "radio" };
    let name = ["mq-", q.id.as_str()].concat();

    let rows = items
        .into_iter()
        .map(|(option, label)| {
            let (q1, q2) = (q.clone(), q.clone());
            let (o1, o2) = (option.clone(), option.clone());
            let checked = Memo::new(move |_| flow.with(|f| f.is_selected(q1.id.as_str(), &o1)));
            let disabled = Memo::new(move |_| flow.with(|f| f.choice_disabled(&q2, &o2)));
            view! {
                <label class="mq-opt">
                    <input
                        type=kind
                        name=name.clone()
                        value=option
                        prop:checked=checked
                        prop:disabled=disabled
                    />
                    <span>{label}</span>
                </label>
            }
        })
        .collect_view();

    let other = allow_other.then(|| {
        let q1 = q.clone();
        let disabled = Memo::new(move |_| flow.with(|f| f.choice_disabled(&q1, OTHER_OPTION)));
        let initial = flow.with_untracked(|f| f.other_text(q.id.as_str()).to_owned());
        view! {
            <input
                type="text"
                class="mq-other"
                data-other=""
                maxlength=OTHER_MAX
                aria-label=[i18n::text(locale, Text::Other), ": ", i18n::text(locale, Text::OtherPlaceholder)].concat()
                placeholder=i18n::text(locale, Text::OtherPlaceholder)
                prop:value=initial
                prop:disabled=disabled
            />
        }
    });

    view! {
        <div
            role="group"
            class="mq-choices"
            aria-labelledby=field.title_id.clone()
            aria-describedby=field.described_by
            aria-invalid=field.aria_invalid
        >
            {max.map(|m| view! { <p class="mq-help">{i18n::at_most(locale, m)}</p> })}
            {rows}
            {other}
        </div>
    }
}
