//! Respondent-facing texts that every rendering of a survey shares — the
//! widget and the hosted no-JavaScript page — in zh-CN, zh-TW and en: the
//! messages for validation error codes, the default scale labels and the
//! common buttons. Keeping them here means a customer reads the same
//! sentences whichever way the survey reached them.
//!
//! Survey texts come from the definition; only the chrome lives here. Every
//! text is a `&'static str` (no formatting code in the WebAssembly module).

use crate::error::ErrorCode;
use crate::locale::Locale;
use crate::survey::Survey;

/// Picks the text for `locale` from a `[zh-CN, zh-TW, en]` triple.
pub fn pick(locale: Locale, [cn, tw, en]: [&'static str; 3]) -> &'static str {
    match locale {
        Locale::ZhCn => cn,
        Locale::ZhTw => tw,
        Locale::En => en,
    }
}

/// The locale to render a survey in: the requested BCP 47 tag when the survey
/// declares a matching locale, else the survey's default locale.
pub fn choose_locale(requested: Option<&str>, survey: &Survey) -> Locale {
    requested
        .and_then(Locale::negotiate)
        .filter(|l| survey.locales.contains(l))
        .unwrap_or(survey.default_locale)
}

/// Chrome texts shared by the widget and the hosted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Common {
    /// The submit button.
    Submit,
    /// Marks a required question (for screen readers; the star is visual).
    Required,
    /// The "other" choice label.
    Other,
    /// Placeholder of the "other" text field.
    OtherPlaceholder,
    /// The banner above a form with errors.
    FixErrors,
    /// NPS low end, when the survey gives none.
    NotLikely,
    /// NPS high end, when the survey gives none.
    VeryLikely,
    /// CES low end (1).
    VeryDifficult,
    /// CES high end (7).
    VeryEasy,
}

/// The common text `t` in `locale`.
pub fn common(locale: Locale, t: Common) -> &'static str {
    pick(
        locale,
        match t {
            Common::Submit => ["提交", "提交", "Submit"],
            Common::Required => ["必答", "必答", "required"],
            Common::Other => ["其他", "其他", "Other"],
            Common::OtherPlaceholder => ["请说明", "請說明", "Please specify"],
            Common::FixErrors => [
                "请完成标出的问题",
                "請完成標示的問題",
                "Please check the marked questions",
            ],
            Common::NotLikely => ["完全不可能", "完全不可能", "Not at all likely"],
            Common::VeryLikely => ["非常可能", "非常可能", "Extremely likely"],
            Common::VeryDifficult => ["非常困难", "非常困難", "Very difficult"],
            Common::VeryEasy => ["非常容易", "非常容易", "Very easy"],
        },
    )
}

/// The message shown next to a question for a validation error code.
pub fn error_message(locale: Locale, code: ErrorCode) -> &'static str {
    pick(
        locale,
        match code {
            ErrorCode::Required => [
                "请回答此问题",
                "請回答此問題",
                "Please answer this question",
            ],
            ErrorCode::OutOfRange | ErrorCode::WrongType => [
                "请选择量表上的一个分值",
                "請選擇量表上的一個分值",
                "Please pick a value on the scale",
            ],
            ErrorCode::TooLong => [
                "内容过长，请精简",
                "內容過長，請精簡",
                "This text is too long",
            ],
            ErrorCode::TooManyChoices => [
                "选择的项目过多",
                "選擇的項目過多",
                "Too many options selected",
            ],
            ErrorCode::BadOther => [
                "请填写“其他”的内容",
                "請填寫「其他」的內容",
                "Please fill in “Other”",
            ],
            ErrorCode::ControlCharacters => [
                "内容包含无效字符",
                "內容包含無效字元",
                "This text contains invalid characters",
            ],
            _ => ["此回答无效", "此回答無效", "This answer is not valid"],
        },
    )
}

/// The hint on a multi-choice question with a selection limit, e.g.
/// "最多选择 3 项" / "Choose up to 3".
pub fn at_most(locale: Locale, n: u8) -> String {
    let (before, after) = match locale {
        Locale::ZhCn => ("最多选择 ", " 项"),
        Locale::ZhTw => ("最多選擇 ", " 項"),
        Locale::En => ("Choose up to ", ""),
    };
    [before, &n.to_string(), after].concat()
}

const SAT5: [[&str; 3]; 5] = [
    ["非常不满意", "非常不滿意", "Very dissatisfied"],
    ["不满意", "不滿意", "Dissatisfied"],
    ["一般", "普通", "Neutral"],
    ["满意", "滿意", "Satisfied"],
    ["非常满意", "非常滿意", "Very satisfied"],
];

const SAT7: [[&str; 3]; 7] = [
    ["非常不满意", "非常不滿意", "Very dissatisfied"],
    ["不满意", "不滿意", "Dissatisfied"],
    ["有点不满意", "有點不滿意", "Somewhat dissatisfied"],
    ["一般", "普通", "Neutral"],
    ["有点满意", "有點滿意", "Somewhat satisfied"],
    ["满意", "滿意", "Satisfied"],
    ["非常满意", "非常滿意", "Very satisfied"],
];

/// Default per-point labels of a satisfaction scale with `points` points
/// (5 or 7), lowest first; empty for other sizes. Used for likert and csat
/// questions whose definition gives no `labels`.
pub fn satisfaction_labels(locale: Locale, points: u8) -> Vec<&'static str> {
    let table: &[[&'static str; 3]] = match points {
        5 => &SAT5,
        7 => &SAT7,
        _ => &[],
    };
    table.iter().map(|t| pick(locale, *t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_and_seven_point_labels_run_from_very_dissatisfied_to_very_satisfied() {
        for points in [5, 7] {
            let zh = satisfaction_labels(Locale::ZhCn, points);
            assert_eq!(zh.len(), usize::from(points));
            assert_eq!(zh.first(), Some(&"非常不满意"));
            assert_eq!(zh.last(), Some(&"非常满意"));
        }
        assert!(satisfaction_labels(Locale::En, 6).is_empty());
    }

    #[test]
    fn selection_limit_hint_in_each_locale() {
        assert_eq!(at_most(Locale::ZhCn, 3), "最多选择 3 项");
        assert_eq!(at_most(Locale::ZhTw, 2), "最多選擇 2 項");
        assert_eq!(at_most(Locale::En, 3), "Choose up to 3");
    }

    #[test]
    fn every_error_code_has_a_message_in_every_locale() {
        for code in ErrorCode::ALL.iter() {
            for locale in Locale::ALL {
                assert!(
                    !error_message(locale, *code).is_empty(),
                    "{code} in {locale}"
                );
            }
        }
    }

    #[test]
    fn requested_locale_wins_only_when_the_survey_declares_it() {
        let survey: Survey = Survey::from_json(
            crate::json::parse(include_str!("../../collector/seed/post-payment.json")).unwrap(),
        )
        .expect("demo survey parses");
        assert_eq!(choose_locale(Some("en-US"), &survey), Locale::En);
        assert_eq!(choose_locale(Some("zh-Hant-HK"), &survey), Locale::ZhTw);
        assert_eq!(choose_locale(Some("fr"), &survey), Locale::ZhCn);
        assert_eq!(choose_locale(None, &survey), Locale::ZhCn);
    }
}
