//! The JSON value type of the model's open-ended parts (raw answers, a
//! condition's operand) and of the codec.
//!
//! Two builds, one API. With the `serde` feature (the collector) this is
//! `serde_json`'s [`Value`](serde_json::Value), so the collector passes
//! values between its own serde code and this crate unconverted. Without it
//! (the widget) it is the small value type below, which keeps serde and
//! serde_json — and the float formatting their error paths reach — out of
//! the WebAssembly. The own type offers the subset of serde_json's API this
//! crate and the widget use, with the same names, so code written against
//! [`Value`] compiles in both builds (cargo unifies features: a workspace
//! build may hand the widget the serde flavour).

#[cfg(feature = "serde")]
pub use serde_json::{Map, Number, Value};

/// Builds a number from the text of a JSON number that is not an integer in
/// `i64`/`u64` range (a fraction, an exponent or a huge integer). The reader
/// has checked the grammar.
#[cfg(feature = "serde")]
pub(crate) fn number_from_text(text: &str) -> Value {
    // `parse` cannot fail on valid JSON number text; an overflow gives an
    // infinity, which serde_json cannot hold: `null` as serde_json's own
    // `f64` conversion does.
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

#[cfg(not(feature = "serde"))]
pub use own::{Map, Number, Value};

#[cfg(not(feature = "serde"))]
pub(crate) use own::number_from_text;

#[cfg(not(feature = "serde"))]
mod own {
    use std::fmt;

    /// A JSON object: keys in sorted order, as serde_json's default map
    /// ([`SortedMap`](crate::SortedMap): a sorted vector in wasm).
    pub type Map<K, V> = crate::SortedMap<K, V>;

    /// A JSON value.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub enum Value {
        /// `null`.
        #[default]
        Null,
        /// `true` or `false`.
        Bool(bool),
        /// A number.
        Number(Number),
        /// A string.
        String(String),
        /// An array.
        Array(Vec<Value>),
        /// An object.
        Object(Map<String, Value>),
    }

    /// A JSON number. Integers are kept as integers; any other number keeps
    /// its text as written: nothing in the widget computes with fractions,
    /// and parsing or printing floats would cost the WebAssembly ~15 KB.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Number(Repr);

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Repr {
        /// 0 and up.
        Unsigned(u64),
        /// Below 0.
        Negative(i64),
        /// A fraction, an exponent or an integer beyond 64 bits, as written.
        Text(Box<str>),
    }

    /// See [`super::number_from_text`] in the serde build.
    pub(crate) fn number_from_text(text: &str) -> Value {
        Value::Number(Number(Repr::Text(text.into())))
    }

    impl Number {
        /// The number as an `i64`, when it is an integer in range.
        pub fn as_i64(&self) -> Option<i64> {
            match self.0 {
                Repr::Unsigned(n) => i64::try_from(n).ok(),
                Repr::Negative(n) => Some(n),
                Repr::Text(_) => None,
            }
        }

        /// The number as a `u64`, when it is a non-negative integer in range.
        pub fn as_u64(&self) -> Option<u64> {
            match self.0 {
                Repr::Unsigned(n) => Some(n),
                _ => None,
            }
        }

        /// Whether [`Number::as_i64`] gives a value.
        pub fn is_i64(&self) -> bool {
            self.as_i64().is_some()
        }

        /// Whether [`Number::as_u64`] gives a value.
        pub fn is_u64(&self) -> bool {
            self.as_u64().is_some()
        }
    }

    /// Compact JSON text, as serde_json's `Display`.
    impl fmt::Display for Value {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&crate::json::to_string(self))
        }
    }

    impl fmt::Display for Number {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match &self.0 {
                Repr::Unsigned(n) => fmt::Display::fmt(n, f),
                Repr::Negative(n) => fmt::Display::fmt(n, f),
                Repr::Text(text) => f.write_str(text),
            }
        }
    }

    impl Value {
        /// The field `key` of an object; `None` for a missing key or a non-object.
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Object(map) => map.get(key),
                _ => None,
            }
        }

        /// The string, for a string.
        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::String(s) => Some(s),
                _ => None,
            }
        }

        /// The number as an `i64`, for an integer in range.
        pub fn as_i64(&self) -> Option<i64> {
            match self {
                Value::Number(n) => n.as_i64(),
                _ => None,
            }
        }

        /// The number as a `u64`, for a non-negative integer in range.
        pub fn as_u64(&self) -> Option<u64> {
            match self {
                Value::Number(n) => n.as_u64(),
                _ => None,
            }
        }

        /// The boolean, for a boolean.
        pub fn as_bool(&self) -> Option<bool> {
            match self {
                Value::Bool(b) => Some(*b),
                _ => None,
            }
        }

        /// The items, for an array.
        pub fn as_array(&self) -> Option<&Vec<Value>> {
            match self {
                Value::Array(items) => Some(items),
                _ => None,
            }
        }

        /// The map, for an object.
        pub fn as_object(&self) -> Option<&Map<String, Value>> {
            match self {
                Value::Object(map) => Some(map),
                _ => None,
            }
        }

        /// The map, mutably, for an object.
        pub fn as_object_mut(&mut self) -> Option<&mut Map<String, Value>> {
            match self {
                Value::Object(map) => Some(map),
                _ => None,
            }
        }

        /// Whether this is `null`.
        pub fn is_null(&self) -> bool {
            matches!(self, Value::Null)
        }
    }

    impl From<bool> for Value {
        fn from(b: bool) -> Self {
            Value::Bool(b)
        }
    }

    impl From<u64> for Value {
        fn from(n: u64) -> Self {
            Value::Number(Number(Repr::Unsigned(n)))
        }
    }

    impl From<i64> for Value {
        fn from(n: i64) -> Self {
            match u64::try_from(n) {
                Ok(n) => n.into(),
                Err(_) => Value::Number(Number(Repr::Negative(n))),
            }
        }
    }

    impl From<u32> for Value {
        fn from(n: u32) -> Self {
            u64::from(n).into()
        }
    }

    impl From<u8> for Value {
        fn from(n: u8) -> Self {
            u64::from(n).into()
        }
    }

    impl From<i32> for Value {
        fn from(n: i32) -> Self {
            i64::from(n).into()
        }
    }

    impl From<String> for Value {
        fn from(s: String) -> Self {
            Value::String(s)
        }
    }

    impl From<&str> for Value {
        fn from(s: &str) -> Self {
            Value::String(s.to_owned())
        }
    }

    impl From<Vec<Value>> for Value {
        fn from(items: Vec<Value>) -> Self {
            Value::Array(items)
        }
    }

    impl From<Map<String, Value>> for Value {
        fn from(map: Map<String, Value>) -> Self {
            Value::Object(map)
        }
    }

    /// `value["key"]` as in serde_json: `Null` for a missing key or a non-object.
    impl std::ops::Index<&str> for Value {
        type Output = Value;
        fn index(&self, key: &str) -> &Value {
            const NULL: Value = Value::Null;
            self.get(key).unwrap_or(&NULL)
        }
    }

    /// `value[i]` as in serde_json: `Null` past the end or for a non-array.
    impl std::ops::Index<usize> for Value {
        type Output = Value;
        fn index(&self, i: usize) -> &Value {
            const NULL: Value = Value::Null;
            self.as_array()
                .and_then(|items| items.get(i))
                .unwrap_or(&NULL)
        }
    }

    /// `value["key"] = …` as in serde_json: `Null` becomes an empty object and
    /// a missing key is inserted as `Null`.
    ///
    /// # Panics
    /// When the value is neither an object nor `null` (as serde_json does).
    impl std::ops::IndexMut<&str> for Value {
        fn index_mut(&mut self, key: &str) -> &mut Value {
            if self.is_null() {
                *self = Value::Object(Map::new());
            }
            match self {
                Value::Object(map) => {
                    // No `entry`: the wasm build's map has none.
                    if !map.contains_key(key) {
                        map.insert(key.to_owned(), Value::Null);
                    }
                    match map.get_mut(key) {
                        Some(value) => value,
                        None => unreachable!("the key was just inserted"),
                    }
                }
                _ => panic!("cannot index a non-object JSON value with a key"),
            }
        }
    }

    /// `value[i] = …` as in serde_json.
    ///
    /// # Panics
    /// When the value is not an array or `i` is past its end (as serde_json does).
    impl std::ops::IndexMut<usize> for Value {
        fn index_mut(&mut self, i: usize) -> &mut Value {
            match self {
                Value::Array(items) => &mut items[i],
                _ => panic!("cannot index a non-array JSON value with a number"),
            }
        }
    }

    /// Tests interpolate own values into `serde_json::json!` (the `json!` test
    /// macro in lib.rs): serialize by way of JSON text.
    #[cfg(test)]
    impl serde::Serialize for Value {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let text = crate::json::to_string(self);
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(serde::ser::Error::custom)?;
            v.serialize(s)
        }
    }
}
