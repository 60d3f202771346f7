//! The answer controls the first screen rarely needs — choices and free
//! text — in a lazily loaded chunk (see [`crate::split`]). Rating scales,
//! the usual first question, stay in the main module.

// The split macro declares the chunk's import and export with
// `unsafe extern "C"` and `#[unsafe(no_mangle)]` (see `crate::split`).
#![allow(unsafe_code)]

use super::{Field, choice, text};
use leptos::prelude::*;
use wasm_split_helpers::{SplitLoaderError, wasm_split};

#[wasm_split(controls, fallible)]
fn choices(field: Field) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <choice::Choices field /> }.into_any())
}

#[wasm_split(controls, fallible)]
fn text_answer(field: Field) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <text::TextAnswer field /> }.into_any())
}

/// The control of a choice (`text == false`) or text question, rendered
/// once its chunk is loaded.
pub fn control(field: Field, is_text: bool) -> AnyView {
    Suspend::new(async move {
        let view = if is_text {
            text_answer(field).await
        } else {
            choices(field).await
        };
        view.unwrap_or_else(|_| ().into_any())
    })
    .into_any()
}
