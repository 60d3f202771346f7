//! The model's JSON codec: [`Value`] to and from the survey model and the
//! response payload, by plain, non-generic functions.
//!
//! The wire format is exactly the one serde derives used to accept and
//! produce (same field names, defaults, `null` for absent options, absent
//! fields skipped on output), with two deliberate differences:
//!
//! - unknown fields are also rejected in a question (serde could not, because
//!   of `flatten`; the allowed keys depend on the question `type`) and in a
//!   condition;
//! - errors say where: `questions[2].options[0].id: invalid option id: …`,
//!   `unknown field "foo" at questions[1]`.
//!
//! Output objects come out with their keys in map order (alphabetical) rather
//! than declaration order; JSON objects are unordered, and nothing compares
//! the bytes.

use super::JsonError;
use super::value::{Map, Value};
use crate::SortedMap;
use crate::condition::{CompareOp, Condition};
use crate::error::{ErrorCode, ValidationError};
use crate::ids::{OptionId, QuestionId, ResponseId, SiteKey, SurveyId};
use crate::locale::{Locale, LocalizedText};
use crate::response::{Context, ResponsePayload, Timing};
use crate::survey::{
    CesDirection, ChoiceOption, Dimension, DisplayMode, DisplaySettings, Question, QuestionKind,
    Survey, Theme,
};

type Result<T> = std::result::Result<T, JsonError>;

// ---------------------------------------------------------------- reading

/// The object's map, after checking every key is in `allowed` or `also`.
fn object(v: Value, allowed: &[&str], also: &[&str]) -> Result<Map<String, Value>> {
    let Value::Object(map) = v else {
        return Err(JsonError::expected("an object", &v));
    };
    let unknown = map
        .keys()
        .find(|k| !allowed.contains(&k.as_str()) && !also.contains(&k.as_str()));
    match unknown {
        Some(key) => Err(JsonError::object(
            ["unknown field \"", key.as_str(), "\""].concat(),
        )),
        None => Ok(map),
    }
}

/// Removes a field from the object. Kept out of line: the map lookup is the
/// bulk of every field access, and there are many field accesses.
#[inline(never)]
fn take(map: &mut Map<String, Value>, key: &'static str) -> Option<Value> {
    map.remove(key)
}

/// A field that must be present.
#[inline(never)]
fn present(map: &mut Map<String, Value>, key: &'static str) -> Result<Value> {
    take(map, key).ok_or_else(|| JsonError::object(["missing field \"", key, "\""].concat()))
}

/// A required field, decoded by `decode`.
fn required<T>(
    map: &mut Map<String, Value>,
    key: &'static str,
    decode: fn(Value) -> Result<T>,
) -> Result<T> {
    decode(present(map, key)?).map_err(|e| e.at(key))
}

/// An optional field: absent and `null` are both `None`.
fn optional<T>(
    map: &mut Map<String, Value>,
    key: &'static str,
    decode: fn(Value) -> Result<T>,
) -> Result<Option<T>> {
    match take(map, key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decode(v).map(Some).map_err(|e| e.at(key)),
    }
}

/// A field with a default when absent (`null` is not absent).
fn or_default<T>(
    map: &mut Map<String, Value>,
    key: &'static str,
    decode: fn(Value) -> Result<T>,
    default: T,
) -> Result<T> {
    match take(map, key) {
        None => Ok(default),
        Some(v) => decode(v).map_err(|e| e.at(key)),
    }
}

/// An array, each item decoded by `decode`.
fn list<T>(v: Value, decode: fn(Value) -> Result<T>) -> Result<Vec<T>> {
    let Value::Array(items) = v else {
        return Err(JsonError::expected("an array", &v));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| decode(item).map_err(|e| e.at_index(i)))
        .collect()
}

fn string(v: Value) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(JsonError::expected("a string", &other)),
    }
}

fn boolean(v: Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(b),
        other => Err(JsonError::expected("a boolean", &other)),
    }
}

fn uint(v: &Value, max: u64, what: &'static str) -> Result<u64> {
    match v.as_u64() {
        Some(n) if n <= max => Ok(n),
        _ => Err(JsonError::expected(what, v)),
    }
}

fn u8_(v: Value) -> Result<u8> {
    uint(&v, u8::MAX.into(), "an integer from 0 to 255").map(|n| n as u8)
}

fn u32_(v: Value) -> Result<u32> {
    uint(&v, u32::MAX.into(), "an integer from 0 to 4294967295").map(|n| n as u32)
}

fn i64_(v: Value) -> Result<i64> {
    v.as_i64()
        .ok_or_else(|| JsonError::expected("a 64-bit integer", &v))
}

fn any(v: Value) -> Result<Value> {
    Ok(v)
}

/// A string naming one of `table`'s values; `what` names the kind of value.
fn one_of<T: Copy>(v: Value, table: &[(&str, T)], what: &'static str) -> Result<T> {
    let s = string(v)?;
    table
        .iter()
        .find(|(name, _)| *name == s)
        .map(|(_, value)| *value)
        .ok_or_else(|| JsonError::new(["unknown ", what, " \"", s.as_str(), "\""].concat()))
}

// ---------------------------------------------------------------- writing

fn put(map: &mut Map<String, Value>, key: &str, v: Value) {
    map.insert(key.to_owned(), v);
}

fn put_some(map: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        put(map, key, v);
    }
}

fn str_value(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn opt_str(s: &Option<String>) -> Option<Value> {
    s.as_deref().map(str_value)
}

fn opt_text(t: &Option<LocalizedText>) -> Option<Value> {
    t.as_ref().map(LocalizedText::to_json)
}

fn texts(ts: &[LocalizedText]) -> Value {
    Value::Array(ts.iter().map(LocalizedText::to_json).collect())
}

fn name_of<T: Copy + PartialEq>(table: &[(&'static str, T)], value: T) -> Value {
    let name = table
        .iter()
        .find(|(_, v)| *v == value)
        .map_or("", |(n, _)| n);
    str_value(name)
}

// ---------------------------------------------------------------- tables

const LOCALES: [(&str, Locale); 3] = [
    ("zh-CN", Locale::ZhCn),
    ("zh-TW", Locale::ZhTw),
    ("en", Locale::En),
];

const DISPLAY_MODES: [(&str, DisplayMode); 4] = [
    ("auto", DisplayMode::Auto),
    ("inline", DisplayMode::Inline),
    ("bottom_sheet", DisplayMode::BottomSheet),
    ("modal", DisplayMode::Modal),
];

const DIMENSIONS: [(&str, Dimension); 5] = [
    ("reliability", Dimension::Reliability),
    ("responsiveness", Dimension::Responsiveness),
    ("assurance", Dimension::Assurance),
    ("empathy", Dimension::Empathy),
    ("tangibles", Dimension::Tangibles),
];

const CES_DIRECTIONS: [(&str, CesDirection); 1] =
    [("7_is_very_easy", CesDirection::SevenIsVeryEasy)];

const COMPARE_OPS: [(&str, CompareOp); 8] = [
    ("eq", CompareOp::Eq),
    ("ne", CompareOp::Ne),
    ("lt", CompareOp::Lt),
    ("lte", CompareOp::Lte),
    ("gt", CompareOp::Gt),
    ("gte", CompareOp::Gte),
    ("in", CompareOp::In),
    ("answered", CompareOp::Answered),
];

// ---------------------------------------------------------------- ids

fn survey_id(v: Value) -> Result<SurveyId> {
    Ok(SurveyId::parse(string(v)?)?)
}

fn question_id(v: Value) -> Result<QuestionId> {
    Ok(QuestionId::parse(string(v)?)?)
}

fn option_id(v: Value) -> Result<OptionId> {
    Ok(OptionId::parse(string(v)?)?)
}

fn site_key(v: Value) -> Result<SiteKey> {
    Ok(SiteKey::parse(string(v)?)?)
}

fn response_id(v: Value) -> Result<ResponseId> {
    Ok(ResponseId::parse(&string(v)?)?)
}

// ---------------------------------------------------------------- locale

fn locale(v: Value) -> Result<Locale> {
    one_of(v, &LOCALES, "locale")
}

fn locale_value(l: &Locale) -> Value {
    str_value(l.tag())
}

impl Locale {
    /// The locale with exactly this tag (`zh-CN`, `zh-TW` or `en`); see
    /// [`Locale::negotiate`] for a forgiving match.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        LOCALES.iter().find(|(t, _)| *t == tag).map(|(_, l)| *l)
    }
}

impl LocalizedText {
    /// Decodes `{"zh-CN": "…", "en": "…"}`.
    pub fn from_json(v: Value) -> Result<Self> {
        let Value::Object(map) = v else {
            return Err(JsonError::expected("an object of texts by locale", &v));
        };
        let mut texts = SortedMap::new();
        for (tag, text) in map {
            let Some(locale) = Locale::from_tag(&tag) else {
                return Err(JsonError::new("unknown locale").at(tag));
            };
            let text = string(text).map_err(|e| e.at(tag))?;
            texts.insert(locale, text);
        }
        Ok(Self(texts))
    }

    /// The JSON object of texts by locale tag.
    pub fn to_json(&self) -> Value {
        // Inserts rather than `collect`, which would instantiate a sort.
        let mut m = Map::new();
        for (l, s) in &self.0 {
            put(&mut m, l.tag(), str_value(s));
        }
        Value::Object(m)
    }
}

// ---------------------------------------------------------------- survey

const SURVEY_FIELDS: &[&str] = &[
    "id",
    "version",
    "default_locale",
    "locales",
    "title",
    "intro",
    "thank_you",
    "questions",
    "theme",
    "display",
];

impl Survey {
    /// Decodes a survey definition.
    pub fn from_json(v: Value) -> Result<Self> {
        let mut m = object(v, SURVEY_FIELDS, &[])?;
        Ok(Self {
            id: required(&mut m, "id", survey_id)?,
            version: required(&mut m, "version", u32_)?,
            default_locale: required(&mut m, "default_locale", locale)?,
            locales: required(&mut m, "locales", |v| list(v, locale))?,
            title: required(&mut m, "title", LocalizedText::from_json)?,
            intro: optional(&mut m, "intro", LocalizedText::from_json)?,
            thank_you: required(&mut m, "thank_you", LocalizedText::from_json)?,
            questions: required(&mut m, "questions", |v| list(v, Question::from_json))?,
            theme: or_default(&mut m, "theme", Theme::from_json, Theme::default())?,
            display: or_default(
                &mut m,
                "display",
                DisplaySettings::from_json,
                DisplaySettings::default(),
            )?,
        })
    }

    /// The survey definition as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "id", str_value(self.id.as_str()));
        put(&mut m, "version", self.version.into());
        put(&mut m, "default_locale", locale_value(&self.default_locale));
        let locales = self.locales.iter().map(locale_value).collect();
        put(&mut m, "locales", Value::Array(locales));
        put(&mut m, "title", self.title.to_json());
        put_some(&mut m, "intro", opt_text(&self.intro));
        put(&mut m, "thank_you", self.thank_you.to_json());
        let questions = self.questions.iter().map(Question::to_json).collect();
        put(&mut m, "questions", Value::Array(questions));
        put(&mut m, "theme", self.theme.to_json());
        put(&mut m, "display", self.display.to_json());
        Value::Object(m)
    }
}

impl Theme {
    /// Decodes `{"brand_color": "#rrggbb"}`.
    pub fn from_json(v: Value) -> Result<Self> {
        let mut m = object(v, &["brand_color"], &[])?;
        Ok(Self {
            brand_color: required(&mut m, "brand_color", string)?,
        })
    }

    /// The theme as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "brand_color", str_value(&self.brand_color));
        Value::Object(m)
    }
}

const DISPLAY_FIELDS: &[&str] = &[
    "mode",
    "dismissible",
    "show_progress",
    "min_seconds",
    "estimated_seconds",
];

impl DisplaySettings {
    /// Decodes display settings; every field has a default.
    pub fn from_json(v: Value) -> Result<Self> {
        let mut m = object(v, DISPLAY_FIELDS, &[])?;
        let d = Self::default();
        Ok(Self {
            mode: or_default(
                &mut m,
                "mode",
                |v| one_of(v, &DISPLAY_MODES, "mode"),
                d.mode,
            )?,
            dismissible: or_default(&mut m, "dismissible", boolean, d.dismissible)?,
            show_progress: or_default(&mut m, "show_progress", boolean, d.show_progress)?,
            min_seconds: optional(&mut m, "min_seconds", u32_)?,
            estimated_seconds: optional(&mut m, "estimated_seconds", u32_)?,
        })
    }

    /// The display settings as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "mode", name_of(&DISPLAY_MODES, self.mode));
        put(&mut m, "dismissible", self.dismissible.into());
        put(&mut m, "show_progress", self.show_progress.into());
        put_some(&mut m, "min_seconds", self.min_seconds.map(Value::from));
        put_some(
            &mut m,
            "estimated_seconds",
            self.estimated_seconds.map(Value::from),
        );
        Value::Object(m)
    }
}

const QUESTION_FIELDS: &[&str] = &[
    "id",
    "type",
    "text",
    "help",
    "required",
    "dimension",
    "show_if",
];

impl Question {
    /// Decodes a question: the common fields plus those of its `type`; any
    /// other field is an error.
    pub fn from_json(v: Value) -> Result<Self> {
        let kind_fields: &[&str] = match v.get("type") {
            None => return Err(JsonError::object("missing field \"type\"".into())),
            Some(Value::String(t)) => match t.as_str() {
                "likert" => &["points", "labels"],
                "nps" => &["low_label", "high_label"],
                "csat" => &["labels"],
                "ces" => &["direction"],
                "single_choice" => &["options", "allow_other"],
                "multi_choice" => &["options", "allow_other", "max_selections"],
                "text" => &["max_length", "multiline", "placeholder"],
                other => {
                    let message = ["unknown question type \"", other, "\""].concat();
                    return Err(JsonError::new(message).at("type"));
                }
            },
            Some(other) => return Err(JsonError::expected("a string", other).at("type")),
        };
        let mut m = object(v, QUESTION_FIELDS, kind_fields)?;
        let labels = |v| list(v, LocalizedText::from_json);
        let options = |v| list(v, ChoiceOption::from_json);
        let kind = match required(&mut m, "type", string)?.as_str() {
            "likert" => QuestionKind::Likert {
                points: or_default(&mut m, "points", u8_, 5)?,
                labels: optional(&mut m, "labels", labels)?,
            },
            "nps" => QuestionKind::Nps {
                low_label: optional(&mut m, "low_label", LocalizedText::from_json)?,
                high_label: optional(&mut m, "high_label", LocalizedText::from_json)?,
            },
            "csat" => QuestionKind::Csat {
                labels: optional(&mut m, "labels", labels)?,
            },
            "ces" => QuestionKind::Ces {
                direction: or_default(
                    &mut m,
                    "direction",
                    |v| one_of(v, &CES_DIRECTIONS, "direction"),
                    CesDirection::SevenIsVeryEasy,
                )?,
            },
            "single_choice" => QuestionKind::SingleChoice {
                options: required(&mut m, "options", options)?,
                allow_other: or_default(&mut m, "allow_other", boolean, false)?,
            },
            "multi_choice" => QuestionKind::MultiChoice {
                options: required(&mut m, "options", options)?,
                allow_other: or_default(&mut m, "allow_other", boolean, false)?,
                max_selections: optional(&mut m, "max_selections", u8_)?,
            },
            _ => QuestionKind::Text {
                max_length: or_default(&mut m, "max_length", u32_, 1000)?,
                multiline: or_default(&mut m, "multiline", boolean, true)?,
                placeholder: optional(&mut m, "placeholder", LocalizedText::from_json)?,
            },
        };
        Ok(Self {
            id: required(&mut m, "id", question_id)?,
            text: required(&mut m, "text", LocalizedText::from_json)?,
            help: optional(&mut m, "help", LocalizedText::from_json)?,
            required: or_default(&mut m, "required", boolean, false)?,
            dimension: optional(&mut m, "dimension", |v| one_of(v, &DIMENSIONS, "dimension"))?,
            show_if: optional(&mut m, "show_if", Condition::from_json)?,
            kind,
        })
    }

    /// The question as JSON, its kind's fields alongside the common ones.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "id", str_value(self.id.as_str()));
        put(&mut m, "type", str_value(self.kind.type_name()));
        put(&mut m, "text", self.text.to_json());
        put_some(&mut m, "help", opt_text(&self.help));
        put(&mut m, "required", self.required.into());
        let dimension = self.dimension.map(|d| name_of(&DIMENSIONS, d));
        put_some(&mut m, "dimension", dimension);
        put_some(
            &mut m,
            "show_if",
            self.show_if.as_ref().map(Condition::to_json),
        );
        match &self.kind {
            QuestionKind::Likert { points, labels } => {
                put(&mut m, "points", (*points).into());
                put_some(&mut m, "labels", labels.as_deref().map(texts));
            }
            QuestionKind::Nps {
                low_label,
                high_label,
            } => {
                put_some(&mut m, "low_label", opt_text(low_label));
                put_some(&mut m, "high_label", opt_text(high_label));
            }
            QuestionKind::Csat { labels } => {
                put_some(&mut m, "labels", labels.as_deref().map(texts));
            }
            QuestionKind::Ces { direction } => {
                put(&mut m, "direction", name_of(&CES_DIRECTIONS, *direction));
            }
            QuestionKind::SingleChoice {
                options,
                allow_other,
            } => {
                put(&mut m, "options", ChoiceOption::list_json(options));
                put(&mut m, "allow_other", (*allow_other).into());
            }
            QuestionKind::MultiChoice {
                options,
                allow_other,
                max_selections,
            } => {
                put(&mut m, "options", ChoiceOption::list_json(options));
                put(&mut m, "allow_other", (*allow_other).into());
                put_some(&mut m, "max_selections", max_selections.map(Value::from));
            }
            QuestionKind::Text {
                max_length,
                multiline,
                placeholder,
            } => {
                put(&mut m, "max_length", (*max_length).into());
                put(&mut m, "multiline", (*multiline).into());
                put_some(&mut m, "placeholder", opt_text(placeholder));
            }
        }
        Value::Object(m)
    }
}

impl ChoiceOption {
    /// Decodes `{"id": "…", "label": {…}}`.
    pub fn from_json(v: Value) -> Result<Self> {
        let mut m = object(v, &["id", "label"], &[])?;
        Ok(Self {
            id: required(&mut m, "id", option_id)?,
            label: required(&mut m, "label", LocalizedText::from_json)?,
        })
    }

    /// The option as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "id", str_value(self.id.as_str()));
        put(&mut m, "label", self.label.to_json());
        Value::Object(m)
    }

    fn list_json(options: &[ChoiceOption]) -> Value {
        Value::Array(options.iter().map(ChoiceOption::to_json).collect())
    }
}

impl Condition {
    /// Decodes `{"all": […]}`, `{"any": […]}` or
    /// `{"question": "…", "op": "…", "value": …}`; other fields are errors.
    pub fn from_json(v: Value) -> Result<Self> {
        let (has_all, has_any) = (v.get("all").is_some(), v.get("any").is_some());
        if has_all {
            let mut m = object(v, &["all"], &[])?;
            let all = required(&mut m, "all", |v| list(v, Condition::from_json))?;
            Ok(Condition::All { all })
        } else if has_any {
            let mut m = object(v, &["any"], &[])?;
            let any = required(&mut m, "any", |v| list(v, Condition::from_json))?;
            Ok(Condition::Any { any })
        } else {
            let mut m = object(v, &["question", "op", "value"], &[])?;
            Ok(Condition::Compare {
                question: required(&mut m, "question", question_id)?,
                op: required(&mut m, "op", |v| one_of(v, &COMPARE_OPS, "operator"))?,
                value: optional(&mut m, "value", any)?,
            })
        }
    }

    /// The condition as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        match self {
            Condition::All { all } => {
                put(
                    &mut m,
                    "all",
                    Value::Array(all.iter().map(Self::to_json).collect()),
                );
            }
            Condition::Any { any } => {
                put(
                    &mut m,
                    "any",
                    Value::Array(any.iter().map(Self::to_json).collect()),
                );
            }
            Condition::Compare {
                question,
                op,
                value,
            } => {
                put(&mut m, "question", str_value(question.as_str()));
                put(&mut m, "op", name_of(&COMPARE_OPS, *op));
                put_some(&mut m, "value", value.clone());
            }
        }
        Value::Object(m)
    }
}

// ---------------------------------------------------------------- response

const PAYLOAD_FIELDS: &[&str] = &[
    "response_id",
    "site",
    "survey_id",
    "survey_version",
    "answers",
    "context",
    "timing",
    "sig",
];

fn answers(v: Value) -> Result<SortedMap<String, Value>> {
    match v {
        Value::Object(map) => {
            // Inserts rather than `collect`, which would instantiate a sort.
            let mut answers = SortedMap::new();
            for (id, answer) in map {
                answers.insert(id, answer);
            }
            Ok(answers)
        }
        other => Err(JsonError::expected(
            "an object of answers by question id",
            &other,
        )),
    }
}

impl ResponsePayload {
    /// Decodes a response payload.
    pub fn from_json(v: Value) -> Result<Self> {
        let mut m = object(v, PAYLOAD_FIELDS, &[])?;
        Ok(Self {
            response_id: required(&mut m, "response_id", response_id)?,
            site: required(&mut m, "site", site_key)?,
            survey_id: required(&mut m, "survey_id", survey_id)?,
            survey_version: required(&mut m, "survey_version", u32_)?,
            answers: required(&mut m, "answers", answers)?,
            context: or_default(&mut m, "context", Context::from_json, Context::default())?,
            timing: or_default(&mut m, "timing", Timing::from_json, Timing::default())?,
            sig: optional(&mut m, "sig", string)?,
        })
    }

    /// The payload as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put(
            &mut m,
            "response_id",
            str_value(&self.response_id.to_string()),
        );
        put(&mut m, "site", str_value(self.site.as_str()));
        put(&mut m, "survey_id", str_value(self.survey_id.as_str()));
        put(&mut m, "survey_version", self.survey_version.into());
        let mut answers = Map::new();
        for (id, answer) in &self.answers {
            put(&mut answers, id, answer.clone());
        }
        put(&mut m, "answers", Value::Object(answers));
        put(&mut m, "context", self.context.to_json());
        put(&mut m, "timing", self.timing.to_json());
        put_some(&mut m, "sig", opt_str(&self.sig));
        Value::Object(m)
    }
}

const CONTEXT_FIELDS: &[&str] = &[
    "order_id", "customer", "channel", "segment", "locale", "page", "exp",
];

impl Context {
    /// Decodes a response context; every field is optional.
    pub fn from_json(v: Value) -> Result<Self> {
        let mut m = object(v, CONTEXT_FIELDS, &[])?;
        Ok(Self {
            order_id: optional(&mut m, "order_id", string)?,
            customer: optional(&mut m, "customer", string)?,
            channel: optional(&mut m, "channel", string)?,
            segment: optional(&mut m, "segment", string)?,
            locale: optional(&mut m, "locale", string)?,
            page: optional(&mut m, "page", string)?,
            exp: optional(&mut m, "exp", i64_)?,
        })
    }

    /// The context as JSON, absent fields left out.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put_some(&mut m, "order_id", opt_str(&self.order_id));
        put_some(&mut m, "customer", opt_str(&self.customer));
        put_some(&mut m, "channel", opt_str(&self.channel));
        put_some(&mut m, "segment", opt_str(&self.segment));
        put_some(&mut m, "locale", opt_str(&self.locale));
        put_some(&mut m, "page", opt_str(&self.page));
        put_some(&mut m, "exp", self.exp.map(Value::from));
        Value::Object(m)
    }
}

impl Timing {
    /// Decodes the client timestamps; both are optional.
    pub fn from_json(v: Value) -> Result<Self> {
        let mut m = object(v, &["shown_at", "submitted_at"], &[])?;
        Ok(Self {
            shown_at: optional(&mut m, "shown_at", string)?,
            submitted_at: optional(&mut m, "submitted_at", string)?,
        })
    }

    /// The timestamps as JSON, absent ones left out.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put_some(&mut m, "shown_at", opt_str(&self.shown_at));
        put_some(&mut m, "submitted_at", opt_str(&self.submitted_at));
        Value::Object(m)
    }
}

// ---------------------------------------------------------------- errors

pub(super) fn error_code(v: Value) -> Result<ErrorCode> {
    let s = string(v)?;
    ErrorCode::parse(&s)
        .ok_or_else(|| JsonError::new(["unknown code \"", s.as_str(), "\""].concat()))
}

impl ValidationError {
    /// Decodes `{"question": "…", "code": "…", "message": "…"}`; other fields
    /// are ignored so a newer collector may add some.
    pub fn from_json(v: Value) -> Result<Self> {
        let Value::Object(mut m) = v else {
            return Err(JsonError::expected("an object", &v));
        };
        Ok(Self {
            question: required(&mut m, "question", string)?,
            code: required(&mut m, "code", error_code)?,
            message: required(&mut m, "message", string)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../../collector/seed/post-payment.json");

    fn survey_with(question: Value) -> Value {
        json!({
            "id": "s", "version": 1, "default_locale": "en", "locales": ["en"],
            "title": {"en": "T"}, "thank_you": {"en": "Thanks"},
            "questions": [
                {"id": "first", "type": "nps", "text": {"en": "Q"}},
                question,
            ]
        })
    }

    fn survey_error(question: Value) -> String {
        Survey::from_json(survey_with(question))
            .expect_err("should be rejected")
            .to_string()
    }

    #[test]
    fn the_seed_round_trips() {
        let seed = crate::json::parse(SEED).unwrap();
        let survey = Survey::from_json(seed.clone()).unwrap();
        let again = Survey::from_json(survey.to_json()).unwrap();
        assert_eq!(survey, again);
        // Every field the seed states comes back with the same value.
        let out = survey.to_json();
        for (key, value) in seed.as_object().unwrap() {
            if key != "questions" {
                assert_eq!(&out[key.as_str()], value, "{key}");
            }
        }
        for (i, q) in seed["questions"].as_array().unwrap().iter().enumerate() {
            for (key, value) in q.as_object().unwrap() {
                assert_eq!(
                    &out["questions"][i][key.as_str()],
                    value,
                    "questions[{i}].{key}"
                );
            }
        }
    }

    #[test]
    fn defaults_are_filled_in() {
        let v = survey_with(json!({"id": "l", "type": "likert", "text": {"en": "Q"}}));
        let s = Survey::from_json(v).unwrap();
        assert_eq!(s.theme, Theme::default());
        assert_eq!(s.display, DisplaySettings::default());
        assert!(!s.questions[1].required);
        assert_eq!(
            s.questions[1].kind,
            QuestionKind::Likert {
                points: 5,
                labels: None
            }
        );
        let t = survey_with(json!({"id": "t", "type": "text", "text": {"en": "Q"}}));
        assert_eq!(
            Survey::from_json(t).unwrap().questions[1].kind,
            QuestionKind::Text {
                max_length: 1000,
                multiline: true,
                placeholder: None
            }
        );
        let d = DisplaySettings::from_json(json!({"dismissible": false})).unwrap();
        assert!(!d.dismissible && d.show_progress && d.mode == DisplayMode::Auto);
    }

    #[test]
    fn output_skips_absent_options_and_keeps_defaults() {
        let v = survey_with(json!({"id": "t", "type": "text", "text": {"en": "Q"}}));
        let out = Survey::from_json(v).unwrap().to_json();
        assert!(out.get("intro").is_none());
        assert_eq!(out["theme"], json!({"brand_color": "#1f6feb"}));
        assert_eq!(
            out["display"],
            json!({"mode": "auto", "dismissible": true, "show_progress": true})
        );
        assert_eq!(
            out["questions"][1],
            json!({"id": "t", "type": "text", "text": {"en": "Q"}, "required": false,
                   "max_length": 1000, "multiline": true})
        );
    }

    #[test]
    fn errors_name_the_path() {
        let bad_option = json!({"id": "c", "type": "single_choice", "text": {"en": "Q"},
            "options": [{"id": "Bad Id", "label": {"en": "x"}}]});
        assert_eq!(
            survey_error(bad_option),
            "questions[1].options[0].id: invalid option id: \
             must start with a lowercase letter or a digit"
        );
        let unknown = json!({"id": "n", "type": "nps", "text": {"en": "Q"}, "foo": 1});
        assert_eq!(
            survey_error(unknown),
            "unknown field \"foo\" at questions[1]"
        );
        let other_kinds_field = json!({"id": "n", "type": "nps", "text": {"en": "Q"}, "points": 7});
        assert_eq!(
            survey_error(other_kinds_field),
            "unknown field \"points\" at questions[1]"
        );
        let no_type = json!({"id": "n", "text": {"en": "Q"}});
        assert_eq!(
            survey_error(no_type),
            "missing field \"type\" at questions[1]"
        );
        let bad_type = json!({"id": "n", "type": "stars", "text": {"en": "Q"}});
        assert_eq!(
            survey_error(bad_type),
            "questions[1].type: unknown question type \"stars\""
        );
        let bad_locale = json!({"id": "n", "type": "nps", "text": {"en": "Q", "fr": "Q"}});
        assert_eq!(
            survey_error(bad_locale),
            "questions[1].text.fr: unknown locale"
        );
        let bad_points = json!({"id": "l", "type": "likert", "text": {"en": "Q"}, "points": 300});
        assert_eq!(
            survey_error(bad_points),
            "questions[1].points: expected an integer from 0 to 255, found 300"
        );
        let bad_condition = json!({"id": "n", "type": "nps", "text": {"en": "Q"},
            "show_if": {"all": [{"question": "first", "op": "lte", "valeu": 3}]}});
        assert_eq!(
            survey_error(bad_condition),
            "unknown field \"valeu\" at questions[1].show_if.all[0]"
        );
        let bad_op = json!({"id": "n", "type": "nps", "text": {"en": "Q"},
            "show_if": {"question": "first", "op": "le"}});
        assert_eq!(
            survey_error(bad_op),
            "questions[1].show_if.op: unknown operator \"le\""
        );
    }

    #[test]
    fn nulls_mean_absent_only_for_optional_fields() {
        let q = json!({"id": "n", "type": "nps", "text": {"en": "Q"}, "low_label": null,
                       "show_if": {"question": "first", "op": "answered", "value": null}});
        let s = Survey::from_json(survey_with(q)).unwrap();
        assert_eq!(
            s.questions[1].kind,
            QuestionKind::Nps {
                low_label: None,
                high_label: None
            }
        );
        let q = json!({"id": "n", "type": "nps", "text": {"en": "Q"}, "required": null});
        assert_eq!(
            survey_error(q),
            "questions[1].required: expected a boolean, found null"
        );
    }

    fn payload() -> Value {
        json!({
            "response_id": "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "site": "demo", "survey_id": "post-payment", "survey_version": 1,
            "answers": {"nps": 9, "reason": ["slow"]},
            "context": {"order_id": "A1", "exp": 1790000000},
            "timing": {"shown_at": "2025-01-01T00:00:00Z"},
        })
    }

    #[test]
    fn payload_round_trips_and_rejects_unknown_fields() {
        let p = ResponsePayload::from_json(payload()).unwrap();
        assert_eq!(p.context.exp, Some(1790000000));
        assert_eq!(p.to_json(), payload());
        let mut extra = payload();
        extra["timing"]["when"] = json!(1);
        let e = ResponsePayload::from_json(extra).unwrap_err();
        assert_eq!(e.to_string(), "unknown field \"when\" at timing");
        let mut missing = payload();
        missing.as_object_mut().unwrap().remove("answers");
        let e = ResponsePayload::from_json(missing).unwrap_err();
        assert_eq!(e.to_string(), "missing field \"answers\"");
    }

    #[test]
    fn the_readme_payload_decodes_and_round_trips() {
        let readme = include_str!("../../../README.md");
        let block = readme
            .split("```json")
            .skip(1)
            .map(|rest| rest.split("```").next().unwrap_or_default())
            .find(|block| block.contains("\"response_id\""))
            .expect("README shows a payload");
        let wire = crate::json::parse(block).unwrap();
        let p = ResponsePayload::from_json(wire.clone()).unwrap();
        assert_eq!(p.context.segment.as_deref(), Some("vip"));
        assert_eq!(p.to_json(), wire);
        #[cfg(feature = "serde")]
        {
            let p: ResponsePayload = serde_json::from_str(block).unwrap();
            assert_eq!(serde_json::to_value(&p).unwrap(), wire);
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn shape_errors_are_serde_json_data_errors() {
        let mut p = payload();
        p["survey_version"] = json!("1");
        let e = serde_json::from_str::<ResponsePayload>(&p.to_string()).unwrap_err();
        assert_eq!(e.classify(), serde_json::error::Category::Data);
        assert!(e.to_string().starts_with("survey_version: expected"), "{e}");
        let e = serde_json::from_str::<ResponsePayload>("{\"site\":").unwrap_err();
        assert_eq!(e.classify(), serde_json::error::Category::Eof);
    }

    #[test]
    fn validation_errors_decode_ignoring_extra_fields() {
        let e = ValidationError::new("nps", ErrorCode::OutOfRange, "too high");
        let v = json!({"question": "nps", "code": "out_of_range", "message": "too high",
                       "extra": true});
        assert_eq!(ValidationError::from_json(v).unwrap(), e);
        let unknown = json!({"question": "", "code": "new_code", "message": "m"});
        assert_eq!(
            ValidationError::from_json(unknown).unwrap_err().to_string(),
            "code: unknown code \"new_code\""
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn validation_errors_keep_their_wire_shape() {
        let e = ValidationError::new("nps", ErrorCode::OutOfRange, "too high");
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(
            text,
            r#"{"question":"nps","code":"out_of_range","message":"too high"}"#
        );
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v["extra"] = json!(true);
        assert_eq!(serde_json::from_value::<ValidationError>(v).unwrap(), e);
        let unknown = json!({"question": "", "code": "new_code", "message": "m"});
        assert!(serde_json::from_value::<ValidationError>(unknown).is_err());
    }
}
