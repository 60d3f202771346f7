//! The response payload read from JSON bytes in one pass (feature `serde`:
//! the collector's `POST /v1/responses`, see
//! [`ResponsePayload::from_json_slice`]).
//!
//! The general decode, `serde_json::from_slice::<ResponsePayload>` (the
//! `Deserialize` impl in `serde_glue`), first builds a whole
//! `serde_json::Value` tree — a map node and an owned key per field — and
//! then takes it apart with `ResponsePayload::from_json`. That decode is the
//! rule book for the wire shape: what is accepted, and the exact error of
//! everything that is not. This reader takes the same bytes straight to the
//! typed payload: keys are matched in place without allocating, ids are
//! checked as they are read, and only the raw answers become values (the
//! model keeps them as values).
//!
//! It is a fast path, not a second rule book. It takes only the plain
//! shape — every key known and given once, every field of its type, the ids
//! valid — and gives up at the first thing it does not take. The body is
//! then decoded again the general way, which rejects it with the error it
//! always gave, or accepts it (a key given twice: serde_json keeps the last
//! one). So every error still comes from one place, and this reader only has
//! to be right about what it accepts: whatever it accepts, the general
//! decode accepts too, as an equal payload (the tests hold it to that on a
//! table of bodies and on generated ones).

use crate::SortedMap;
use crate::ids::{IdError, ResponseId, SiteKey, SurveyId};
use crate::response::{Context, ResponsePayload, Timing};
use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

impl ResponsePayload {
    /// Decodes a payload from JSON bytes: exactly what
    /// `serde_json::from_slice::<ResponsePayload>` accepts, with the same
    /// errors (syntax errors stay serde_json syntax or EOF errors, shape
    /// errors data errors), but a plain payload is read in one pass without
    /// building a `serde_json::Value` of the whole body first.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        // The fast path's own error only says it gave up; the general
        // decode finds the real one (or accepts what the reader left).
        read(bytes).or_else(|_| serde_json::from_slice(bytes))
    }
}

/// The one-pass read: `Ok` only for a payload of the plain shape.
fn read(bytes: &[u8]) -> Result<ResponsePayload, serde_json::Error> {
    // One UTF-8 check of the whole body is cheaper than the one serde_json
    // makes of every string it reads from a byte slice (a sixth of the
    // reader's instructions); a body that is not UTF-8 is refused by the
    // general decode.
    let text = std::str::from_utf8(bytes).map_err(|_| give_up::<serde_json::Error>())?;
    let mut de = serde_json::Deserializer::from_str(text);
    let payload = (&mut de).deserialize_map(PayloadVisitor)?;
    // Only whitespace may follow, as in `serde_json::from_slice`.
    de.end()?;
    Ok(payload)
}

/// The reader's only error: this body is for the general decode.
fn give_up<E: de::Error>() -> E {
    E::custom("not a plain payload; decoded the general way")
}

/// Fills a field's slot; a key given twice gives up (the general decode
/// keeps the last value).
fn fill<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    match slot.replace(value) {
        None => Ok(()),
        Some(_) => Err(give_up()),
    }
}

/// Defines an enum of the keys of one object, read from a map key in place
/// (no allocation); an unknown key gives up.
macro_rules! keys {
    ($name:ident { $($variant:ident = $key:literal),* $(,)? }) => {
        enum $name { $($variant),* }

        impl<'de> de::Deserialize<'de> for $name {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct KeyVisitor;
                impl Visitor<'_> for KeyVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a field name")
                    }
                    fn visit_str<E: de::Error>(self, key: &str) -> Result<$name, E> {
                        match key {
                            $($key => Ok($name::$variant),)*
                            _ => Err(give_up()),
                        }
                    }
                }
                d.deserialize_identifier(KeyVisitor)
            }
        }
    };
}

keys!(PayloadKey {
    ResponseId = "response_id",
    Site = "site",
    SurveyId = "survey_id",
    SurveyVersion = "survey_version",
    Answers = "answers",
    Context = "context",
    Timing = "timing",
    Sig = "sig",
});

keys!(ContextKey {
    OrderId = "order_id",
    Customer = "customer",
    Channel = "channel",
    Segment = "segment",
    Locale = "locale",
    Page = "page",
    Exp = "exp",
});

keys!(TimingKey {
    ShownAt = "shown_at",
    SubmittedAt = "submitted_at",
});

/// An identifier read from a JSON string by its own `parse` (the one
/// `from_json` uses), from the borrowed text where serde_json has it.
struct Id<T>(fn(&str) -> Result<T, IdError>);

impl<'de, T> DeserializeSeed<'de> for Id<T> {
    type Value = T;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<T> Visitor<'_> for Id<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an identifier")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        (self.0)(s).map_err(|_| give_up())
    }
}

struct PayloadVisitor;

impl<'de> Visitor<'de> for PayloadVisitor {
    type Value = ResponsePayload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a response payload")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResponsePayload, A::Error> {
        let mut response_id = None;
        let mut site = None;
        let mut survey_id = None;
        let mut survey_version = None;
        let mut answers = None;
        let mut context = None;
        let mut timing = None;
        let mut sig = None;
        while let Some(key) = map.next_key()? {
            match key {
                PayloadKey::ResponseId => fill(
                    &mut response_id,
                    map.next_value_seed(Id(ResponseId::parse))?,
                )?,
                // Closures: `parse` takes `impl Into<String>`, not `&str`.
                PayloadKey::Site => {
                    fill(&mut site, map.next_value_seed(Id(|s| SiteKey::parse(s)))?)?
                }
                PayloadKey::SurveyId => fill(
                    &mut survey_id,
                    map.next_value_seed(Id(|s| SurveyId::parse(s)))?,
                )?,
                PayloadKey::SurveyVersion => fill(&mut survey_version, map.next_value::<u32>()?)?,
                PayloadKey::Answers => fill(&mut answers, map.next_value_seed(AnswersVisitor)?)?,
                PayloadKey::Context => fill(&mut context, map.next_value_seed(ContextVisitor)?)?,
                PayloadKey::Timing => fill(&mut timing, map.next_value_seed(TimingVisitor)?)?,
                // `null` is `None`, as an absent signature.
                PayloadKey::Sig => fill(&mut sig, map.next_value::<Option<String>>()?)?,
            }
        }
        let (Some(response_id), Some(site), Some(survey_id), Some(survey_version), Some(answers)) =
            (response_id, site, survey_id, survey_version, answers)
        else {
            return Err(give_up());
        };
        Ok(ResponsePayload {
            response_id,
            site,
            survey_id,
            survey_version,
            answers,
            // Absent is the default; `null` is not absent (the visitors
            // take only objects).
            context: context.unwrap_or_default(),
            timing: timing.unwrap_or_default(),
            sig: sig.flatten(),
        })
    }
}

/// The raw answers: an object of values by question id, typed later by the
/// rule book.
struct AnswersVisitor;

impl<'de> DeserializeSeed<'de> for AnswersVisitor {
    type Value = SortedMap<String, Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AnswersVisitor {
    type Value = SortedMap<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of answers by question id")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut answers = SortedMap::new();
        while let Some((id, answer)) = map.next_entry::<String, Value>()? {
            if answers.insert(id, answer).is_some() {
                return Err(give_up());
            }
        }
        Ok(answers)
    }
}

struct ContextVisitor;

impl<'de> DeserializeSeed<'de> for ContextVisitor {
    type Value = Context;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Context, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ContextVisitor {
    type Value = Context;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a response context")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
        // Each slot is `Some(value)` once its key was read; `null` reads as
        // `Some(None)`, which is `None` as an absent field is.
        let mut order_id = None;
        let mut customer = None;
        let mut channel = None;
        let mut segment = None;
        let mut locale = None;
        let mut page = None;
        let mut exp = None;
        while let Some(key) = map.next_key()? {
            match key {
                ContextKey::OrderId => fill(&mut order_id, map.next_value()?)?,
                ContextKey::Customer => fill(&mut customer, map.next_value()?)?,
                ContextKey::Channel => fill(&mut channel, map.next_value()?)?,
                ContextKey::Segment => fill(&mut segment, map.next_value()?)?,
                ContextKey::Locale => fill(&mut locale, map.next_value()?)?,
                ContextKey::Page => fill(&mut page, map.next_value()?)?,
                ContextKey::Exp => fill(&mut exp, map.next_value::<Option<i64>>()?)?,
            }
        }
        Ok(Context {
            order_id: order_id.flatten(),
            customer: customer.flatten(),
            channel: channel.flatten(),
            segment: segment.flatten(),
            locale: locale.flatten(),
            page: page.flatten(),
            exp: exp.flatten(),
        })
    }
}

struct TimingVisitor;

impl<'de> DeserializeSeed<'de> for TimingVisitor {
    type Value = Timing;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Timing, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TimingVisitor {
    type Value = Timing;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("client timestamps")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Timing, A::Error> {
        let mut shown_at = None;
        let mut submitted_at = None;
        while let Some(key) = map.next_key()? {
            match key {
                TimingKey::ShownAt => fill(&mut shown_at, map.next_value()?)?,
                TimingKey::SubmittedAt => fill(&mut submitted_at, map.next_value()?)?,
            }
        }
        Ok(Timing {
            shown_at: shown_at.flatten(),
            submitted_at: submitted_at.flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "\"0b9f6b1e-8a3c-4d2e-9f10-1234567890ab\"";

    /// An object's text from `(key, value text)` pairs, in order.
    fn object(fields: &[(&str, &str)]) -> String {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }

    /// The fields of a plain payload, as the widget and the bench send it.
    fn plain_fields() -> Vec<(&'static str, String)> {
        let context = object(&[
            ("order_id", "\"A1001\""),
            ("customer", "\"c-42\""),
            ("channel", "\"wechat\""),
            ("segment", "\"vip\""),
            ("locale", "\"zh-CN\""),
            ("page", "\"https://shop.example/paid\""),
            ("exp", "1790000000"),
        ]);
        let timing = object(&[
            ("shown_at", "\"2026-11-23T08:00:00Z\""),
            ("submitted_at", "\"2026-11-23T08:00:41Z\""),
        ]);
        vec![
            ("response_id", ID.to_owned()),
            ("site", "\"demo\"".to_owned()),
            ("survey_id", "\"post-payment\"".to_owned()),
            ("survey_version", "1".to_owned()),
            (
                "answers",
                r#"{"nps":3,"reason":["slow_delivery","price"],"comment":"快递很快","other":{"choice":"x","other_text":"y"}}"#
                    .to_owned(),
            ),
            ("context", context),
            ("timing", timing),
            ("sig", "\"abc\"".to_owned()),
        ]
    }

    /// The plain payload with `edit` applied to its fields.
    fn plain_with(edit: impl FnOnce(&mut Vec<(&'static str, String)>)) -> String {
        let mut fields = plain_fields();
        edit(&mut fields);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        object(&pairs)
    }

    fn set(fields: &mut [(&'static str, String)], key: &str, value: &str) {
        for (k, v) in fields.iter_mut() {
            if *k == key {
                *v = value.to_owned();
            }
        }
    }

    /// The general decode: what the collector did before this reader.
    fn general(body: &str) -> Result<ResponsePayload, serde_json::Error> {
        general_bytes(body.as_bytes())
    }

    fn general_bytes(body: &[u8]) -> Result<ResponsePayload, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// `from_json_slice` gives exactly what the general decode gives: an
    /// equal payload, or an error with the same text and category.
    fn assert_same_as_general(body: &str) {
        assert_bytes_same_as_general(body.as_bytes());
    }

    fn assert_bytes_same_as_general(body: &[u8]) {
        let shown = String::from_utf8_lossy(body);
        match (ResponsePayload::from_json_slice(body), general_bytes(body)) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{shown}"),
            (Err(ours), Err(theirs)) => {
                assert_eq!(ours.to_string(), theirs.to_string(), "{shown}");
                assert_eq!(ours.classify(), theirs.classify(), "{shown}");
            }
            (ours, theirs) => panic!("{shown}: ours {ours:?}, general {theirs:?}"),
        }
    }

    #[test]
    fn plain_payloads_are_read_in_one_pass_as_the_general_decode_reads_them() {
        let bodies = [
            plain_with(|_| {}),
            // Only the required fields.
            plain_with(|f| f.retain(|(k, _)| !matches!(*k, "context" | "timing" | "sig"))),
            // `null` optional fields, empty objects, fields in another order.
            plain_with(|f| {
                set(f, "sig", "null");
                set(f, "context", r#"{"exp":null,"order_id":null,"page":"p"}"#);
                set(f, "timing", "{}");
                set(f, "answers", "{}");
                f.reverse();
            }),
            // Escapes in ids and texts, whitespace everywhere.
            format!(
                " {{ \"response_id\" : {ID} , \"site\":\"d\\u0065mo\", \"survey_id\": \"post-payment\",\
                 \"survey_version\" :4294967295, \"answers\" : {{ \"c\" : \"a\\nb\\u00e9\" }},\
                 \"context\": {{\"exp\": -5, \"customer\": \"\\\"q\\\"\"}} }}\n"
            ),
        ];
        for body in &bodies {
            let ours = read(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(ours, general(body).expect("the general decode accepts it"));
        }
        let p = read(bodies[0].as_bytes()).expect("plain");
        assert_eq!(p.response_id.to_string(), ID.trim_matches('"'));
        assert_eq!(p.context.exp, Some(1_790_000_000));
        assert_eq!(
            p.timing.submitted_at.as_deref(),
            Some("2026-11-23T08:00:41Z")
        );
        assert_eq!(p.answers["other"]["other_text"], "y");
        assert_eq!(p.sig.as_deref(), Some("abc"));
        let escaped = read(bodies[3].as_bytes()).expect("escaped");
        assert_eq!(escaped.site.as_str(), "demo");
        assert_eq!(escaped.survey_version, u32::MAX);
        assert_eq!(escaped.answers["c"], "a\nbé");
        assert_eq!(escaped.context.customer.as_deref(), Some("\"q\""));
    }

    #[test]
    fn everything_else_is_decoded_the_general_way_with_its_error() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let bodies = [
            // Not JSON, or not only JSON.
            String::new(),
            "{\"response_id\":".to_owned(),
            "nps=9".to_owned(),
            plain_with(|_| {}) + " x",
            plain_with(|f| set(f, "site", "\"de\u{1}mo\"")),
            plain_with(|f| set(f, "site", r#""\q""#)),
            plain_with(|f| set(f, "site", r#""\ud83d""#)),
            plain_with(|f| set(f, "answers", &format!("{{\"nps\":{deep}}}"))),
            // JSON that is not an object.
            "[1,2]".to_owned(),
            "null".to_owned(),
            "\"payload\"".to_owned(),
            "12".to_owned(),
            // Unknown, missing and repeated keys (the general decode keeps
            // the last of a repeated key, and accepts).
            plain_with(|f| f.push(("extra", "1".to_owned()))),
            plain_with(|f| f.push(("Site", "\"demo\"".to_owned()))),
            plain_with(|f| set(f, "context", r#"{"colour":"red"}"#)),
            plain_with(|f| set(f, "timing", r#"{"when":1}"#)),
            plain_with(|f| f.retain(|(k, _)| *k != "answers")),
            plain_with(|f| f.retain(|(k, _)| *k != "response_id")),
            plain_with(|f| f.push(("survey_version", "2".to_owned()))),
            plain_with(|f| f.push(("site", "\"Bad Site\"".to_owned()))),
            plain_with(|f| set(f, "answers", r#"{"nps":1,"nps":2}"#)),
            plain_with(|f| set(f, "context", r#"{"page":"a","page":"b"}"#)),
            plain_with(|f| set(f, "timing", r#"{"shown_at":"a","shown_at":null}"#)),
            // Wrong types and invalid values.
            plain_with(|f| set(f, "survey_version", "\"1\"")),
            plain_with(|f| set(f, "survey_version", "-1")),
            plain_with(|f| set(f, "survey_version", "-0")),
            plain_with(|f| set(f, "survey_version", "1.0")),
            plain_with(|f| set(f, "survey_version", "1e0")),
            plain_with(|f| set(f, "survey_version", "4294967296")),
            plain_with(|f| set(f, "survey_version", "null")),
            plain_with(|f| set(f, "response_id", "\"not-a-uuid\"")),
            plain_with(|f| set(f, "response_id", "7")),
            plain_with(|f| set(f, "site", "\"Bad Site\"")),
            plain_with(|f| set(f, "survey_id", "null")),
            plain_with(|f| set(f, "answers", "[]")),
            plain_with(|f| set(f, "answers", "null")),
            plain_with(|f| set(f, "context", "null")),
            plain_with(|f| set(f, "context", "[]")),
            plain_with(|f| set(f, "timing", "null")),
            plain_with(|f| set(f, "timing", "\"now\"")),
            plain_with(|f| set(f, "context", r#"{"exp":1.5}"#)),
            plain_with(|f| set(f, "context", r#"{"exp":"1"}"#)),
            plain_with(|f| set(f, "context", r#"{"exp":9223372036854775808}"#)),
            plain_with(|f| set(f, "context", r#"{"order_id":7}"#)),
            plain_with(|f| set(f, "timing", r#"{"shown_at":false}"#)),
            plain_with(|f| set(f, "sig", "1")),
            plain_with(|f| set(f, "sig", "{}")),
        ];
        for body in &bodies {
            assert_same_as_general(body);
        }
        // The reader itself takes none of them: each is refused, or
        // accepted with a repeated key, by the general decode only.
        for body in &bodies {
            assert!(read(body.as_bytes()).is_err(), "{body}");
        }
        // Bytes that are not UTF-8, in a string and outside one.
        let plain = plain_with(|_| {});
        let in_string = plain.find("c-42").expect("customer") + 1;
        for at in [in_string, 0] {
            let mut body = plain.clone().into_bytes();
            body[at] = 0xff;
            assert_bytes_same_as_general(&body);
            assert!(read(&body).is_err());
        }
        // The general decode's errors, unchanged (a few spelled out).
        let message = |body: &str| {
            ResponsePayload::from_json_slice(body.as_bytes())
                .expect_err(body)
                .to_string()
        };
        assert_eq!(
            message(&plain_with(|f| set(f, "survey_version", "\"1\""))),
            "survey_version: expected an integer from 0 to 4294967295, found a string"
        );
        assert_eq!(
            message(&plain_with(|f| f.push(("extra", "1".to_owned())))),
            "unknown field \"extra\""
        );
        assert_eq!(
            message("{\"response_id\":"),
            "EOF while parsing a value at line 1 column 15"
        );
        let repeated = plain_with(|f| f.push(("survey_version", "2".to_owned())));
        assert_eq!(
            ResponsePayload::from_json_slice(repeated.as_bytes())
                .expect("the last value is kept")
                .survey_version,
            2
        );
    }

    /// Values tried for any field: right and wrong types, valid and invalid
    /// ids, objects for the nested fields with good, unknown and repeated keys.
    const VALUES: &[&str] = &[
        ID,
        "\"demo\"",
        "\"post-payment\"",
        "\"Bad Id\"",
        "1",
        "-1",
        "1.5",
        "4294967296",
        "null",
        "true",
        "[]",
        "{}",
        r#"{"nps":9,"reason":["price"]}"#,
        r#"{"nps":1,"nps":2}"#,
        r#"{"order_id":"A1","exp":5,"customer":null}"#,
        r#"{"order_id":"A1","order_id":"A2"}"#,
        r#"{"shown_at":"t","submitted_at":null}"#,
        r#"{"colour":"red"}"#,
    ];

    const KEYS: &[&str] = &[
        "response_id",
        "site",
        "survey_id",
        "survey_version",
        "answers",
        "context",
        "timing",
        "sig",
        "extra",
    ];

    /// One change to the plain payload: set, add (possibly repeating) or
    /// remove a key.
    #[derive(Debug, Clone)]
    enum Change {
        Set(usize, usize),
        Add(usize, usize),
        Remove(usize),
    }

    fn change() -> impl Strategy<Value = Change> {
        let key = 0..KEYS.len();
        let value = 0..VALUES.len();
        prop_oneof![
            (key.clone(), value.clone()).prop_map(|(k, v)| Change::Set(k, v)),
            (key.clone(), value).prop_map(|(k, v)| Change::Add(k, v)),
            key.prop_map(Change::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Whatever the reader accepts, the general decode accepts as an
        /// equal payload; and the public function always answers as the
        /// general decode does.
        #[test]
        fn the_reader_never_accepts_what_the_general_decode_would_not(
            changes in prop::collection::vec(change(), 0..4)
        ) {
            let body = plain_with(|f| {
                for c in &changes {
                    match *c {
                        Change::Set(k, v) => set(f, KEYS[k], VALUES[v]),
                        Change::Add(k, v) => f.push((KEYS[k], VALUES[v].to_owned())),
                        Change::Remove(k) => f.retain(|(key, _)| *key != KEYS[k]),
                    }
                }
            });
            if let Ok(ours) = read(body.as_bytes()) {
                let theirs = general(&body);
                prop_assert!(theirs.is_ok(), "{}: {:?}", body, theirs);
                prop_assert_eq!(Some(ours), theirs.ok());
            }
            assert_same_as_general(&body);
        }
    }
}
