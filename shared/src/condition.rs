//! `show_if` conditions: when a follow-up question is shown.
//!
//! JSON shapes:
//! - `{"question": "overall", "op": "lte", "value": 3}`
//! - `{"question": "reason", "op": "in", "value": ["slow", "rude"]}`
//! - `{"question": "comment", "op": "answered"}`
//! - `{"all": [ … ]}` / `{"any": [ … ]}`
//!
//! Semantics: a comparison on a question that is unanswered (or hidden) is
//! false, whatever the operator, except `answered` which is then false too.
//! On a multi-choice answer, `eq v` means "v is selected", `ne v` means "v is
//! not selected", and `in [..]` means "any of these is selected".

use crate::answer::AnswerValue;
use crate::ids::QuestionId;

/// A condition over earlier answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Every sub-condition holds (true when empty).
    All {
        /// Sub-conditions.
        all: Vec<Condition>,
    },
    /// At least one sub-condition holds (false when empty).
    Any {
        /// Sub-conditions.
        any: Vec<Condition>,
    },
    /// A comparison against one question's answer.
    Compare {
        /// The earlier question compared.
        question: QuestionId,
        /// The operator.
        op: CompareOp,
        /// Operand: integer for scores, option id string for choices, array for `in`;
        /// absent for `answered`.
        value: Option<crate::json::Value>,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal (for multi-choice: selected).
    Eq,
    /// Not equal (for multi-choice: not selected).
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// One of a list.
    In,
    /// The question has an answer.
    Answered,
}

impl Condition {
    /// Shorthand for a comparison with an integer operand.
    pub fn score(question: &QuestionId, op: CompareOp, value: i64) -> Self {
        Condition::Compare {
            question: question.clone(),
            op,
            value: Some(value.into()),
        }
    }

    /// Every question id this condition refers to.
    pub fn referenced_questions(&self) -> Vec<&QuestionId> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a QuestionId>) {
        match self {
            Condition::All { all: cs } | Condition::Any { any: cs } => {
                cs.iter().for_each(|c| c.collect_refs(out))
            }
            Condition::Compare { question, .. } => out.push(question),
        }
    }

    /// Evaluates the condition; `answer_of` returns the current answer of a
    /// *visible* question (hidden and unanswered questions give `None`).
    pub fn eval<'a>(&self, answer_of: &impl Fn(&QuestionId) -> Option<&'a AnswerValue>) -> bool {
        match self {
            Condition::All { all } => all.iter().all(|c| c.eval(answer_of)),
            Condition::Any { any } => any.iter().any(|c| c.eval(answer_of)),
            Condition::Compare {
                question,
                op,
                value,
            } => match answer_of(question) {
                None => false,
                Some(answer) => compare(answer, *op, value.as_ref()),
            },
        }
    }
}

fn compare(answer: &AnswerValue, op: CompareOp, value: Option<&crate::json::Value>) -> bool {
    use crate::json::Value;
    if op == CompareOp::Answered {
        return true;
    }
    let Some(value) = value else { return false };
    match answer {
        AnswerValue::Score(n) => {
            let n = *n;
            match (op, value) {
                (CompareOp::In, Value::Array(items)) => items.iter().any(|v| v.as_i64() == Some(n)),
                (_, v) => match v.as_i64() {
                    Some(x) => match op {
                        CompareOp::Eq => n == x,
                        CompareOp::Ne => n != x,
                        CompareOp::Lt => n < x,
                        CompareOp::Lte => n <= x,
                        CompareOp::Gt => n > x,
                        CompareOp::Gte => n >= x,
                        CompareOp::In | CompareOp::Answered => false,
                    },
                    None => false,
                },
            }
        }
        AnswerValue::Single { choice, .. } => {
            let c = choice.as_str();
            match (op, value) {
                (CompareOp::Eq, Value::String(s)) => c == s,
                (CompareOp::Ne, Value::String(s)) => c != s,
                (CompareOp::In, Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(c)),
                _ => false,
            }
        }
        AnswerValue::Multi { choices, .. } => {
            let has = |s: &str| choices.iter().any(|c| c.as_str() == s);
            match (op, value) {
                (CompareOp::Eq, Value::String(s)) => has(s),
                (CompareOp::Ne, Value::String(s)) => !has(s),
                (CompareOp::In, Value::Array(items)) => {
                    items.iter().filter_map(Value::as_str).any(has)
                }
                _ => false,
            }
        }
        AnswerValue::Text(t) => match (op, value) {
            (CompareOp::Eq, Value::String(s)) => t == s,
            (CompareOp::Ne, Value::String(s)) => t != s,
            _ => false,
        },
    }
}
