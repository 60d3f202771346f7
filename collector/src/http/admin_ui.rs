//! `/admin`: the survey management UI for marketers and service managers.
//!
//! One HTML page, one vanilla JS file and one CSS file (under
//! `admin_ui/`, compiled in with `include_str!`; no build step, no
//! framework). The page talks to the admin API (`/api/*`) with the bearer
//! token the user pastes at login (kept in `sessionStorage`); a 401 sends
//! them back to the login form with a message.
//!
//! What it does: template gallery (zh-CN / zh-TW / en), create a draft from a
//! template with overrides (id, site, locales, brand colour, display mode,
//! question texts, follow-up thresholds, sampling, recontact days), save,
//! publish, pause, validation errors next to the field that caused them
//! (the `question` path of each `invalid_survey` item mapped to a form
//! field; unmapped paths in a summary list), a live preview, the survey's
//! version history (live, superseded, paused, draft; answers per version)
//! and a "get the code" panel (script tag, `manyi('show', …)` call — with
//! `sig`/`exp` when the site requires signatures — and signing snippets).
//! On the home view: sites (create, edit origins and signature
//! requirement, rotate the secret; a secret is shown once) and admin tokens
//! (create, shown once; revoke, with the confirmation on the button itself
//! rather than a modal dialog). Every list and form works at 360 px wide;
//! tests/tests/admin_ui.rs audits the pages with axe-core.
//!
//! # Preview
//! The loader (`/manyi.js`) only shows *published* surveys (it fetches
//! `GET /v1/surveys/{id}` and asks eligibility), and it must stay under its
//! 2 KB budget, so the preview does not go through it. Instead the page
//! loads the real widget bundle itself (the glue and wasm named in the dist
//! `manifest.json`, given to the page by `GET /admin/widget.json`) and calls
//! its `mount(shadowRoot, config)` with the definition being edited, drafts
//! included, exactly as the loader would. The preview's `collector` is
//! `{origin}/admin/preview`, whose `POST /admin/preview/v1/responses`
//! answers 201 without storing anything: the preview can be answered to the
//! thank-you screen without producing a response, an event or a pending
//! copy.
//!
//! # Security headers
//! The page sets a strict CSP: scripts from this origin only (no inline
//! script), `'wasm-unsafe-eval'` for the widget, inline styles allowed
//! because the widget puts its stylesheet in a `<style>` element of its
//! shadow root.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{ApiError, AppState};

const PAGE: &str = include_str!("admin_ui/admin.html");
const SCRIPT: &str = include_str!("admin_ui/admin.js");
/// The admin token and API call, shared with the dashboard (`/admin/session.js`).
const SESSION_SCRIPT: &str = include_str!("admin_ui/session.js");
const STYLE: &str = include_str!("admin_ui/admin.css");

/// The page's Content-Security-Policy.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/", get(page))
        .route("/admin/admin.js", get(script))
        .route("/admin/session.js", get(session_script))
        .route("/admin/admin.css", get(style))
        .route("/admin/widget.json", get(widget_assets))
        .route("/admin/preview/v1/responses", post(preview_sink))
}

/// A compiled-in static file of the admin pages (this UI and the
/// dashboard, [`super::dashboard`]): always revalidated (the files change
/// with the binary, and are small), never sniffed, no referrer.
pub(super) fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

/// A compiled-in HTML page of the admin pages: a [`static_file`] with its
/// Content-Security-Policy `csp`, never framed.
pub(super) fn static_page(html: &'static str, csp: &'static str) -> Response {
    let mut response = static_file("text/html; charset=utf-8", html);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn page() -> Response {
    static_page(PAGE, CSP)
}

async fn script() -> Response {
    static_file("text/javascript; charset=utf-8", SCRIPT)
}

async fn session_script() -> Response {
    static_file("text/javascript; charset=utf-8", SESSION_SCRIPT)
}

async fn style() -> Response {
    static_file("text/css; charset=utf-8", STYLE)
}

/// `GET /admin/widget.json`: `{glue, wasm}`, the widget bundle's URLs (from
/// the dist `manifest.json`), for the preview. 404 when the widget has not
/// been built.
async fn widget_assets(State(state): State<AppState>) -> Result<Response, ApiError> {
    let manifest = tokio::fs::read(state.dist().join("manifest.json"))
        .await
        .map_err(|_| ApiError::NotFound)?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&manifest).map_err(|_| ApiError::NotFound)?;
    let (Some(glue), Some(wasm)) = (manifest["glue"].as_str(), manifest["wasm"].as_str()) else {
        return Err(ApiError::NotFound);
    };
    Ok((
        [(header::CACHE_CONTROL, "no-cache")],
        Json(json!({ "glue": format!("/{glue}"), "wasm": format!("/{wasm}") })),
    )
        .into_response())
}

/// `POST /admin/preview/v1/responses`: where the preview widget submits.
/// Accepts anything and stores nothing.
async fn preview_sink() -> impl IntoResponse {
    (
        StatusCode::CREATED,
        Json(json!({ "status": "preview", "stored": false })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_inline_script_and_loads_its_files() {
        assert!(PAGE.contains(r#"<script src="/admin/admin.js" defer></script>"#));
        assert!(PAGE.contains(r#"href="/admin/admin.css""#));
        // The shared session script first (both deferred: run in order).
        let session = PAGE
            .find(r#"<script src="/admin/session.js" defer></script>"#)
            .expect("loads session.js");
        let own = PAGE
            .find(r#"<script src="/admin/admin.js""#)
            .expect("loads admin.js");
        assert!(session < own, "session.js before admin.js");
        assert_eq!(
            PAGE.matches("<script").count(),
            PAGE.matches("<script src=").count(),
            "only external scripts (CSP: no inline script)"
        );
        for handler in ["onclick=", "onsubmit=", "onload=", "oninput=", "onchange="] {
            assert!(
                !PAGE.contains(handler),
                "no inline event handler ({handler})"
            );
        }
    }
}
