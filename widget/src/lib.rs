//! The manyi widget: renders one survey inside a Shadow DOM and posts the
//! answers to the collector.
//!
//! The loader (`loader/manyi.js`) fetches the survey, creates the host
//! element with an open shadow root and calls [`mount`]; `manyi('hide')`
//! calls [`unmount`] (see docs/internal-contracts.md). Module map:
//!
//! - [`flow`]: answers, visibility, progress, validation, payload (plain Rust);
//! - [`i18n`]: the widget's own texts and the locale choice;
//! - [`config`]: the loader's configuration;
//! - [`keys`]: keyboard behaviour of rating scales;
//! - [`delivery`]: what collector replies mean, and (in the browser) the POST;
//! - `components` (browser only): Leptos components wiring the flow to the DOM;
//! - `page` (browser only): window listeners (background delivery, the
//!   bottom sheet following the visual viewport).
//!
//! Everything but `components` and [`mount`] builds and tests on the host.

pub mod config;
pub mod delivery;
pub mod flow;
pub mod i18n;
pub mod keys;

#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(target_arch = "wasm32")]
mod page;

#[cfg(target_arch = "wasm32")]
pub use browser::{mount, unmount};

#[cfg(target_arch = "wasm32")]
mod browser {
    use crate::components::{App, Ctx, listen};
    use crate::config::{MountConfig, is_wechat};
    use crate::{delivery, dom, page};
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;

    /// The widget's stylesheet, injected into the shadow root.
    const CSS: &str = include_str!("style.css");

    thread_local! {
        /// What the widget on the page holds on to, in the order it is let
        /// go of: its own listener, Leptos's unmount handle (dropping it
        /// removes the view and disposes the reactive graph) and its
        /// placement listeners (the page's delivery listeners are not the
        /// widget's: see `page`). One widget at a time: the loader hides
        /// the last one before it shows another.
        static MOUNTED: RefCell<Vec<Box<dyn std::any::Any>>> = const { RefCell::new(Vec::new()) };
    }

    /// Keeps `what` until [`unmount`] (boxed by the caller: one copy of
    /// this function rather than one per type kept).
    fn keep(what: Box<dyn std::any::Any>) {
        MOUNTED.with(|m| m.borrow_mut().push(what));
    }

    /// Removes the widget.
    #[wasm_bindgen]
    pub fn unmount() {
        // Called by `manyi('hide')` and the close button. A single-page
        // app moving on hides the survey and may show another later:
        // nothing of this one may keep running. The call may come
        // from inside one of the widget's own handlers (a host's
        // `dismissed` callback calling `manyi('hide')`): wasm-bindgen frees
        // a running closure only when it returns, and the handlers read
        // the disposed state with `try_` accessors only.
        drop(MOUNTED.with(RefCell::take));
        // The host element is gone by now (the loader and the close
        // button remove it first): focus that was inside is on <body>.
        dom::restore_focus();
    }

    /// Renders the survey of `config_json` into `root`.
    #[wasm_bindgen]
    pub fn mount(root: web_sys::ShadowRoot, config_json: &str) -> Result<(), JsValue> {
        // (Said here rather than in the doc comment, which wasm-bindgen
        // copies into the glue every customer downloads.) Moves focus into
        // the widget when it overlays the page and dispatches
        // `manyi:shown` on its host element (the loader records it as an
        // event). Returns nothing on success; throws (so the loader can
        // fall back to the hosted survey page) when the configuration
        // cannot be used.
        let mut config = MountConfig::parse(config_json)
            .map_err(|_| JsValue::from_str("manyi: invalid widget configuration"))?;
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("manyi: no window"))?;
        let wx = js_sys::Reflect::get(&window, &"__wxjs_environment".into())?.as_string();
        let ua = window.navigator().user_agent().unwrap_or_default();
        if is_wechat(&ua, wx.as_deref()) {
            config.adapt_to_wechat();
        }
        let doc = root
            .owner_document()
            .ok_or_else(|| JsValue::from_str("manyi: no document"))?;

        let style = doc.create_element("style")?;
        style.set_text_content(Some(CSS));
        root.append_child(&style)?;

        let container: web_sys::HtmlElement = doc.create_element("div")?.dyn_into()?;
        let (class, mode) = config.mode_class();
        container.set_class_name(class);
        container.set_attribute("data-mode", mode)?;
        if let Some(color) = config.brand_color() {
            // CSSOM rather than a style attribute: allowed under strict CSP.
            container.style().set_property("--mq-brand", color)?;
            if config.dark_on_brand() {
                container.style().set_property("--mq-on", "#000")?;
            }
        }
        root.append_child(&container)?;

        let collector = config.url("");
        let inline = mode == "inline";
        let flow = config.into_flow();
        container.set_attribute("lang", flow.locale().tag())?;
        let shown_at = delivery::now_rfc3339();

        // A widget still mounted (shown again without `hide`) goes first.
        unmount();
        let events_root = container.clone();
        let base = collector.clone();
        let view = leptos::mount::mount_to(container.clone(), move || {
            let ctx = Ctx::new(flow, base, shown_at, inline);
            keep(Box::new(listen(&events_root, ctx)));
            leptos::prelude::view! { <App ctx /> }
        });
        keep(Box::new(view));
        keep(Box::new(page::watch(&collector)));
        if !inline {
            dom::open_dialog(&container);
        }
        dom::dispatch(&root.host(), "manyi:shown", None);
        Ok(())
    }
}
