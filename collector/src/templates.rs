//! The questionnaire template library: ready-made surveys a marketer picks,
//! adjusts and publishes.
//!
//! Each template is a JSON file in `collector/templates/`, compiled into the
//! binary with `include_str!` and parsed once, on first use:
//!
//! ```json
//! { "template": { "id": "nps", "name": {…}, "description": {…},
//!                 "category": "loyalty", "estimated_seconds": 30, "tags": ["nps"] },
//!   "survey":   { …a `manyi_shared::Survey` at version 1… } }
//! ```
//!
//! The metadata lives beside the survey, not inside it, because
//! [`Survey`] rejects unknown fields.
//!
//! Conventions every template follows (the tests below hold them to it):
//! - texts in zh-CN (default), zh-TW (Taiwan usage) and en, worded neutrally
//!   ("how satisfied or dissatisfied …");
//! - the main score questions are required, the closing `comment` is optional;
//! - a low score shows a `reasons` follow-up (multi choice, up to 3, with
//!   "other"); a top score hides it;
//! - a single-choice question that drives a follow-up (e.g. `resolved`) lists
//!   its options best first (`yes`, `partly`, `no`);
//! - `estimated_seconds` (in the metadata and in `display`) is at most
//!   [`MAX_ESTIMATED_SECONDS`] and within 20% of [`estimate_seconds`].

use manyi_shared::{
    AnswerValue, Condition, LocalizedText, OptionId, Question, QuestionId, QuestionKind, Survey,
    SurveyId, survey::OTHER_OPTION, visibility,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// A template: its catalogue entry and the survey it starts from.
///
/// Serializes to the file format (`{"template": …, "survey": …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Catalogue information (the file's `template` field).
    #[serde(rename = "template")]
    pub meta: TemplateMeta,
    /// The survey, at version 1, whose id is the template id.
    pub survey: Survey,
}

/// How a template is listed in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateMeta {
    /// Stable id, e.g. `post-payment-csat`; also the survey id.
    pub id: SurveyId,
    /// Display name, e.g. 支付后满意度.
    pub name: LocalizedText,
    /// One or two sentences: when to use it and what it asks.
    pub description: LocalizedText,
    /// Catalogue section.
    pub category: TemplateCategory,
    /// Expected time to complete on the longest path, in seconds (see
    /// [`estimate_seconds`]); the same value as `survey.display.estimated_seconds`.
    pub estimated_seconds: u32,
    /// Free-form search tags, e.g. `csat`, `ecommerce`.
    pub tags: Vec<String>,
}

/// Catalogue sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateCategory {
    /// Right after a purchase or payment.
    Transaction,
    /// Relationship and loyalty (NPS).
    Loyalty,
    /// Customer support: tickets, chat, after-sales.
    Support,
    /// On-site visits: installation, repair.
    FieldService,
    /// Service-quality models (SERVQUAL).
    ServiceQuality,
    /// Shipping and delivery.
    Logistics,
}

/// The template files, in catalogue order: (file name, contents).
const SOURCES: &[(&str, &str)] = &[
    (
        "post-payment-csat.json",
        include_str!("../templates/post-payment-csat.json"),
    ),
    ("nps.json", include_str!("../templates/nps.json")),
    (
        "ces-support.json",
        include_str!("../templates/ces-support.json"),
    ),
    (
        "ticket-follow-up.json",
        include_str!("../templates/ticket-follow-up.json"),
    ),
    (
        "field-service.json",
        include_str!("../templates/field-service.json"),
    ),
    (
        "servqual-short.json",
        include_str!("../templates/servqual-short.json"),
    ),
    ("delivery.json", include_str!("../templates/delivery.json")),
    (
        "live-chat.json",
        include_str!("../templates/live-chat.json"),
    ),
    (
        "after-sales.json",
        include_str!("../templates/after-sales.json"),
    ),
];

/// Every template, in catalogue order, parsed on first call.
pub fn all() -> &'static [Template] {
    static ALL: OnceLock<Vec<Template>> = OnceLock::new();
    ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(file, json)| {
                // Invariant: the files are part of the source tree, compiled in,
                // and the tests in this module parse and validate every one of
                // them. A failure here is a programming error that those tests
                // catch before release, not a runtime condition to handle.
                parse(json).unwrap_or_else(|e| {
                    panic!("collector/templates/{file} is not a valid template: {e}")
                })
            })
            .collect()
    })
}

/// The template with this id, if any.
pub fn get(id: &str) -> Option<&'static Template> {
    all().iter().find(|t| t.meta.id.as_str() == id)
}

/// Parses one template file (`{"template": …, "survey": …}`). Structure only:
/// run [`manyi_shared::validate_survey`] on the survey before publishing it.
pub fn parse(json: &str) -> Result<Template, serde_json::Error> {
    serde_json::from_str(json)
}

/// The most a template may ask of a respondent, in seconds.
pub const MAX_ESTIMATED_SECONDS: u32 = 90;
/// Seconds per rating question (likert, csat, nps, ces): one tap.
pub const RATING_SECONDS: u32 = 4;
/// Seconds per choice question (single or multi): read the options, tap.
pub const CHOICE_SECONDS: u32 = 6;
/// Seconds per optional text question (a short comment, often skipped).
pub const OPTIONAL_TEXT_SECONDS: u32 = 20;
/// Seconds per required text question.
pub const REQUIRED_TEXT_SECONDS: u32 = 30;

/// The seconds one question costs when shown (see the `*_SECONDS` constants).
pub fn question_seconds(q: &Question) -> u32 {
    match &q.kind {
        QuestionKind::Likert { .. }
        | QuestionKind::Nps { .. }
        | QuestionKind::Csat { .. }
        | QuestionKind::Ces { .. } => RATING_SECONDS,
        QuestionKind::SingleChoice { .. } | QuestionKind::MultiChoice { .. } => CHOICE_SECONDS,
        QuestionKind::Text { .. } if q.required => REQUIRED_TEXT_SECONDS,
        QuestionKind::Text { .. } => OPTIONAL_TEXT_SECONDS,
    }
}

/// Estimated completion time of `survey` in seconds: the sum of
/// [`question_seconds`] over the questions shown on the *longest path*, i.e.
/// the largest such sum over every way of answering (reading the title and
/// pressing submit are not counted).
///
/// Mutually exclusive follow-ups (NPS detractor reasons vs. promoter praise)
/// thus count once, not twice. Visibility comes from
/// [`manyi_shared::visibility`], so the estimate follows exactly what the
/// widget shows. The search branches only on questions that some `show_if`
/// refers to, and for a score only on values where a condition can change
/// (each operand and its neighbours, plus the scale ends), so it stays small.
pub fn estimate_seconds(survey: &Survey) -> u32 {
    let mut operands: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for cond in survey.questions.iter().filter_map(|q| q.show_if.as_ref()) {
        collect_operands(cond, &mut operands);
    }
    let branches: Vec<Option<Vec<AnswerValue>>> = survey
        .questions
        .iter()
        .map(|q| {
            operands
                .get(q.id.as_str())
                .map(|values| candidate_answers(q, values))
        })
        .collect();
    longest_from(survey, &branches, 0, &mut BTreeMap::new())
}

/// Per referenced question, the integer operands compared with it.
fn collect_operands<'a>(cond: &'a Condition, out: &mut BTreeMap<&'a str, BTreeSet<i64>>) {
    match cond {
        Condition::All { all: cs } | Condition::Any { any: cs } => {
            cs.iter().for_each(|c| collect_operands(c, out))
        }
        Condition::Compare {
            question, value, ..
        } => {
            let set = out.entry(question.as_str()).or_default();
            let ints = match value {
                Some(serde_json::Value::Array(items)) => {
                    items.iter().filter_map(serde_json::Value::as_i64).collect()
                }
                Some(v) => v.as_i64().into_iter().collect(),
                None => Vec::new(),
            };
            set.extend(ints);
        }
    }
}

/// Answers worth trying for a question that conditions refer to: one per
/// class of answers that conditions can tell apart.
fn candidate_answers(q: &Question, operands: &BTreeSet<i64>) -> Vec<AnswerValue> {
    let option = |id: &str| OptionId::parse(id).ok();
    let ids = |options: &[manyi_shared::ChoiceOption], other: bool| -> Vec<OptionId> {
        let mut v: Vec<OptionId> = options.iter().map(|o| o.id.clone()).collect();
        v.extend(other.then(|| option(OTHER_OPTION)).flatten());
        v
    };
    match &q.kind {
        QuestionKind::SingleChoice {
            options,
            allow_other,
        } => ids(options, *allow_other)
            .into_iter()
            .map(|choice| AnswerValue::Single {
                choice,
                other_text: None,
            })
            .collect(),
        QuestionKind::MultiChoice {
            options,
            allow_other,
            ..
        } => {
            let all = ids(options, *allow_other);
            let mut v: Vec<AnswerValue> = all
                .iter()
                .map(|c| AnswerValue::Multi {
                    choices: vec![c.clone()],
                    other_text: None,
                })
                .collect();
            v.push(AnswerValue::Multi {
                choices: all,
                other_text: None,
            });
            v
        }
        QuestionKind::Text { .. } => vec![AnswerValue::Text("…".into())],
        rating => {
            let (lo, hi) = rating.scale().unwrap_or((0, 0));
            let mut scores = BTreeSet::from([lo, hi]);
            for &v in operands {
                scores.extend([v - 1, v, v + 1]);
            }
            scores
                .into_iter()
                .filter(|s| (lo..=hi).contains(s))
                .map(AnswerValue::Score)
                .collect()
        }
    }
}

/// Longest path from question `i` on, given the answers to earlier questions.
fn longest_from(
    survey: &Survey,
    branches: &[Option<Vec<AnswerValue>>],
    i: usize,
    answers: &mut BTreeMap<QuestionId, AnswerValue>,
) -> u32 {
    let Some(q) = survey.questions.get(i) else {
        return 0;
    };
    // `answers` holds only questions before `i`, and conditions look only
    // backwards, so question `i`'s visibility is already settled.
    if !visibility::visible_flags(survey, answers)[i] {
        return longest_from(survey, branches, i + 1, answers);
    }
    let rest = match &branches[i] {
        None => longest_from(survey, branches, i + 1, answers),
        Some(candidates) => {
            // A required question is always answered; an optional one may not be.
            let mut best = if q.required {
                0
            } else {
                longest_from(survey, branches, i + 1, answers)
            };
            for a in candidates {
                answers.insert(q.id.clone(), a.clone());
                best = best.max(longest_from(survey, branches, i + 1, answers));
            }
            answers.remove(&q.id);
            best
        }
    };
    question_seconds(q) + rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use manyi_shared::{Locale, validate_survey};
    use serde_json::json;

    fn texts(t: &LocalizedText) -> impl Iterator<Item = (Locale, &str)> {
        t.0.iter().map(|(l, s)| (*l, s.as_str()))
    }

    /// Every text of a template (metadata, survey, questions, options, labels).
    fn all_texts(t: &Template) -> Vec<(Locale, &str)> {
        let s = &t.survey;
        let mut out: Vec<(Locale, &str)> = Vec::new();
        for x in [&t.meta.name, &t.meta.description, &s.title, &s.thank_you] {
            out.extend(texts(x));
        }
        out.extend(s.intro.iter().flat_map(texts));
        for q in &s.questions {
            out.extend(texts(&q.text));
            out.extend(q.help.iter().flat_map(texts));
            match &q.kind {
                QuestionKind::Likert { labels, .. } | QuestionKind::Csat { labels } => {
                    out.extend(labels.iter().flatten().flat_map(texts))
                }
                QuestionKind::Nps {
                    low_label,
                    high_label,
                } => {
                    out.extend(low_label.iter().chain(high_label).flat_map(texts));
                }
                QuestionKind::SingleChoice { options, .. }
                | QuestionKind::MultiChoice { options, .. } => {
                    out.extend(options.iter().flat_map(|o| texts(&o.label)))
                }
                QuestionKind::Text { placeholder, .. } => {
                    out.extend(placeholder.iter().flat_map(texts))
                }
                QuestionKind::Ces { .. } => {}
            }
        }
        out
    }

    fn is_reason_follow_up(q: &Question) -> bool {
        q.id.as_str().ends_with("reasons")
    }

    #[test]
    fn every_template_parses_and_ids_match_file_names() {
        // Forces the lazy parse of every file (a bad file panics here).
        let all = all();
        assert!(all.len() >= 9, "{} templates", all.len());
        assert_eq!(all.len(), SOURCES.len());
        for (t, (file, _)) in all.iter().zip(SOURCES) {
            assert_eq!(format!("{}.json", t.meta.id), *file);
            assert_eq!(t.survey.id, t.meta.id, "{file}: survey id");
            assert_eq!(t.survey.version, 1, "{file}: version");
        }
    }

    #[test]
    fn ids_are_unique_and_get_finds_each_template() {
        let ids: BTreeSet<&str> = all().iter().map(|t| t.meta.id.as_str()).collect();
        assert_eq!(ids.len(), all().len(), "duplicate template ids");
        for t in all() {
            assert!(std::ptr::eq(get(t.meta.id.as_str()).unwrap(), t));
        }
        assert!(get("no-such-template").is_none());
        for id in [
            "post-payment-csat",
            "nps",
            "ces-support",
            "ticket-follow-up",
            "field-service",
            "servqual-short",
            "delivery",
            "live-chat",
            "after-sales",
        ] {
            assert!(get(id).is_some(), "missing template {id}");
        }
    }

    #[test]
    fn every_template_passes_the_rule_book() {
        for t in all() {
            assert_eq!(validate_survey(&t.survey), vec![], "{}", t.meta.id);
        }
    }

    #[test]
    fn templates_round_trip_through_the_file_format() {
        for t in all() {
            let again = parse(&serde_json::to_string(t).unwrap()).unwrap();
            assert_eq!(&again, t);
        }
        // The wrapper rejects stray fields, as Survey itself does.
        let mut v = serde_json::to_value(&all()[0]).unwrap();
        v["template"]["colour"] = json!("red");
        assert!(parse(&v.to_string()).is_err());
    }

    #[test]
    fn every_template_is_in_zh_cn_zh_tw_and_en() {
        for t in all() {
            let id = &t.meta.id;
            assert_eq!(
                t.survey.locales,
                [Locale::ZhCn, Locale::ZhTw, Locale::En],
                "{id}"
            );
            assert_eq!(t.survey.default_locale, Locale::ZhCn, "{id}");
            for text in [&t.meta.name, &t.meta.description] {
                assert!(Locale::ALL.iter().all(|&l| text.has(l)), "{id}: {text:?}");
            }
            // validate_survey checks the survey's texts; here no text carries
            // an undeclared locale either (there is none left to carry).
            assert!(all_texts(t).iter().all(|(l, _)| Locale::ALL.contains(l)));
        }
    }

    /// Simplified-only and traditional-only forms of characters the
    /// templates use: a zh-TW text in simplified (or the reverse) is a slip.
    const SIMPLIFIED: &str = "们这说时间问题满对为务质讯馈么员费过还门单线后应处实际产让给动开关从体点专业况个进沟联总够证师维护换货态价现场设备调评选项诉请谢";
    const TRADITIONAL: &str = "們這說時間問題滿對為務質訊饋麼員費過還門單線後應處實際產讓給動開關從體點專業況個進溝聯總夠證師維護換貨態價現場設備調評選項訴請謝";
    /// Mainland wording with another usual term in Taiwan.
    const NOT_TAIWAN: &[&str] = &[
        "信息", "質量", "上門", "渠道", "視頻", "網絡", "軟件", "工單", "默認",
    ];

    #[test]
    fn chinese_texts_use_the_right_script_and_taiwan_wording() {
        assert_eq!(SIMPLIFIED.chars().count(), TRADITIONAL.chars().count());
        for t in all() {
            for (locale, s) in all_texts(t) {
                let id = &t.meta.id;
                match locale {
                    Locale::ZhCn => {
                        let bad: String = s.chars().filter(|c| TRADITIONAL.contains(*c)).collect();
                        assert!(bad.is_empty(), "{id}: traditional {bad:?} in zh-CN {s:?}");
                    }
                    Locale::ZhTw => {
                        let bad: String = s.chars().filter(|c| SIMPLIFIED.contains(*c)).collect();
                        assert!(bad.is_empty(), "{id}: simplified {bad:?} in zh-TW {s:?}");
                        for w in NOT_TAIWAN {
                            assert!(!s.contains(w), "{id}: {w:?} in zh-TW {s:?}");
                        }
                    }
                    Locale::En => {
                        assert!(s.is_ascii() || s.contains('…') || s.contains('–'), "{s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn declared_time_follows_the_estimate_rule_and_stays_short() {
        for t in all() {
            let id = &t.meta.id;
            let declared = t.meta.estimated_seconds;
            let estimate = estimate_seconds(&t.survey);
            assert_eq!(t.survey.display.estimated_seconds, Some(declared), "{id}");
            assert!(declared <= MAX_ESTIMATED_SECONDS, "{id}: {declared}s");
            assert!(
                declared.abs_diff(estimate) * 5 <= estimate,
                "{id}: declared {declared}s, estimated {estimate}s"
            );
        }
    }

    #[test]
    fn the_estimate_counts_exclusive_follow_ups_once() {
        let t = json!({"en": "x"});
        let choice = |id: &str, show_if| {
            json!({"id": id, "type": "multi_choice", "text": t, "allow_other": true,
                   "options": [{"id": "a", "label": t}], "show_if": show_if})
        };
        let survey: Survey = serde_json::from_value(json!({
            "id": "s", "version": 1, "default_locale": "en", "locales": ["en"],
            "title": t, "thank_you": t,
            "questions": [
                {"id": "nps", "type": "nps", "required": true, "text": t},
                choice("low", json!({"question": "nps", "op": "lte", "value": 6})),
                choice("high", json!({"question": "nps", "op": "gte", "value": 9})),
                // Shown only after `low` picks `a`: the longest path goes through it.
                {"id": "why_a", "type": "text", "text": t,
                 "show_if": {"question": "low", "op": "eq", "value": "a"}},
                {"id": "name", "type": "text", "required": true, "text": t},
                {"id": "never", "type": "csat", "text": t,
                 "show_if": {"all": [{"question": "nps", "op": "lte", "value": 3},
                                     {"question": "nps", "op": "gte", "value": 4}]}}
            ]
        }))
        .unwrap();
        assert_eq!(validate_survey(&survey), vec![]);
        assert_eq!(
            estimate_seconds(&survey),
            RATING_SECONDS + CHOICE_SECONDS + OPTIONAL_TEXT_SECONDS + REQUIRED_TEXT_SECONDS
        );
    }

    #[test]
    fn every_template_asks_for_reasons_with_an_other_option() {
        for t in all() {
            let id = &t.meta.id;
            let reasons = t
                .survey
                .question("reasons")
                .unwrap_or_else(|| panic!("{id}"));
            assert!(reasons.show_if.is_some(), "{id}: reasons always shown");
            assert!(
                matches!(
                    &reasons.kind,
                    QuestionKind::MultiChoice { allow_other: true, options, .. } if options.len() >= 3
                ),
                "{id}: reasons must be a multi choice with `other`"
            );
        }
    }

    #[test]
    fn scores_are_required_comments_optional_and_ids_snake_case() {
        for t in all() {
            let id = &t.meta.id;
            let mut has_comment = false;
            for q in &t.survey.questions {
                let qid = q.id.as_str();
                // QuestionId already forbids `-`; snake_case also means no
                // leading digit or underscore and no doubled underscore.
                assert!(
                    q.id.as_str().starts_with(|c: char| c.is_ascii_lowercase())
                        && !qid.contains("__")
                        && !qid.ends_with('_'),
                    "{id}.{qid}"
                );
                match &q.kind {
                    QuestionKind::Text { .. } => {
                        assert!(!q.required, "{id}.{qid}: comments are optional");
                        has_comment = true;
                    }
                    kind if kind.scale().is_some() && q.show_if.is_none() => {
                        assert!(q.required, "{id}.{qid}: main scores are required")
                    }
                    QuestionKind::SingleChoice { .. } if q.show_if.is_none() => {
                        assert!(q.required, "{id}.{qid}: main questions are required")
                    }
                    QuestionKind::SingleChoice { options, .. }
                    | QuestionKind::MultiChoice { options, .. } => {
                        for o in options {
                            let oid = o.id.as_str();
                            assert!(
                                oid.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                                "{id}.{qid}: option {oid}"
                            );
                        }
                    }
                    _ => {}
                }
            }
            assert!(has_comment, "{id}: no optional comment");
        }
    }

    #[test]
    fn scales_are_five_point_and_ces_states_its_direction() {
        for t in all() {
            for q in &t.survey.questions {
                let where_ = format!("{}.{}", t.meta.id, q.id);
                match &q.kind {
                    QuestionKind::Likert { points, labels } => {
                        assert_eq!(*points, 5, "{where_}");
                        if let Some(labels) = labels {
                            assert_eq!(labels.len(), 5, "{where_}");
                        }
                    }
                    QuestionKind::Ces { .. } => {
                        for (l, s) in texts(&q.text) {
                            assert!(s.contains('7') && s.contains('1'), "{where_} {l}: {s}");
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn the_library_covers_every_rating_kind_and_dimension() {
        let kinds: BTreeSet<&str> = all()
            .iter()
            .flat_map(|t| &t.survey.questions)
            .map(|q| q.kind.type_name())
            .collect();
        for kind in ["nps", "csat", "ces", "likert"] {
            assert!(kinds.contains(kind), "no {kind} question in the library");
        }
        let servqual = get("servqual-short").unwrap();
        let dims: BTreeSet<_> = servqual
            .survey
            .questions
            .iter()
            .filter_map(|q| q.dimension)
            .collect();
        assert_eq!(dims.len(), 5, "one item per SERVQUAL dimension");
    }

    /// Phrases that lead the respondent towards an answer (assume the
    /// experience was good, or ask only one side of the scale).
    const LEADING: &[(Locale, &str)] = &[
        (Locale::En, "how satisfied were you"),
        (Locale::En, "how happy"),
        (Locale::En, "how great"),
        (Locale::En, "how much did you enjoy"),
        (Locale::En, "how good was"),
        (Locale::En, "excellent"),
        (Locale::En, "amazing"),
        (Locale::En, "wonderful"),
        (Locale::En, "wouldn't you"),
        (Locale::En, "don't you"),
        (Locale::ZhCn, "有多满意"),
        (Locale::ZhCn, "满意吗"),
        (Locale::ZhCn, "是否满意"),
        (Locale::ZhCn, "优质"),
        (Locale::ZhCn, "贴心"),
        (Locale::ZhTw, "有多滿意"),
        (Locale::ZhTw, "滿意嗎"),
        (Locale::ZhTw, "是否滿意"),
        (Locale::ZhTw, "優質"),
        (Locale::ZhTw, "貼心"),
    ];

    #[test]
    fn questions_are_worded_neutrally() {
        for t in all() {
            for q in &t.survey.questions {
                let where_ = format!("{}.{}", t.meta.id, q.id);
                for (l, text) in texts(&q.text) {
                    let lower = text.to_lowercase();
                    for (_, phrase) in LEADING.iter().filter(|(pl, _)| *pl == l) {
                        assert!(
                            !lower.contains(phrase),
                            "{where_} {l}: leading {phrase:?} in {text:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_scale_point_is_labelled_to_match_its_question() {
        // The widget labels a CSAT scale, and a Likert scale without labels
        // of its own, with the shared satisfaction labels (very dissatisfied
        // … very satisfied): such a question must then ask about
        // satisfaction from both sides. Agreement statements carry their own
        // five agree/disagree labels with a neutral middle.
        let two_sided = [
            (Locale::En, "satisfied or dissatisfied"),
            (Locale::ZhCn, "满意程度"),
            (Locale::ZhTw, "滿意程度"),
        ];
        for t in all() {
            for q in &t.survey.questions {
                let where_ = format!("{}.{}", t.meta.id, q.id);
                match &q.kind {
                    QuestionKind::Csat { labels: None }
                    | QuestionKind::Likert { labels: None, .. } => {
                        assert_eq!(
                            manyi_shared::texts::satisfaction_labels(Locale::En, 5).len(),
                            5,
                            "default labels exist for 5 points"
                        );
                        for (l, wanted) in two_sided {
                            let text = q.text.0.get(&l).map(String::as_str).unwrap_or_default();
                            assert!(
                                text.to_lowercase().contains(wanted),
                                "{where_} {l}: {text:?} is not two-sided"
                            );
                        }
                    }
                    QuestionKind::Likert {
                        labels: Some(labels),
                        ..
                    }
                    | QuestionKind::Csat {
                        labels: Some(labels),
                    } => {
                        assert_eq!(labels.len(), 5, "{where_}");
                        let middle = labels[2]
                            .0
                            .get(&Locale::En)
                            .map(String::as_str)
                            .unwrap_or_default();
                        assert!(
                            middle.starts_with("Neither"),
                            "{where_}: neutral middle label, not {middle:?}"
                        );
                        for label in labels {
                            assert!(
                                Locale::ALL.iter().all(|&l| label.has(l)),
                                "{where_}: {label:?}"
                            );
                        }
                    }
                    QuestionKind::Nps {
                        low_label,
                        high_label,
                    } => {
                        for label in [low_label, high_label] {
                            let label = label
                                .as_ref()
                                .unwrap_or_else(|| panic!("{where_}: NPS ends unlabelled"));
                            assert!(
                                Locale::ALL.iter().all(|&l| label.has(l)),
                                "{where_}: {label:?}"
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Answers every rating and single choice at its worst (`low`) or best
    /// end; single-choice options are listed best first.
    fn extreme_answers(survey: &Survey, low: bool) -> BTreeMap<QuestionId, AnswerValue> {
        survey
            .questions
            .iter()
            .filter_map(|q| {
                let a = match &q.kind {
                    QuestionKind::SingleChoice { options, .. } => AnswerValue::Single {
                        choice: if low { options.last() } else { options.first() }?
                            .id
                            .clone(),
                        other_text: None,
                    },
                    kind => {
                        let (lo, hi) = kind.scale()?;
                        AnswerValue::Score(if low { lo } else { hi })
                    }
                };
                Some((q.id.clone(), a))
            })
            .collect()
    }

    #[test]
    fn lowest_scores_show_the_reasons_and_highest_hide_them() {
        for t in all() {
            let s = &t.survey;
            let id = &t.meta.id;
            let shown = |low| -> Vec<&str> {
                visibility::visible_questions(s, &extreme_answers(s, low))
                    .into_iter()
                    .map(QuestionId::as_str)
                    .collect()
            };
            let lowest = shown(true);
            let highest = shown(false);
            assert!(lowest.contains(&"reasons"), "{id}: lowest shows {lowest:?}");
            assert!(!lowest.contains(&"praise"), "{id}: lowest shows {lowest:?}");
            assert!(
                !highest.iter().any(|q| q.ends_with("reasons")),
                "{id}: highest shows {highest:?}"
            );
            if s.question("praise").is_some() {
                assert!(
                    highest.contains(&"praise"),
                    "{id}: highest shows {highest:?}"
                );
            }
            // Nothing but follow-ups is conditional.
            for q in &s.questions {
                if !is_reason_follow_up(q) && q.id.as_str() != "praise" {
                    assert!(q.show_if.is_none(), "{id}.{}", q.id);
                }
            }
        }
    }

    #[test]
    fn nps_follow_ups_split_detractors_passives_and_promoters() {
        let s = &get("nps").unwrap().survey;
        for score in 0..=10 {
            let answers =
                BTreeMap::from([(QuestionId::parse("nps").unwrap(), AnswerValue::Score(score))]);
            let shown: Vec<&str> = visibility::visible_questions(s, &answers)
                .into_iter()
                .map(QuestionId::as_str)
                .filter(|q| *q != "nps" && *q != "comment")
                .collect();
            let expected = match score {
                0..=6 => "reasons",
                7 | 8 => "passive_reasons",
                _ => "praise",
            };
            assert_eq!(shown, [expected], "score {score}");
        }
    }
}
