//! Validation errors with stable codes.
//!
//! Codes are part of the public contract (HTTP 422 bodies, admin UI field
//! errors): never rename one, only add.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable, machine-readable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // ---- survey definition ----
    /// The survey has no questions.
    NoQuestions,
    /// Two questions share an id, or two options of one question share an id.
    DuplicateId,
    /// A condition refers to a question that does not exist.
    UnknownQuestion,
    /// A condition refers to the question itself or to a later question.
    ForwardReference,
    /// A condition's operator or value does not fit the referenced question.
    ConditionTypeMismatch,
    /// A choice question has no options.
    EmptyOptions,
    /// A scale or limit is outside what is allowed (likert points, text length, max selections).
    BadScaleBounds,
    /// A declared locale lacks a text.
    MissingTranslation,
    /// The default locale is not among the declared locales, or none is declared.
    BadLocales,
    /// The version is 0.
    BadVersion,
    /// The brand colour is not `#rrggbb`.
    BadColor,
    /// An option uses the reserved id `other`.
    ReservedOptionId,
    // ---- response against a survey ----
    /// The response is for another survey or version than the one checked.
    SurveyMismatch,
    /// The answer's JSON shape does not fit the question kind.
    WrongType,
    /// A score outside the question's scale.
    OutOfRange,
    /// A required, visible question has no answer.
    Required,
    /// An answer to a question its conditions hide.
    HiddenAnswered,
    /// Text longer than the question allows.
    TooLong,
    /// More selections than the question allows.
    TooManyChoices,
    /// A choice that is not one of the question's options.
    UnknownOption,
    /// Text containing control characters.
    ControlCharacters,
    /// `other_text` given without choosing `other`, or `other` chosen without allow_other.
    BadOther,
}

impl ErrorCode {
    /// The snake_case code as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NoQuestions => "no_questions",
            ErrorCode::DuplicateId => "duplicate_id",
            ErrorCode::UnknownQuestion => "unknown_question",
            ErrorCode::ForwardReference => "forward_reference",
            ErrorCode::ConditionTypeMismatch => "condition_type_mismatch",
            ErrorCode::EmptyOptions => "empty_options",
            ErrorCode::BadScaleBounds => "bad_scale_bounds",
            ErrorCode::MissingTranslation => "missing_translation",
            ErrorCode::BadLocales => "bad_locales",
            ErrorCode::BadVersion => "bad_version",
            ErrorCode::BadColor => "bad_color",
            ErrorCode::ReservedOptionId => "reserved_option_id",
            ErrorCode::SurveyMismatch => "survey_mismatch",
            ErrorCode::WrongType => "wrong_type",
            ErrorCode::OutOfRange => "out_of_range",
            ErrorCode::Required => "required",
            ErrorCode::HiddenAnswered => "hidden_answered",
            ErrorCode::TooLong => "too_long",
            ErrorCode::TooManyChoices => "too_many_choices",
            ErrorCode::UnknownOption => "unknown_option",
            ErrorCode::ControlCharacters => "control_characters",
            ErrorCode::BadOther => "bad_other",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validation problem.
///
/// For responses `question` is the question id (or `""` for the whole
/// response); for survey definitions it is a path such as
/// `questions[2].show_if.value` or `title.en`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    /// The question id or definition path the problem is about.
    pub question: String,
    /// Stable code.
    pub code: ErrorCode,
    /// A human sentence (English) describing the problem.
    pub message: String,
}

impl ValidationError {
    /// Builds an error.
    pub fn new(question: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { question: question.into(), code, message: message.into() }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.question, self.message, self.code)
    }
}
