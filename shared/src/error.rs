//! Validation errors with stable codes.
//!
//! Codes are part of the public contract (HTTP 422 bodies, admin UI field
//! errors): never rename one, only add.

use std::fmt;

/// A stable, machine-readable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The same option selected twice in one multi-choice answer.
    DuplicateChoice,
    /// A `context` string that is too long or contains control characters.
    ContextInvalid,
}

impl ErrorCode {
    /// Every code, in declaration order (for documentation and exhaustive tests).
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::NoQuestions,
        ErrorCode::DuplicateId,
        ErrorCode::UnknownQuestion,
        ErrorCode::ForwardReference,
        ErrorCode::ConditionTypeMismatch,
        ErrorCode::EmptyOptions,
        ErrorCode::BadScaleBounds,
        ErrorCode::MissingTranslation,
        ErrorCode::BadLocales,
        ErrorCode::BadVersion,
        ErrorCode::BadColor,
        ErrorCode::ReservedOptionId,
        ErrorCode::SurveyMismatch,
        ErrorCode::WrongType,
        ErrorCode::OutOfRange,
        ErrorCode::Required,
        ErrorCode::HiddenAnswered,
        ErrorCode::TooLong,
        ErrorCode::TooManyChoices,
        ErrorCode::UnknownOption,
        ErrorCode::ControlCharacters,
        ErrorCode::BadOther,
        ErrorCode::DuplicateChoice,
        ErrorCode::ContextInvalid,
    ];

    /// The code with this snake_case name, if any.
    pub fn parse(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == name)
    }

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
            ErrorCode::DuplicateChoice => "duplicate_choice",
            ErrorCode::ContextInvalid => "context_invalid",
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
        Self {
            question: question.into(),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.question, self.message, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "serde")]
    #[test]
    fn as_str_matches_the_serde_name_of_every_code() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().into()));
            let back: ErrorCode = serde_json::from_value(json).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn every_code_is_distinct() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
