//! Is a survey definition publishable?
//!
//! [`validate_survey`] walks the whole definition and reports every problem
//! with a path into the JSON document (`questions[2].show_if.value`,
//! `questions[0].text.en`, `theme.brand_color`), so the admin UI can put each
//! error next to the field that causes it. Responses are only ever checked
//! against surveys that passed here: the response rules rely on it (e.g. that
//! conditions refer only to earlier questions, that scales are sane).

use crate::condition::{CompareOp, Condition};
use crate::error::{ErrorCode, ValidationError};
use crate::json::Value;
use crate::locale::{Locale, LocalizedText};
use crate::survey::{ChoiceOption, OTHER_OPTION, Question, QuestionKind, Survey};
use std::collections::BTreeMap;

/// The largest `max_length` a text question may declare, in characters.
pub const TEXT_MAX_LENGTH: u32 = 5000;

/// Checks a survey definition. Empty when valid.
///
/// Errors come in document order: top-level fields, then each question.
pub fn validate_survey(survey: &Survey) -> Vec<ValidationError> {
    let mut r = Report::default();
    if survey.version == 0 {
        r.push("version", ErrorCode::BadVersion, "version must start at 1");
    }
    let locales = check_locales(survey, &mut r);
    r.texts("title", &survey.title, &locales);
    if let Some(intro) = &survey.intro {
        r.texts("intro", intro, &locales);
    }
    r.texts("thank_you", &survey.thank_you, &locales);
    if !is_hex_color(&survey.theme.brand_color) {
        r.push(
            "theme.brand_color",
            ErrorCode::BadColor,
            format!(
                "brand colour must be #rrggbb, got {:?}",
                truncate(&survey.theme.brand_color)
            ),
        );
    }
    if survey.questions.is_empty() {
        r.push(
            "questions",
            ErrorCode::NoQuestions,
            "a survey needs at least one question",
        );
    }
    for (i, q) in survey.questions.iter().enumerate() {
        let path = format!("questions[{i}]");
        if let Some(first) = survey.position(q.id.as_str()).filter(|&first| first < i) {
            r.push(
                format!("{path}.id"),
                ErrorCode::DuplicateId,
                format!(
                    "question id {:?} is already used by questions[{first}]",
                    q.id.as_str()
                ),
            );
        }
        check_question(q, &path, &locales, &mut r);
        if let Some(cond) = &q.show_if {
            check_condition(survey, i, cond, &format!("{path}.show_if"), &mut r);
        }
    }
    r.errors
}

/// Collects errors; small helpers keep the rules below one line each.
#[derive(Default)]
struct Report {
    errors: Vec<ValidationError>,
}

impl Report {
    fn push(&mut self, path: impl Into<String>, code: ErrorCode, message: impl Into<String>) {
        self.errors.push(ValidationError::new(path, code, message));
    }

    /// One `missing_translation` per declared locale without a non-blank text.
    fn texts(&mut self, path: &str, text: &LocalizedText, locales: &[Locale]) {
        for &l in locales {
            if !text.has(l) {
                self.push(
                    format!("{path}.{l}"),
                    ErrorCode::MissingTranslation,
                    format!("no {l} text (every declared locale needs one)"),
                );
            }
        }
    }
}

/// Checks `locales` / `default_locale` and returns the declared locales,
/// de-duplicated, against which every text is then checked.
fn check_locales(survey: &Survey, r: &mut Report) -> Vec<Locale> {
    let mut declared: Vec<Locale> = Vec::with_capacity(survey.locales.len());
    if survey.locales.is_empty() {
        r.push(
            "locales",
            ErrorCode::BadLocales,
            "declare at least one locale",
        );
    }
    for (i, &l) in survey.locales.iter().enumerate() {
        if declared.contains(&l) {
            r.push(
                format!("locales[{i}]"),
                ErrorCode::BadLocales,
                format!("{l} is declared twice"),
            );
        } else {
            declared.push(l);
        }
    }
    // With no locale declared the error above already says it all.
    if !declared.is_empty() && !declared.contains(&survey.default_locale) {
        r.push(
            "default_locale",
            ErrorCode::BadLocales,
            format!(
                "default locale {} is not among the declared locales",
                survey.default_locale
            ),
        );
    }
    declared
}

/// `#rrggbb`; either case of hex digit, as CSS accepts both.
fn is_hex_color(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit)
}

/// Keeps echoed user input short in messages.
fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

fn check_question(q: &Question, path: &str, locales: &[Locale], r: &mut Report) {
    r.texts(&format!("{path}.text"), &q.text, locales);
    if let Some(help) = &q.help {
        r.texts(&format!("{path}.help"), help, locales);
    }
    match &q.kind {
        QuestionKind::Likert { points, labels } => {
            if *points != 5 && *points != 7 {
                r.push(
                    format!("{path}.points"),
                    ErrorCode::BadScaleBounds,
                    format!("a likert scale has 5 or 7 points, not {points}"),
                );
            }
            check_scale_labels(path, labels.as_deref(), usize::from(*points), locales, r);
        }
        QuestionKind::Csat { labels } => check_scale_labels(path, labels.as_deref(), 5, locales, r),
        QuestionKind::Nps {
            low_label,
            high_label,
        } => {
            if let Some(t) = low_label {
                r.texts(&format!("{path}.low_label"), t, locales);
            }
            if let Some(t) = high_label {
                r.texts(&format!("{path}.high_label"), t, locales);
            }
        }
        QuestionKind::Ces { .. } => {}
        QuestionKind::SingleChoice { options, .. } => check_options(path, options, locales, r),
        QuestionKind::MultiChoice {
            options,
            allow_other,
            max_selections,
        } => {
            check_options(path, options, locales, r);
            if let Some(max) = *max_selections {
                // `other` is one more thing that can be ticked.
                let choosable = options.len() + usize::from(*allow_other);
                if max == 0 || usize::from(max) > choosable {
                    r.push(
                        format!("{path}.max_selections"),
                        ErrorCode::BadScaleBounds,
                        format!("max_selections must be 1..={choosable}, got {max}"),
                    );
                }
            }
        }
        QuestionKind::Text {
            max_length,
            placeholder,
            ..
        } => {
            if !(1..=TEXT_MAX_LENGTH).contains(max_length) {
                r.push(
                    format!("{path}.max_length"),
                    ErrorCode::BadScaleBounds,
                    format!("max_length must be 1..={TEXT_MAX_LENGTH}, got {max_length}"),
                );
            }
            if let Some(t) = placeholder {
                r.texts(&format!("{path}.placeholder"), t, locales);
            }
        }
    }
}

fn check_scale_labels(
    path: &str,
    labels: Option<&[LocalizedText]>,
    points: usize,
    locales: &[Locale],
    r: &mut Report,
) {
    let Some(labels) = labels else { return };
    if labels.len() != points {
        r.push(
            format!("{path}.labels"),
            ErrorCode::BadScaleBounds,
            format!(
                "{} labels for a {points}-point scale (one per point)",
                labels.len()
            ),
        );
    }
    for (j, label) in labels.iter().enumerate() {
        r.texts(&format!("{path}.labels[{j}]"), label, locales);
    }
}

fn check_options(path: &str, options: &[ChoiceOption], locales: &[Locale], r: &mut Report) {
    if options.is_empty() {
        r.push(
            format!("{path}.options"),
            ErrorCode::EmptyOptions,
            "a choice question needs options",
        );
    }
    let mut first_at: BTreeMap<&str, usize> = BTreeMap::new();
    for (j, o) in options.iter().enumerate() {
        let id = o.id.as_str();
        if id == OTHER_OPTION {
            r.push(
                format!("{path}.options[{j}].id"),
                ErrorCode::ReservedOptionId,
                "option id \"other\" is reserved for the free-text choice: set allow_other instead",
            );
        } else if let Some(first) = first_at.get(id) {
            r.push(
                format!("{path}.options[{j}].id"),
                ErrorCode::DuplicateId,
                format!("option id {id:?} is already used by options[{first}]"),
            );
        } else {
            first_at.insert(id, j);
        }
        r.texts(&format!("{path}.options[{j}].label"), &o.label, locales);
    }
}

/// Checks a condition of the question at `owner`; `path` points at `cond`.
fn check_condition(survey: &Survey, owner: usize, cond: &Condition, path: &str, r: &mut Report) {
    match cond {
        Condition::All { all } => {
            for (k, c) in all.iter().enumerate() {
                check_condition(survey, owner, c, &format!("{path}.all[{k}]"), r);
            }
        }
        Condition::Any { any } => {
            for (k, c) in any.iter().enumerate() {
                check_condition(survey, owner, c, &format!("{path}.any[{k}]"), r);
            }
        }
        Condition::Compare {
            question,
            op,
            value,
        } => match survey.position(question.as_str()) {
            None => r.push(
                format!("{path}.question"),
                ErrorCode::UnknownQuestion,
                format!("no question {:?} in this survey", question.as_str()),
            ),
            // Conditions look backwards only: that keeps visibility a single
            // pass in display order and rules out cycles.
            Some(target) if target >= owner => r.push(
                format!("{path}.question"),
                ErrorCode::ForwardReference,
                format!(
                    "a condition may refer only to an earlier question, and {:?} is not earlier",
                    question.as_str()
                ),
            ),
            Some(target) => {
                let target = &survey.questions[target];
                for (sub, message) in operand_problems(target, *op, value.as_ref()) {
                    r.push(
                        format!("{path}.value{sub}"),
                        ErrorCode::ConditionTypeMismatch,
                        message,
                    );
                }
            }
        },
    }
}

/// What is wrong with `op value` against `target`'s answers, as
/// (path suffix under `.value`, message) pairs; empty when it fits.
///
/// These are caught at publish time because [`Condition::eval`] quietly
/// yields `false` on a mismatched operand: the mistake would otherwise show up
/// as a follow-up question that never appears.
fn operand_problems(
    target: &Question,
    op: CompareOp,
    value: Option<&Value>,
) -> Vec<(String, String)> {
    let whole = |m: String| vec![(String::new(), m)];
    if op == CompareOp::Answered {
        return match value {
            None => vec![],
            Some(_) => whole("`answered` takes no value".into()),
        };
    }
    let Some(value) = value else {
        return whole(format!("operator {} needs a value", op_name(op)));
    };
    if let Some(m) = op_problem(target, op) {
        return whole(m);
    }
    if op != CompareOp::In {
        return scalar_problem(target, value).map(whole).unwrap_or_default();
    }
    let Value::Array(items) = value else {
        return whole("`in` needs an array of values".into());
    };
    if items.is_empty() {
        return whole("`in` with an empty array never holds".into());
    }
    items
        .iter()
        .enumerate()
        .filter_map(|(k, v)| scalar_problem(target, v).map(|m| (format!("[{k}]"), m)))
        .collect()
}

/// Whether `op` means anything for `target`'s kind of answer.
fn op_problem(target: &Question, op: CompareOp) -> Option<String> {
    let id = target.id.as_str();
    match &target.kind {
        QuestionKind::SingleChoice { .. } | QuestionKind::MultiChoice { .. }
            if !matches!(op, CompareOp::Eq | CompareOp::Ne | CompareOp::In) =>
        {
            Some(format!(
                "{} orders scores, and {id:?} is a choice question (use eq, ne or in)",
                op_name(op)
            ))
        }
        QuestionKind::Text { .. } if !matches!(op, CompareOp::Eq | CompareOp::Ne) => Some(format!(
            "{id:?} is a text question: only eq, ne and answered apply"
        )),
        _ => None,
    }
}

/// Whether one operand (the value, or one element of an `in` array) can
/// equal an answer to `target`.
fn scalar_problem(target: &Question, v: &Value) -> Option<String> {
    let id = target.id.as_str();
    match &target.kind {
        QuestionKind::SingleChoice {
            options,
            allow_other,
        }
        | QuestionKind::MultiChoice {
            options,
            allow_other,
            ..
        } => match v.as_str() {
            Some(s) if options.iter().any(|o| o.id.as_str() == s) => None,
            Some(s) if s == OTHER_OPTION && *allow_other => None,
            Some(s) => Some(format!("{:?} is not an option of {id:?}", truncate(s))),
            None => Some(format!(
                "{id:?} is a choice question: compare it to an option id"
            )),
        },
        QuestionKind::Text { .. } => match v {
            Value::String(_) => None,
            _ => Some(format!("{id:?} is a text question: compare it to a string")),
        },
        rating => {
            // The kinds left are the rating kinds, which all have a scale.
            let (lo, hi) = rating.scale().unwrap_or((0, 0));
            match v.as_i64() {
                Some(n) if (lo..=hi).contains(&n) => None,
                Some(n) => Some(format!("{n} is outside the {lo}..={hi} scale of {id:?}")),
                None => Some(format!(
                    "{id:?} is a {} question: compare it to an integer",
                    rating.type_name()
                )),
            }
        }
    }
}

fn op_name(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "eq",
        CompareOp::Ne => "ne",
        CompareOp::Lt => "lt",
        CompareOp::Lte => "lte",
        CompareOp::Gt => "gt",
        CompareOp::Gte => "gte",
        CompareOp::In => "in",
        CompareOp::Answered => "answered",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_fixtures::survey;

    /// The fixture itself is valid, so each case below adds exactly one problem.
    #[test]
    fn the_fixture_survey_is_valid() {
        assert_eq!(validate_survey(&survey()), vec![]);
    }

    type Mutation = fn(&mut Value);

    /// Applies a JSON-level edit to the fixture and returns (path, code) pairs.
    fn problems_after(edit: Mutation) -> Vec<(String, ErrorCode)> {
        let mut v = survey().to_json();
        edit(&mut v);
        let s = Survey::from_json(v).expect("edited survey still decodes");
        validate_survey(&s)
            .into_iter()
            .map(|e| (e.question, e.code))
            .collect()
    }

    /// One row per rejection rule: the edit, the single expected path and code.
    #[test]
    fn each_rule_reports_its_code_at_its_path() {
        use ErrorCode::*;
        let cases: Vec<(&str, Mutation, &str, ErrorCode)> = vec![
            (
                "version 0",
                |v| v["version"] = json!(0),
                "version",
                BadVersion,
            ),
            (
                "no questions",
                |v| v["questions"] = json!([]),
                "questions",
                NoQuestions,
            ),
            (
                "no locales",
                |v| v["locales"] = json!([]),
                "locales",
                BadLocales,
            ),
            (
                "default locale not declared",
                |v| v["default_locale"] = json!("zh-TW"),
                "default_locale",
                BadLocales,
            ),
            (
                "locale declared twice",
                |v| v["locales"] = json!(["zh-CN", "en", "en"]),
                "locales[2]",
                BadLocales,
            ),
            (
                "duplicate question id",
                |v| v["questions"][7]["id"] = json!("overall"),
                "questions[7].id",
                DuplicateId,
            ),
            (
                "duplicate option id",
                |v| v["questions"][2]["options"][1]["id"] = json!("slow"),
                "questions[2].options[1].id",
                DuplicateId,
            ),
            (
                "condition on an unknown question",
                |v| v["questions"][2]["show_if"]["question"] = json!("nope"),
                "questions[2].show_if.question",
                UnknownQuestion,
            ),
            (
                "condition on itself",
                |v| v["questions"][2]["show_if"] = json!({"question": "reason", "op": "answered"}),
                "questions[2].show_if.question",
                ForwardReference,
            ),
            (
                "condition on a later question",
                |v| v["questions"][0]["show_if"] = json!({"question": "nps", "op": "answered"}),
                "questions[0].show_if.question",
                ForwardReference,
            ),
            (
                "string compared to an NPS score",
                |v| v["questions"][4]["show_if"]["any"][1]["value"] = json!("6"),
                "questions[4].show_if.any[1].value",
                ConditionTypeMismatch,
            ),
            (
                "float compared to a score",
                |v| v["questions"][2]["show_if"]["value"] = json!(3.5),
                "questions[2].show_if.value",
                ConditionTypeMismatch,
            ),
            (
                "score outside the referenced scale",
                |v| v["questions"][2]["show_if"]["value"] = json!(6),
                "questions[2].show_if.value",
                ConditionTypeMismatch,
            ),
            (
                "option id not among the referenced options",
                |v| v["questions"][4]["show_if"]["any"][0]["value"] = json!("fast"),
                "questions[4].show_if.any[0].value",
                ConditionTypeMismatch,
            ),
            (
                "in without an array",
                |v| {
                    v["questions"][4]["show_if"]["any"][0] =
                        json!({"question": "reason", "op": "in", "value": "slow"})
                },
                "questions[4].show_if.any[0].value",
                ConditionTypeMismatch,
            ),
            (
                "in with an empty array",
                |v| {
                    v["questions"][4]["show_if"]["any"][0] =
                        json!({"question": "reason", "op": "in", "value": []})
                },
                "questions[4].show_if.any[0].value",
                ConditionTypeMismatch,
            ),
            (
                "in with one bad element",
                |v| {
                    v["questions"][4]["show_if"]["any"][0] =
                        json!({"question": "reason", "op": "in", "value": ["slow", "fast"]})
                },
                "questions[4].show_if.any[0].value[1]",
                ConditionTypeMismatch,
            ),
            (
                "lt on a choice question",
                |v| {
                    v["questions"][4]["show_if"]["any"][0] =
                        json!({"question": "reason", "op": "lt", "value": "slow"})
                },
                "questions[4].show_if.any[0].value",
                ConditionTypeMismatch,
            ),
            (
                "missing value for eq",
                |v| v["questions"][2]["show_if"] = json!({"question": "overall", "op": "eq"}),
                "questions[2].show_if.value",
                ConditionTypeMismatch,
            ),
            (
                "value given for answered",
                |v| {
                    v["questions"][2]["show_if"] =
                        json!({"question": "overall", "op": "answered", "value": 1})
                },
                "questions[2].show_if.value",
                ConditionTypeMismatch,
            ),
            (
                "gt on a text question",
                |v| {
                    v["questions"][5]["show_if"] =
                        json!({"question": "comment", "op": "gt", "value": "a"})
                },
                "questions[5].show_if.value",
                ConditionTypeMismatch,
            ),
            (
                "other in a condition when allow_other is off",
                |v| {
                    v["questions"][5]["show_if"] =
                        json!({"question": "pick", "op": "eq", "value": "other"})
                },
                "questions[5].show_if.value",
                ConditionTypeMismatch,
            ),
            (
                "empty options",
                |v| v["questions"][3]["options"] = json!([]),
                "questions[3].options",
                EmptyOptions,
            ),
            (
                "option id other",
                |v| v["questions"][3]["options"][1]["id"] = json!("other"),
                "questions[3].options[1].id",
                ReservedOptionId,
            ),
            (
                "likert with 6 points",
                |v| {
                    v["questions"][6]["points"] = json!(6);
                    v["questions"][6]["labels"] = Value::Null;
                },
                "questions[6].points",
                BadScaleBounds,
            ),
            (
                "likert labels not matching points",
                |v| v["questions"][6]["points"] = json!(7),
                "questions[6].labels",
                BadScaleBounds,
            ),
            (
                "csat with 4 labels",
                |v| {
                    let label = json!({"zh-CN": "好", "en": "good"});
                    v["questions"][0]["labels"] = json!([label, label, label, label]);
                },
                "questions[0].labels",
                BadScaleBounds,
            ),
            (
                "text max_length 0",
                |v| v["questions"][4]["max_length"] = json!(0),
                "questions[4].max_length",
                BadScaleBounds,
            ),
            (
                "text max_length 5001",
                |v| v["questions"][4]["max_length"] = json!(5001),
                "questions[4].max_length",
                BadScaleBounds,
            ),
            (
                "max_selections 0",
                |v| v["questions"][2]["max_selections"] = json!(0),
                "questions[2].max_selections",
                BadScaleBounds,
            ),
            (
                "max_selections above options + other",
                |v| v["questions"][2]["max_selections"] = json!(5),
                "questions[2].max_selections",
                BadScaleBounds,
            ),
            (
                "missing title translation",
                |v| v["title"] = json!({"en": "Thanks!"}),
                "title.zh-CN",
                MissingTranslation,
            ),
            (
                "blank thank-you translation",
                |v| v["thank_you"]["en"] = json!("  "),
                "thank_you.en",
                MissingTranslation,
            ),
            (
                "missing intro translation",
                |v| v["intro"] = json!({"zh-CN": "只需 30 秒"}),
                "intro.en",
                MissingTranslation,
            ),
            (
                "missing question text translation",
                |v| v["questions"][0]["text"] = json!({"en": "How satisfied?"}),
                "questions[0].text.zh-CN",
                MissingTranslation,
            ),
            (
                "missing help translation",
                |v| v["questions"][6]["help"] = json!({"zh-CN": "说明"}),
                "questions[6].help.en",
                MissingTranslation,
            ),
            (
                "missing option label translation",
                |v| v["questions"][2]["options"][2]["label"] = json!({"zh-CN": "价格"}),
                "questions[2].options[2].label.en",
                MissingTranslation,
            ),
            (
                "missing scale label translation",
                |v| v["questions"][6]["labels"][3] = json!({"zh-CN": "同意"}),
                "questions[6].labels[3].en",
                MissingTranslation,
            ),
            (
                "missing nps low label translation",
                |v| v["questions"][1]["low_label"] = json!({"en": "Not at all"}),
                "questions[1].low_label.zh-CN",
                MissingTranslation,
            ),
            (
                "missing nps high label translation",
                |v| v["questions"][1]["high_label"] = json!({"en": "Extremely"}),
                "questions[1].high_label.zh-CN",
                MissingTranslation,
            ),
            (
                "missing placeholder translation",
                |v| v["questions"][4]["placeholder"] = json!({"zh-CN": "请输入"}),
                "questions[4].placeholder.en",
                MissingTranslation,
            ),
            (
                "colour without #",
                |v| v["theme"]["brand_color"] = json!("d9480f"),
                "theme.brand_color",
                BadColor,
            ),
            (
                "short colour",
                |v| v["theme"]["brand_color"] = json!("#fff"),
                "theme.brand_color",
                BadColor,
            ),
            (
                "colour with a non-hex digit",
                |v| v["theme"]["brand_color"] = json!("#d9480g"),
                "theme.brand_color",
                BadColor,
            ),
        ];
        for (name, edit, path, code) in cases {
            assert_eq!(
                problems_after(edit),
                vec![(path.to_string(), code)],
                "case: {name}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let problems = problems_after(|v| {
            v["version"] = json!(0);
            v["theme"]["brand_color"] = json!("red");
            v["questions"][3]["options"] = json!([]);
            v["questions"][1]["text"] = json!({"en": "NPS"});
        });
        let codes: Vec<ErrorCode> = problems.iter().map(|p| p.1).collect();
        assert_eq!(
            codes,
            vec![
                ErrorCode::BadVersion,
                ErrorCode::BadColor,
                ErrorCode::MissingTranslation,
                ErrorCode::EmptyOptions,
            ]
        );
    }

    #[test]
    fn undeclared_locales_need_no_text_and_other_may_be_a_condition_value() {
        let problems = problems_after(|v| {
            v["title"]["zh-TW"] = json!("");
            v["questions"][4]["show_if"]["any"][0]["value"] = json!("other");
        });
        assert_eq!(problems, vec![]);
    }

    #[test]
    fn a_seven_point_likert_with_seven_labels_is_valid() {
        let problems = problems_after(|v| {
            v["questions"][6]["points"] = json!(7);
            let label = json!({"zh-CN": "中", "en": "mid"});
            v["questions"][6]["labels"] = json!([label, label, label, label, label, label, label]);
        });
        assert_eq!(problems, vec![]);
    }

    #[test]
    fn max_selections_may_count_the_other_choice() {
        // 3 options + other = 4 choosable.
        assert_eq!(
            problems_after(|v| v["questions"][2]["max_selections"] = json!(4)),
            vec![]
        );
    }
}
