//! Leptos components. They hold the [`Flow`] in a signal and render what it
//! says; no survey rule lives here. All interaction goes through one
//! delegated listener ([`events`]).
//!
//! - this module: the widget frame ([`App`]), the question list and the
//!   per-question wrapper with its title and error;
//! - [`rating`]: NPS, CSAT, CES and Likert scales;
//! - [`choice`]: single and multi choice, with "other";
//! - [`text`]: free text with a character counter;
//! - [`events`]: clicks, keys, typing and submission.
//!
//! Size matters more than style here: reactive attributes are `Signal`s of a
//! handful of value types (one copy of the rendering code per type) rather
//! than closures (one copy per closure): reactive texts are all
//! `Signal<Option<&'static str>>`, even where always `Some` (a separate
//! `Signal<&str>` cost about 1 KB brotli), and boolean properties are
//! `Memo<bool>`, the type the visibility and error memos already need (a
//! `Signal<bool>` beside it cost 0.6 KB).

mod choice;
mod events;
mod rating;
mod text;

pub use events::listen;

use crate::flow::{Flow, Notice, Stage};
use crate::i18n::{self, Text};
use leptos::prelude::*;
use manyi_shared::{Locale, Question, QuestionId, QuestionKind, ResponseId};
use std::sync::Arc;

/// The widget state shared by the components and the event handlers.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The survey flow.
    pub flow: RwSignal<Flow>,
    /// Answering, sending or thanked.
    pub stage: RwSignal<Stage>,
    /// The message about the whole form.
    pub notice: RwSignal<Option<Notice>>,
    /// The response id, fixed at the first submission attempt.
    response_id: StoredValue<Option<ResponseId>>,
    /// The collector base URL, and when the survey was shown (RFC 3339).
    send: StoredValue<(String, String)>,
    /// Rendered inside the host page's layout instead of over it.
    pub inline: bool,
    /// The survey may be dismissed before answering.
    pub dismissible: bool,
}

impl Ctx {
    /// Creates the state for `flow` (call inside the mount's owner).
    pub fn new(flow: Flow, collector: String, shown_at: String, inline: bool) -> Self {
        let dismissible = flow.survey().display.dismissible;
        Ctx {
            flow: RwSignal::new(flow),
            stage: RwSignal::new(Stage::Answering),
            notice: RwSignal::new(None),
            response_id: StoredValue::new(None),
            send: StoredValue::new((collector, shown_at)),
            inline,
            dismissible,
        }
    }

    /// Collector base URL + `path`.
    pub fn url(&self, path: &str) -> String {
        self.send
            .with_value(|(base, _)| [base.as_str(), path].concat())
    }

    /// Whether the close button shows (and Escape closes), untracked.
    pub fn can_close_untracked(&self) -> bool {
        self.dismissible || self.stage.get_untracked() == Stage::Thanks
    }
}

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
    /// `aria-describedby`: the error text's id while there is one.
    pub described_by: Signal<Option<&'static str>>,
    /// `aria-invalid`.
    pub aria_invalid: Signal<Option<&'static str>>,
}

impl Field {
    /// A survey text in the flow's locale.
    pub fn tr(&self, text: &manyi_shared::LocalizedText) -> String {
        self.flow.with_untracked(|f| f.tr(text).to_owned())
    }
}

/// The whole widget: title, optional close button, then either the form
/// with the visible questions or the thank-you screen.
#[component]
pub fn App(
    /// The widget state.
    ctx: Ctx,
) -> impl IntoView {
    let Ctx {
        flow,
        stage,
        notice,
        inline,
        dismissible,
        ..
    } = ctx;
    let (locale, title, intro, thanks, show_progress) = flow.with_untracked(|f| {
        let survey = f.survey();
        (
            f.locale(),
            f.tr(&survey.title).to_owned(),
            survey.intro.as_ref().map(|t| f.tr(t).to_owned()),
            f.tr(&survey.thank_you).to_owned(),
            survey.display.show_progress,
        )
    });

    let sending = Memo::new(move |_| stage.get() == Stage::Sending);
    let form = move || {
        // Which questions show, worked out once per change of the answers
        // for the question slots and the progress line alike.
        let flags = Memo::new(move |_| flow.with(Flow::visible_flags));
        view! {
            <form class="mq-form" novalidate="">
                {show_progress.then(|| view! { <Progress flow flags locale /> })}
                {questions(flow, flags, locale)}
                <p class="mq-notice" role="alert">
                    {Signal::derive(move || notice.get().map(|n| i18n::text(locale, n.text())))}
                </p>
                <button type="submit" class="mq-submit" prop:disabled=sending>
                    {Signal::derive(move || {
                        Some(i18n::text(locale, if sending.get() { Text::Sending } else { Text::Submit }))
                    })}
                </button>
            </form>
        }
    };

    view! {
        {(!inline).then(|| view! { <div class="mq-backdrop"></div> })}
        <div
            class="mq-panel"
            role=if inline { "region" } else { "dialog" }
            aria-modal=(!inline).then_some("true")
            tabindex=(!inline).then_some("-1")
            aria-labelledby="mq-title"
        >
            <div class="mq-head">
                <h2 class="mq-title" id="mq-title">{title}</h2>
                {move || (dismissible || stage.get() == Stage::Thanks).then(|| view! {
                    <button
                        type="button"
                        class="mq-x"
                        data-dismiss=""
                        aria-label=i18n::text(locale, Text::Close)
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

/// Every question of the survey in survey order, each present in the DOM
/// only while visible. Visible questions are always a subsequence of the
/// survey's fixed order, so a slot per question replaces a keyed `<For>`
/// over the visible ids: the keyed diff and its instantiations cost 17 KB
/// of WebAssembly (3.9 KB brotli). Each slot re-renders only when its own
/// visibility flips (a `Memo<bool>`), so the other questions keep their DOM
/// and focus while follow-ups come and go.
fn questions(flow: RwSignal<Flow>, flags: Memo<Vec<bool>>, locale: Locale) -> impl IntoView {
    let ids: Vec<QuestionId> =
        flow.with_untracked(|f| f.survey().questions.iter().map(|q| q.id.clone()).collect());
    ids.into_iter()
        .enumerate()
        .map(|(at, id)| {
            let shown = Memo::new(move |_| flags.with(|v| v.get(at).copied().unwrap_or(false)));
            // Leaked once per question and mount (a few bytes each; the
            // widget lives as long as the page): a `'static` id lets
            // `aria-describedby` share the widget's one text signal type
            // instead of a `Signal<Option<String>>` (~1.5 KB brotli).
            let error_id: &'static str = ["mq-e-", id.as_str()].concat().leak();
            move || {
                shown
                    .get()
                    .then(|| view! { <QuestionView flow id=id.clone() error_id locale /> })
            }
        })
        .collect_view()
}

/// "1 / 3": answered visible questions out of visible questions, shown
/// when more than one question is visible.
#[component]
fn Progress(
    /// The shared flow state.
    flow: RwSignal<Flow>,
    /// Which questions are visible (the question slots' own flags).
    flags: Memo<Vec<bool>>,
    /// Locale of the screen-reader prefix.
    locale: Locale,
) -> impl IntoView {
    let progress = Memo::new(move |_| flags.with(|v| flow.with(|f| f.progress_among(v))));
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
    /// Element id of its error text.
    error_id: &'static str,
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
        described_by: Signal::derive(move || invalid.get().then_some(error_id)),
        aria_invalid: Signal::derive(move || invalid.get().then_some("true")),
    };
    let text = field.tr(&question.text);
    let help = question.help.as_ref().map(|h| field.tr(h));
    let title_id = field.title_id.clone();
    // The error element is always there, empty without an error, with
    // `data-error` only while there is one: two signals of the widget's one
    // text signal type instead of a conditional view. `aria-describedby`
    // names it only while there is an error (axe's label-title-only flags a
    // text field described by an empty element).
    let message = Signal::derive(move || flow.with(|f| f.error_message(id.as_str())));
    let flagged = Signal::derive(move || invalid.get().then_some(""));
    let error = view! { <p class="mq-err" id=error_id data-error=flagged>{message}</p> };
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
