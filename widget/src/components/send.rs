//! Submission. The rule book check, the POST and what the collector's
//! answer does to the widget are in the lazily loaded `deliver` chunk (see
//! [`crate::split`]); the payload and the copy kept on the device
//! (`localStorage`, see [`crate::delivery`]) are in the main module.
//!
//! The chunk is prefetched as soon as the widget is shown, so it is
//! normally there. When it cannot be fetched — the collector or the
//! network went down in between, and then the POST would fail too — the
//! answer is kept unchecked and the customer is thanked, as for any failed
//! send: the copy is sent later (from this page with back-off once the
//! chunk loads, or by the loader on the next page), and the collector
//! applies the same rule book when it arrives. Keeping the payload code in
//! the main module costs 4.7 KB brotli of first load, the price of never
//! losing such an answer; the rule book check stays in the chunk (2.9 KB).
//! Only without storage does a missing chunk show "try again later".

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

/// Validates (once the `deliver` chunk is there), keeps a copy, then POSTs
/// the response (reusing its id on a retry).
pub fn submit(ctx: Ctx, form: Element) {
    if ctx.stage.get_untracked() == Stage::Sending {
        return;
    }
    // Sending from the first tap: a second one while the chunk loads is
    // ignored (the button is disabled).
    ctx.stage.set(Stage::Sending);
    // Found now: if the page hides the widget while the answer is on its
    // way, the form leaves the shadow root, but `submitted` is still owed.
    let host = dom::host_of(&form);
    leptos::task::spawn_local(async move {
        // Without the chunk the answer is kept unchecked (module docs).
        if let Ok(false) = validate(ctx, form.clone()).await {
            return;
        }
        keep_and_send(ctx, form, host).await;
    });
}

/// Applies the rule book; shows the errors and returns `false` when the
/// answers break it.
#[wasm_split(deliver, fallible)]
fn validate(ctx: Ctx, form: Element) -> Result<bool, SplitLoaderError> {
    if let Some(Err(first)) = ctx.flow.try_update(Flow::validate) {
        ctx.stage.set(Stage::Answering);
        ctx.notice.set(Some(Notice::FixErrors));
        dom::after_render(move || dom::focus_question(&form, &first));
        return Ok(false);
    }
    Ok(true)
}

/// Builds the payload, keeps a copy on the device and sends it once the
/// chunk is there (at once when it already is).
async fn keep_and_send(ctx: Ctx, form: Element, host: Option<Element>) {
    let Ctx {
        flow,
        stage,
        notice,
        response_id,
        ..
    } = ctx;
    // One id per widget: a retry after a network failure reuses it, so the
    // collector can recognise a response it already committed.
    let Some(id) = response_id.get_value().or_else(delivery::new_response_id) else {
        stage.set(Stage::Answering);
        notice.set(Some(Notice::CannotSubmit));
        return;
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
    let kept = delivery::save_pending(&url, &id, &body);
    let retry_url = url.clone();
    if send(ctx, url, body, id, form.clone(), host.clone())
        .await
        .is_err()
    {
        // No chunk, most likely no network: the kept copy is the answer.
        let outcome = if kept {
            crate::split::retry_later(retry_url, 0);
            Outcome::Accepted
        } else {
            Outcome::RetryLater
        };
        finish(ctx, outcome, id, &form, host);
    }
}

#[wasm_split(deliver, fallible)]
fn send(
    ctx: Ctx,
    url: String,
    body: String,
    id: ResponseId,
    form: Element,
    host: Option<Element>,
) -> Result<(), SplitLoaderError> {
    delivery::send(url, body, id, move |outcome| {
        finish(ctx, outcome, id, &form, host)
    });
    Ok(())
}

/// Applies the collector's answer to the widget state (`host`: the
/// widget's host element, to report `manyi:submitted` on).
fn finish(ctx: Ctx, outcome: Outcome, id: ResponseId, form: &Element, host: Option<Element>) {
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
            if let Some(host) = host {
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
