//! The manyi survey model and the one validation rule book.
//!
//! Both the widget (compiled to WebAssembly) and the collector depend on this
//! crate, so a response the widget accepts is exactly a response the collector
//! accepts. Nothing here knows about HTTP, databases or the DOM.
//!
//! - [`ids`]: validated identifiers (`SurveyId`, `QuestionId`, `ResponseId`, …).
//! - [`locale`]: supported locales and translated texts.
//! - [`survey`]: the survey definition and its question kinds.
//! - [`condition`]: `show_if` conditions over earlier answers.
//! - [`answer`]: typed answers and their JSON wire shapes.
//! - [`response`]: the response payload posted by the widget.
//! - [`rules`]: validation of surveys and of responses against a survey.
//! - [`visibility`]: which questions are shown for the answers so far.
//! - [`texts`]: respondent-facing texts shared by the widget and the hosted page.
//! - [`signing`]: the merchant-signed context (`site|survey|order|customer|exp`).
//! - [`metrics`]: NPS, CSAT, CES, Likert means and the response rate.
//! - [`error`]: validation errors with stable codes.
//! - [`json`]: the hand-written JSON reader, writer and codec of the model.
//! - [`sorted_map`]: the model's ordered map (`BTreeMap`, or a sorted vector
//!   in the WebAssembly build).
//!
//! Feature `serde` (the collector): serde impls for the model types, and
//! `json::Value` is serde_json's. Without it (the widget) nothing here
//! depends on serde.

/// Test fixtures: `json!` as serde_json's, producing this crate's
/// [`json::Value`] (whichever build) by way of JSON text.
#[cfg(test)]
macro_rules! json {
    ($($t:tt)*) => {
        $crate::json::parse(&::serde_json::json!($($t)*).to_string()).expect("test JSON")
    };
}

pub mod answer;
pub mod condition;
pub mod error;
pub mod ids;
pub mod json;
pub mod locale;
pub mod metrics;
pub mod response;
pub mod rules;
pub mod signing;
pub mod sorted_map;
pub mod survey;
pub mod texts;
pub mod visibility;

pub use answer::AnswerValue;
pub use condition::{CompareOp, Condition};
pub use error::{ErrorCode, ValidationError};
pub use ids::{OptionId, QuestionId, ResponseId, SiteKey, SurveyId};
pub use json::JsonError;
pub use locale::{Locale, LocalizedText};
pub use metrics::{CesSummary, CsatSummary, NpsSummary};
pub use response::{Context, ResponsePayload, Timing};
pub use rules::{parse_answer, validate_response, validate_survey};
pub use signing::{SignatureError, SignedParts};
pub use sorted_map::SortedMap;
pub use survey::{
    ChoiceOption, Dimension, DisplayMode, DisplaySettings, Question, QuestionKind, Survey, Theme,
};
