//! Property tests of the rule book, through the public API only.
//!
//! Surveys are generated valid by construction (every kind, `other`,
//! `max_selections`, conditions on earlier questions wrapped in `all`/`any`),
//! together with one candidate answer per question. A customer is simulated by
//! walking the survey in order and answering only what is visible: required
//! questions always, optional ones when the generated coin says so.

use manyi_shared::json::{self, Value};
use manyi_shared::survey::{CesDirection, OTHER_OPTION};
use manyi_shared::visibility::visible_flags;
use manyi_shared::{
    AnswerValue, ChoiceOption, CompareOp, Condition, ErrorCode, Locale, LocalizedText, OptionId,
    Question, QuestionId, QuestionKind, ResponseId, ResponsePayload, SiteKey, Survey, SurveyId,
    parse_answer, validate_response, validate_survey,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// `serde_json::json!`, producing this crate's [`Value`] (serde_json's or the
/// own one, whichever the build has) by way of JSON text.
macro_rules! json {
    ($($t:tt)*) => {
        json::parse(&serde_json::json!($($t)*).to_string()).expect("test JSON")
    };
}
use std::collections::BTreeMap;

/// The shape of one generated question; [`build`] turns it into a valid one.
#[derive(Debug, Clone)]
struct QSpec {
    kind: u8,
    required: bool,
    n_options: usize,
    allow_other: bool,
    max_selections: Option<u8>,
    seven_points: bool,
    labels: bool,
    max_length: u32,
    multiline: bool,
    cond: Option<CondSpec>,
}

/// A condition on an earlier question: which one, which operator, which
/// operand, and whether to wrap it in `all` / `any`.
#[derive(Debug, Clone)]
struct CondSpec {
    target: Index,
    op: u8,
    operand: Index,
    wrap: u8,
}

fn qspec() -> impl Strategy<Value = QSpec> {
    let cond = (any::<Index>(), any::<u8>(), any::<Index>(), 0u8..3).prop_map(
        |(target, op, operand, wrap)| CondSpec {
            target,
            op,
            operand,
            wrap,
        },
    );
    (
        0u8..7,
        any::<bool>(),
        1usize..5,
        any::<bool>(),
        proptest::option::of(any::<u8>()),
        any::<bool>(),
        any::<bool>(),
        1u32..40,
        any::<bool>(),
        proptest::option::of(cond),
    )
        .prop_map(
            |(
                kind,
                required,
                n_options,
                allow_other,
                max_selections,
                seven_points,
                labels,
                max_length,
                multiline,
                cond,
            )| QSpec {
                kind,
                required,
                n_options,
                allow_other,
                max_selections,
                seven_points,
                labels,
                max_length,
                multiline,
                cond,
            },
        )
}

/// Option ids a customer can pick: the options, plus `other` when offered.
fn choosable(options: &[ChoiceOption], allow_other: bool) -> Vec<OptionId> {
    let mut ids: Vec<OptionId> = options.iter().map(|o| o.id.clone()).collect();
    if allow_other {
        ids.push(OptionId::parse(OTHER_OPTION).unwrap());
    }
    ids
}

/// A valid condition on `target` (an earlier question) following `c`.
fn condition(target: &Question, c: &CondSpec) -> Condition {
    let q = target.id.clone();
    let cmp = |op, value: Option<Value>| Condition::Compare {
        question: q.clone(),
        op,
        value,
    };
    let base = if let Some((lo, hi)) = target.kind.scale() {
        let range: Vec<i64> = (lo..=hi).collect();
        let v = *c.operand.get(&range);
        match c.op % 8 {
            0 => cmp(CompareOp::Eq, Some(json!(v))),
            1 => cmp(CompareOp::Ne, Some(json!(v))),
            2 => cmp(CompareOp::Lt, Some(json!(v))),
            3 => cmp(CompareOp::Lte, Some(json!(v))),
            4 => cmp(CompareOp::Gt, Some(json!(v))),
            5 => cmp(CompareOp::Gte, Some(json!(v))),
            6 => cmp(CompareOp::In, Some(json!([v, lo]))),
            _ => cmp(CompareOp::Answered, None),
        }
    } else {
        match &target.kind {
            QuestionKind::SingleChoice {
                options,
                allow_other,
            }
            | QuestionKind::MultiChoice {
                options,
                allow_other,
                ..
            } => {
                let ids = choosable(options, *allow_other);
                let v = c.operand.get(&ids).as_str();
                match c.op % 4 {
                    0 => cmp(CompareOp::Eq, Some(json!(v))),
                    1 => cmp(CompareOp::Ne, Some(json!(v))),
                    2 => cmp(CompareOp::In, Some(json!([v]))),
                    _ => cmp(CompareOp::Answered, None),
                }
            }
            _ => match c.op % 3 {
                0 => cmp(CompareOp::Eq, Some(json!("x"))),
                1 => cmp(CompareOp::Ne, Some(json!("x"))),
                _ => cmp(CompareOp::Answered, None),
            },
        }
    };
    match c.wrap {
        0 => base,
        1 => Condition::All {
            all: vec![base, cmp(CompareOp::Answered, None)],
        },
        _ => Condition::Any {
            any: vec![cmp(CompareOp::Answered, None), base],
        },
    }
}

/// Builds a survey that is valid by construction.
fn build(specs: &[QSpec], locale_mask: u8) -> Survey {
    let locales: Vec<Locale> = Locale::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| locale_mask & (1 << i) != 0)
        .map(|(_, l)| *l)
        .collect();
    let text = |s: &str| LocalizedText(locales.iter().map(|l| (*l, format!("{s} {l}"))).collect());
    let mut questions: Vec<Question> = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let options: Vec<ChoiceOption> = (0..spec.n_options)
            .map(|k| ChoiceOption {
                id: OptionId::parse(format!("o{k}")).unwrap(),
                label: text(&format!("option {k}")),
            })
            .collect();
        let kind = match spec.kind {
            0 => {
                let points = if spec.seven_points { 7 } else { 5 };
                let labels = spec
                    .labels
                    .then(|| (1..=points).map(|p| text(&format!("point {p}"))).collect());
                QuestionKind::Likert { points, labels }
            }
            1 => QuestionKind::Nps {
                low_label: spec.labels.then(|| text("low")),
                high_label: spec.labels.then(|| text("high")),
            },
            2 => QuestionKind::Csat {
                labels: spec
                    .labels
                    .then(|| (1..=5).map(|p| text(&format!("csat {p}"))).collect()),
            },
            3 => QuestionKind::Ces {
                direction: CesDirection::default(),
            },
            4 => QuestionKind::SingleChoice {
                options,
                allow_other: spec.allow_other,
            },
            5 => {
                let choosable = spec.n_options as u8 + u8::from(spec.allow_other);
                QuestionKind::MultiChoice {
                    options,
                    allow_other: spec.allow_other,
                    max_selections: spec.max_selections.map(|m| 1 + m % choosable),
                }
            }
            _ => QuestionKind::Text {
                max_length: spec.max_length,
                multiline: spec.multiline,
                placeholder: spec.labels.then(|| text("placeholder")),
            },
        };
        let show_if = match (&spec.cond, i) {
            (Some(c), 1..) => Some(condition(c.target.get(&questions), c)),
            _ => None,
        };
        questions.push(Question {
            id: QuestionId::parse(format!("q{i}")).unwrap(),
            text: text("question"),
            help: spec.labels.then(|| text("help")),
            required: spec.required,
            dimension: None,
            show_if,
            kind,
        });
    }
    Survey {
        id: SurveyId::parse("generated").unwrap(),
        version: 1,
        default_locale: locales[0],
        locales: locales.clone(),
        title: text("title"),
        intro: None,
        thank_you: text("thanks"),
        questions,
        theme: Default::default(),
        display: Default::default(),
    }
}

/// Characters customers type, including multi-byte ones and JSON specials.
fn line_char() -> impl Strategy<Value = char> {
    select(vec![
        'a', 'Z', '0', ' ', '满', '意', 'é', '😀', '|', '"', '\\', '\u{200b}',
    ])
}

/// A string of 1..=`max` characters, starting with a non-blank one so that it
/// counts as an answer; line breaks and tabs only when multiline.
fn text_answer(max: usize, multiline: bool) -> BoxedStrategy<String> {
    let mut pool = vec!['a', ' ', '满', '😀', '"', '<'];
    if multiline {
        pool.extend(['\n', '\r', '\t']);
    }
    (
        select(vec!['x', '意', '😀']),
        proptest::collection::vec(select(pool), 0..max),
    )
        .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect())
        .boxed()
}

fn other_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        proptest::collection::vec(line_char(), 0..=200).prop_map(|cs| cs.into_iter().collect()),
    )
}

/// A valid, non-empty answer to `q`.
fn answer_to(q: &Question) -> BoxedStrategy<AnswerValue> {
    let other = OptionId::parse(OTHER_OPTION).unwrap();
    match &q.kind {
        QuestionKind::SingleChoice {
            options,
            allow_other,
        } => {
            let ids = choosable(options, *allow_other);
            (select(ids), other_text())
                .prop_map(move |(choice, text)| {
                    let other_text = if choice == other { text } else { None };
                    AnswerValue::Single { choice, other_text }
                })
                .boxed()
        }
        QuestionKind::MultiChoice {
            options,
            allow_other,
            max_selections,
        } => {
            let ids = choosable(options, *allow_other);
            let limit = max_selections.map_or(ids.len(), usize::from).min(ids.len());
            (Just(ids).prop_shuffle(), 1..=limit, other_text())
                .prop_map(move |(mut ids, k, text)| {
                    ids.truncate(k);
                    let other_text = if ids.contains(&other) { text } else { None };
                    AnswerValue::Multi {
                        choices: ids,
                        other_text,
                    }
                })
                .boxed()
        }
        QuestionKind::Text {
            max_length,
            multiline,
            ..
        } => text_answer(*max_length as usize, *multiline)
            .prop_map(AnswerValue::Text)
            .boxed(),
        rating => {
            let (lo, hi) = rating.scale().expect("the remaining kinds are ratings");
            (lo..=hi).prop_map(AnswerValue::Score).boxed()
        }
    }
}

/// A generated survey with, per question, "answer if optional" and a candidate answer.
fn case() -> impl Strategy<Value = (Survey, Vec<(bool, AnswerValue)>)> {
    (proptest::collection::vec(qspec(), 1..8), 1u8..8).prop_flat_map(|(specs, mask)| {
        let survey = build(&specs, mask);
        let candidates: Vec<_> = survey
            .questions
            .iter()
            .map(|q| (any::<bool>(), answer_to(q)))
            .collect();
        (Just(survey), candidates)
    })
}

/// What a customer ends up submitting: visible questions only, in order.
fn walk(survey: &Survey, candidates: &[(bool, AnswerValue)]) -> BTreeMap<QuestionId, AnswerValue> {
    let mut answers = BTreeMap::new();
    for (i, (q, (answer_if_optional, candidate))) in
        survey.questions.iter().zip(candidates).enumerate()
    {
        // Visibility of question i depends only on the answers before it.
        let visible = visible_flags(survey, &answers)[i];
        if visible && (q.required || *answer_if_optional) {
            answers.insert(q.id.clone(), candidate.clone());
        }
    }
    answers
}

/// The response as it arrives: written as a JSON body and read back.
fn submit(survey: &Survey, answers: &BTreeMap<QuestionId, AnswerValue>) -> ResponsePayload {
    let payload = ResponsePayload {
        response_id: ResponseId::from_random_bytes([7; 16]),
        site: SiteKey::parse("demo").unwrap(),
        survey_id: survey.id.clone(),
        survey_version: survey.version,
        answers: answers
            .iter()
            .map(|(id, a)| (id.to_string(), a.to_json()))
            .collect(),
        context: Default::default(),
        timing: Default::default(),
        sig: None,
    };
    let body = json::to_string(&payload.to_json());
    ResponsePayload::from_json(json::parse(&body).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) Every generated survey publishes cleanly (also after a JSON round
    /// trip), and what a well-behaved customer submits is accepted as is.
    #[test]
    fn a_walk_through_a_valid_survey_validates((survey, candidates) in case()) {
        prop_assert_eq!(validate_survey(&survey), vec![]);
        let text = json::to_string(&survey.to_json());
        let reloaded = Survey::from_json(json::parse(&text).unwrap()).unwrap();
        prop_assert_eq!(&reloaded, &survey);
        #[cfg(feature = "serde")]
        {
            let reloaded: Survey =
                serde_json::from_str(&serde_json::to_string(&survey).unwrap()).unwrap();
            prop_assert_eq!(&reloaded, &survey);
        }

        let answers = walk(&survey, &candidates);
        prop_assert_eq!(validate_response(&survey, &submit(&survey, &answers)), Ok(answers));
    }

    /// (b) Pushing one answered rating out of its scale is rejected with
    /// exactly one error, `out_of_range`, naming that question.
    #[test]
    fn one_rating_out_of_range_is_the_only_error(
        (survey, candidates) in case(),
        which in any::<Index>(),
        beyond in 1i64..1000,
        below in any::<bool>(),
    ) {
        let answers = walk(&survey, &candidates);
        let ratings: Vec<&QuestionId> = answers
            .iter()
            .filter(|(_, a)| a.as_score().is_some())
            .map(|(id, _)| id)
            .collect();
        prop_assume!(!ratings.is_empty());
        let id = *which.get(&ratings);
        let (lo, hi) = survey.question(id.as_str()).and_then(|q| q.kind.scale()).unwrap();
        let bad = if below { lo - beyond } else { hi + beyond };

        let mut payload = submit(&survey, &answers);
        payload.answers.insert(id.to_string(), json!(bad));
        let errors = validate_response(&survey, &payload).unwrap_err();
        prop_assert_eq!(errors.len(), 1, "{:?}", errors);
        prop_assert_eq!(errors[0].question.as_str(), id.as_str());
        prop_assert_eq!(errors[0].code, ErrorCode::OutOfRange);
    }

    /// (c) `to_json` then `parse_answer` is the identity on valid answers,
    /// also through a JSON text (what actually travels).
    #[test]
    fn answer_json_round_trips((survey, candidates) in case()) {
        for (q, (_, answer)) in survey.questions.iter().zip(&candidates) {
            let wire = answer.to_json();
            prop_assert_eq!(parse_answer(q, &wire), Ok(answer.clone()));
            let back = json::parse(&json::to_string(&wire)).unwrap();
            prop_assert_eq!(parse_answer(q, &back), Ok(answer.clone()));
        }
    }
}
