//! What the analysis looks at in one stored response: its rating answers
//! (with their kind and scale) and its free texts, read from the stored
//! `answers` JSON against the survey version it answered.

use manyi_shared::{QuestionKind, Survey};
use serde_json::Value;

/// The kind of a rating question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScoreKind {
    /// Likert agreement, 1..=5 or 1..=7.
    Likert,
    /// Net Promoter Score, 0..=10.
    Nps,
    /// Customer satisfaction, 1..=5.
    Csat,
    /// Customer effort, 1..=7 (7 = very easy).
    Ces,
}

impl ScoreKind {
    /// Every kind.
    pub const ALL: [ScoreKind; 4] = [
        ScoreKind::Likert,
        ScoreKind::Nps,
        ScoreKind::Csat,
        ScoreKind::Ces,
    ];

    /// The question `type` name: `likert`, `nps`, `csat`, `ces`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreKind::Likert => "likert",
            ScoreKind::Nps => "nps",
            ScoreKind::Csat => "csat",
            ScoreKind::Ces => "ces",
        }
    }

    /// Parses [`ScoreKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Its name in case reasons: `NPS`, `CSAT`, `CES`, `Likert`.
    pub fn label(self) -> &'static str {
        match self {
            ScoreKind::Likert => "Likert",
            ScoreKind::Nps => "NPS",
            ScoreKind::Csat => "CSAT",
            ScoreKind::Ces => "CES",
        }
    }

    /// The widest scale of the kind (Likert may have 5 or 7 points), to
    /// check rule thresholds against.
    pub fn widest_scale(self) -> (i64, i64) {
        match self {
            ScoreKind::Likert | ScoreKind::Ces => (1, 7),
            ScoreKind::Nps => (0, 10),
            ScoreKind::Csat => (1, 5),
        }
    }

    fn of(kind: &QuestionKind) -> Option<Self> {
        match kind {
            QuestionKind::Likert { .. } => Some(ScoreKind::Likert),
            QuestionKind::Nps { .. } => Some(ScoreKind::Nps),
            QuestionKind::Csat { .. } => Some(ScoreKind::Csat),
            QuestionKind::Ces { .. } => Some(ScoreKind::Ces),
            _ => None,
        }
    }
}

/// One answered rating question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    /// The question's kind.
    pub kind: ScoreKind,
    /// The answer.
    pub value: i64,
    /// The scale's lowest point.
    pub min: i64,
    /// The scale's highest point.
    pub max: i64,
}

impl Score {
    /// A score on `kind`'s scale (Likert: 5 points).
    pub fn new(kind: ScoreKind, value: i64) -> Self {
        let (min, max) = match kind {
            ScoreKind::Likert => (1, 5),
            other => other.widest_scale(),
        };
        Self {
            kind,
            value,
            min,
            max,
        }
    }
}

/// The rating answers and free texts of one response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    /// Answered rating questions, in survey order.
    pub scores: Vec<Score>,
    /// Free texts (text answers and "other" texts), in survey order.
    pub texts: Vec<String>,
    /// How many questions were answered.
    pub answered: usize,
}

/// Reads the stored `answers` object against `survey` (the version it
/// answered). Answers were validated at ingest, so a shape that does not
/// fit is skipped rather than reported. Without the survey (a definition
/// that no longer parses) only the texts are found: every string answer and
/// `other_text`.
pub fn read(answers: &Value, survey: Option<&Survey>) -> Answers {
    let mut out = Answers::default();
    let Some(map) = answers.as_object() else {
        return out;
    };
    out.answered = map.values().filter(|v| !v.is_null()).count();
    match survey {
        Some(survey) => {
            for question in &survey.questions {
                let Some(raw) = map.get(question.id.as_str()) else {
                    continue;
                };
                if let (Some(kind), Some((min, max))) =
                    (ScoreKind::of(&question.kind), question.kind.scale())
                {
                    if let Some(value) = raw.as_i64() {
                        out.scores.push(Score {
                            kind,
                            value,
                            min,
                            max,
                        });
                    }
                } else if matches!(question.kind, QuestionKind::Text { .. }) {
                    push_texts(raw, &mut out.texts);
                } else if raw.is_object() {
                    // A choice with "other": only its free text.
                    push_texts(raw, &mut out.texts);
                }
            }
        }
        None => {
            for raw in map.values() {
                push_texts(raw, &mut out.texts);
            }
        }
    }
    out
}

/// A text answer is a string; a choice with "other" is an object with
/// `other_text`. (Without the survey, a plain string may also be a choice's
/// option id: reading it as text is harmless, ids are ASCII identifiers.)
fn push_texts(raw: &Value, texts: &mut Vec<String>) {
    match raw {
        Value::String(s) if !s.trim().is_empty() => texts.push(s.clone()),
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get("other_text")
                && !s.trim().is_empty()
            {
                texts.push(s.clone());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn survey() -> Survey {
        serde_json::from_value(json!({
            "id": "s", "version": 1, "default_locale": "en", "locales": ["en"],
            "title": {"en": "t"}, "thank_you": {"en": "t"},
            "questions": [
                {"id": "q1", "type": "likert", "points": 7, "text": {"en": "q"}},
                {"id": "nps", "type": "nps", "text": {"en": "q"}},
                {"id": "why", "type": "single_choice", "allow_other": true, "text": {"en": "q"},
                 "options": [{"id": "slow", "label": {"en": "Slow"}}]},
                {"id": "many", "type": "multi_choice", "allow_other": true, "text": {"en": "q"},
                 "options": [{"id": "slow", "label": {"en": "Slow"}}]},
                {"id": "comment", "type": "text", "max_length": 500, "text": {"en": "q"}}
            ]
        }))
        .expect("survey")
    }

    #[test]
    fn scores_keep_their_scale_and_texts_come_from_text_and_other() {
        let s = survey();
        let a = read(
            &json!({"q1": 6, "nps": 3, "why": "slow",
                    "many": {"choices": ["slow", "other"], "other_text": "rude driver"},
                    "comment": "物流太慢"}),
            Some(&s),
        );
        assert_eq!(
            a.scores,
            vec![
                Score {
                    kind: ScoreKind::Likert,
                    value: 6,
                    min: 1,
                    max: 7
                },
                Score {
                    kind: ScoreKind::Nps,
                    value: 3,
                    min: 0,
                    max: 10
                },
            ]
        );
        // The plain option id "slow" of a single choice is not free text.
        assert_eq!(
            a.texts,
            vec!["rude driver".to_owned(), "物流太慢".to_owned()]
        );
        assert_eq!(a.answered, 5);
    }

    #[test]
    fn without_the_survey_only_texts_are_read() {
        let a = read(&json!({"nps": 3, "comment": "refund please"}), None);
        assert_eq!(a.scores, vec![]);
        assert_eq!(a.texts, vec!["refund please".to_owned()]);
    }

    #[test]
    fn kinds_round_trip() {
        for k in ScoreKind::ALL {
            assert_eq!(ScoreKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ScoreKind::parse("text"), None);
    }
}
