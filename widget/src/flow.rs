//! Survey flow state: the answers so far, which questions they make visible,
//! progress, validation against the shared rule book and the payload to send.
//!
//! This is plain Rust with no DOM access, so every rule of the flow is tested
//! on the host; the Leptos components only hold a [`Flow`] in a signal, call
//! its methods from event handlers and render what its getters return.

use crate::i18n;
use manyi_shared::survey::OTHER_OPTION;
use manyi_shared::{
    AnswerValue, Context, ErrorCode, Locale, OptionId, Question, QuestionId, QuestionKind,
    ResponseId, ResponsePayload, SiteKey, SortedMap, Survey, Timing, ValidationError, rules,
    visibility,
};
use std::sync::Arc;

/// Who and where a response is for: fixed for the life of one widget.
#[derive(Debug, Clone, PartialEq)]
pub struct Audience {
    /// The site's public key.
    pub site: SiteKey,
    /// Order, customer, channel, page, … as given by the host page.
    pub context: Context,
    /// The merchant backend's signature, passed through untouched.
    pub sig: Option<String>,
}

/// Where the respondent is in the flow (drives what the widget shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    /// Answering questions (also after a failed attempt).
    #[default]
    Answering,
    /// A submission is in flight; the submit button is disabled.
    Sending,
    /// The collector accepted the response: show the thank-you screen.
    Thanks,
}

/// A message about the whole form, shown above the submit button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Some questions need attention.
    FixErrors,
    /// The network or the collector failed; the answers are kept.
    RetryLater,
    /// The collector refused the response for good.
    CannotSubmit,
    /// This order/customer has already answered.
    AlreadyAnswered,
}

impl Notice {
    /// The chrome text for this notice.
    pub fn text(self) -> i18n::Text {
        match self {
            Notice::FixErrors => i18n::Text::FixErrors,
            Notice::RetryLater => i18n::Text::RetryLater,
            Notice::CannotSubmit => i18n::Text::CannotSubmit,
            Notice::AlreadyAnswered => i18n::Text::AlreadyAnswered,
        }
    }
}

/// The state of one survey being answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    survey: Arc<Survey>,
    locale: Locale,
    audience: Audience,
    /// Answers by question, including answers to questions hidden since:
    /// they come back if the question shows again, and are pruned from the
    /// payload while hidden.
    answers: SortedMap<QuestionId, AnswerValue>,
    /// Current error per question id (`""` for the whole response), one
    /// entry per id. A short list rather than a second map type: every
    /// map instantiation costs WebAssembly size.
    errors: Vec<(String, ErrorCode)>,
}

impl Flow {
    /// Starts an empty flow.
    pub fn new(survey: Arc<Survey>, locale: Locale, audience: Audience) -> Self {
        Self {
            survey,
            locale,
            audience,
            answers: SortedMap::new(),
            errors: Vec::new(),
        }
    }

    /// The survey being answered.
    pub fn survey(&self) -> &Survey {
        &self.survey
    }

    /// A shared handle on the survey.
    pub fn survey_arc(&self) -> Arc<Survey> {
        Arc::clone(&self.survey)
    }

    /// The locale texts are shown in.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// A survey text in the flow's locale (falling back to the survey default).
    pub fn tr<'a>(&self, text: &'a manyi_shared::LocalizedText) -> &'a str {
        text.get(self.locale, self.survey.default_locale)
    }

    /// The current answer to a question, visible or not.
    pub fn answer(&self, id: &str) -> Option<&AnswerValue> {
        self.answers.get(id)
    }

    /// Every current answer (hidden ones included).
    pub fn answers(&self) -> &SortedMap<QuestionId, AnswerValue> {
        &self.answers
    }

    /// Sets an answer; an empty one (blank text, no choices) clears it.
    /// Changing an answer clears that question's error.
    pub fn set_answer(&mut self, id: &QuestionId, value: AnswerValue) {
        self.clear_error(id.as_str());
        if value.is_empty() {
            self.answers.remove(id);
        } else {
            self.answers.insert(id.clone(), value);
        }
    }

    /// Removes an answer.
    pub fn clear_answer(&mut self, id: &QuestionId) {
        self.clear_error(id.as_str());
        self.answers.remove(id);
    }

    /// Answers a rating question.
    pub fn set_score(&mut self, id: &QuestionId, score: i64) {
        self.set_answer(id, AnswerValue::Score(score));
    }

    /// Answers a text question.
    pub fn set_text(&mut self, id: &QuestionId, text: String) {
        self.set_answer(id, AnswerValue::Text(text));
    }

    /// Picks one option of a single-choice question, keeping the "other" text
    /// when `other` is picked again.
    pub fn choose_single(&mut self, id: &QuestionId, choice: OptionId) {
        let other_text = match self.answers.get(id) {
            Some(AnswerValue::Single { other_text, .. }) if choice.as_str() == OTHER_OPTION => {
                other_text.clone()
            }
            _ => None,
        };
        self.set_answer(id, AnswerValue::Single { choice, other_text });
    }

    /// Whether a choice option is currently selected.
    pub fn is_selected(&self, id: &str, option: &str) -> bool {
        match self.answers.get(id) {
            Some(AnswerValue::Single { choice, .. }) => choice.as_str() == option,
            Some(AnswerValue::Multi { choices, .. }) => {
                choices.iter().any(|c| c.as_str() == option)
            }
            _ => false,
        }
    }

    /// Selects or deselects an option of a multi-choice question. Selecting
    /// beyond `max_selections` is refused (returns `false`). Choices are kept
    /// in the survey's option order, `other` last.
    pub fn toggle_choice(&mut self, question: &Question, option: &str, on: bool) -> bool {
        let QuestionKind::MultiChoice {
            options,
            max_selections,
            ..
        } = &question.kind
        else {
            return false;
        };
        let (mut chosen, other_text) = match self.answers.get(question.id.as_str()) {
            Some(AnswerValue::Multi {
                choices,
                other_text,
            }) => (choices.clone(), other_text.clone()),
            _ => (Vec::new(), None),
        };
        let already = chosen.iter().any(|c| c.as_str() == option);
        if on && !already {
            if max_selections.is_some_and(|m| chosen.len() >= usize::from(m)) {
                return false;
            }
            let Ok(id) = OptionId::parse(option) else {
                return false;
            };
            chosen.push(id);
        } else if !on {
            chosen.retain(|c| c.as_str() != option);
        }
        // In the options' order, unknown ids (none in practice) last. Built
        // rather than sorted: a sort instantiation costs ~3 KB of WebAssembly.
        let known = |c: &OptionId| options.iter().any(|o| o.id == *c);
        let mut ordered: Vec<OptionId> = options
            .iter()
            .filter(|o| chosen.contains(&o.id))
            .map(|o| o.id.clone())
            .collect();
        ordered.extend(chosen.into_iter().filter(|c| !known(c)));
        let chosen = ordered;
        let other_text = other_text.filter(|_| chosen.iter().any(|c| c.as_str() == OTHER_OPTION));
        self.set_answer(
            &question.id,
            AnswerValue::Multi {
                choices: chosen,
                other_text,
            },
        );
        true
    }

    /// Whether an unselected option must be disabled because the question's
    /// `max_selections` is reached.
    pub fn choice_disabled(&self, question: &Question, option: &str) -> bool {
        let QuestionKind::MultiChoice {
            max_selections: Some(max),
            ..
        } = &question.kind
        else {
            return false;
        };
        match self.answers.get(question.id.as_str()) {
            Some(AnswerValue::Multi { choices, .. }) => {
                choices.len() >= usize::from(*max) && !choices.iter().any(|c| c.as_str() == option)
            }
            _ => false,
        }
    }

    /// The "other" free text of a choice question ("" when none).
    pub fn other_text(&self, id: &str) -> &str {
        match self.answers.get(id) {
            Some(AnswerValue::Single {
                other_text: Some(t),
                ..
            })
            | Some(AnswerValue::Multi {
                other_text: Some(t),
                ..
            }) => t,
            _ => "",
        }
    }

    /// Sets the "other" free text; typing there also selects `other` (when a
    /// multi-choice question still has room for it).
    pub fn set_other_text(&mut self, question: &Question, text: String) {
        let Ok(other) = OptionId::parse(OTHER_OPTION) else {
            return;
        };
        let text = (!text.is_empty()).then_some(text);
        match &question.kind {
            QuestionKind::SingleChoice { .. } => {
                self.set_answer(
                    &question.id,
                    AnswerValue::Single {
                        choice: other,
                        other_text: text,
                    },
                );
            }
            QuestionKind::MultiChoice { .. } => {
                if !self.is_selected(question.id.as_str(), OTHER_OPTION)
                    && !self.toggle_choice(question, OTHER_OPTION, true)
                {
                    return;
                }
                if let Some(AnswerValue::Multi { choices, .. }) = self.answers.get(&question.id) {
                    let choices = choices.clone();
                    self.set_answer(
                        &question.id,
                        AnswerValue::Multi {
                            choices,
                            other_text: text,
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// Visibility of each question, in survey order.
    pub fn visible_flags(&self) -> Vec<bool> {
        visibility::visible_flags(&self.survey, &self.answers)
    }

    /// Ids of the visible questions, in survey order.
    pub fn visible_ids(&self) -> Vec<QuestionId> {
        self.survey
            .questions
            .iter()
            .zip(self.visible_flags())
            .filter(|(_, v)| *v)
            .map(|(q, _)| q.id.clone())
            .collect()
    }

    /// `(answered, visible)`: visible questions with a non-empty answer, and
    /// all visible questions.
    pub fn progress(&self) -> (usize, usize) {
        self.progress_among(&self.visible_flags())
    }

    /// [`Flow::progress`] from visibility flags already computed
    /// ([`Flow::visible_flags`]): the widget works them out once per change
    /// for the question slots and the progress line alike.
    pub fn progress_among(&self, visible: &[bool]) -> (usize, usize) {
        self.survey
            .questions
            .iter()
            .zip(visible)
            .filter(|(_, shown)| **shown)
            .fold((0, 0), |(answered, total), (q, _)| {
                let done = self.answers.get(&q.id).is_some_and(|a| !a.is_empty());
                (answered + usize::from(done), total + 1)
            })
    }

    /// The current error of a question.
    pub fn error(&self, id: &str) -> Option<ErrorCode> {
        self.errors.iter().find(|(q, _)| q == id).map(|(_, c)| *c)
    }

    fn clear_error(&mut self, id: &str) {
        self.errors.retain(|(q, _)| q != id);
    }

    /// The current error of a question as a short localized message.
    pub fn error_message(&self, id: &str) -> Option<&'static str> {
        self.error(id).map(|c| i18n::error_message(self.locale, c))
    }

    /// Whether any question currently has an error.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Replaces the errors with `errors` (local validation or a 422 body) and
    /// returns the first question in survey order that has one (`""` when
    /// only the whole response is at fault). The first error per question wins.
    pub fn set_errors(&mut self, errors: &[ValidationError]) -> Option<String> {
        self.errors.clear();
        for e in errors {
            if self.error(&e.question).is_none() {
                self.errors.push((e.question.clone(), e.code));
            }
        }
        self.survey
            .questions
            .iter()
            .map(|q| q.id.as_str())
            .find(|id| self.error(id).is_some())
            .or_else(|| self.errors.iter().map(|(q, _)| q.as_str()).min())
            .map(str::to_owned)
    }

    /// Checks the current answers with the shared rule book, exactly as the
    /// collector will. On failure the errors are stored per question and the
    /// first invalid question's id is returned.
    pub fn validate(&mut self) -> Result<(), String> {
        // The id and timing do not take part in answer validation.
        let probe = self.payload(ResponseId::from_random_bytes([0; 16]), Timing::default());
        match rules::validate_response(&self.survey, &probe) {
            Ok(_) => {
                self.errors.clear();
                Ok(())
            }
            Err(errors) => Err(self.set_errors(&errors).unwrap_or_default()),
        }
    }

    /// The response to send: answers to hidden questions (and empty answers)
    /// are left out.
    pub fn payload(&self, response_id: ResponseId, timing: Timing) -> ResponsePayload {
        // Inserts rather than `collect`, which would instantiate a sort.
        let mut answers = SortedMap::new();
        for (id, a) in visibility::prune_hidden(&self.survey, &self.answers) {
            answers.insert(String::from(id), a.to_json());
        }
        let mut context = self.audience.context.clone();
        context.locale = Some(self.locale.tag().to_owned());
        ResponsePayload {
            response_id,
            site: self.audience.site.clone(),
            survey_id: self.survey.id.clone(),
            survey_version: self.survey.version,
            answers,
            context,
            timing,
            sig: self.audience.sig.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use manyi_shared::json;

    fn demo() -> Arc<Survey> {
        Arc::new(
            Survey::from_json(
                json::parse(include_str!("../../collector/seed/post-payment.json"))
                    .expect("demo survey is JSON"),
            )
            .expect("demo survey parses"),
        )
    }

    fn flow() -> Flow {
        let audience = Audience {
            site: SiteKey::parse("demo").expect("valid site key"),
            context: Context {
                order_id: Some("A1001".into()),
                ..Context::default()
            },
            sig: None,
        };
        Flow::new(demo(), Locale::ZhCn, audience)
    }

    fn qid(s: &str) -> QuestionId {
        QuestionId::parse(s).expect("valid question id")
    }

    fn question(f: &Flow, id: &str) -> Question {
        f.survey().question(id).cloned().expect("question exists")
    }

    fn ids(f: &Flow) -> Vec<String> {
        f.visible_ids().into_iter().map(String::from).collect()
    }

    #[test]
    fn only_the_nps_question_shows_before_any_answer() {
        assert_eq!(ids(&flow()), ["nps"]);
        assert_eq!(flow().progress(), (0, 1));
    }

    #[test]
    fn follow_up_shows_for_a_detractor_score() {
        let mut f = flow();
        f.set_score(&qid("nps"), 6);
        assert_eq!(ids(&f), ["nps", "reason", "comment"]);
        assert_eq!(f.progress(), (1, 3));
    }

    /// The widget hands the flags it computed for the question slots to
    /// `progress_among`: the same figures as `progress`, and only the
    /// questions the flags show count, answered or not.
    #[test]
    fn progress_among_given_flags_counts_only_the_questions_they_show() {
        let mut f = flow();
        let reason = question(&f, "reason");
        f.set_score(&qid("nps"), 3);
        assert!(f.toggle_choice(&reason, "price", true));
        let flags = f.visible_flags();
        assert_eq!(flags, [true, true, true]);
        assert_eq!(f.progress_among(&flags), (2, 3));
        assert_eq!(f.progress(), (2, 3));
        // `reason` answered but not shown: neither answered nor counted.
        assert_eq!(f.progress_among(&[true, false, true]), (1, 2));
        assert_eq!(f.progress_among(&[]), (0, 0));
    }

    #[test]
    fn follow_up_hides_again_for_a_promoter_and_its_answer_is_dropped() {
        let mut f = flow();
        let reason = question(&f, "reason");
        f.set_score(&qid("nps"), 3);
        assert!(f.toggle_choice(&reason, "price", true));
        f.set_score(&qid("nps"), 9);
        assert_eq!(ids(&f), ["nps", "comment"]);
        let p = f.payload(ResponseId::from_random_bytes([7; 16]), Timing::default());
        assert!(!p.answers.contains_key("reason"));
        assert_eq!(p.answers.get("nps"), Some(&json::Value::from(9u64)));
        // The hidden answer is kept and comes back with the question.
        f.set_score(&qid("nps"), 2);
        assert!(f.is_selected("reason", "price"));
    }

    #[test]
    fn missing_required_answer_blocks_submission() {
        let mut f = flow();
        assert_eq!(f.validate(), Err("nps".to_owned()));
        assert_eq!(f.error("nps"), Some(ErrorCode::Required));
        assert_eq!(f.error_message("nps"), Some("请回答此问题"));
    }

    #[test]
    fn required_follow_up_blocks_submission_until_answered() {
        let mut f = flow();
        f.set_score(&qid("nps"), 4);
        assert_eq!(f.validate(), Err("reason".to_owned()));
        let reason = question(&f, "reason");
        assert!(f.toggle_choice(&reason, "slow_delivery", true));
        assert_eq!(f.error("reason"), None, "answering clears the error");
        assert_eq!(f.validate(), Ok(()));
        assert!(!f.has_errors());
    }

    #[test]
    fn a_complete_promoter_response_validates() {
        let mut f = flow();
        f.set_score(&qid("nps"), 10);
        f.set_text(&qid("comment"), "很好".into());
        assert_eq!(f.validate(), Ok(()));
        let p = f.payload(ResponseId::from_random_bytes([1; 16]), Timing::default());
        assert_eq!(p.answers.len(), 2);
        assert_eq!(p.context.locale.as_deref(), Some("zh-CN"));
        assert_eq!(p.context.order_id.as_deref(), Some("A1001"));
        assert_eq!(p.survey_version, 1);
    }

    #[test]
    fn blank_text_counts_as_unanswered() {
        let mut f = flow();
        f.set_score(&qid("nps"), 10);
        f.set_text(&qid("comment"), "   ".into());
        assert_eq!(f.progress(), (1, 2));
        f.set_text(&qid("comment"), String::new());
        assert!(f.answer("comment").is_none());
    }

    #[test]
    fn max_selections_refuses_and_disables_further_choices() {
        let mut f = flow();
        f.set_score(&qid("nps"), 0);
        let reason = question(&f, "reason");
        for o in ["price", "slow_delivery", "product_quality"] {
            assert!(f.toggle_choice(&reason, o, true));
        }
        assert!(f.choice_disabled(&reason, "service_attitude"));
        assert!(!f.choice_disabled(&reason, "price"));
        assert!(!f.toggle_choice(&reason, "service_attitude", true));
        let Some(AnswerValue::Multi { choices, .. }) = f.answer("reason") else {
            panic!("multi answer expected")
        };
        let order: Vec<&str> = choices.iter().map(OptionId::as_str).collect();
        assert_eq!(
            order,
            ["slow_delivery", "product_quality", "price"],
            "survey order"
        );
        assert!(f.toggle_choice(&reason, "price", false));
        assert!(!f.choice_disabled(&reason, "service_attitude"));
    }

    #[test]
    fn typing_other_text_selects_other() {
        let mut f = flow();
        f.set_score(&qid("nps"), 1);
        let reason = question(&f, "reason");
        f.set_other_text(&reason, "包装破损".into());
        assert!(f.is_selected("reason", OTHER_OPTION));
        assert_eq!(f.other_text("reason"), "包装破损");
        let p = f.payload(ResponseId::from_random_bytes([2; 16]), Timing::default());
        assert_eq!(
            p.answers.get("reason"),
            Some(&json::parse(r#"{"choices": ["other"], "other_text": "包装破损"}"#).unwrap())
        );
        // Deselecting other drops its text.
        assert!(f.toggle_choice(&reason, OTHER_OPTION, false));
        assert_eq!(f.other_text("reason"), "");
    }

    #[test]
    fn server_errors_map_to_questions_in_survey_order() {
        let mut f = flow();
        let errs = [
            ValidationError::new("comment", ErrorCode::TooLong, "too long"),
            ValidationError::new("nps", ErrorCode::OutOfRange, "out of range"),
        ];
        assert_eq!(f.set_errors(&errs), Some("nps".to_owned()));
        assert_eq!(f.error_message("comment"), Some("内容过长，请精简"));
    }
}
