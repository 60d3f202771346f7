//! Typed answers and their JSON wire shapes.
//!
//! On the wire (`answers` in the response payload) an answer is plain JSON:
//! - rating kinds (likert, nps, csat, ces): an integer, e.g. `2`;
//! - single choice: the option id, e.g. `"slow_delivery"`, or with the
//!   free-text "other": `{"choice": "other", "other_text": "…"}`;
//! - multi choice: an array of option ids, e.g. `["slow", "rude"]`, or with
//!   "other": `{"choices": ["slow", "other"], "other_text": "…"}`;
//! - text: a string.
//!
//! `null`, blank text and an empty choice list all mean "not answered"
//! (see [`crate::rules::response_rules`]).
//!
//! The raw JSON is kept at the boundary and turned into an [`AnswerValue`]
//! against its question by [`crate::rules::parse_answer`], so a wrong shape is
//! reported per question (`wrong_type`) rather than failing the whole body.

use crate::ids::OptionId;
use crate::json::{Map, Value};

/// An answer, typed by its question's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerValue {
    /// A rating (likert, nps, csat, ces).
    Score(i64),
    /// A single choice, with the free text when `other` is chosen.
    Single {
        /// The chosen option id.
        choice: OptionId,
        /// Free text for the `other` option.
        other_text: Option<String>,
    },
    /// Several choices, with the free text when `other` is among them.
    Multi {
        /// The chosen option ids, in the order given.
        choices: Vec<OptionId>,
        /// Free text for the `other` option.
        other_text: Option<String>,
    },
    /// Free text.
    Text(String),
}

impl AnswerValue {
    /// The wire JSON for this answer.
    pub fn to_json(&self) -> Value {
        /// `{"<key>": <value>, "other_text": "…"}`.
        fn with_other(key: &str, value: Value, other_text: &str) -> Value {
            let mut m = Map::new();
            m.insert(key.to_owned(), value);
            m.insert("other_text".to_owned(), Value::from(other_text));
            Value::Object(m)
        }
        match self {
            AnswerValue::Score(n) => Value::from(*n),
            AnswerValue::Single { choice, other_text } => {
                let id = Value::from(choice.as_str());
                match other_text {
                    None => id,
                    Some(t) => with_other("choice", id, t),
                }
            }
            AnswerValue::Multi {
                choices,
                other_text,
            } => {
                let ids = choices.iter().map(|c| Value::from(c.as_str())).collect();
                let ids = Value::Array(ids);
                match other_text {
                    None => ids,
                    Some(t) => with_other("choices", ids, t),
                }
            }
            AnswerValue::Text(t) => Value::from(t.as_str()),
        }
    }

    /// Whether this is an empty answer (blank text, no choices), treated as unanswered.
    pub fn is_empty(&self) -> bool {
        match self {
            AnswerValue::Text(t) => t.trim().is_empty(),
            AnswerValue::Multi { choices, .. } => choices.is_empty(),
            _ => false,
        }
    }

    /// The score, for rating answers.
    pub fn as_score(&self) -> Option<i64> {
        match self {
            AnswerValue::Score(n) => Some(*n),
            _ => None,
        }
    }
}
