//! The widget's own texts (buttons, error messages, default scale labels) in
//! every supported locale, and the choice of locale for a survey.
//!
//! Survey texts come from the survey definition; only the chrome around them
//! lives here. Everything is a `&'static str` so no formatting code ends up in
//! the WebAssembly module.

use manyi_shared::{ErrorCode, Locale, Survey};

/// Picks the locale to render: the requested tag if the survey declares a
/// matching locale, else the survey's default locale.
pub fn choose_locale(requested: Option<&str>, survey: &Survey) -> Locale {
    requested
        .and_then(Locale::negotiate)
        .filter(|l| survey.locales.contains(l))
        .unwrap_or(survey.default_locale)
}

/// Picks the text for `locale` from a `[zh-CN, zh-TW, en]` triple.
fn pick(locale: Locale, [cn, tw, en]: [&'static str; 3]) -> &'static str {
    match locale {
        Locale::ZhCn => cn,
        Locale::ZhTw => tw,
        Locale::En => en,
    }
}

/// A short message for a per-question validation error, for the respondent.
pub fn error_message(locale: Locale, code: ErrorCode) -> &'static str {
    pick(
        locale,
        match code {
            ErrorCode::Required => [
                "请回答此问题",
                "請回答此問題",
                "Please answer this question",
            ],
            ErrorCode::OutOfRange => [
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

/// Widget chrome texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// The submit button.
    Submit,
    /// The submit button while sending.
    Sending,
    /// The dismiss button's accessible name.
    Close,
    /// The "other" choice label.
    Other,
    /// Placeholder of the "other" text field.
    OtherPlaceholder,
    /// Shown when the network or the collector failed; answers are kept.
    RetryLater,
    /// Shown when the collector refused the response for good (signature,
    /// origin, size).
    CannotSubmit,
    /// Shown when this order/customer has already answered.
    AlreadyAnswered,
    /// Shown above the questions when validation failed.
    FixErrors,
    /// Accessible name of the progress indicator.
    Progress,
    /// Marks a required question for screen readers.
    Required,
    /// CES low end label.
    VeryDifficult,
    /// CES high end label.
    VeryEasy,
    /// NPS low end label.
    NotLikely,
    /// NPS high end label.
    VeryLikely,
    /// Suffix of the character counter for screen readers.
    Characters,
}

/// The chrome text `t` in `locale`.
pub fn text(locale: Locale, t: Text) -> &'static str {
    pick(
        locale,
        match t {
            Text::Submit => ["提交", "提交", "Submit"],
            Text::Sending => ["正在提交…", "正在提交…", "Sending…"],
            Text::Close => ["关闭问卷", "關閉問卷", "Close survey"],
            Text::Other => ["其他", "其他", "Other"],
            Text::OtherPlaceholder => ["请说明", "請說明", "Please specify"],
            Text::RetryLater => [
                "网络不稳定，提交未成功。您的回答已保留，请稍后重试。",
                "網路不穩定，提交未成功。您的回答已保留，請稍後重試。",
                "Could not send your answers. They are kept: please try again.",
            ],
            Text::CannotSubmit => [
                "抱歉，暂时无法提交此问卷。",
                "抱歉，暫時無法提交此問卷。",
                "Sorry, this survey cannot be submitted right now.",
            ],
            Text::AlreadyAnswered => [
                "您已经提交过此问卷，感谢参与！",
                "您已經提交過此問卷，感謝參與！",
                "You have already answered this survey. Thank you!",
            ],
            Text::FixErrors => [
                "请完成标出的问题",
                "請完成標示的問題",
                "Please check the marked questions",
            ],
            Text::Progress => ["已回答", "已回答", "Answered"],
            Text::Required => ["必答", "必答", "required"],
            Text::VeryDifficult => ["非常困难", "非常困難", "Very difficult"],
            Text::VeryEasy => ["非常容易", "非常容易", "Very easy"],
            Text::NotLikely => ["完全不可能", "完全不可能", "Not at all likely"],
            Text::VeryLikely => ["非常可能", "非常可能", "Extremely likely"],
            Text::Characters => ["字", "字", "characters"],
        },
    )
}

/// The hint under a multi-choice question with a selection limit, e.g. "最多选择 3 项".
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
/// (5 or 7), lowest first; empty for other sizes.
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

    fn demo() -> Survey {
        serde_json::from_str(include_str!("../../collector/seed/post-payment.json"))
            .expect("demo survey parses")
    }

    #[test]
    fn requested_locale_wins_when_the_survey_declares_it() {
        assert_eq!(choose_locale(Some("en-US"), &demo()), Locale::En);
        assert_eq!(choose_locale(Some("zh-Hant-HK"), &demo()), Locale::ZhTw);
    }

    #[test]
    fn unknown_or_missing_locale_falls_back_to_the_survey_default() {
        assert_eq!(choose_locale(Some("fr"), &demo()), Locale::ZhCn);
        assert_eq!(choose_locale(None, &demo()), Locale::ZhCn);
        let mut s = demo();
        s.locales = vec![Locale::ZhCn];
        assert_eq!(choose_locale(Some("en"), &s), Locale::ZhCn);
    }

    #[test]
    fn default_likert_labels_run_from_very_dissatisfied_to_very_satisfied() {
        assert_eq!(
            satisfaction_labels(Locale::ZhCn, 5),
            ["非常不满意", "不满意", "一般", "满意", "非常满意"]
        );
        assert_eq!(satisfaction_labels(Locale::En, 7).len(), 7);
        assert!(satisfaction_labels(Locale::En, 4).is_empty());
    }

    #[test]
    fn selection_limit_hint_names_the_limit() {
        assert_eq!(at_most(Locale::ZhCn, 3), "最多选择 3 项");
        assert_eq!(at_most(Locale::En, 2), "Choose up to 2");
    }

    #[test]
    fn error_messages_exist_for_every_locale() {
        for l in Locale::ALL {
            for c in [
                ErrorCode::Required,
                ErrorCode::OutOfRange,
                ErrorCode::TooLong,
                ErrorCode::TooManyChoices,
            ] {
                assert!(!error_message(l, c).is_empty());
            }
        }
        assert_eq!(
            error_message(Locale::ZhCn, ErrorCode::Required),
            "请回答此问题"
        );
    }
}
