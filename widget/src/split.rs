//! Code splitting: what the first question does not need is compiled into
//! separate WebAssembly chunks, fetched after the main module.
//!
//! A function marked `#[wasm_split(chunk, fallible)]` (crate
//! `wasm_split_helpers`) becomes an `async fn` that loads its chunk on the
//! first call; `cargo xtask dist` cuts the chunks out of the linked module
//! (`wasm_split_cli_support`, before wasm-bindgen). All functions naming
//! the same chunk land in it, with everything only they reach. The chunks:
//!
//! - `deliver`: the rule book check, the POST, what the collector's answer
//!   means, the background retries ([`crate::components`]' `send`, and
//!   [`retry`] here); the payload and the copy kept on the device stay in
//!   the main module, so that an answer given while the chunk cannot be
//!   fetched (collector or network down) is kept all the same;
//! - `controls`: choice and text answer controls (`components::later`).
//!
//! `fallible`: a chunk that cannot be fetched is an `Err`, never a trap
//! (a panic aborts the whole module); the next call fetches it again.

// The split macro declares the chunk's import and export with
// `unsafe extern "C"` and `#[unsafe(no_mangle)]`.
#![allow(unsafe_code)]

use wasm_split_helpers::{SplitLoaderError, wasm_split};

/// [`crate::delivery`]'s `retry` of the responses pending for the
/// collector at `url` (after the back-off for retry number `attempt`, or
/// at once for `None`), once the `deliver` chunk is loaded. A chunk that
/// cannot be fetched now is fetched again on the next trigger (`online`,
/// `pageshow`, a submission).
pub fn retry(url: String, attempt: Option<u32>) {
    leptos::task::spawn_local(async move {
        let _ = retry_now(url, attempt).await;
    });
}

/// [`retry`], but a chunk that cannot be fetched is asked for again with
/// the delivery back-off (number `attempt`): an answer kept on the device
/// because the chunk (and so most likely the collector) was unreachable
/// is sent from this page once it is back, as it would have been by the
/// chunk's own retries.
pub fn retry_later(url: String, attempt: u32) {
    let delay = crate::delivery::backoff_ms(attempt, js_sys::Math::random());
    leptos::prelude::set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                if retry_now(url.clone(), None).await.is_err() {
                    retry_later(url, attempt.saturating_add(1));
                }
            });
        },
        std::time::Duration::from_millis(delay.into()),
    );
}

#[wasm_split(deliver, fallible, preload(prefetch_deliver))]
fn retry_now(url: String, attempt: Option<u32>) -> Result<(), SplitLoaderError> {
    crate::delivery::retry(url, attempt);
    Ok(())
}

/// Fetches and instantiates every chunk in the background, so that the customer never waits on a tap: called once the first
/// question is on screen. A chunk that fails here is fetched again when it
/// is needed.
pub fn prefetch() {
    // Two tasks: both fetches at once.
    leptos::task::spawn_local(async {
        let _ = prefetch_deliver().await;
    });
    leptos::task::spawn_local(async {
        let _ = crate::components::prefetch_controls().await;
    });
}

/// A chunk the widget cannot do without could not be loaded: dispatches
/// `manyi:failed` on the widget's host element, and the loader replaces
/// the widget with the link to the hosted survey page.
pub fn give_up() {
    let host = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("[data-manyi-host]").ok().flatten());
    if let Some(host) = host {
        crate::dom::dispatch(&host, "manyi:failed", None);
    }
}
