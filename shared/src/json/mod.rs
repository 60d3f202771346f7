//! JSON for the survey model and the response payload, written by hand.
//!
//! Why by hand: the widget is WebAssembly with a tight size budget. The code
//! `serde` derives for these types was once its single largest part, and
//! serde_json's parser, writer and error paths (which reach float formatting)
//! the next. So this crate has its own small strict reader and writer
//! ([`parse`], [`to_string`]) and converts between [`Value`] and the model by
//! plain functions (`Survey::from_json`, `ResponsePayload::to_json`, …).
//!
//! - [`value`]: [`Value`] — serde_json's with the `serde` feature (the
//!   collector), a small own type without it (the widget); same API.
//! - [`text`]: JSON text to [`Value`] and back.
//! - `model`: [`Value`] to and from the model types, with errors that name
//!   the path (`questions[2].options[0].id: …`).
//! - `serde_glue` (feature `serde`): `Serialize` / `Deserialize` for the
//!   model types through the codec, so `serde_json::from_str::<Survey>` and
//!   `serde_json::to_string(&payload)` work in the collector, with shape
//!   errors surfacing as serde_json *data* errors.
//! - `payload_reader` (feature `serde`): `ResponsePayload::from_json_slice`,
//!   the collector's one-pass read of a posted payload.

mod model;
#[cfg(feature = "serde")]
mod payload_reader;
#[cfg(feature = "serde")]
mod serde_glue;
pub mod text;
pub mod value;

pub use text::{parse, to_string};
pub use value::{Map, Number, Value};

use crate::ids::IdError;
use std::borrow::Cow;
use std::fmt;

/// Why a JSON value does not decode into a model type, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Path segments, innermost first (they are added as the error travels outwards).
    path: Vec<Segment>,
    /// What is wrong.
    message: Cow<'static, str>,
    /// The message is about the object at `path` (unknown or missing field)
    /// rather than about the value at `path`.
    about_object: bool,
}

/// One step of a path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(Cow<'static, str>),
    Index(usize),
}

impl JsonError {
    /// An error about the value at the current position (for a caller: an
    /// error with this message and no path).
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            path: Vec::new(),
            message: message.into(),
            about_object: false,
        }
    }

    /// An error about the object at the current position.
    pub(crate) fn object(message: String) -> Self {
        Self {
            about_object: true,
            ..Self::new(message)
        }
    }

    /// `expected <what>, found <the value's kind>`.
    pub(crate) fn expected(what: &'static str, found: &Value) -> Self {
        let found: Cow<'static, str> = match found {
            Value::Null => "null".into(),
            Value::Bool(_) => "a boolean".into(),
            Value::Number(n) => n.to_string().into(),
            Value::String(_) => "a string".into(),
            Value::Array(_) => "an array".into(),
            Value::Object(_) => "an object".into(),
        };
        Self::new(["expected ", what, ", found ", found.as_ref()].concat())
    }

    /// Prefixes the path with an object key.
    #[inline(never)]
    pub(crate) fn at(mut self, key: impl Into<Cow<'static, str>>) -> Self {
        self.path.push(Segment::Key(key.into()));
        self
    }

    /// Prefixes the path with an array index.
    pub(crate) fn at_index(mut self, index: usize) -> Self {
        self.path.push(Segment::Index(index));
        self
    }

    /// The path, e.g. `questions[2].options[0].id` (empty at the top level).
    pub fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.path.iter().rev() {
            match segment {
                Segment::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        if path.is_empty() {
            f.write_str(&self.message)
        } else if self.about_object {
            write!(f, "{} at {path}", self.message)
        } else {
            write!(f, "{path}: {}", self.message)
        }
    }
}

impl std::error::Error for JsonError {}

impl From<IdError> for JsonError {
    fn from(e: IdError) -> Self {
        Self::new(e.to_string())
    }
}
