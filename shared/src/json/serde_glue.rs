//! `Serialize` / `Deserialize` for the model types, through the hand-written
//! codec (feature `serde`, used by the collector). Values pass through
//! serde_json's [`Value`], which is this crate's `Value` in this build.

use super::model::error_code;
use crate::condition::Condition;
use crate::error::{ErrorCode, ValidationError};
use crate::ids::{OptionId, QuestionId, ResponseId, SiteKey, SurveyId};
use crate::locale::LocalizedText;
use crate::response::{Context, ResponsePayload, Timing};
use crate::survey::{ChoiceOption, DisplaySettings, Question, Survey, Theme};
use serde_json::Value;

/// Implements `Serialize` and `Deserialize` through `to_json` / `from_json`.
macro_rules! via_value {
    ($($ty:ty),* $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.to_json(), s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let v = <Value as serde::Deserialize>::deserialize(d)?;
                <$ty>::from_json(v).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

via_value!(
    Survey,
    Question,
    Condition,
    LocalizedText,
    Theme,
    DisplaySettings,
    ChoiceOption,
    ResponsePayload,
    Context,
    Timing,
);

/// Implements `Serialize` (as a string) and `Deserialize` (from a string,
/// through `parse`) for an identifier.
macro_rules! via_string {
    ($($ty:ty),* $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                <$ty>::try_from(s).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

via_string!(SurveyId, QuestionId, OptionId, SiteKey, ResponseId);

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        error_code(<Value as serde::Deserialize>::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for ValidationError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ValidationError", 3)?;
        st.serialize_field("question", &self.question)?;
        st.serialize_field("code", self.code.as_str())?;
        st.serialize_field("message", &self.message)?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for ValidationError {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = <Value as serde::Deserialize>::deserialize(d)?;
        Self::from_json(v).map_err(serde::de::Error::custom)
    }
}
