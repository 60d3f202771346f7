//! Leptos components. They hold the [`Flow`] in a signal, call its methods
//! from event handlers and render what it says; no survey rule lives here.
//!
//! - this module: the widget frame ([`App`]), the question list and the
//!   per-question wrapper with its title and error;
//! - [`rating`]: NPS, CSAT, CES and Likert scales;
//! - [`choice`]: single and multi choice, with "other";
//! - [`text`]: free text with a character counter.

mod choice;
mod rating;
mod text;

use crate::delivery::{self, Outcome};
use crate::dom;
use crate::flow::{Flow, Notice, Stage};
use crate::i18n::{self, Text};
use leptos::prelude::*;
use manyi_shared::{Locale, Question, QuestionId, QuestionKind, ResponseId, Timing};
use std::sync::Arc;

/// What every answer component needs: the flow, its question and the ids
/// that tie the control to its title and error text.
#[derive(Clone)]
pub struct Field {
    /// The shared flow state.
    pub flow: RwSignal<Flow>,
    /// The question rendered.
    pub question: Arc<Question>,
    /// The locale of the widget chrome.
    pub locale: Locale,
    /// Element id of the question text (for `aria-labelledby`).
    pub title_id: String,
    /// Element id of the error text (for `aria-describedby`).
    pub error_id: String,
    /// Whether the question currently shows an error.
    pub invalid: Memo<bool>,
}

impl Field {
    /// `aria-describedby` value: the error text while there is one.
    pub fn described_by(&self) -> impl Fn() -> Option<String> + Clone + Send + Sync + use<> {
        let (invalid, id) = (self.invalid, self.error_id.clone());
        move || invalid.get().then(|| id.clone())
    }

    /// `aria-invalid` value.
    pub fn aria_invalid(&self) -> impl Fn() -> Option<&'static str> + Clone + Send + Sync + use<> {
        let invalid = self.invalid;
        move || invalid.get().then_some("true")
    }

    /// A survey text in the flow's locale.
    pub fn tr(&self, text: &manyi_shared::LocalizedText) -> String {
        self.flow.with_untracked(|f| f.tr(text).to_owned())
    }
}

/// The whole widget: title, optional close button, then either the form
/// with the visible questions or the thank-you screen.
#[component]
pub fn App(
    /// The flow to render; moved into a signal.
    flow: Flow,
    /// Where responses are POSTed.
    url: String,
    /// When the survey was shown (RFC 3339), sent in `timing.shown_at`.
    shown_at: String,
    /// Rendered inside the host page's layout instead of over it.
    inline: bool,
) -> impl IntoView {
    let locale = flow.locale();
    let survey = flow.survey_arc();
    let dismissible = survey.display.dismissible;
    let show_progress = survey.display.show_progress;
    let title = flow.tr(&survey.title).to_owned();
    let intro = survey.intro.as_ref().map(|t| flow.tr(t).to_owned());
    let thanks = flow.tr(&survey.thank_you).to_owned();

    let flow = RwSignal::new(flow);
    let stage = RwSignal::new(Stage::Answering);
    let notice = RwSignal::new(None::<Notice>);
    // One id per widget: a retry after a network failure reuses it, so the
    // collector can recognise a response it already committed.
    let response_id = StoredValue::new(None::<ResponseId>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if stage.get_untracked() == Stage::Sending {
            return;
        }
        let Some(form) = dom::target(&ev) else { return };
        if let Some(Err(first)) = flow.try_update(Flow::validate) {
            notice.set(Some(Notice::FixErrors));
            dom::after_render(move || dom::focus_question(&form, &first));
            return;
        }
        let Some(id) = response_id.get_value().or_else(delivery::new_response_id) else {
            notice.set(Some(Notice::CannotSubmit));
            return;
        };
        response_id.set_value(Some(id));
        let timing = Timing {
            shown_at: Some(shown_at.clone()),
            submitted_at: Some(delivery::now_rfc3339()),
        };
        let Ok(body) = flow.with_untracked(|f| serde_json::to_string(&f.payload(id, timing)))
        else {
            notice.set(Some(Notice::CannotSubmit));
            return;
        };
        notice.set(None);
        stage.set(Stage::Sending);
        let url = url.clone();
        leptos::task::spawn_local(async move {
            delivery::save_pending(&id, &body);
            let outcome = delivery::post(&url, &body).await;
            if !outcome.keeps_pending() {
                delivery::remove_pending(&id);
            }
            finish(outcome, id, &form, flow, stage, notice);
        });
    };

    let close = move |ev: &web_sys::Event| {
        if let Some(host) = dom::target(ev).and_then(|t| dom::host_of(&t)) {
            if stage.get_untracked() != Stage::Thanks {
                dom::dispatch(&host, "manyi:dismissed", None);
            }
            host.remove();
        }
    };
    let can_close = move || dismissible || stage.get() == Stage::Thanks;
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" && can_close() && !inline {
            close(&ev);
        }
    };

    let visible = Memo::new(move |_| flow.with(Flow::visible_ids));
    let form = move || {
        view! {
            <form class="mq-form" novalidate="" on:submit=submit.clone()>
                {show_progress.then(|| view! { <Progress flow locale /> })}
                <For
                    each=move || visible.get()
                    key=|id| id.clone()
                    children=move |id| view! { <QuestionView flow id locale /> }
                />
                <p class="mq-notice" role="alert">
                    {move || notice.get().map(|n| i18n::text(locale, n.text()))}
                </p>
                <button type="submit" class="mq-submit" prop:disabled=move || stage.get() == Stage::Sending>
                    {move || {
                        let t = if stage.get() == Stage::Sending { Text::Sending } else { Text::Submit };
                        i18n::text(locale, t)
                    }}
                </button>
            </form>
        }
    };

    view! {
        {(!inline).then(|| view! { <div class="mq-backdrop"></div> })}
        <div
            class="mq-panel"
            role=if inline { "region" } else { "dialog" }
            aria-labelledby="mq-title"
            on:keydown=on_key
        >
            <div class="mq-head">
                <h2 class="mq-title" id="mq-title">{title}</h2>
                {move || can_close().then(|| view! {
                    <button
                        type="button"
                        class="mq-x"
                        data-dismiss=""
                        aria-label=i18n::text(locale, Text::Close)
                        on:click=move |ev| close(&ev)
                    >
                        "×"
                    </button>
                })}
            </div>
            <Show when=move || stage.get() != Stage::Thanks fallback=move || view! {
                <p class="mq-thanks" data-thanks="" tabindex="-1" role="status">{thanks.clone()}</p>
            }>
                {intro.clone().map(|t| view! { <p class="mq-intro">{t}</p> })}
                {form()}
            </Show>
        </div>
    }
}

/// Applies the collector's answer to the widget state.
fn finish(
    outcome: Outcome,
    id: ResponseId,
    form: &web_sys::Element,
    flow: RwSignal<Flow>,
    stage: RwSignal<Stage>,
    notice: RwSignal<Option<Notice>>,
) {
    match outcome {
        Outcome::Accepted => {
            // The form goes away with the thank-you screen: hold on to the
            // panel and host before it does.
            let panel = form.parent_element();
            if let Some(host) = dom::host_of(form) {
                dom::dispatch(&host, "manyi:submitted", Some(&String::from(id)));
            }
            stage.set(Stage::Thanks);
            if let Some(panel) = panel {
                dom::after_render(move || dom::focus_in(&panel, "[data-thanks]"));
            }
        }
        Outcome::Invalid(errors) => {
            stage.set(Stage::Answering);
            let errors = delivery::or_general(errors);
            match flow.try_update(|f| f.set_errors(&errors)).flatten() {
                Some(first) if !first.is_empty() => {
                    notice.set(Some(Notice::FixErrors));
                    let form = form.clone();
                    dom::after_render(move || dom::focus_question(&form, &first));
                }
                _ => notice.set(Some(Notice::CannotSubmit)),
            }
        }
        Outcome::AlreadyAnswered => {
            stage.set(Stage::Answering);
            notice.set(Some(Notice::AlreadyAnswered));
        }
        Outcome::Refused => {
            stage.set(Stage::Answering);
            notice.set(Some(Notice::CannotSubmit));
        }
        Outcome::RetryLater => {
            stage.set(Stage::Answering);
            notice.set(Some(Notice::RetryLater));
        }
    }
}

/// "1 / 3": answered visible questions out of visible questions, shown
/// when more than one question is visible.
#[component]
fn Progress(
    /// The shared flow state.
    flow: RwSignal<Flow>,
    /// Locale of the screen-reader prefix.
    locale: Locale,
) -> impl IntoView {
    let progress = Memo::new(move |_| flow.with(Flow::progress));
    move || {
        let (answered, total) = progress.get();
        (total > 1).then(|| {
            view! {
                <p class="mq-progress">
                    <span class="mq-sr">{i18n::text(locale, Text::Progress)} " "</span>
                    {answered} " / " {total}
                </p>
            }
        })
    }
}

/// One visible question: its text, help line, answer control and error.
#[component]
fn QuestionView(
    /// The shared flow state.
    flow: RwSignal<Flow>,
    /// Which question.
    id: QuestionId,
    /// Locale of the widget chrome.
    locale: Locale,
) -> impl IntoView {
    let Some(question) = flow.with_untracked(|f| f.survey().question(id.as_str()).cloned()) else {
        return ().into_any();
    };
    let question = Arc::new(question);
    let err_id = id.clone();
    let invalid = Memo::new(move |_| flow.with(|f| f.error(err_id.as_str()).is_some()));
    let field = Field {
        flow,
        question: Arc::clone(&question),
        locale,
        title_id: ["mq-q-", id.as_str()].concat(),
        error_id: ["mq-e-", id.as_str()].concat(),
        invalid,
    };
    let text = field.tr(&question.text);
    let help = question.help.as_ref().map(|h| field.tr(h));
    let error_id = field.error_id.clone();
    let title_id = field.title_id.clone();
    let error = move || {
        let message = flow.with(|f| f.error_message(id.as_str()))?;
        Some(view! { <p class="mq-err" id=error_id.clone() data-error="">{message}</p> })
    };
    let control = match &question.kind {
        QuestionKind::Likert { .. }
        | QuestionKind::Nps { .. }
        | QuestionKind::Csat { .. }
        | QuestionKind::Ces { .. } => view! { <rating::RatingScale field /> }.into_any(),
        QuestionKind::SingleChoice { .. } | QuestionKind::MultiChoice { .. } => {
            view! { <choice::Choices field /> }.into_any()
        }
        QuestionKind::Text { .. } => view! { <text::TextAnswer field /> }.into_any(),
    };
    view! {
        <div class="mq-q" data-question=question.id.as_str().to_owned()>
            <p class="mq-qt" id=title_id>
                {text}
                {question.required.then(|| view! {
                    <span class="mq-req"><span aria-hidden="true">" *"</span>
                    <span class="mq-sr">{["（", i18n::text(locale, Text::Required), "）"].concat()}</span></span>
                })}
            </p>
            {help.map(|h| view! { <p class="mq-help">{h}</p> })}
            {control}
            {error}
        </div>
    }
    .into_any()
}
