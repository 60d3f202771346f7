//! The widget's own texts (sending, retry and close notices, progress) in
//! every supported locale. Texts a customer also sees on the hosted page —
//! validation messages, default scale labels, common buttons, the choice of
//! locale — come from [`manyi_shared::texts`], so both read the same.
//!
//! Everything is a `&'static str` so no formatting code ends up in the
//! WebAssembly module.

use manyi_shared::Locale;
use manyi_shared::texts::{Common, common, pick};

pub use manyi_shared::texts::{at_most, choose_locale, error_message, satisfaction_labels};

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
    match t {
        Text::Submit => common(locale, Common::Submit),
        Text::Other => common(locale, Common::Other),
        Text::OtherPlaceholder => common(locale, Common::OtherPlaceholder),
        Text::FixErrors => common(locale, Common::FixErrors),
        Text::Required => common(locale, Common::Required),
        Text::VeryDifficult => common(locale, Common::VeryDifficult),
        Text::VeryEasy => common(locale, Common::VeryEasy),
        Text::NotLikely => common(locale, Common::NotLikely),
        Text::VeryLikely => common(locale, Common::VeryLikely),
        Text::Sending => pick(locale, ["正在提交…", "正在提交…", "Sending…"]),
        Text::Close => pick(locale, ["关闭问卷", "關閉問卷", "Close survey"]),
        Text::RetryLater => pick(
            locale,
            [
                "网络不稳定，提交未成功。您的回答已保留，请稍后重试。",
                "網路不穩定，提交未成功。您的回答已保留，請稍後重試。",
                "Could not send your answers. They are kept: please try again.",
            ],
        ),
        Text::CannotSubmit => pick(
            locale,
            [
                "抱歉，暂时无法提交此问卷。",
                "抱歉，暫時無法提交此問卷。",
                "Sorry, this survey cannot be submitted right now.",
            ],
        ),
        Text::AlreadyAnswered => pick(
            locale,
            [
                "您已经提交过此问卷，感谢参与！",
                "您已經提交過此問卷，感謝參與！",
                "You have already answered this survey. Thank you!",
            ],
        ),
        Text::Progress => pick(locale, ["已回答", "已回答", "Answered"]),
        Text::Characters => pick(locale, ["字", "字", "characters"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chrome_text_exists_in_every_locale() {
        use Text::*;
        let all = [
            Submit,
            Sending,
            Close,
            Other,
            OtherPlaceholder,
            RetryLater,
            CannotSubmit,
            AlreadyAnswered,
            FixErrors,
            Progress,
            Required,
            VeryDifficult,
            VeryEasy,
            NotLikely,
            VeryLikely,
            Characters,
        ];
        for l in Locale::ALL {
            for t in all {
                assert!(!text(l, t).is_empty(), "{t:?} in {l}");
            }
        }
        assert_eq!(text(Locale::ZhTw, Submit), "提交");
        assert_eq!(text(Locale::En, VeryEasy), "Very easy");
    }
}
