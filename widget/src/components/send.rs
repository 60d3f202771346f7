//! Submission: validation, the payload, the POST and what the collector's
//! answer does to the widget. Loaded lazily (a split chunk, see
//! [`crate::split`]): nothing here is needed to show the first question, and
//! the chunk is fetched in the background as soon as the widget is shown.

// The split macro declares the chunk's import and export with
// `unsafe extern "C"` and `#[unsafe(no_mangle)]` (see `crate::split`).
#![allow(unsafe_code)]

use super::Ctx;
use crate::delivery::{self, Outcome};
use crate::dom;
use crate::flow::{Flow, Notice, Stage};
use leptos::prelude::*;
use manyi_shared::json;
use manyi_shared::{ResponseId, Timing};
use wasm_split_helpers::{SplitLoaderError, wasm_split};
use web_sys::Element;

/// Validates, then POSTs the response (reusing its id on a retry), once
/// the submission chunk is there. A chunk that cannot be fetched leaves
/// the form as it was with a "try again" notice: the next submission
/// fetches it again.
pub fn submit(ctx: Ctx, form: Element) {
    leptos::task::spawn_local(async move {
        if submit_now(ctx, form).await.is_err() {
            ctx.notice.set(Some(Notice::RetryLater));
        }
    });
}

#[wasm_split(deliver, fallible)]
fn submit_now(ctx: Ctx, form: Element) -> Result<(), SplitLoaderError> {
    let Ctx {
        flow,
        stage,
        notice,
        response_id,
        ..
    } = ctx;
    if stage.get_untracked() == Stage::Sending {
        return Ok(());
    }
    if let Some(Err(first)) = flow.try_update(Flow::validate) {
        notice.set(Some(Notice::FixErrors));
        dom::after_render(move || dom::focus_question(&form, &first));
        return Ok(());
    }
    // One id per widget: a retry after a network failure reuses it, so the
    // collector can recognise a response it already committed.
    let Some(id) = response_id.get_value().or_else(delivery::new_response_id) else {
        notice.set(Some(Notice::CannotSubmit));
        return Ok(());
    };
    response_id.set_value(Some(id));
    let url = ctx.url("/v1/responses");
    let shown_at = ctx.send.with_value(|(_, at)| at.clone());
    let timing = Timing {
        shown_at: Some(shown_at),
        submitted_at: Some(delivery::now_rfc3339()),
    };
    let body = flow.with_untracked(|f| json::to_string(&f.payload(id, timing).to_json()));
    notice.set(None);
    stage.set(Stage::Sending);
    delivery::send(url, body, id, move |outcome| {
        finish(ctx, outcome, id, &form)
    });
    Ok(())
}

/// Applies the collector's answer to the widget state.
fn finish(ctx: Ctx, outcome: Outcome, id: ResponseId, form: &Element) {
    let Ctx {
        flow,
        stage,
        notice,
        ..
    } = ctx;
    let retry = |n: Notice| {
        stage.set(Stage::Answering);
        notice.set(Some(n));
    };
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
        Outcome::AlreadyAnswered => retry(Notice::AlreadyAnswered),
        Outcome::Refused => retry(Notice::CannotSubmit),
        // Not stored on the device either: the respondent may try again.
        Outcome::RetryLater => retry(Notice::RetryLater),
    }
}
