//! JSON text: a strict reader ([`parse`]) and a compact writer
//! ([`to_string`]) for [`Value`].
//!
//! Written here rather than taken from serde_json so the widget carries no
//! serde: both are plain, non-generic functions over [`Value`] (serde_json's
//! or the own one, see [`super::value`]), a few kilobytes of WebAssembly.
//!
//! The reader accepts exactly RFC 8259 JSON: no comments, trailing commas,
//! single quotes, leading zeros, lone surrogates or raw control characters in
//! strings; it also rejects a key repeated within one object (serde_json
//! would silently keep the last) and nesting deeper than [`MAX_DEPTH`] (no
//! stack overflow on hostile input). Errors name the byte offset.

use super::JsonError;
use super::value::{Map, Value, number_from_text};

/// How deeply arrays and objects may nest (serde_json's limit too).
pub const MAX_DEPTH: usize = 128;

/// Parses one JSON value; only whitespace may surround it.
pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    let value = reader.value()?;
    reader.skip_whitespace();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

/// Writes `value` as compact JSON (no whitespace); object keys come out in
/// the map's order.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Reader<'_> {
    /// `invalid JSON at byte N: <what>`.
    #[inline(never)]
    fn error(&self, what: &str) -> JsonError {
        JsonError::new(["invalid JSON at byte ", &self.pos.to_string(), ": ", what].concat())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` after optional whitespace, or fails with `expected`.
    fn expect(&mut self, byte: u8, expected: &str) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// Runs `inner` (which starts at the opening bracket) one level deeper.
    fn nested(
        &mut self,
        inner: fn(&mut Self) -> Result<Value, JsonError>,
    ) -> Result<Value, JsonError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        self.pos += 1;
        let value = inner(self);
        self.depth -= 1;
        value
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        let mut map = Map::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_at = self.pos;
            let key = self.string()?;
            self.expect(b':', "expected `:`")?;
            let value = self.value()?;
            if map.insert(key, value).is_some() {
                self.pos = key_at;
                return Err(self.error("duplicate key"));
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// A string, starting at its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control byte in
            // one go. The input is a `str` and the run ends on an ASCII byte,
            // so the run is whole UTF-8.
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = std::str::from_utf8(&self.bytes[start..self.pos])
                .map_err(|_| self.error("invalid UTF-8"))?;
            out.push_str(run);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let Some(b) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(self.error("lone surrogate in a \\u escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("lone surrogate in a \\u escape"));
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone surrogate in a \\u escape")),
                    code => code,
                };
                // Surrogates are excluded above, so this always succeeds.
                char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))?
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid escape"));
            }
        })
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("expected a digit")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.at_least_one_digit()?;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.at_least_one_digit()?;
            integer = false;
        }
        // The slice is ASCII digits and signs only.
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
        if integer {
            let whole = if negative {
                text.parse::<i64>().ok().map(Value::from)
            } else {
                text.parse::<u64>().ok().map(Value::from)
            };
            if let Some(value) = whole {
                return Ok(value);
            }
        }
        Ok(number_from_text(text))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn at_least_one_digit(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            _ => Err(self.error("expected a digit")),
        }
    }
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string: quotes, backslashes and control characters escaped,
/// everything else (CJK included) as is.
fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let b = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(text).expect_err(text).to_string()
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn reads_every_kind_of_value() {
        let v =
            parse(" {\"a\": [1, -2, true, false, null, \"x\"], \"b\": {}, \"c\": []} ").unwrap();
        let items = vec![
            Value::from(1u64),
            Value::from(-2i64),
            Value::Bool(true),
            Value::Bool(false),
            Value::Null,
            Value::from("x"),
        ];
        let expected = obj(&[
            ("a", Value::Array(items)),
            ("b", obj(&[])),
            ("c", Value::Array(Vec::new())),
        ]);
        assert_eq!(v, expected);
    }

    #[test]
    fn integers_keep_their_range_and_other_numbers_their_value() {
        assert_eq!(
            parse("18446744073709551615").unwrap().as_u64(),
            Some(u64::MAX)
        );
        assert_eq!(
            parse("-9223372036854775808").unwrap().as_i64(),
            Some(i64::MIN)
        );
        assert_eq!(parse("0").unwrap().as_i64(), Some(0));
        assert_eq!(parse("-0").unwrap().as_i64(), Some(0));
        for text in ["3.5", "1e3", "-2.5E-3", "18446744073709551616", "3.0"] {
            let v = parse(text).unwrap();
            assert_eq!(v.as_i64(), None, "{text}");
            assert_eq!(v.as_u64(), None, "{text}");
            assert!(matches!(v, Value::Number(_)), "{text}");
        }
    }

    #[test]
    fn strings_decode_every_escape() {
        let v = parse(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\u4E2D\ud83d\ude00 满意""#).unwrap();
        assert_eq!(v.as_str(), Some("a\"b\\c/d\u{8}\u{c}\n\r\té中😀 满意"));
    }

    #[test]
    fn rejects_what_json_does_not_allow() {
        assert_eq!(error(""), "invalid JSON at byte 0: unexpected end of input");
        assert_eq!(error("[1,]"), "invalid JSON at byte 3: expected a value");
        assert_eq!(
            error("{\"a\":1,}"),
            "invalid JSON at byte 7: expected a string key"
        );
        assert_eq!(
            error("{'a':1}"),
            "invalid JSON at byte 1: expected a string key"
        );
        assert_eq!(
            error("01"),
            "invalid JSON at byte 1: leading zero in a number"
        );
        assert_eq!(error("1."), "invalid JSON at byte 2: expected a digit");
        assert_eq!(error("-"), "invalid JSON at byte 1: expected a digit");
        assert_eq!(error("1e"), "invalid JSON at byte 2: expected a digit");
        assert_eq!(error("+1"), "invalid JSON at byte 0: expected a value");
        assert_eq!(error("tru"), "invalid JSON at byte 0: expected a value");
        assert_eq!(error("1 2"), "invalid JSON at byte 2: trailing characters");
        assert_eq!(
            error("\"a\nb\""),
            "invalid JSON at byte 2: control character in a string"
        );
        assert_eq!(error("\"ab"), "invalid JSON at byte 3: unterminated string");
        assert_eq!(error(r#""\x""#), "invalid JSON at byte 2: invalid escape");
        assert_eq!(
            error(r#""\u12g4""#),
            "invalid JSON at byte 5: invalid \\u escape"
        );
        assert_eq!(
            error(r#""\ud83d""#),
            "invalid JSON at byte 7: lone surrogate in a \\u escape"
        );
        assert_eq!(
            error(r#""\ude00""#),
            "invalid JSON at byte 7: lone surrogate in a \\u escape"
        );
        assert_eq!(
            error("{\"a\":1,\"a\":2}"),
            "invalid JSON at byte 7: duplicate key"
        );
        assert_eq!(error("{\"a\" 1}"), "invalid JSON at byte 5: expected `:`");
        assert_eq!(
            error("[1 2]"),
            "invalid JSON at byte 3: expected `,` or `]`"
        );
        assert_eq!(
            error("{\"a\":1 \"b\":2}"),
            "invalid JSON at byte 7: expected `,` or `}`"
        );
        assert_eq!(
            error("/* c */ 1"),
            "invalid JSON at byte 0: expected a value"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse(&deep).unwrap_err().to_string(),
            format!("invalid JSON at byte {MAX_DEPTH}: nested too deeply")
        );
        // Far beyond any stack: fails cleanly rather than overflowing.
        assert!(parse(&"[".repeat(1_000_000)).is_err());
    }

    #[test]
    fn writes_compact_json_with_escapes() {
        let v = obj(&[
            (
                "b",
                Value::Array(vec![Value::from(1u64), Value::from(-2i64), Value::Null]),
            ),
            ("a", Value::from("q\"\\\n\t\u{1}满意/")),
            ("c", Value::Bool(false)),
            ("d", parse("2.50").unwrap()),
        ]);
        let text = to_string(&v);
        let expected = r#"{"a":"q\"\\\n\t\u0001满意/","b":[1,-2,null],"c":false,"d":"#;
        assert!(text.starts_with(expected), "{text}");
        assert_eq!(parse(&text).unwrap(), v);
    }

    #[test]
    fn writes_what_it_reads() {
        let seed = include_str!("../../../collector/seed/post-payment.json");
        let v = parse(seed).unwrap();
        assert_eq!(parse(&to_string(&v)).unwrap(), v);
    }
}
