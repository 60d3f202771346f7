//! The hosted page's own texts in zh-CN, zh-TW and en (survey texts come
//! from the definition), the localized validation messages, and the hint
//! that tells a customer without JavaScript when a follow-up applies.
//!
//! Validation messages, default scale labels and the common buttons come
//! from `manyi_shared::texts`, the same the widget uses, so a customer reads
//! the same sentences on both.

use manyi_shared::texts::{Common, common, pick};
use manyi_shared::{CompareOp, Condition, Locale, LocalizedText, QuestionKind, Survey};

pub use manyi_shared::texts::{at_most, error_message, satisfaction_labels};
use serde_json::Value;

/// The page's fixed texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// The submit button.
    Submit,
    /// Marks a required question (screen readers; the star is visual).
    Required,
    /// The "other" option.
    Other,
    /// Placeholder of the "other" text.
    OtherPlaceholder,
    /// The banner above a form with errors.
    FixErrors,
    /// Fallback hint on a follow-up whose condition cannot be put in words.
    DependsOnEarlier,
    /// Heading of the already-answered page.
    AlreadyAnsweredTitle,
    /// Body of the already-answered page.
    AlreadyAnswered,
    /// Heading of the survey-not-found page.
    NotFoundTitle,
    /// Body of the survey-not-found page.
    NotFound,
    /// Heading of the bad-link page.
    BadLinkTitle,
    /// Body of the bad-link page.
    BadLink,
    /// Body of the expired-link page.
    ExpiredLink,
    /// Heading of the internal-error page.
    ErrorTitle,
    /// Body of the internal-error page.
    Error,
    /// NPS low end, when the survey gives none.
    NotLikely,
    /// NPS high end, when the survey gives none.
    VeryLikely,
    /// CES low end.
    VeryDifficult,
    /// CES high end.
    VeryEasy,
}

/// A fixed text in `locale`.
pub fn text(locale: Locale, t: Text) -> &'static str {
    match t {
        Text::Submit => common(locale, Common::Submit),
        Text::Required => common(locale, Common::Required),
        Text::Other => common(locale, Common::Other),
        Text::OtherPlaceholder => common(locale, Common::OtherPlaceholder),
        Text::FixErrors => common(locale, Common::FixErrors),
        Text::DependsOnEarlier => pick(
            locale,
            [
                "（根据上一题作答）",
                "（根據上一題作答）",
                "(depends on an earlier answer)",
            ],
        ),
        Text::AlreadyAnsweredTitle => pick(
            locale,
            ["您已评价过该订单", "您已評價過該訂單", "Already answered"],
        ),
        Text::AlreadyAnswered => pick(
            locale,
            [
                "您已经提交过此订单的评价，感谢参与！",
                "您已經提交過此訂單的評價，感謝參與！",
                "You have already answered this survey for this order. Thank you!",
            ],
        ),
        Text::NotFoundTitle => pick(locale, ["问卷不存在", "問卷不存在", "Survey not found"]),
        Text::NotFound => pick(
            locale,
            [
                "此问卷不存在或已结束。",
                "此問卷不存在或已結束。",
                "This survey does not exist or has ended.",
            ],
        ),
        Text::BadLinkTitle => pick(locale, ["链接无效", "連結無效", "Invalid link"]),
        Text::BadLink => pick(
            locale,
            [
                "此链接不完整或已损坏，请从原消息中重新打开。",
                "此連結不完整或已損壞，請從原訊息中重新開啟。",
                "This link is incomplete or damaged. Please open it again from the original message.",
            ],
        ),
        Text::ExpiredLink => pick(
            locale,
            [
                "此链接已过期，感谢您的关注。",
                "此連結已過期，感謝您的關注。",
                "This link has expired. Thank you for your interest.",
            ],
        ),
        Text::ErrorTitle => pick(
            locale,
            ["暂时无法提交", "暫時無法提交", "Something went wrong"],
        ),
        Text::Error => pick(
            locale,
            [
                "抱歉，暂时无法处理您的请求，请稍后重试。",
                "抱歉，暫時無法處理您的請求，請稍後重試。",
                "Sorry, we could not process your request. Please try again later.",
            ],
        ),
        Text::NotLikely => common(locale, Common::NotLikely),
        Text::VeryLikely => common(locale, Common::VeryLikely),
        Text::VeryDifficult => common(locale, Common::VeryDifficult),
        Text::VeryEasy => common(locale, Common::VeryEasy),
    }
}

/// The hint on a follow-up question, derived from its `show_if`, e.g.
/// "如果您第 1 题的评分 ≤ 6，请回答" / "Answer if your rating in question 1
/// is ≤ 6". Falls back to "（根据上一题作答）" when the condition cannot be
/// put in words.
pub fn condition_hint(survey: &Survey, condition: &Condition, locale: Locale) -> String {
    match describe(survey, condition, locale) {
        Some(d) => match locale {
            Locale::ZhCn => format!("如果您{d}，请回答"),
            Locale::ZhTw => format!("如果您{d}，請回答"),
            Locale::En => format!("Answer if {d}"),
        },
        None => text(locale, Text::DependsOnEarlier).to_owned(),
    }
}

/// The condition as a phrase, or `None` when some part has no wording.
fn describe(survey: &Survey, condition: &Condition, locale: Locale) -> Option<String> {
    let join = |parts: &[Condition], zh_and: [&'static str; 3]| -> Option<String> {
        let words: Option<Vec<String>> =
            parts.iter().map(|c| describe(survey, c, locale)).collect();
        let words = words.filter(|w| !w.is_empty())?;
        Some(words.join(pick(locale, zh_and)))
    };
    match condition {
        Condition::All { all } => join(all, ["，且", "，且", " and "]),
        Condition::Any { any } => join(any, ["，或", "，或", " or "]),
        Condition::Compare {
            question,
            op,
            value,
        } => {
            let pos = survey.position(question.as_str())?;
            let q = &survey.questions[pos];
            let n = pos + 1;
            let fallback = survey.default_locale;
            let label_of = |id: &str| -> Option<String> {
                let options = match &q.kind {
                    QuestionKind::SingleChoice { options, .. }
                    | QuestionKind::MultiChoice { options, .. } => options,
                    _ => return None,
                };
                if id == manyi_shared::survey::OTHER_OPTION {
                    return Some(text(locale, Text::Other).to_owned());
                }
                let o = options.iter().find(|o| o.id.as_str() == id)?;
                Some(o.label.get(locale, fallback).to_owned())
            };
            let quote = |s: &str| match locale {
                Locale::En => format!("“{s}”"),
                _ => format!("「{s}」"),
            };
            if *op == CompareOp::Answered {
                return Some(match locale {
                    Locale::ZhCn => format!("回答了第 {n} 题"),
                    Locale::ZhTw => format!("回答了第 {n} 題"),
                    Locale::En => format!("you answered question {n}"),
                });
            }
            if q.kind.scale().is_some() {
                let v = match (op, value) {
                    (CompareOp::In, Some(Value::Array(items))) => {
                        let nums: Option<Vec<String>> = items
                            .iter()
                            .map(|v| v.as_i64().map(|x| x.to_string()))
                            .collect();
                        let nums = nums?;
                        nums.join(pick(locale, ["、", "、", ", "]))
                    }
                    (_, Some(v)) => v.as_i64()?.to_string(),
                    _ => return None,
                };
                let sym = match op {
                    CompareOp::Eq | CompareOp::In => pick(locale, ["为", "為", "is"]),
                    CompareOp::Ne => pick(locale, ["不为", "不為", "is not"]),
                    CompareOp::Lt => "<",
                    CompareOp::Lte => "≤",
                    CompareOp::Gt => ">",
                    CompareOp::Gte => "≥",
                    CompareOp::Answered => return None,
                };
                return Some(match locale {
                    Locale::ZhCn => format!("第 {n} 题的评分 {sym} {v}"),
                    Locale::ZhTw => format!("第 {n} 題的評分 {sym} {v}"),
                    Locale::En => format!("your rating in question {n} {sym} {v}"),
                });
            }
            let labels: Vec<String> = match value {
                Some(Value::String(s)) => vec![quote(&label_of(s)?)],
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().and_then(label_of).map(|l| quote(&l)))
                    .collect::<Option<Vec<_>>>()?,
                _ => return None,
            };
            let labels = labels.join(pick(locale, ["或", "或", " or "]));
            match op {
                CompareOp::Eq | CompareOp::In => Some(match locale {
                    Locale::ZhCn => format!("在第 {n} 题选择了{labels}"),
                    Locale::ZhTw => format!("在第 {n} 題選擇了{labels}"),
                    Locale::En => format!("you chose {labels} in question {n}"),
                }),
                CompareOp::Ne => Some(match locale {
                    Locale::ZhCn => format!("在第 {n} 题没有选择{labels}"),
                    Locale::ZhTw => format!("在第 {n} 題沒有選擇{labels}"),
                    Locale::En => format!("you did not choose {labels} in question {n}"),
                }),
                _ => None,
            }
        }
    }
}

/// A survey text in `locale`, falling back to the survey's default locale.
pub fn localized<'a>(t: &'a LocalizedText, locale: Locale, survey: &Survey) -> &'a str {
    t.get(locale, survey.default_locale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use manyi_shared::QuestionId;

    fn demo() -> Survey {
        crate::seed::demo_survey().expect("demo survey")
    }

    fn id(s: &str) -> QuestionId {
        QuestionId::parse(s).expect("id")
    }

    #[test]
    fn score_conditions_read_as_a_rating_threshold() {
        let s = demo();
        let c = Condition::score(&id("nps"), CompareOp::Lte, 6);
        assert_eq!(
            condition_hint(&s, &c, Locale::ZhCn),
            "如果您第 1 题的评分 ≤ 6，请回答"
        );
        assert_eq!(
            condition_hint(&s, &c, Locale::En),
            "Answer if your rating in question 1 ≤ 6"
        );
    }

    #[test]
    fn choice_and_answered_conditions_name_the_options() {
        let s = demo();
        let c = Condition::Compare {
            question: id("reason"),
            op: CompareOp::In,
            value: Some(serde_json::json!(["slow_delivery", "price"])),
        };
        assert_eq!(
            condition_hint(&s, &c, Locale::ZhCn),
            "如果您在第 2 题选择了「配送慢」或「价格」，请回答"
        );
        let answered = Condition::Compare {
            question: id("nps"),
            op: CompareOp::Answered,
            value: None,
        };
        let both = Condition::All {
            all: vec![answered, Condition::score(&id("nps"), CompareOp::Gte, 9)],
        };
        assert_eq!(
            condition_hint(&s, &both, Locale::En),
            "Answer if you answered question 1 and your rating in question 1 ≥ 9"
        );
    }

    #[test]
    fn conditions_without_wording_fall_back_to_a_generic_hint() {
        let s = demo();
        let unknown = Condition::score(&id("nope"), CompareOp::Lte, 6);
        assert_eq!(
            condition_hint(&s, &unknown, Locale::ZhCn),
            "（根据上一题作答）"
        );
        assert_eq!(
            condition_hint(&s, &Condition::Any { any: vec![] }, Locale::En),
            "(depends on an earlier answer)"
        );
    }
}
