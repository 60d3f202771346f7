//! Rating scales (NPS 0–10, CSAT 1–5, CES 1–7, Likert 5/7) as a WAI-ARIA
//! radio group: one tab stop (roving `tabindex`), arrow keys and Home/End
//! move and select, Space/Enter select (native button click). The clicks
//! and keys are handled by `events`.

use super::Field;
use crate::i18n::{self, Text};
use leptos::prelude::*;
use manyi_shared::{AnswerValue, Question, QuestionKind};

/// The label of each point (`""` where a point has none) for screen
/// readers, and the two end labels shown under the scale.
fn scale_texts(field: &Field, q: &Question) -> (Vec<String>, String, String) {
    let locale = field.locale;
    let own = |labels: &Option<Vec<manyi_shared::LocalizedText>>, points: u8| -> Vec<String> {
        match labels {
            Some(ls) => ls.iter().map(|l| field.tr(l)).collect(),
            None => i18n::satisfaction_labels(locale, points)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        }
    };
    let ends = |n: usize, low: String, high: String| {
        let mut v = vec![String::new(); n];
        if let Some(first) = v.first_mut() {
            first.clone_from(&low);
        }
        if let Some(last) = v.last_mut() {
            last.clone_from(&high);
        }
        (v, low, high)
    };
    let with_ends = |v: Vec<String>| {
        let low = v.first().cloned().unwrap_or_default();
        let high = v.last().cloned().unwrap_or_default();
        (v, low, high)
    };
    match &q.kind {
        QuestionKind::Likert { points, labels } => with_ends(own(labels, *points)),
        QuestionKind::Csat { labels } => with_ends(own(labels, 5)),
        QuestionKind::Nps {
            low_label,
            high_label,
        } => {
            let pick = |l: &Option<manyi_shared::LocalizedText>, t: Text| {
                l.as_ref()
                    .map_or_else(|| i18n::text(locale, t).to_owned(), |l| field.tr(l))
            };
            ends(
                11,
                pick(low_label, Text::NotLikely),
                pick(high_label, Text::VeryLikely),
            )
        }
        QuestionKind::Ces { .. } => ends(
            7,
            i18n::text(locale, Text::VeryDifficult).to_owned(),
            i18n::text(locale, Text::VeryEasy).to_owned(),
        ),
        _ => (Vec::new(), String::new(), String::new()),
    }
}

/// A rating question's scale: `[role=radiogroup]` of `[role=radio]` buttons
/// carrying `data-value`, with the end labels underneath.
#[component]
pub fn RatingScale(
    /// The question and its wiring.
    field: Field,
) -> impl IntoView {
    let q = field.question.clone();
    let flow = field.flow;
    let (min, max) = q.kind.scale().unwrap_or((1, 5));
    let (labels, low, high) = scale_texts(&field, &q);
    let qid = q.id.clone();
    let current =
        Memo::new(move |_| flow.with(|f| f.answer(qid.as_str()).and_then(AnswerValue::as_score)));

    let radios = (min..=max)
        .map(|v| {
            let value = v.to_string();
            let label = labels
                .get(usize::try_from(v - min).unwrap_or(usize::MAX))
                .filter(|l| !l.is_empty())
                .map(|l| [value.as_str(), " ", l].concat());
            let data = value.clone();
            // `Option<&str>` although always `Some`: one signal type for
            // every reactive text in the widget (see the module docs of
            // `components`).
            let checked = Signal::derive(move || {
                Some(if current.get() == Some(v) {
                    "true"
                } else {
                    "false"
                })
            });
            let tabindex = Signal::derive(move || {
                Some(if current.get().unwrap_or(min) == v {
                    "0"
                } else {
                    "-1"
                })
            });
            view! {
                <button
                    type="button"
                    role="radio"
                    class="mq-r"
                    data-value=data
                    aria-label=label
                    aria-checked=checked
                    tabindex=tabindex
                >
                    {value}
                </button>
            }
        })
        .collect_view();

    let class = match max - min + 1 {
        11 => "mq-scale mq-n11",
        7 => "mq-scale mq-n7",
        _ => "mq-scale mq-n5",
    };
    view! {
        <div
            role="radiogroup"
            class=class
            aria-labelledby=field.title_id.clone()
            aria-describedby=field.described_by
            aria-invalid=field.aria_invalid
        >
            {radios}
        </div>
        <div class="mq-ends" aria-hidden="true">
            <span>{low}</span>
            <span>{high}</span>
        </div>
    }
}
