//! Which questions are shown for the answers so far.
//!
//! A question is visible when it has no `show_if`, or its condition holds over
//! the answers of earlier *visible* questions. An answer to a hidden question
//! does not count, so hiding cascades: if `reason` hides, a question shown only
//! when `reason` is answered hides too.

use crate::answer::AnswerValue;
use crate::ids::QuestionId;
use crate::survey::Survey;
use std::collections::BTreeMap;

/// Visibility of each question, in survey order.
pub fn visible_flags(survey: &Survey, answers: &BTreeMap<QuestionId, AnswerValue>) -> Vec<bool> {
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
    answers: &BTreeMap<QuestionId, AnswerValue>,
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
    answers: &BTreeMap<QuestionId, AnswerValue>,
) -> BTreeMap<QuestionId, AnswerValue> {
    let visible = visible_questions(survey, answers);
    answers
        .iter()
        .filter(|(id, a)| visible.contains(id) && !a.is_empty())
        .map(|(id, a)| (id.clone(), a.clone()))
        .collect()
}
