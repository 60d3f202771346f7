//! The posted form → the response payload.
//!
//! Field names: a question's answer is the field named by its id (several
//! `reason=…` fields for a multi-choice), the free text of its "other"
//! option is `<id>.other`, and the page's own hidden fields start with `_`
//! (question ids cannot: they start with a letter or digit, and contain no
//! `.`), so the two never collide.
//!
//! Without JavaScript every question is on the page, follow-ups included, so
//! a customer may well fill in a follow-up whose condition turns out false
//! (a comment for "why so low?" after scoring 9). Those answers are dropped
//! with the shared visibility rules ([`prune_hidden`]) *before* validation,
//! exactly as the widget drops them before posting; everything left is then
//! checked by the same rule book as `POST /v1/responses`.

use manyi_shared::survey::OTHER_OPTION;
use manyi_shared::visibility::visible_flags;
use manyi_shared::{AnswerValue, QuestionId, QuestionKind, Survey, rules};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Hidden field: the response id minted when the page was rendered.
pub const F_RESPONSE_ID: &str = "_response_id";
/// Hidden field: the survey version the page showed.
pub const F_VERSION: &str = "_version";
/// Hidden field: when the page was rendered (RFC 3339, collector clock).
pub const F_SHOWN_AT: &str = "_shown_at";
/// Hidden field: the site key.
pub const F_SITE: &str = "_site";
/// Hidden field: the order id.
pub const F_ORDER: &str = "_order";
/// Hidden field: the customer id.
pub const F_CUSTOMER: &str = "_customer";
/// Hidden field: the channel.
pub const F_CHANNEL: &str = "_channel";
/// Hidden field: the segment.
pub const F_SEGMENT: &str = "_segment";
/// Hidden field: the locale the page was shown in.
pub const F_LOCALE: &str = "_locale";
/// Hidden field: the merchant's signature.
pub const F_SIG: &str = "_sig";
/// Hidden field: the signature's expiry.
pub const F_EXP: &str = "_exp";

/// The suffix of the "other" free-text field of a choice question.
pub const OTHER_SUFFIX: &str = ".other";

/// The submitted fields, in order, as the browser sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    /// Parses an `application/x-www-form-urlencoded` body (`+` is a space,
    /// `%XX` a byte; invalid UTF-8 is replaced, never an error: the rule
    /// book then judges the text).
    pub fn parse(body: &[u8]) -> Self {
        let pairs = body
            .split(|&b| b == b'&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let mut kv = pair.splitn(2, |&b| b == b'=');
                let key = decode(kv.next().unwrap_or_default());
                let value = decode(kv.next().unwrap_or_default());
                (key, value)
            })
            .collect();
        Self { pairs }
    }

    /// Builds form data from pairs (tests, re-rendering).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a field, when not blank.
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// Every value of a field, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `value` is among the values of `name` (a checked box).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.all(name).any(|v| v == value)
    }
}

/// Percent-decodes one form component (`+` → space).
fn decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = match raw[i] {
            b'%' => raw
                .get(i + 1)
                .and_then(|&h| hex(h))
                .zip(raw.get(i + 2).and_then(|&l| hex(l))),
            _ => None,
        };
        match (raw[i], escaped) {
            (_, Some((hi, lo))) => {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
            (b'+', None) => out.push(b' '),
            (b, None) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// The raw wire answers the form holds, one per question the customer
/// touched, in the shapes of `POST /v1/responses` (see
/// [`manyi_shared::answer`]). Untouched questions are absent.
///
/// Two kindnesses for a form without JavaScript: text typed into an
/// "other" field counts as choosing "other" (the box is easy to miss), and
/// such text is ignored when a single choice names another option (the
/// customer changed their mind; the widget would have hidden the field).
pub fn raw_answers(survey: &Survey, form: &FormData) -> BTreeMap<String, Value> {
    let mut answers = BTreeMap::new();
    for q in &survey.questions {
        let id = q.id.as_str();
        let other_field = format!("{id}{OTHER_SUFFIX}");
        let other_text = form.non_blank(&other_field).map(normalize_newlines);
        let answer = match &q.kind {
            QuestionKind::SingleChoice { .. } => {
                let choice = form.non_blank(id).map(str::to_owned);
                match (choice, other_text) {
                    (None, None) => None,
                    (Some(c), Some(t)) if c == OTHER_OPTION => {
                        Some(json!({"choice": c, "other_text": t}))
                    }
                    (None, Some(t)) => Some(json!({"choice": OTHER_OPTION, "other_text": t})),
                    (Some(c), _) => Some(json!(c)),
                }
            }
            QuestionKind::MultiChoice { .. } => {
                let mut choices: Vec<String> = form
                    .all(id)
                    .filter(|v| !v.trim().is_empty())
                    .map(str::to_owned)
                    .collect();
                match other_text {
                    None if choices.is_empty() => None,
                    None => Some(json!(choices)),
                    Some(t) => {
                        if !choices.iter().any(|c| c == OTHER_OPTION) {
                            choices.push(OTHER_OPTION.to_owned());
                        }
                        Some(json!({"choices": choices, "other_text": t}))
                    }
                }
            }
            QuestionKind::Text { .. } => form
                .non_blank(id)
                .map(|t| Value::String(normalize_newlines(t))),
            // Rating kinds: an integer, or the text as sent so that the rule
            // book reports it (wrong_type) instead of it vanishing.
            _ => form.non_blank(id).map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_or_else(|_| Value::String(v.to_owned()), Value::from)
            }),
        };
        if let Some(a) = answer {
            answers.insert(id.to_owned(), a);
        }
    }
    answers
}

/// Browsers send textarea line breaks as CRLF; store them as `\n`, like
/// the widget does.
fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Drops the answers to questions that the other answers hide, using the
/// shared visibility rules. Answers that do not parse are kept when their
/// question is visible (validation then reports them) and dropped when it
/// is hidden, like any other hidden answer.
pub fn prune_hidden(survey: &Survey, raw: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    let parsed: BTreeMap<QuestionId, AnswerValue> = survey
        .questions
        .iter()
        .filter_map(|q| {
            let a = rules::parse_answer(q, raw.get(q.id.as_str())?).ok()?;
            Some((q.id.clone(), a))
        })
        .collect();
    let visible = visible_flags(survey, &parsed);
    survey
        .questions
        .iter()
        .zip(visible)
        .filter(|(_, shown)| *shown)
        .filter_map(|(q, _)| {
            let id = q.id.as_str();
            raw.get(id).map(|v| (id.to_owned(), v.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Survey {
        crate::seed::demo_survey().expect("demo survey")
    }

    #[test]
    fn urlencoded_bodies_decode_plus_percent_and_repeats() {
        let f = FormData::parse(
            b"nps=3&reason=slow_delivery&reason=price&comment=%E5%BE%88%E5%A5%BD+ok%0D%0Ax&bad=%zz&e=",
        );
        assert_eq!(f.get("nps"), Some("3"));
        assert_eq!(
            f.all("reason").collect::<Vec<_>>(),
            ["slow_delivery", "price"]
        );
        assert_eq!(f.get("comment"), Some("很好 ok\r\nx"));
        assert_eq!(f.get("bad"), Some("%zz"));
        assert_eq!(f.get("e"), Some(""));
        assert_eq!(f.non_blank("e"), None);
        assert_eq!(FormData::parse(b"a=%4").get("a"), Some("%4"));
    }

    #[test]
    fn form_fields_become_wire_answers() {
        let f = FormData::from_pairs([
            ("nps", "3"),
            ("reason", "slow_delivery"),
            ("reason.other", "包装破损"),
            ("comment", "a\r\nb"),
            ("_order", "A1"),
        ]);
        let raw = raw_answers(&demo(), &f);
        assert_eq!(raw["nps"], json!(3));
        assert_eq!(
            raw["reason"],
            json!({"choices": ["slow_delivery", "other"], "other_text": "包装破损"})
        );
        assert_eq!(raw["comment"], json!("a\nb"));
        assert_eq!(raw.len(), 3);
    }

    #[test]
    fn a_non_numeric_score_is_kept_for_the_rule_book_to_reject() {
        let raw = raw_answers(&demo(), &FormData::from_pairs([("nps", "ten")]));
        assert_eq!(raw["nps"], json!("ten"));
    }

    #[test]
    fn answers_to_hidden_follow_ups_are_dropped() {
        let f = FormData::from_pairs([("nps", "9"), ("reason", "price"), ("comment", "好")]);
        let pruned = prune_hidden(&demo(), &raw_answers(&demo(), &f));
        assert_eq!(
            pruned,
            BTreeMap::from([
                ("nps".to_owned(), json!(9)),
                ("comment".to_owned(), json!("好"))
            ])
        );
        // Nothing scored: both follow-ups hide.
        let f = FormData::from_pairs([("reason", "price"), ("comment", "好")]);
        assert!(prune_hidden(&demo(), &raw_answers(&demo(), &f)).is_empty());
    }
}
