//! The one error type of the HTTP layer and its JSON body.
//!
//! Every error answers `{"code": "stable_snake_case", "message": "…",
//! "errors": [{"question", "code", "message"}, …]}`; `errors` is empty
//! unless the response failed validation. Codes are public contract: never
//! rename one, only add.
//!
//! Internal failures (database, bugs) answer an opaque 500 `internal`; their
//! detail is attached to the response as an [`InternalErrorDetail`] extension
//! and logged once by [`log_internal_errors`], never sent to the client.

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use manyi_shared::signing::SignatureError;
use manyi_shared::{ResponseId, ValidationError};
use serde::Serialize;
use std::any::Any;

use crate::admin::AdminError;
use crate::ingest::IngestError;
use crate::store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (syntax error, truncated, empty).
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON but not a response payload (unknown or missing
    /// field, wrong type, invalid id).
    #[error("the body is not a valid response payload: {0}")]
    InvalidPayload(String),
    /// The body is larger than the limit.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read (client went away, bad chunking).
    #[error("the body could not be read: {0}")]
    UnreadableBody(String),
    /// No site has this key.
    #[error("no site has the key {0:?}")]
    UnknownSite(String),
    /// No such survey, or that version is not published.
    #[error("{0}")]
    SurveyNotFound(String),
    /// The answers break the survey's rules; every problem is listed.
    #[error("the response is invalid ({} problem(s))", .0.len())]
    InvalidResponse(Vec<ValidationError>),
    /// The response id was already used for a different response.
    #[error("response_id {0} was already used for a different response")]
    ResponseIdConflict(ResponseId),
    /// Another response already answered this survey for this order.
    #[error("survey {survey_id} was already answered for order {order_id:?}")]
    AlreadyAnswered {
        /// The survey.
        survey_id: String,
        /// The order.
        order_id: String,
    },
    /// The request's `Origin` is not among the site's allowed origins.
    #[error("origin {origin:?} may not post for site {site:?}")]
    OriginNotAllowed {
        /// The `Origin` header as sent.
        origin: String,
        /// The site key.
        site: String,
    },
    /// The signed context was refused (missing, malformed, forged or
    /// expired); the code is [`SignatureError::code`].
    #[error("{0}")]
    Signature(SignatureError),
    /// Too many requests from this client or for this site.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry can succeed (the `Retry-After` header).
        retry_after_secs: u64,
    },
    /// No route matches the path.
    #[error("nothing here")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A handler panicked (caught by the panic layer).
    #[error("handler panicked: {0}")]
    Panic(String),
    /// A refusal of the admin API (see [`AdminError::code`]).
    #[error(transparent)]
    Admin(AdminError),
}

/// The detail of an internal error, attached to the 500 response for the
/// logging middleware.
#[derive(Debug, Clone)]
pub struct InternalErrorDetail(pub String);

/// The JSON error body.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    code: &'static str,
    message: String,
    errors: &'a [ValidationError],
}

impl ApiError {
    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) | ApiError::UnreadableBody(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidPayload(_) | ApiError::InvalidResponse(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            // The site is named in the body, but like the survey it is a
            // thing that does not exist: 404 for both, so clients treat
            // "what you refer to is not here" the same way.
            ApiError::UnknownSite(_) | ApiError::SurveyNotFound(_) | ApiError::NotFound => {
                StatusCode::NOT_FOUND
            }
            ApiError::ResponseIdConflict(_) | ApiError::AlreadyAnswered { .. } => {
                StatusCode::CONFLICT
            }
            ApiError::OriginNotAllowed { .. } => StatusCode::FORBIDDEN,
            ApiError::Signature(_) => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            // Shutting down: nothing was stored, and another instance (or
            // this one, restarted) will take the retry.
            ApiError::Store(StoreError::WriterClosed) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) | ApiError::Panic(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Admin(e) => match e {
                AdminError::Unauthorized | AdminError::InvalidToken => StatusCode::UNAUTHORIZED,
                AdminError::TemplateNotFound(_)
                | AdminError::SurveyNotFound(_)
                | AdminError::UnknownSite(_)
                | AdminError::TokenNotFound(_) => StatusCode::NOT_FOUND,
                AdminError::SurveyExists(_)
                | AdminError::SiteExists(_)
                | AdminError::NotPublished(_)
                | AdminError::EditConflict(_) => StatusCode::CONFLICT,
                AdminError::InvalidSurvey(_)
                | AdminError::InvalidRequest(_)
                | AdminError::InvalidFields(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AdminError::Store(_) | AdminError::Random(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidPayload(_) => "invalid_payload",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnreadableBody(_) => "unreadable_body",
            ApiError::UnknownSite(_) => "unknown_site",
            ApiError::SurveyNotFound(_) => "survey_not_found",
            ApiError::InvalidResponse(_) => "invalid_response",
            ApiError::ResponseIdConflict(_) => "response_id_conflict",
            ApiError::AlreadyAnswered { .. } => "already_answered",
            ApiError::OriginNotAllowed { .. } => "origin_not_allowed",
            ApiError::Signature(e) => e.code(),
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NotFound => "not_found",
            ApiError::Store(StoreError::WriterClosed) => "unavailable",
            ApiError::Store(_) | ApiError::Panic(_) => "internal",
            ApiError::Admin(e) => e.code(),
        }
    }

    /// Maps a failure to buffer the body: over the limit is 413, anything
    /// else (the client aborted) 400.
    pub fn from_body_rejection(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge {
                limit: crate::http::responses::MAX_BODY_BYTES,
            }
        } else {
            ApiError::UnreadableBody(rejection.body_text())
        }
    }

    /// Maps a serde_json failure: a syntax error (or an early end) means the
    /// body is not JSON; anything else means JSON of the wrong shape.
    pub fn from_json_error(err: serde_json::Error) -> Self {
        use serde_json::error::Category;
        match err.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::MalformedJson(err.to_string())
            }
            Category::Data => ApiError::InvalidPayload(err.to_string()),
        }
    }

    /// Turns a caught panic into an opaque 500 (for `CatchPanicLayer`).
    pub fn from_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
        let detail = if let Some(s) = panic.downcast_ref::<String>() {
            s.clone()
        } else if let Some(s) = panic.downcast_ref::<&str>() {
            (*s).to_owned()
        } else {
            "unknown panic payload".to_owned()
        };
        ApiError::Panic(detail).into_response()
    }
}

/// Every refusal of [`crate::ingest`] keeps its meaning (and code) over HTTP.
impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::UnknownSite(key) => ApiError::UnknownSite(key),
            e @ IngestError::SurveyNotFound { .. } => ApiError::SurveyNotFound(e.to_string()),
            IngestError::Signature(e) => ApiError::Signature(e),
            IngestError::Invalid(errors) => ApiError::InvalidResponse(errors),
            IngestError::ResponseIdConflict(id) => ApiError::ResponseIdConflict(id),
            IngestError::AlreadyAnswered {
                survey_id,
                order_id,
            } => ApiError::AlreadyAnswered {
                survey_id,
                order_id,
            },
            IngestError::Store(e) => ApiError::Store(e),
        }
    }
}

/// Admin refusals keep their codes; a store failure stays an internal error.
impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Store(e) => ApiError::Store(e),
            e => ApiError::Admin(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let internal = status.is_server_error();
        let message = if internal {
            // Opaque on purpose: internal details (SQL, paths) stay in the logs.
            "an internal error occurred; it has been logged".to_owned()
        } else {
            self.to_string()
        };
        let errors: &[ValidationError] = match &self {
            ApiError::InvalidResponse(errors)
            | ApiError::Admin(
                AdminError::InvalidSurvey(errors) | AdminError::InvalidFields(errors),
            ) => errors,
            _ => &[],
        };
        let body = ErrorBody {
            code: self.code(),
            message,
            errors,
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if matches!(
            self,
            ApiError::Admin(AdminError::Unauthorized | AdminError::InvalidToken)
        ) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"manyi admin\""),
            );
        }
        if internal {
            response
                .extensions_mut()
                .insert(InternalErrorDetail(self.to_string()));
        }
        response
    }
}

/// Middleware: logs the detail of every internal error, with the request it
/// failed. The one place errors are logged.
pub async fn log_internal_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    if let Some(InternalErrorDetail(detail)) = response.extensions().get::<InternalErrorDetail>() {
        tracing::error!(%method, %uri, status = response.status().as_u16(), error = %detail, "request failed");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use manyi_shared::ErrorCode;

    async fn body_json(e: ApiError) -> (StatusCode, serde_json::Value, bool) {
        let response = e.into_response();
        let status = response.status();
        let has_detail = response.extensions().get::<InternalErrorDetail>().is_some();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).expect("json"),
            has_detail,
        )
    }

    #[tokio::test]
    async fn validation_errors_are_listed() {
        let e = ApiError::InvalidResponse(vec![ValidationError::new(
            "nps",
            ErrorCode::OutOfRange,
            "too high",
        )]);
        let (status, body, detail) = body_json(e).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["code"], "invalid_response");
        assert_eq!(
            body["errors"][0],
            serde_json::json!({"question": "nps", "code": "out_of_range", "message": "too high"})
        );
        assert!(!detail);
    }

    #[tokio::test]
    async fn internal_errors_are_opaque_but_carry_detail_for_the_log() {
        let e = ApiError::Store(StoreError::Inconsistent("secret table detail".into()));
        let (status, body, detail) = body_json(e).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        assert!(
            !body["message"]
                .as_str()
                .expect("message")
                .contains("secret")
        );
        assert_eq!(body["errors"], serde_json::json!([]));
        assert!(detail);
    }

    #[test]
    fn json_errors_are_classified() {
        let syntax = serde_json::from_str::<serde_json::Value>("{").expect_err("eof");
        assert_eq!(ApiError::from_json_error(syntax).code(), "malformed_json");
        let data = serde_json::from_str::<u32>("\"x\"").expect_err("type");
        assert_eq!(ApiError::from_json_error(data).code(), "invalid_payload");
    }
}
