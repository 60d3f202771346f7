//! Sending a response to the collector: what each HTTP status means for the
//! respondent (plain Rust, tested on the host) and, in the browser, the
//! response id, timestamps, the pending copy in `localStorage` and the POST.
//!
//! The body goes out as `text/plain;charset=UTF-8`, a "simple" request that
//! needs no CORS preflight: one round trip on slow mobile links.

use manyi_shared::{ErrorCode, ResponseId, ValidationError};

/// What the collector's answer means for the widget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 201, or 200 for a retry of an already accepted response.
    Accepted,
    /// 422: the errors per question.
    Invalid(Vec<ValidationError>),
    /// 409: a different response for this order/customer exists.
    AlreadyAnswered,
    /// Other 4xx (signature, origin, size): sending again will not help.
    Refused,
    /// Network failure, 429 or 5xx: the answers are kept for another try.
    RetryLater,
}

impl Outcome {
    /// Classifies a collector reply by status and body.
    pub fn from_reply(status: u16, body: &str) -> Self {
        match status {
            200 | 201 => Outcome::Accepted,
            409 => Outcome::AlreadyAnswered,
            422 => Outcome::Invalid(field_errors(body)),
            429 => Outcome::RetryLater,
            400..=499 => Outcome::Refused,
            _ => Outcome::RetryLater,
        }
    }

    /// Whether the pending copy must be kept for a later retry. Only
    /// transient failures keep it: a definitive answer (accepted or refused)
    /// would come back the same on every retry.
    pub fn keeps_pending(&self) -> bool {
        matches!(self, Outcome::RetryLater)
    }
}

/// The `errors` of a 422 body. Entries this widget does not understand
/// (e.g. a code added later) are skipped rather than failing the whole list.
pub fn field_errors(body: &str) -> Vec<ValidationError> {
    let Ok(serde_json::Value::Object(mut body)) = serde_json::from_str(body) else {
        return Vec::new();
    };
    let Some(serde_json::Value::Array(errors)) = body.remove("errors") else {
        return Vec::new();
    };
    errors
        .into_iter()
        .filter_map(|e| ValidationError::from_json(e).ok())
        .collect()
}

/// The `localStorage` key of a response waiting for the collector's answer.
pub fn pending_key(id: &ResponseId) -> String {
    ["manyi:pending:", &String::from(*id)].concat()
}

/// A 422 without per-question errors still needs a visible message: the
/// whole response is at fault.
pub fn or_general(errors: Vec<ValidationError>) -> Vec<ValidationError> {
    if errors.is_empty() {
        vec![ValidationError::new("", ErrorCode::WrongType, "")]
    } else {
        errors
    }
}

#[cfg(target_arch = "wasm32")]
pub use web::*;

#[cfg(target_arch = "wasm32")]
mod web {
    use super::{Outcome, pending_key};
    use manyi_shared::ResponseId;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// A fresh UUID v4 from `crypto.getRandomValues`; `None` when the
    /// browser has no Web Crypto (the caller then cannot submit safely).
    pub fn new_response_id() -> Option<ResponseId> {
        let crypto = web_sys::window()?.crypto().ok()?;
        let mut bytes = [0u8; 16];
        crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
        Some(ResponseId::from_random_bytes(bytes))
    }

    /// Now, as RFC 3339 in UTC (`2026-11-23T08:00:41.123Z`).
    pub fn now_rfc3339() -> String {
        String::from(js_sys::Date::new_0().to_iso_string())
    }

    fn storage() -> Option<web_sys::Storage> {
        // Storage can throw (Safari private mode, blocked cookies): treat as absent.
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Keeps the finished payload until the collector has answered, so a
    /// later visit can send it again (background retry comes later).
    pub fn save_pending(id: &ResponseId, body: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(&pending_key(id), body);
        }
    }

    /// Forgets the pending payload.
    pub fn remove_pending(id: &ResponseId) {
        if let Some(s) = storage() {
            let _ = s.remove_item(&pending_key(id));
        }
    }

    /// POSTs the JSON body and classifies the reply.
    pub async fn post(url: &str, body: &str) -> Outcome {
        match try_post(url, body).await {
            Ok((status, text)) => Outcome::from_reply(status, &text),
            Err(_) => Outcome::RetryLater,
        }
    }

    async fn try_post(url: &str, body: &str) -> Result<(u16, String), JsValue> {
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let headers = web_sys::Headers::new()?;
        headers.set("Content-Type", "text/plain;charset=UTF-8")?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(body));
        let resp: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await?
            .dyn_into()?;
        let status = resp.status();
        let text = JsFuture::from(resp.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        Ok((status, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_statuses_are_accepted_and_drop_the_pending_copy() {
        for s in [200, 201] {
            assert_eq!(Outcome::from_reply(s, ""), Outcome::Accepted);
            assert!(!Outcome::from_reply(s, "").keeps_pending());
        }
    }

    #[test]
    fn transient_failures_keep_the_answers() {
        for s in [0, 429, 500, 502, 503] {
            assert_eq!(
                Outcome::from_reply(s, ""),
                Outcome::RetryLater,
                "status {s}"
            );
            assert!(Outcome::from_reply(s, "").keeps_pending());
        }
    }

    #[test]
    fn permanent_refusals_are_not_retried() {
        assert_eq!(Outcome::from_reply(409, ""), Outcome::AlreadyAnswered);
        for s in [400, 401, 403, 413] {
            assert_eq!(Outcome::from_reply(s, ""), Outcome::Refused, "status {s}");
        }
    }

    #[test]
    fn a_422_body_gives_per_question_errors_and_skips_unknown_codes() {
        let body = r#"{"code":"invalid_response","message":"…","errors":[
            {"question":"nps","code":"out_of_range","message":"score out of range"},
            {"question":"x","code":"brand_new_code","message":"?"}]}"#;
        let Outcome::Invalid(errs) = Outcome::from_reply(422, body) else {
            panic!("invalid expected")
        };
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].question, "nps");
        assert_eq!(errs[0].code, ErrorCode::OutOfRange);
        assert_eq!(or_general(field_errors("not json")).len(), 1);
    }

    #[test]
    fn pending_key_names_the_response() {
        let id = ResponseId::from_random_bytes([0; 16]);
        assert_eq!(
            pending_key(&id),
            "manyi:pending:00000000-0000-4000-8000-000000000000"
        );
    }
}
