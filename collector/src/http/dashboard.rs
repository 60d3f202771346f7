//! `/admin/dashboard`: the analytics dashboard for service managers.
//!
//! Like the admin UI ([`super::admin_ui`]) it is one HTML page, one vanilla
//! JS file and one CSS file under `dashboard/`, compiled in with
//! `include_str!`: no framework, no build step and nothing fetched from a
//! CDN (managers' networks may not reach one). The page logs in with the
//! same bearer token as `/admin` (kept in `sessionStorage` under the same
//! key, so coming from `/admin` in the same tab needs no second login) and
//! reads everything through the admin API:
//!
//! - reports (`/api/reports/…`, docs/reports-api.md): KPI tiles with the
//!   change against the previous period of the same length, margin of
//!   error and a "too few answers" mark, trends by day/week/month,
//!   breakdowns, the SERVQUAL dimension × channel heat map and the
//!   follow-up reason distribution, all for one filter (date range,
//!   survey, channel, segment, locale, tag, flagged included or not);
//! - exports (CSV / NDJSON for the same filter) as downloads;
//! - the case queue (`/api/cases`, docs/cases-api.md), overdue first, with
//!   status changes where the workflow allows them.
//!
//! Charts are inline SVG built by pure functions in the script (data in,
//! SVG markup out), each followed by a table holding the same figures, so
//! screen readers and the browser tests read numbers, not pixels. The
//! figures are never computed in the page: what it shows is what the
//! reports API answered.
//!
//! # Limits (what the APIs do not give)
//! - The open-cases tile has no change against the previous period and no
//!   margin: the cases API has no history by date, and a count of open
//!   cases is not a sample.
//! - Response rate and median completion time carry no margin (the
//!   reports API gives none); their "too few" mark uses the API's
//!   `low_sample_threshold` on `shown` and `timed`.
//! - The case queue follows the survey filter only (the cases API filters
//!   by survey, not by channel, segment, locale, tag or date).
//!
//! # Hooks for tests and measurements
//! `body[data-figures]` is set when a load's figures are drawn,
//! `body[data-loaded]` once everything is (option labels included), each
//! to the load's sequence number; `aria-busy` is on while loading; the
//! chart functions are `window.manyiCharts`.
//!
//! # Measured
//! First load, cold cache, release build, 100,000 generated responses over
//! 90 days (`manyi seed-responses`), headless Chromium on the shared
//! 2-core machine (load average 4–7), median of 7: figures on the page
//! 350 ms at 1280×900 and 334 ms at 360×640; everything drawn (option
//! labels fetched from the survey definitions) 716 ms and 688 ms.
//!
//! # Security headers
//! The same strict CSP as the admin UI minus `'wasm-unsafe-eval'` (no
//! widget here): scripts from this origin only, no inline script or
//! handler attributes; inline styles are allowed for SVG attributes.

use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::AppState;
use super::admin_ui::{static_file, static_page};

const PAGE: &str = include_str!("dashboard/dashboard.html");
const SCRIPT: &str = include_str!("dashboard/dashboard.js");
const STYLE: &str = include_str!("dashboard/dashboard.css");

/// The page's Content-Security-Policy.
pub const CSP: &str = "default-src 'self'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/dashboard", get(page))
        .route("/admin/dashboard/", get(page))
        .route("/admin/dashboard/dashboard.js", get(script))
        .route("/admin/dashboard/dashboard.css", get(style))
}

/// The page, with the admin UI's headers for static files
/// ([`super::admin_ui::static_page`]).
async fn page() -> Response {
    static_page(PAGE, CSP)
}

async fn script() -> Response {
    static_file("text/javascript; charset=utf-8", SCRIPT)
}

async fn style() -> Response {
    static_file("text/css; charset=utf-8", STYLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_inline_script_and_loads_its_files() {
        assert!(PAGE.contains(r#"<script src="/admin/dashboard/dashboard.js" defer></script>"#));
        assert!(PAGE.contains(r#"href="/admin/dashboard/dashboard.css""#));
        // The shared session script first (both deferred: run in order).
        let session = PAGE
            .find(r#"<script src="/admin/session.js" defer></script>"#)
            .expect("loads session.js");
        let own = PAGE
            .find(r#"<script src="/admin/dashboard/dashboard.js""#)
            .expect("loads dashboard.js");
        assert!(session < own, "session.js before dashboard.js");
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

    #[test]
    fn nothing_is_fetched_from_another_origin() {
        for text in [PAGE, SCRIPT, STYLE] {
            for needle in ["http://", "https://", "//cdn", "@import"] {
                // The SVG namespace is an identifier, not a fetch.
                let hits = text
                    .match_indices(needle)
                    .filter(|(i, _)| !text[*i..].starts_with("http://www.w3.org/2000/svg"))
                    .count();
                assert_eq!(hits, 0, "no external URL ({needle}) in the dashboard files");
            }
        }
    }
}
