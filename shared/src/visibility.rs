//! Which questions are shown for the answers so far.
//!
//! A question is visible when it has no `show_if`, or its condition holds over
//! the answers of earlier *visible* questions. An answer to a hidden question
//! does not count, so hiding cascades: if `reason` hides, a question shown only
//! when `reason` is answered hides too.

use crate::SortedMap;
use crate::answer::AnswerValue;
use crate::ids::QuestionId;
use crate::survey::Survey;

/// Visibility of each question, in survey order.
pub fn visible_flags(survey: &Survey, answers: &SortedMap<QuestionId, AnswerValue>) -> Vec<bool> {
    let mut flags: Vec<bool> = Vec::with_capacity(survey.questions.len());
    for q in &survey.questions {
        let visible = match &q.show_if {
            None => true,
            Some(cond) => {
                let answer_of = |id: &QuestionId| -> Option<&AnswerValue> {
                    // Conditions refer only to earlier questions (enforced by survey
                    // validation); a later or unknown reference counts as unanswered.
                    let pos = survey.questions.iter().position(|x| &x.id == id)?;
                    if pos >= flags.len() || !flags[pos] {
                        return None;
                    }
                    answers.get(id).filter(|a| !a.is_empty())
                };
                cond.eval(&answer_of)
            }
        };
        flags.push(visible);
    }
    flags
}

/// Ids of the visible questions, in survey order.
pub fn visible_questions<'s>(
    survey: &'s Survey,
    answers: &SortedMap<QuestionId, AnswerValue>,
) -> Vec<&'s QuestionId> {
    survey
        .questions
        .iter()
        .zip(visible_flags(survey, answers))
        .filter_map(|(q, v)| v.then_some(&q.id))
        .collect()
}

/// Drops answers to hidden questions (the widget does this before sending).
pub fn prune_hidden(
    survey: &Survey,
    answers: &SortedMap<QuestionId, AnswerValue>,
) -> SortedMap<QuestionId, AnswerValue> {
    let visible = visible_questions(survey, answers);
    // A loop rather than `collect`: collecting into a BTreeMap sorts, and
    // each sort instantiation costs the widget's WebAssembly ~3 KB.
    let mut kept = SortedMap::new();
    for (id, a) in answers {
        if visible.contains(&id) && !a.is_empty() {
            kept.insert(id.clone(), a.clone());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OptionId;

    /// `nps`; `why` (multi a/b/c) shown if nps ≤ 6; `more` (text) shown if
    /// `why` is answered; then the `extra` questions a test adds.
    fn survey(extra: crate::json::Value) -> Survey {
        let t = json!({"en": "x"});
        let mut questions = vec![
            json!({"id": "nps", "type": "nps", "text": t}),
            json!({"id": "why", "type": "multi_choice", "text": t,
                   "options": [{"id": "a", "label": t}, {"id": "b", "label": t}, {"id": "c", "label": t}],
                   "show_if": {"question": "nps", "op": "lte", "value": 6}}),
            json!({"id": "more", "type": "text", "text": t,
                   "show_if": {"question": "why", "op": "answered"}}),
        ];
        if let crate::json::Value::Array(extra) = extra {
            questions.extend(extra);
        }
        Survey::from_json(json!({
            "id": "s", "version": 1, "default_locale": "en", "locales": ["en"],
            "title": t, "thank_you": t, "questions": questions
        }))
        .unwrap()
    }

    fn answers(pairs: &[(&str, AnswerValue)]) -> SortedMap<QuestionId, AnswerValue> {
        pairs
            .iter()
            .map(|(id, a)| (QuestionId::parse(*id).unwrap(), a.clone()))
            .collect()
    }

    fn multi(ids: &[&str]) -> AnswerValue {
        AnswerValue::Multi {
            choices: ids.iter().map(|s| OptionId::parse(*s).unwrap()).collect(),
            other_text: None,
        }
    }

    fn visible(s: &Survey, pairs: &[(&str, AnswerValue)]) -> Vec<String> {
        visible_questions(s, &answers(pairs))
            .iter()
            .map(|q| q.to_string())
            .collect()
    }

    #[test]
    fn show_if_lte_shows_the_follow_up_only_at_or_below_the_threshold() {
        let s = survey(json!([]));
        assert_eq!(visible(&s, &[]), ["nps"]);
        assert_eq!(visible(&s, &[("nps", AnswerValue::Score(7))]), ["nps"]);
        assert_eq!(
            visible(&s, &[("nps", AnswerValue::Score(6))]),
            ["nps", "why"]
        );
        assert_eq!(
            visible(&s, &[("nps", AnswerValue::Score(0))]),
            ["nps", "why"]
        );
    }

    #[test]
    fn hiding_cascades_through_answered_conditions() {
        let s = survey(json!([]));
        let low = [("nps", AnswerValue::Score(3)), ("why", multi(&["a"]))];
        assert_eq!(visible(&s, &low), ["nps", "why", "more"]);
        // Raising the score hides `why`; its stale answer no longer counts, so
        // `more` (shown when `why` is answered) hides too.
        let high = [("nps", AnswerValue::Score(9)), ("why", multi(&["a"]))];
        assert_eq!(visible(&s, &high), ["nps"]);
        // An empty multi-choice answer is no answer.
        assert_eq!(
            visible(&s, &[("nps", AnswerValue::Score(3)), ("why", multi(&[]))]),
            ["nps", "why"]
        );
    }

    #[test]
    fn any_and_all_combine_conditions() {
        let s = survey(json!([
            {"id": "both", "type": "text", "text": {"en": "x"},
             "show_if": {"all": [{"question": "nps", "op": "gte", "value": 2},
                                 {"question": "why", "op": "eq", "value": "b"}]}},
            {"id": "either", "type": "text", "text": {"en": "x"},
             "show_if": {"any": [{"question": "nps", "op": "eq", "value": 0},
                                 {"question": "why", "op": "eq", "value": "c"}]}},
            {"id": "never", "type": "text", "text": {"en": "x"}, "show_if": {"any": []}},
            {"id": "always", "type": "text", "text": {"en": "x"}, "show_if": {"all": []}}
        ]));
        let v = |score, why: &[&str]| {
            visible(
                &s,
                &[("nps", AnswerValue::Score(score)), ("why", multi(why))],
            )
        };
        assert_eq!(v(3, &["b"]), ["nps", "why", "more", "both", "always"]);
        assert_eq!(v(1, &["b"]), ["nps", "why", "more", "always"]);
        assert_eq!(v(0, &["a"]), ["nps", "why", "more", "either", "always"]);
        assert_eq!(
            v(4, &["c", "b"]),
            ["nps", "why", "more", "both", "either", "always"]
        );
    }

    #[test]
    fn multi_choice_eq_means_selected_and_in_means_any_selected() {
        let s = survey(json!([
            {"id": "has_a", "type": "text", "text": {"en": "x"},
             "show_if": {"question": "why", "op": "eq", "value": "a"}},
            {"id": "lacks_a", "type": "text", "text": {"en": "x"},
             "show_if": {"question": "why", "op": "ne", "value": "a"}},
            {"id": "b_or_c", "type": "text", "text": {"en": "x"},
             "show_if": {"question": "why", "op": "in", "value": ["b", "c"]}}
        ]));
        let v = |why: &[&str]| visible(&s, &[("nps", AnswerValue::Score(2)), ("why", multi(why))]);
        assert_eq!(v(&["a"]), ["nps", "why", "more", "has_a"]);
        assert_eq!(v(&["b"]), ["nps", "why", "more", "lacks_a", "b_or_c"]);
        assert_eq!(v(&["c", "a"]), ["nps", "why", "more", "has_a", "b_or_c"]);
        // Unanswered: every comparison is false, `ne` included.
        assert_eq!(v(&[]), ["nps", "why"]);
    }

    #[test]
    fn prune_hidden_drops_hidden_and_empty_answers() {
        let s = survey(json!([]));
        let a = answers(&[
            ("nps", AnswerValue::Score(9)),
            ("why", multi(&["a"])),
            ("more", AnswerValue::Text("x".into())),
        ]);
        assert_eq!(
            prune_hidden(&s, &a),
            answers(&[("nps", AnswerValue::Score(9))])
        );
        let a = answers(&[
            ("nps", AnswerValue::Score(1)),
            ("why", multi(&["a"])),
            ("more", AnswerValue::Text(" ".into())),
        ]);
        assert_eq!(
            prune_hidden(&s, &a),
            answers(&[("nps", AnswerValue::Score(1)), ("why", multi(&["a"]))])
        );
    }
}
