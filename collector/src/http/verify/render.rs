//! The verification page's HTML and texts (zh-CN, zh-TW, en): the form
//! ("Has your issue been resolved?", "How satisfied are you now?" 1–5, an
//! optional comment) and its message pages.
//!
//! Built like the hosted survey page (`crate::hosted::render`): phones
//! first, no script, native radio buttons with 44 px tap targets, every
//! value through [`esc`]. Its document and stylesheet, message pages,
//! escaping and common texts are reused from there; only the form itself
//! is drawn here.

use std::fmt::Write as _;

use manyi_shared::Locale;
use manyi_shared::texts::{pick, satisfaction_labels};

use crate::cases::verification::{AnswerProblem, MAX_COMMENT_CHARS};
use crate::hosted::render::{esc, message_page, styled_document};
use crate::hosted::text::{Text as HostedText, text as hosted_text};

/// The page's own texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Page title and heading.
    Title,
    /// Under the heading.
    Intro,
    /// First question.
    Resolved,
    /// Yes.
    Yes,
    /// No.
    No,
    /// Second question.
    Score,
    /// Comment label.
    Comment,
    /// Submit button.
    Submit,
    /// Error: resolved not answered.
    NeedResolved,
    /// Error: score not chosen.
    NeedScore,
    /// Error: comment too long.
    CommentTooLong,
    /// Heading after a satisfied answer.
    ThanksTitle,
    /// Body after a satisfied answer.
    ThanksSatisfied,
    /// Body after an unsatisfied answer.
    ThanksUnsatisfied,
    /// Heading and body: answered before.
    AlreadyAnsweredTitle,
    /// Body: answered before.
    AlreadyAnswered,
    /// Heading: unknown link.
    NotFoundTitle,
    /// Body: unknown link.
    NotFound,
    /// Heading: the case no longer waits for this answer.
    GoneTitle,
    /// Body: the case no longer waits for this answer.
    Gone,
    /// Heading: the link has expired.
    ExpiredTitle,
    /// Body: the link has expired.
    Expired,
}

/// `t` in `locale`.
pub fn text(locale: Locale, t: Text) -> &'static str {
    pick(
        locale,
        match t {
            Text::Title => ["服务回访", "服務回訪", "Follow-up check"],
            Text::Intro => [
                "我们处理了您反馈的问题，想确认一下现在的情况。",
                "我們處理了您回饋的問題，想確認一下現在的情況。",
                "We worked on the issue you told us about and would like to check how things are now.",
            ],
            Text::Resolved => [
                "您的问题解决了吗？",
                "您的問題解決了嗎？",
                "Has your issue been resolved?",
            ],
            Text::Yes => ["已解决", "已解決", "Yes"],
            Text::No => ["没有解决", "沒有解決", "No"],
            Text::Score => [
                "您现在的满意程度如何？",
                "您現在的滿意程度如何？",
                "How satisfied are you now?",
            ],
            Text::Comment => [
                "还有什么想告诉我们的吗？（选填）",
                "還有什麼想告訴我們的嗎？（選填）",
                "Anything else you would like to tell us? (optional)",
            ],
            Text::Submit => ["提交", "送出", "Submit"],
            Text::NeedResolved => [
                "请选择是否已解决。",
                "請選擇是否已解決。",
                "Please say whether it is resolved.",
            ],
            Text::NeedScore => [
                "请选择满意程度。",
                "請選擇滿意程度。",
                "Please choose how satisfied you are.",
            ],
            Text::CommentTooLong => [
                "内容太长，请精简后再提交。",
                "內容太長，請精簡後再送出。",
                "This is too long; please shorten it.",
            ],
            Text::ThanksTitle => ["感谢您的反馈", "感謝您的回饋", "Thank you"],
            Text::ThanksSatisfied => [
                "很高兴问题已经解决。",
                "很高興問題已經解決。",
                "We are glad it is sorted out.",
            ],
            Text::ThanksUnsatisfied => [
                "很抱歉问题还没有完全解决，我们会尽快再联系您。",
                "很抱歉問題還沒有完全解決，我們會盡快再聯繫您。",
                "We are sorry it is not fully resolved yet; we will contact you again soon.",
            ],
            Text::AlreadyAnsweredTitle => ["已经提交过了", "已經送出過了", "Already answered"],
            Text::AlreadyAnswered => [
                "这份回访已经提交，无需重复填写。",
                "這份回訪已經送出，無需重複填寫。",
                "This follow-up was already answered; there is nothing more to do.",
            ],
            Text::NotFoundTitle => ["链接无效", "連結無效", "Link not found"],
            Text::NotFound => [
                "这个回访链接不存在或已被新的链接取代。",
                "這個回訪連結不存在或已被新的連結取代。",
                "This follow-up link does not exist or was replaced by a newer one.",
            ],
            Text::GoneTitle => ["回访已结束", "回訪已結束", "Follow-up closed"],
            Text::Gone => [
                "这个问题的回访已经结束，感谢您的耐心。",
                "這個問題的回訪已經結束，感謝您的耐心。",
                "This follow-up is no longer open. Thank you for your patience.",
            ],
            Text::ExpiredTitle => ["链接已过期", "連結已過期", "Link expired"],
            Text::Expired => [
                "这个回访链接已过期，无法再提交。如果问题仍未解决，请直接联系商家客服。",
                "這個回訪連結已過期，無法再送出。如果問題仍未解決，請直接聯繫商家客服。",
                "This follow-up link has expired and can no longer be answered. If your issue is still not resolved, please contact the merchant's customer service.",
            ],
        },
    )
}

/// The message for a problem with the answer.
fn problem_text(locale: Locale, p: AnswerProblem) -> &'static str {
    text(
        locale,
        match p {
            AnswerProblem::MissingResolved => Text::NeedResolved,
            AnswerProblem::MissingScore => Text::NeedScore,
            AnswerProblem::CommentTooLong => Text::CommentTooLong,
        },
    )
}

/// A one-message page of this module's texts.
pub fn message(locale: Locale, heading: Text, body: Text) -> String {
    message_page(None, locale, text(locale, heading), text(locale, body))
}

/// The opaque internal-error page of the hosted survey.
pub fn internal_error(locale: Locale) -> String {
    message_page(
        None,
        locale,
        hosted_text(locale, HostedText::ErrorTitle),
        hosted_text(locale, HostedText::Error),
    )
}

/// What the form shows again after a refused post.
#[derive(Debug, Clone, Default)]
pub struct Values<'a> {
    /// `yes` / `no` as posted.
    pub resolved: Option<&'a str>,
    /// The score as posted.
    pub score: Option<&'a str>,
    /// The comment as posted.
    pub comment: Option<&'a str>,
}

/// What the verification form draws differently from the hosted survey's
/// stylesheet: wider tap targets for its labelled 1–5 scale, smaller text.
const EXTRA_STYLE: &str = ".scale{grid-template-columns:repeat(auto-fit,minmax(56px,1fr))}\
.pt span{padding:6px 8px;font-size:.9rem}";

/// A radio choice drawn as a tap target.
fn choice(b: &mut String, name: &str, value: &str, label: &str, checked: bool) {
    let _ = write!(
        b,
        "<label class=\"pt\"><input type=\"radio\" name=\"{name}\" value=\"{}\"{}><span>{}</span></label>",
        esc(value),
        if checked { " checked" } else { "" },
        esc(label)
    );
}

/// A fieldset's opening, marked bad with its message when `problem`.
fn fieldset(b: &mut String, locale: Locale, legend: &str, problem: Option<AnswerProblem>) {
    let _ = write!(
        b,
        "<fieldset{}><legend>{}</legend>",
        if problem.is_some() {
            " class=\"bad\""
        } else {
            ""
        },
        esc(legend)
    );
    if let Some(p) = problem {
        let _ = write!(
            b,
            "<p class=\"err\" role=\"alert\">{}</p>",
            esc(problem_text(locale, p))
        );
    }
}

/// The verification form (`action` relative to the page: its own token).
pub fn form_page(
    locale: Locale,
    action: &str,
    values: &Values<'_>,
    problems: &[AnswerProblem],
) -> String {
    let has = |p: AnswerProblem| problems.contains(&p).then_some(p);
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}</h1><p class=\"intro\">{}</p>\
<form method=\"post\" action=\"{}\" accept-charset=\"utf-8\">\
<input type=\"hidden\" name=\"locale\" value=\"{}\">",
        esc(text(locale, Text::Title)),
        esc(text(locale, Text::Intro)),
        esc(action),
        esc(locale.tag())
    );

    fieldset(
        &mut b,
        locale,
        text(locale, Text::Resolved),
        has(AnswerProblem::MissingResolved),
    );
    b.push_str("<div class=\"scale\">");
    for (value, label) in [("yes", Text::Yes), ("no", Text::No)] {
        choice(
            &mut b,
            "resolved",
            value,
            text(locale, label),
            values.resolved == Some(value),
        );
    }
    b.push_str("</div></fieldset>");

    fieldset(
        &mut b,
        locale,
        text(locale, Text::Score),
        has(AnswerProblem::MissingScore),
    );
    b.push_str("<div class=\"scale\">");
    for (i, label) in satisfaction_labels(locale, 5).into_iter().enumerate() {
        let value = (i + 1).to_string();
        let shown = format!("{value} · {label}");
        choice(
            &mut b,
            "score",
            &value,
            &shown,
            values.score == Some(value.as_str()),
        );
    }
    b.push_str("</div></fieldset>");

    fieldset(
        &mut b,
        locale,
        text(locale, Text::Comment),
        has(AnswerProblem::CommentTooLong),
    );
    let _ = write!(
        b,
        "<textarea name=\"comment\" maxlength=\"{MAX_COMMENT_CHARS}\" aria-label=\"{}\">{}</textarea></fieldset>\
<button type=\"submit\">{}</button></form>",
        esc(text(locale, Text::Comment)),
        esc(values.comment.unwrap_or_default()),
        esc(text(locale, Text::Submit))
    );

    styled_document(locale, text(locale, Text::Title), None, EXTRA_STYLE, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_asks_both_questions_in_each_locale() {
        for (locale, resolved, score) in [
            (Locale::ZhCn, "您的问题解决了吗？", "非常满意"),
            (Locale::ZhTw, "您的問題解決了嗎？", "非常滿意"),
            (
                Locale::En,
                "Has your issue been resolved?",
                "How satisfied are you now?",
            ),
        ] {
            let html = form_page(locale, "vt_x", &Values::default(), &[]);
            assert!(html.contains(resolved), "{locale:?}");
            assert!(html.contains(score), "{locale:?}");
            assert!(html.contains(&format!("lang=\"{}\"", locale.tag())));
            assert_eq!(html.matches("name=\"score\"").count(), 5);
            assert!(!html.contains("<script"));
        }
    }

    #[test]
    fn a_refused_post_keeps_the_answers_and_marks_the_problem() {
        let html = form_page(
            Locale::En,
            "vt_x",
            &Values {
                resolved: Some("no"),
                score: None,
                comment: Some("<b>still</b> broken"),
            },
            &[AnswerProblem::MissingScore],
        );
        assert!(html.contains("value=\"no\" checked"));
        assert!(html.contains("Please choose how satisfied you are."));
        assert!(html.contains("&lt;b&gt;still&lt;/b&gt; broken"));
        assert_eq!(html.matches("class=\"bad\"").count(), 1);
    }
}
