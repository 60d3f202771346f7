//! Test harness for manyi's integration and real-browser tests.
//!
//! - [`a11y`]: axe-core audits of a page or of the widget host.
//! - [`app`]: start the collector in-process on port 0 with a fresh SQLite file.
//! - [`browser`]: start chromedriver + headless Chromium and reach into the
//!   widget's shadow root, waiting for conditions instead of sleeping.
//! - [`surveys`]: publish surveys through the admin API, show them on
//!   `/demo`, read the stored answers.

pub mod a11y;
pub mod app;
pub mod browser;
pub mod surveys;

use std::path::PathBuf;

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives inside the workspace")
        .to_path_buf()
}

/// The dist folder built by `cargo xtask dist` (`MANYI_DIST`, else `target/dist`).
pub fn dist_dir() -> PathBuf {
    std::env::var_os("MANYI_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/dist"))
}

/// A fresh collector (demo seeded) and a browser showing its `/demo` page
/// with the widget mounted: how most browser tests start.
pub struct DemoSession {
    /// The collector.
    pub app: app::TestApp,
    /// The browser on `/demo`.
    pub browser: browser::Browser,
    /// The widget's shadow root on that page.
    pub widget: fantoccini::elements::ShadowRoot,
}

/// Starts a [`DemoSession`] on `/demo?{query}` (e.g. `order=E2E-1&locale=en`).
pub async fn open_demo(device: browser::Device, query: &str) -> anyhow::Result<DemoSession> {
    let app = app::TestApp::spawn().await?;
    let browser = browser::Browser::start(device).await?;
    browser
        .client
        .goto(&app.url(&format!("/demo?{query}")))
        .await?;
    let widget = browser.widget().await?;
    Ok(DemoSession {
        app,
        browser,
        widget,
    })
}
