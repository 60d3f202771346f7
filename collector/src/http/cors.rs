//! CORS: public reads for any origin, posts only for the origins a site
//! allows.
//!
//! - The widget's files (`/manyi.js`, `/assets/…`) and published survey
//!   definitions (`GET /v1/surveys/…`) are public: `Access-Control-Allow-Origin: *`.
//! - Everything else gets `Vary: Origin`, and an `Access-Control-Allow-Origin`
//!   echoing the request's origin only when the handler found that origin
//!   allowed for the site named in the body (it attaches an
//!   [`AllowedOrigin`] to the response, errors included, so the widget can
//!   read a 422 or a 429). A refused origin gets no CORS header at all.
//! - Preflights (`OPTIONS` with `Access-Control-Request-Method`, sent by
//!   browsers for `application/json` posts) are answered for any origin,
//!   mirroring it. A preflight carries no body, hence no site key, so it
//!   cannot be judged; the post that follows is, and a refused origin gets
//!   403 `origin_not_allowed` with nothing stored. The widget posts
//!   `text/plain`, which needs no preflight at all.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Response extension: this origin may read the response (set by handlers
/// that checked it against the site, consumed by [`cors`]).
#[derive(Debug, Clone)]
pub struct AllowedOrigin(pub HeaderValue);

/// Browsers may reuse a preflight answer this long (Chromium caps it at 2 h).
const PREFLIGHT_MAX_AGE: &str = "7200";

/// Whether `path` is one of the public, origin-independent reads.
fn is_public(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && (path == "/manyi.js"
            || path.starts_with("/manyi.js.")
            || path.starts_with("/assets/")
            || path.starts_with("/v1/surveys/"))
}

/// Attaches `origin` (when some) to `response` as an [`AllowedOrigin`].
pub fn allow_origin(mut response: Response, origin: Option<HeaderValue>) -> Response {
    if let Some(origin) = origin {
        response.extensions_mut().insert(AllowedOrigin(origin));
    }
    response
}

/// Middleware: answers preflights and sets the CORS headers described in
/// the module docs.
pub async fn cors(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    if request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        && let Some(origin) = origin
    {
        return preflight(origin);
    }
    let public = is_public(request.method(), request.uri().path());
    let mut response = next.run(request).await;
    let allowed = response.extensions_mut().remove::<AllowedOrigin>();
    let headers = response.headers_mut();
    if public {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    } else {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
        if let Some(AllowedOrigin(origin)) = allowed {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("retry-after"),
            );
        }
    }
    response
}

fn preflight(origin: HeaderValue) -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            ),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            ),
            (
                header::VARY,
                HeaderValue::from_static(
                    "origin, access-control-request-method, access-control-request-headers",
                ),
            ),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_widget_files_and_survey_reads_are_public() {
        for path in [
            "/manyi.js",
            "/assets/manyi_widget.0123.wasm",
            "/v1/surveys/post-payment",
        ] {
            assert!(is_public(&Method::GET, path), "{path}");
        }
        assert!(!is_public(&Method::POST, "/v1/responses"));
        assert!(!is_public(&Method::GET, "/demo"));
        assert!(!is_public(&Method::GET, "/api/surveys"));
        assert!(!is_public(&Method::POST, "/v1/surveys/post-payment"));
    }
}
