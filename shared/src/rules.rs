//! The one validation rule book: survey definitions, and responses against a survey.
//!
//! The widget runs these functions to show field errors before posting and the
//! collector runs them again on what arrives, so the two can never disagree
//! about what a valid answer is.
//!
//! Both [`validate_survey`] and [`validate_response`] report *every* problem,
//! not just the first, each with the question id (or definition path) and a
//! stable [`ErrorCode`](crate::ErrorCode).
//!
//! - [`survey_rules`]: is a survey definition publishable?
//! - [`response_rules`]: wire answers → typed answers, and whole responses.

pub mod response_rules;
pub mod survey_rules;

pub use response_rules::{
    CONTEXT_MAX_CHARS, OTHER_TEXT_MAX_CHARS, PAGE_MAX_CHARS, parse_answer, validate_response,
};
pub use survey_rules::{TEXT_MAX_LENGTH, validate_survey};

/// A survey exercising every question kind, shared by the rule tests.
#[cfg(test)]
pub(crate) mod test_fixtures {
    use crate::survey::Survey;

    /// Valid: each rule test adds exactly one problem to it.
    ///
    /// | # | id | kind | shown when |
    /// |---|---|---|---|
    /// | 0 | overall | csat, required | always |
    /// | 1 | nps | nps | always |
    /// | 2 | reason | multi (slow, rude, price, other), max 2, required | overall ≤ 3 |
    /// | 3 | pick | single (a, b) | always |
    /// | 4 | comment | multiline text ≤ 100 | reason has slow, or nps ≤ 6 |
    /// | 5 | effort | ces | always |
    /// | 6 | agree | likert 5, labelled | always |
    /// | 7 | name | one-line text ≤ 20 | always |
    pub(crate) fn survey() -> Survey {
        let t = |zh: &str, en: &str| json!({"zh-CN": zh, "en": en});
        Survey::from_json(json!({
            "id": "fixture", "version": 2, "default_locale": "zh-CN", "locales": ["zh-CN", "en"],
            "title": t("标题", "Title"), "intro": t("简介", "Intro"),
            "thank_you": t("谢谢", "Thanks"),
            "questions": [
                {"id": "overall", "type": "csat", "required": true, "text": t("满意吗", "Satisfied?")},
                {"id": "nps", "type": "nps", "text": t("推荐吗", "Recommend?"),
                 "low_label": t("不会", "No"), "high_label": t("会", "Yes")},
                {"id": "reason", "type": "multi_choice", "required": true, "text": t("原因", "Why?"),
                 "allow_other": true, "max_selections": 2,
                 "options": [{"id": "slow", "label": t("慢", "Slow")},
                             {"id": "rude", "label": t("粗鲁", "Rude")},
                             {"id": "price", "label": t("价格", "Price")}],
                 "show_if": {"question": "overall", "op": "lte", "value": 3}},
                {"id": "pick", "type": "single_choice", "text": t("选一个", "Pick one"),
                 "options": [{"id": "a", "label": t("甲", "A")}, {"id": "b", "label": t("乙", "B")}]},
                {"id": "comment", "type": "text", "max_length": 100, "text": t("评论", "Comment"),
                 "placeholder": t("请输入", "Type here"),
                 "show_if": {"any": [{"question": "reason", "op": "eq", "value": "slow"},
                                     {"question": "nps", "op": "lte", "value": 6}]}},
                {"id": "effort", "type": "ces", "text": t("容易吗", "Easy?")},
                {"id": "agree", "type": "likert", "text": t("同意吗", "Agree?"),
                 "help": t("说明", "Help"),
                 "labels": [t("1", "1"), t("2", "2"), t("3", "3"), t("4", "4"), t("5", "5")]},
                {"id": "name", "type": "text", "multiline": false, "max_length": 20,
                 "text": t("名字", "Name")}
            ],
            "theme": {"brand_color": "#D9480f"}
        }))
        .expect("fixture survey deserializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::ResponsePayload;
    use crate::survey::Survey;

    /// The survey the collector seeds on first start must be publishable as is.
    #[test]
    fn the_seeded_post_payment_survey_validates() {
        let survey: Survey = Survey::from_json(
            crate::json::parse(include_str!("../../collector/seed/post-payment.json")).unwrap(),
        )
        .expect("seed survey deserializes");
        assert_eq!(validate_survey(&survey), vec![]);
    }

    /// And a detractor's typical answer to it is accepted.
    #[test]
    fn a_detractor_response_to_the_seeded_survey_validates() {
        let survey: Survey = Survey::from_json(
            crate::json::parse(include_str!("../../collector/seed/post-payment.json")).unwrap(),
        )
        .unwrap();
        let payload = ResponsePayload::from_json(json!({
            "response_id": "0b9f6b1e-8a3c-4d2e-9f10-1234567890ab",
            "site": "demo", "survey_id": "post-payment", "survey_version": 1,
            "answers": {
                "nps": 3,
                "reason": {"choices": ["slow_delivery", "other"], "other_text": "包装破损"},
                "comment": "快递太慢了\n下次改进"
            },
            "context": {"order_id": "A1001", "customer": "c-42", "locale": "zh-CN"}
        }))
        .unwrap();
        let answers = validate_response(&survey, &payload).expect("valid response");
        assert_eq!(answers.len(), 3);
    }
}
