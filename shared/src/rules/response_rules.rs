//! Wire answers → typed answers, and whole responses against their survey.
//!
//! [`parse_answer`] turns one raw JSON answer into an [`AnswerValue`] (the
//! wire shapes are listed in [`crate::answer`]); [`validate_response`] checks
//! a whole [`ResponsePayload`] and returns the typed answers that count.
//!
//! Decisions worth knowing:
//! - **`null` means "not answered".** Widgets may send `"comment": null` for a
//!   question the customer skipped or that became hidden; it is dropped
//!   before any other check, so it never triggers `hidden_answered`. (It does
//!   leave a required question unanswered.) [`parse_answer`] itself rejects
//!   `null` with `wrong_type`: it is not an answer.
//! - **Empty answers are "not answered" too**: blank text and an empty list of
//!   choices ([`AnswerValue::is_empty`]), as in [`crate::visibility`].
//! - **No error cascades.** An answer that fails to parse makes the visibility
//!   of questions depending on it unknowable, so those get no
//!   `hidden_answered` / `required` error: the customer fixes the one real
//!   problem first.
//! - A survey-id or version mismatch is reported alone: checking answers
//!   against a survey they were not written for would only produce noise.

use crate::SortedMap;
use crate::answer::AnswerValue;
use crate::error::{ErrorCode, ValidationError};
use crate::ids::{OptionId, QuestionId};
use crate::json::{Map, Value};
use crate::response::{Context, ResponsePayload};
use crate::survey::{ChoiceOption, OTHER_OPTION, Question, QuestionKind, Survey};
use crate::visibility::visible_flags;

/// The longest free text accepted with the `other` choice, in characters: it
/// is a one-line "please specify" field, not a comment box.
pub const OTHER_TEXT_MAX_CHARS: usize = 200;

/// The longest `context` string accepted (order id, customer, channel,
/// segment, locale), in characters.
pub const CONTEXT_MAX_CHARS: usize = 256;

/// The longest `context.page` accepted, in characters. Longer than the other
/// context fields because real page URLs carry tracking parameters (WeChat
/// share links easily pass 256), and losing a customer's answers over the
/// page URL would be the wrong trade.
pub const PAGE_MAX_CHARS: usize = 2048;

/// Parses one raw answer against its question.
///
/// The error's `question` is the question id. Shapes that do not fit the kind
/// (a float or string for a score, a number for text, `null`, unknown keys in
/// the object forms) are `wrong_type`.
pub fn parse_answer(question: &Question, raw: &Value) -> Result<AnswerValue, ValidationError> {
    let p = Parser {
        id: question.id.as_str(),
    };
    match &question.kind {
        QuestionKind::SingleChoice {
            options,
            allow_other,
        } => p.single(
            raw,
            &Choices {
                options,
                allow_other: *allow_other,
            },
        ),
        QuestionKind::MultiChoice {
            options,
            allow_other,
            max_selections,
        } => {
            let choices = Choices {
                options,
                allow_other: *allow_other,
            };
            p.multi(raw, &choices, max_selections.map(usize::from))
        }
        QuestionKind::Text {
            max_length,
            multiline,
            ..
        } => {
            let max = usize::try_from(*max_length).unwrap_or(usize::MAX);
            p.text(raw, max, *multiline)
        }
        rating => {
            // Every kind not matched above is a rating kind, which has a scale.
            let (lo, hi) = rating.scale().unwrap_or((0, -1));
            p.score(raw, lo, hi)
        }
    }
}

/// Validates a response against the survey it answers and returns the typed
/// answers of visible questions.
///
/// `survey` is assumed to have passed
/// [`validate_survey`](crate::rules::validate_survey). The `Ok` map holds only
/// visible, non-empty answers, keyed by question id; on `Err` every problem
/// found is listed (context first, then answers in survey order).
pub fn validate_response(
    survey: &Survey,
    response: &ResponsePayload,
) -> Result<SortedMap<QuestionId, AnswerValue>, Vec<ValidationError>> {
    if response.survey_id != survey.id || response.survey_version != survey.version {
        return Err(vec![ValidationError::new(
            "",
            ErrorCode::SurveyMismatch,
            format!(
                "this response answers {} version {}, not {} version {}",
                response.survey_id, response.survey_version, survey.id, survey.version
            ),
        )]);
    }
    let mut errors = check_context(&response.context);

    for key in response.answers.keys() {
        if survey.question(key).is_none() {
            errors.push(ValidationError::new(
                key.as_str(),
                ErrorCode::UnknownQuestion,
                "this survey has no such question",
            ));
        }
    }

    // Parse every answer, in survey order; `null` is "not answered".
    let n = survey.questions.len();
    let mut parsed: SortedMap<QuestionId, AnswerValue> = SortedMap::new();
    let mut failed = vec![false; n];
    for (i, q) in survey.questions.iter().enumerate() {
        match response.answers.get(q.id.as_str()) {
            None | Some(Value::Null) => {}
            Some(raw) => match parse_answer(q, raw) {
                Ok(a) => {
                    parsed.insert(q.id.clone(), a);
                }
                Err(e) => {
                    failed[i] = true;
                    errors.push(e);
                }
            },
        }
    }

    // Visibility over the answers that parsed; a failed one counts as unanswered.
    let visible = visible_flags(survey, &parsed);
    let unknowable = unknowable_visibility(survey, &visible, &failed);
    for (i, q) in survey.questions.iter().enumerate() {
        if unknowable[i] {
            continue;
        }
        let answered = parsed.get(&q.id).is_some_and(|a| !a.is_empty());
        if !visible[i] && (answered || failed[i]) {
            errors.push(ValidationError::new(
                q.id.as_str(),
                ErrorCode::HiddenAnswered,
                "this question is not shown for the other answers, so it must not be answered",
            ));
        } else if visible[i] && q.required && !answered && !failed[i] {
            errors.push(ValidationError::new(
                q.id.as_str(),
                ErrorCode::Required,
                "this question must be answered",
            ));
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let shown = |id: &QuestionId| survey.position(id.as_str()).is_some_and(|i| visible[i]);
    parsed.retain(|id, a| shown(id) && !a.is_empty());
    Ok(parsed)
}

/// Questions whose visibility depends, directly or through other conditions,
/// on a shown question whose answer failed to parse: whether they are shown
/// is unknowable until that answer is fixed.
fn unknowable_visibility(survey: &Survey, visible: &[bool], failed: &[bool]) -> Vec<bool> {
    let mut unknowable = vec![false; survey.questions.len()];
    for (i, q) in survey.questions.iter().enumerate() {
        let Some(cond) = &q.show_if else { continue };
        unknowable[i] = cond.referenced_questions().into_iter().any(|r| {
            // A hidden question's answer cannot affect anything, failed or not.
            match survey.position(r.as_str()) {
                Some(p) if p < i => unknowable[p] || (visible[p] && failed[p]),
                _ => false,
            }
        });
    }
    unknowable
}

/// `context_invalid` for each context string that is absurdly long or holds
/// control characters (log and CSV injection, broken report layouts).
fn check_context(c: &Context) -> Vec<ValidationError> {
    let fields = [
        ("order_id", &c.order_id, CONTEXT_MAX_CHARS),
        ("customer", &c.customer, CONTEXT_MAX_CHARS),
        ("channel", &c.channel, CONTEXT_MAX_CHARS),
        ("segment", &c.segment, CONTEXT_MAX_CHARS),
        ("locale", &c.locale, CONTEXT_MAX_CHARS),
        ("page", &c.page, PAGE_MAX_CHARS),
    ];
    let mut errors = Vec::new();
    for (name, value, max) in fields {
        let Some(value) = value else { continue };
        let problem = if value.chars().any(char::is_control) {
            Some("must not contain control characters".to_string())
        } else if value.chars().count() > max {
            Some(format!("must be at most {max} characters"))
        } else {
            None
        };
        if let Some(message) = problem {
            errors.push(ValidationError::new(
                format!("context.{name}"),
                ErrorCode::ContextInvalid,
                message,
            ));
        }
    }
    errors
}

/// The options a choice answer may name.
struct Choices<'a> {
    options: &'a [ChoiceOption],
    allow_other: bool,
}

/// Builds errors for one question.
struct Parser<'a> {
    id: &'a str,
}

impl Parser<'_> {
    fn err(&self, code: ErrorCode, message: impl Into<String>) -> ValidationError {
        ValidationError::new(self.id, code, message)
    }

    fn score(&self, raw: &Value, lo: i64, hi: i64) -> Result<AnswerValue, ValidationError> {
        let wrong = || {
            self.err(
                ErrorCode::WrongType,
                format!("expected an integer from {lo} to {hi}"),
            )
        };
        let Value::Number(n) = raw else {
            return Err(wrong());
        };
        match n.as_i64() {
            Some(x) if (lo..=hi).contains(&x) => Ok(AnswerValue::Score(x)),
            // Integers past i64::MAX are integers all the same: out of range.
            _ if n.is_i64() || n.is_u64() => Err(self.err(
                ErrorCode::OutOfRange,
                format!("must be from {lo} to {hi}, got {n}"),
            )),
            _ => Err(wrong()),
        }
    }

    fn single(&self, raw: &Value, c: &Choices<'_>) -> Result<AnswerValue, ValidationError> {
        let (choice, other_text) = match raw {
            Value::String(s) => (s.as_str(), None),
            Value::Object(m) => {
                self.only_keys(m, &["choice", "other_text"])?;
                let choice = m.get("choice").and_then(Value::as_str).ok_or_else(|| {
                    self.err(
                        ErrorCode::WrongType,
                        "\"choice\" must be an option id string",
                    )
                })?;
                (choice, self.other_text(m)?)
            }
            _ => return Err(self.wrong_choice_shape("an option id string")),
        };
        let choice = self.option(choice, c)?;
        self.check_other(choice.as_str() == OTHER_OPTION, other_text)?;
        Ok(AnswerValue::Single {
            choice,
            other_text: other_text.map(str::to_owned),
        })
    }

    fn multi(
        &self,
        raw: &Value,
        c: &Choices<'_>,
        max: Option<usize>,
    ) -> Result<AnswerValue, ValidationError> {
        let (items, other_text) = match raw {
            Value::Array(items) => (items, None),
            Value::Object(m) => {
                self.only_keys(m, &["choices", "other_text"])?;
                let items = m.get("choices").and_then(Value::as_array).ok_or_else(|| {
                    self.err(
                        ErrorCode::WrongType,
                        "\"choices\" must be an array of option ids",
                    )
                })?;
                (items, self.other_text(m)?)
            }
            _ => return Err(self.wrong_choice_shape("an array of option ids")),
        };
        let mut choices: Vec<OptionId> = Vec::with_capacity(items.len());
        for item in items {
            let s = item.as_str().ok_or_else(|| {
                self.err(
                    ErrorCode::WrongType,
                    "each choice must be an option id string",
                )
            })?;
            let id = self.option(s, c)?;
            if choices.contains(&id) {
                return Err(self.err(
                    ErrorCode::DuplicateChoice,
                    format!("option {:?} is selected twice", id.as_str()),
                ));
            }
            choices.push(id);
        }
        if let Some(max) = max.filter(|&max| choices.len() > max) {
            return Err(self.err(
                ErrorCode::TooManyChoices,
                format!("at most {max} choices, got {}", choices.len()),
            ));
        }
        let other_chosen = choices.iter().any(|id| id.as_str() == OTHER_OPTION);
        self.check_other(other_chosen, other_text)?;
        Ok(AnswerValue::Multi {
            choices,
            other_text: other_text.map(str::to_owned),
        })
    }

    fn text(
        &self,
        raw: &Value,
        max: usize,
        multiline: bool,
    ) -> Result<AnswerValue, ValidationError> {
        let Value::String(s) = raw else {
            return Err(self.err(ErrorCode::WrongType, "expected a string"));
        };
        // Line breaks and tabs belong in a text area; in a one-line field
        // they can only come from a script, like every other control character.
        let allowed = |ch: char| multiline && matches!(ch, '\n' | '\r' | '\t');
        if s.chars().any(|ch| ch.is_control() && !allowed(ch)) {
            let what = if multiline {
                "other than line breaks and tabs"
            } else {
                "or line breaks"
            };
            return Err(self.err(
                ErrorCode::ControlCharacters,
                format!("must not contain control characters {what}"),
            ));
        }
        let len = s.chars().count();
        if len > max {
            return Err(self.err(
                ErrorCode::TooLong,
                format!("at most {max} characters, got {len}"),
            ));
        }
        Ok(AnswerValue::Text(s.clone()))
    }

    fn wrong_choice_shape(&self, plain: &str) -> ValidationError {
        self.err(
            ErrorCode::WrongType,
            format!("expected {plain}, or an object with \"other_text\""),
        )
    }

    fn only_keys(&self, m: &Map<String, Value>, allowed: &[&str]) -> Result<(), ValidationError> {
        match m.keys().find(|k| !allowed.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(self.err(
                ErrorCode::WrongType,
                format!(
                    "unexpected key {:?} (allowed: {})",
                    truncate(k),
                    allowed.join(", ")
                ),
            )),
        }
    }

    /// `other_text` of an object answer: absent or `null` mean none.
    fn other_text<'v>(
        &self,
        m: &'v Map<String, Value>,
    ) -> Result<Option<&'v str>, ValidationError> {
        match m.get("other_text") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(t)) => Ok(Some(t)),
            Some(_) => Err(self.err(ErrorCode::WrongType, "\"other_text\" must be a string")),
        }
    }

    /// Resolves an option id; `other` only where the question offers it.
    fn option(&self, s: &str, c: &Choices<'_>) -> Result<OptionId, ValidationError> {
        if s == OTHER_OPTION {
            if !c.allow_other {
                return Err(self.err(ErrorCode::BadOther, "this question has no \"other\" choice"));
            }
            return OptionId::parse(s)
                .map_err(|e| self.err(ErrorCode::UnknownOption, e.to_string()));
        }
        c.options
            .iter()
            .find(|o| o.id.as_str() == s)
            .map(|o| o.id.clone())
            .ok_or_else(|| {
                self.err(
                    ErrorCode::UnknownOption,
                    format!("{:?} is not an option", truncate(s)),
                )
            })
    }

    /// `other_text` only with `other`, one line, at most [`OTHER_TEXT_MAX_CHARS`].
    fn check_other(&self, other_chosen: bool, text: Option<&str>) -> Result<(), ValidationError> {
        let Some(text) = text else { return Ok(()) };
        if !other_chosen {
            return Err(self.err(
                ErrorCode::BadOther,
                "\"other_text\" given without choosing \"other\"",
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(self.err(
                ErrorCode::ControlCharacters,
                "\"other_text\" must be one plain line",
            ));
        }
        let len = text.chars().count();
        if len > OTHER_TEXT_MAX_CHARS {
            return Err(self.err(
                ErrorCode::TooLong,
                format!("\"other_text\" is at most {OTHER_TEXT_MAX_CHARS} characters, got {len}"),
            ));
        }
        Ok(())
    }
}

/// Keeps echoed client input short in messages.
fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_fixtures::survey;

    fn question(id: &str) -> Question {
        survey().question(id).cloned().expect("fixture question")
    }

    fn parse(id: &str, raw: Value) -> Result<AnswerValue, ValidationError> {
        parse_answer(&question(id), &raw)
    }

    fn opt(s: &str) -> OptionId {
        OptionId::parse(s).unwrap()
    }

    /// One row per answer rejection rule: question, raw answer, expected code.
    #[test]
    fn each_answer_rule_reports_its_code_for_the_question() {
        use ErrorCode::*;
        let cases: Vec<(&str, Value, ErrorCode)> = vec![
            // ratings
            ("overall", json!("3"), WrongType),
            ("overall", json!(3.0), WrongType),
            ("overall", json!(3.5), WrongType),
            ("overall", json!(true), WrongType),
            ("overall", json!(null), WrongType),
            ("overall", json!([3]), WrongType),
            ("overall", json!(0), OutOfRange),
            ("overall", json!(6), OutOfRange),
            ("overall", json!(-1), OutOfRange),
            ("overall", json!(u64::MAX), OutOfRange),
            ("nps", json!(11), OutOfRange),
            ("nps", json!(-1), OutOfRange),
            ("effort", json!(8), OutOfRange),
            ("effort", json!(0), OutOfRange),
            ("agree", json!(6), OutOfRange),
            // single choice
            ("pick", json!("c"), UnknownOption),
            ("pick", json!("A"), UnknownOption),
            ("pick", json!("other"), BadOther),
            (
                "pick",
                json!({"choice": "other", "other_text": "x"}),
                BadOther,
            ),
            ("pick", json!({"choice": "a", "other_text": "x"}), BadOther),
            ("pick", json!({"choice": "a", "extra": 1}), WrongType),
            ("pick", json!({"choice": 1}), WrongType),
            ("pick", json!({"other_text": "x"}), WrongType),
            ("pick", json!(["a"]), WrongType),
            ("pick", json!(1), WrongType),
            // multi choice
            ("reason", json!(["fast"]), UnknownOption),
            ("reason", json!(["slow", "slow"]), DuplicateChoice),
            ("reason", json!(["slow", "rude", "price"]), TooManyChoices),
            (
                "reason",
                json!({"choices": ["slow"], "other_text": "x"}),
                BadOther,
            ),
            (
                "reason",
                json!({"choices": ["other"], "other_text": "长".repeat(201)}),
                TooLong,
            ),
            (
                "reason",
                json!({"choices": ["other"], "other_text": "a\nb"}),
                ControlCharacters,
            ),
            (
                "reason",
                json!({"choices": ["other"], "other_text": 5}),
                WrongType,
            ),
            ("reason", json!({"choices": "slow"}), WrongType),
            (
                "reason",
                json!({"choices": ["slow"], "other": "x"}),
                WrongType,
            ),
            ("reason", json!("slow"), WrongType),
            ("reason", json!([1]), WrongType),
            // text
            ("comment", json!("x".repeat(101)), TooLong),
            ("comment", json!("a\u{0}b"), ControlCharacters),
            ("comment", json!("ding\u{7}"), ControlCharacters),
            ("comment", json!("a\u{85}b"), ControlCharacters),
            ("comment", json!(5), WrongType),
            ("comment", json!(["a"]), WrongType),
            ("name", json!("a\nb"), ControlCharacters),
            ("name", json!("a\tb"), ControlCharacters),
            ("name", json!("名".repeat(21)), TooLong),
        ];
        for (id, raw, code) in cases {
            let err = parse(id, raw.clone()).expect_err(&format!("{id} = {raw} must be rejected"));
            assert_eq!(
                (err.question.as_str(), err.code),
                (id, code),
                "{id} = {raw}"
            );
        }
    }

    #[test]
    fn well_formed_answers_parse_to_their_typed_value() {
        let ok = |id: &str, raw: Value| parse(id, raw).expect("valid answer");
        assert_eq!(ok("nps", json!(0)), AnswerValue::Score(0));
        assert_eq!(ok("nps", json!(10)), AnswerValue::Score(10));
        assert_eq!(ok("effort", json!(7)), AnswerValue::Score(7));
        assert_eq!(
            ok("pick", json!("b")),
            AnswerValue::Single {
                choice: opt("b"),
                other_text: None
            }
        );
        // `null` other_text is the same as none: widgets serialise empty fields that way.
        assert_eq!(
            ok("pick", json!({"choice": "a", "other_text": null})),
            AnswerValue::Single {
                choice: opt("a"),
                other_text: None
            }
        );
        assert_eq!(
            ok(
                "reason",
                json!({"choices": ["other", "slow"], "other_text": "长".repeat(200)})
            ),
            AnswerValue::Multi {
                choices: vec![opt("other"), opt("slow")],
                other_text: Some("长".repeat(200)),
            }
        );
        // `other` may be ticked without saying what it is.
        assert_eq!(
            ok("reason", json!(["other"])),
            AnswerValue::Multi {
                choices: vec![opt("other")],
                other_text: None
            }
        );
        assert_eq!(
            ok("reason", json!([])),
            AnswerValue::Multi {
                choices: vec![],
                other_text: None
            }
        );
        assert_eq!(
            ok("comment", json!("a\r\nb\tc")),
            AnswerValue::Text("a\r\nb\tc".into())
        );
        // Lengths count characters, not UTF-8 bytes (20 × 3 bytes here).
        assert_eq!(
            ok("name", json!("名".repeat(20))),
            AnswerValue::Text("名".repeat(20))
        );
    }

    fn payload(answers: Value) -> ResponsePayload {
        ResponsePayload::from_json(json!({
            "response_id": "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "site": "demo", "survey_id": "fixture", "survey_version": 2,
            "answers": answers,
        }))
        .unwrap()
    }

    fn problems(p: &ResponsePayload) -> Vec<(String, ErrorCode)> {
        match validate_response(&survey(), p) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| (e.question, e.code)).collect(),
        }
    }

    fn one(question: &str, code: ErrorCode) -> Vec<(String, ErrorCode)> {
        vec![(question.to_string(), code)]
    }

    #[test]
    fn a_complete_response_returns_the_typed_visible_answers() {
        let p = payload(json!({
            "overall": 2, "nps": 9, "reason": ["slow"], "pick": "a",
            "comment": "late", "effort": 6, "agree": 4, "name": "Li"
        }));
        let answers = validate_response(&survey(), &p).expect("valid");
        assert_eq!(answers.len(), 8);
        assert_eq!(
            answers[&QuestionId::parse("overall").unwrap()],
            AnswerValue::Score(2)
        );
    }

    #[test]
    fn another_survey_or_version_is_a_mismatch_reported_alone() {
        let mut p = payload(json!({"overall": "bad"}));
        p.survey_version = 1;
        assert_eq!(problems(&p), one("", ErrorCode::SurveyMismatch));
        let mut p = payload(json!({}));
        p.survey_id = crate::ids::SurveyId::parse("other-survey").unwrap();
        assert_eq!(problems(&p), one("", ErrorCode::SurveyMismatch));
    }

    #[test]
    fn an_answer_to_a_question_not_in_the_survey_is_unknown_question() {
        assert_eq!(
            problems(&payload(json!({"overall": 5, "nope": 1}))),
            one("nope", ErrorCode::UnknownQuestion)
        );
    }

    #[test]
    fn an_answer_to_a_hidden_question_is_hidden_answered() {
        // overall 5 hides reason (shown for overall ≤ 3).
        assert_eq!(
            problems(&payload(json!({"overall": 5, "reason": ["slow"]}))),
            one("reason", ErrorCode::HiddenAnswered)
        );
        // Even when that hidden answer is itself malformed: both are reported.
        assert_eq!(
            problems(&payload(json!({"overall": 5, "reason": "slow"}))),
            vec![
                ("reason".to_string(), ErrorCode::WrongType),
                ("reason".to_string(), ErrorCode::HiddenAnswered),
            ]
        );
    }

    #[test]
    fn null_and_empty_answers_count_as_not_answered() {
        // Hidden questions may carry null / empty answers without complaint…
        assert_eq!(
            problems(&payload(json!({"overall": 5, "reason": null}))),
            vec![]
        );
        assert_eq!(
            problems(&payload(
                json!({"overall": 5, "reason": [], "comment": " "})
            )),
            vec![]
        );
        // …and they leave a required question unanswered.
        assert_eq!(
            problems(&payload(json!({"overall": null}))),
            one("overall", ErrorCode::Required)
        );
        assert_eq!(
            problems(&payload(json!({"overall": 1, "reason": []}))),
            one("reason", ErrorCode::Required)
        );
        // They never appear among the returned answers.
        let answers = validate_response(
            &survey(),
            &payload(json!({"overall": 4, "name": "", "nps": null})),
        )
        .unwrap();
        assert_eq!(
            answers.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["overall"]
        );
    }

    #[test]
    fn a_required_visible_question_without_an_answer_is_required() {
        assert_eq!(
            problems(&payload(json!({}))),
            one("overall", ErrorCode::Required)
        );
        // reason is required but only once shown.
        assert_eq!(problems(&payload(json!({"overall": 4}))), vec![]);
        assert_eq!(
            problems(&payload(json!({"overall": 3}))),
            one("reason", ErrorCode::Required)
        );
    }

    #[test]
    fn a_malformed_answer_does_not_cascade_into_visibility_errors() {
        // overall cannot be read, so whether reason (and comment, through it)
        // is shown is unknowable: only the real problem is reported.
        assert_eq!(
            problems(&payload(
                json!({"overall": 9, "reason": ["slow"], "comment": "x"})
            )),
            one("overall", ErrorCode::OutOfRange)
        );
    }

    #[test]
    fn every_problem_in_a_response_is_reported() {
        let mut p = payload(json!({"overall": 3, "nps": 11, "pick": "z", "effort": "7"}));
        p.context.order_id = Some("A".repeat(257));
        assert_eq!(
            problems(&p),
            vec![
                ("context.order_id".to_string(), ErrorCode::ContextInvalid),
                ("nps".to_string(), ErrorCode::OutOfRange),
                ("pick".to_string(), ErrorCode::UnknownOption),
                ("effort".to_string(), ErrorCode::WrongType),
                ("reason".to_string(), ErrorCode::Required),
            ]
        );
    }

    #[test]
    fn context_strings_must_be_short_and_free_of_control_characters() {
        let with = |edit: fn(&mut Context)| {
            let mut p = payload(json!({"overall": 5}));
            edit(&mut p.context);
            problems(&p)
        };
        assert_eq!(with(|c| c.order_id = Some("A".repeat(256))), vec![]);
        assert_eq!(
            with(|c| c.order_id = Some("A".repeat(257))),
            one("context.order_id", ErrorCode::ContextInvalid)
        );
        assert_eq!(
            with(|c| c.customer = Some("c-42\n".into())),
            one("context.customer", ErrorCode::ContextInvalid)
        );
        assert_eq!(
            with(|c| c.channel = Some("web\u{1b}[31m".into())),
            one("context.channel", ErrorCode::ContextInvalid)
        );
        assert_eq!(
            with(|c| c.segment = Some("v".repeat(300))),
            one("context.segment", ErrorCode::ContextInvalid)
        );
        assert_eq!(
            with(|c| c.locale = Some("zh\tCN".into())),
            one("context.locale", ErrorCode::ContextInvalid)
        );
        // Page URLs get more room (tracking parameters), but not unlimited.
        assert_eq!(
            with(|c| c.page = Some(format!("https://x/?{}", "q".repeat(2000)))),
            vec![]
        );
        assert_eq!(
            with(|c| c.page = Some("p".repeat(2049))),
            one("context.page", ErrorCode::ContextInvalid)
        );
    }
}
