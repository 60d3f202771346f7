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
//! - [`json`]: the hand-written JSON codec of the model and the payload.

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
pub use survey::{
    ChoiceOption, Dimension, DisplayMode, DisplaySettings, Question, QuestionKind, Survey, Theme,
};
