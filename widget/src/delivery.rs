//! Sending to the collector: what each HTTP status means for the respondent
//! and the retry back-off (plain Rust, tested on the host)
//! and, in the browser, the response id, timestamps, the pending copies in
//! `localStorage`, the POST, the background retries and the beacons.
//!
//! Bodies go out as `text/plain;charset=UTF-8`, a "simple" request that
//! needs no CORS preflight: one round trip on slow mobile links.
//!
//! Nothing finished is lost: the payload is written to `localStorage`
//! before the first POST and removed only on a final answer (2xx, or a 4xx
//! other than 429). Until then it is sent again with exponential back-off
//! and jitter ([`backoff_ms`]), at once when the browser reports `online`,
//! by `sendBeacon` when the page is hidden or left, and when a widget of
//! the same collector mounts on a later page of the site. The
//! `response_id` makes every resend idempotent (200 from the collector).
//!
//! Pending copies belong to one collector. Two embeds on one origin may
//! talk to different collectors (two shops on one domain, a site moving
//! collector), and `localStorage` is per origin: so the key names the URL
//! the copy is owed to, `manyi:outbox:<collector>/v1/responses#<response_id>`
//! ([`pending_key`]), and a widget only ever reads, sends or removes the
//! keys under its own collector's prefix ([`pending_prefix`]). A copy is
//! never offered to another collector: a wrong one could store it (the same
//! site key and survey may exist on both) or refuse it for good, and either
//! way the right one would never get it.
//!
//! Copies are not kept for ever: the loader drops those 30 days old or
//! more (by `timing.submitted_at`) on any page of their site, including
//! copies owed to a collector the site no longer uses
//! (widget/loader/README.md). It runs before the widget on every page, so
//! the widget itself never sees a copy that old.
//!
//! Copies written before this scheme, `manyi:pending:<response_id>`
//! ([`LEGACY_PREFIX`]), do not say where they were going. The widget leaves
//! them alone: they stay with the loader, which resends them on every page
//! load to its own collector, the rule they were written under (one
//! collector per page, the first widget's). The new keys do not start with
//! the legacy prefix, so a loader that knows only that prefix never sends
//! a new copy anywhere.

use manyi_shared::json;
use manyi_shared::{ErrorCode, ResponseId, ValidationError};

/// First retry delay, doubled per failed attempt.
pub const RETRY_BASE_MS: f64 = 1000.0;
/// Longest wait between two retries.
pub const RETRY_CAP_MS: f64 = 60_000.0;

/// How long to wait before retry number `attempt` (0 for the first):
/// 1 s, 2 s, 4 s, … capped at 60 s, each scaled by `0.5 + jitter` with
/// `jitter` in `[0, 1)` so that many clients coming back online together
/// do not retry in lockstep.
pub fn backoff_ms(attempt: u32, jitter: f64) -> u32 {
    let base = (RETRY_BASE_MS * f64::from(1u32 << attempt.min(16))).min(RETRY_CAP_MS);
    (base * (0.5 + jitter.clamp(0.0, 1.0))).min(RETRY_CAP_MS) as u32
}

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
    let Ok(json::Value::Object(mut body)) = json::parse(body) else {
        return Vec::new();
    };
    let Some(json::Value::Array(errors)) = body.remove("errors") else {
        return Vec::new();
    };
    errors
        .into_iter()
        .filter_map(|e| ValidationError::from_json(e).ok())
        .collect()
}

/// The prefix of every `localStorage` key of a response waiting for
/// delivery; the collector's POST URL and `#` follow ([`pending_prefix`]).
pub const PENDING_PREFIX: &str = "manyi:outbox:";

/// The prefix of pending copies from before the keys named their collector
/// (`manyi:pending:<response_id>`): the widget never touches them, the
/// loader resends them (see the module docs).
pub const LEGACY_PREFIX: &str = "manyi:pending:";

/// The prefix of the `localStorage` keys of the responses owed to the
/// collector whose POST URL is `url`. The `#` closes the URL, so no
/// collector's prefix is a prefix of another's (`…:1/v1/responses#` vs
/// `…:10/v1/responses#`); a collector URL has no fragment, so no `#` of
/// its own.
pub fn pending_prefix(url: &str) -> String {
    [PENDING_PREFIX, url, "#"].concat()
}

/// The `localStorage` key of response `id` waiting for the answer of the
/// collector whose POST URL is `url`.
pub fn pending_key(url: &str, id: &ResponseId) -> String {
    [&pending_prefix(url), String::from(*id).as_str()].concat()
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
    use super::{Outcome, backoff_ms, pending_key, pending_prefix};
    use manyi_shared::ResponseId;
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
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

    /// Keeps the finished payload, owed to the collector at `url`, until
    /// that collector has given a final answer, so that a retry, a beacon
    /// or a later visit can send it. Returns whether the copy was stored
    /// (storage may be absent or full).
    fn save_pending(url: &str, id: &ResponseId, body: &str) -> bool {
        storage().is_some_and(|s| s.set_item(&pending_key(url, id), body).is_ok())
    }

    /// Forgets the pending payload.
    fn remove_pending(url: &str, id: &ResponseId) {
        if let Some(s) = storage() {
            let _ = s.remove_item(&pending_key(url, id));
        }
    }

    /// Every payload of this origin owed to the collector at `url`:
    /// `(key, body)`. Copies owed to other collectors are not listed.
    fn pending(url: &str) -> Vec<(String, String)> {
        let Some(s) = storage() else {
            return Vec::new();
        };
        let prefix = pending_prefix(url);
        let n = s.length().unwrap_or(0);
        (0..n)
            .filter_map(|i| s.key(i).ok().flatten())
            .filter(|k| k.starts_with(&prefix))
            .filter_map(|k| Some((k.clone(), s.get_item(&k).ok().flatten()?)))
            .collect()
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
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        // A string body goes out as text/plain;charset=UTF-8: no preflight.
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

    /// Fire-and-forget POST that survives the page being closed
    /// (`navigator.sendBeacon`; a string body goes out as text/plain). A
    /// refused beacon is not retried: the pending copy stays anyway.
    fn beacon(url: &str, body: &str) {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().send_beacon_with_opt_str(url, Some(body));
        }
    }

    /// Sends every payload pending for the collector at `url` by beacon
    /// (the page is being hidden or left). The copies stay: a beacon
    /// reports nothing back, and the next send of the same response id is
    /// an idempotent 200 that removes it.
    pub fn beacon_pending(url: &str) {
        for (_, body) in pending(url) {
            beacon(url, &body);
        }
    }

    /// How many retry timers are set or flushes running. Counted rather
    /// than flagged: `online` and `pageshow` start a flush at once even
    /// while another runs or a back-off timer waits, and only the last to
    /// end may decide whether to go on, or the chains of retries would
    /// multiply. (An atomic rather than a thread-local: the page has one
    /// thread, and it costs less code.)
    static RUNNING: AtomicU32 = AtomicU32::new(0);

    /// Sends every payload pending for the collector at `url` once;
    /// removes those with a final answer.
    async fn flush(url: &str) {
        for (key, body) in pending(url) {
            if !post(url, &body).await.keeps_pending()
                && let Some(s) = storage()
            {
                let _ = s.remove_item(&key);
            }
        }
    }

    /// Retries the pending payloads in the background until none is left:
    /// after the back-off delay for retry number `attempt`, or at once for
    /// `None` (the browser came back online, the page was shown). A
    /// back-off retry asked for while a timer is set or a flush runs is
    /// left to that one: whatever is still pending when the last of them
    /// ends is retried then.
    pub fn retry(url: String, attempt: Option<u32>) {
        if attempt.is_some() && RUNNING.load(Relaxed) > 0 {
            return;
        }
        RUNNING.fetch_add(1, Relaxed);
        let delay = attempt.map_or(0, |a| backoff_ms(a, js_sys::Math::random()));
        let next = attempt.map_or(0, |a| a.saturating_add(1));
        leptos::prelude::set_timeout(
            move || leptos::task::spawn_local(run(Job::Flush(url, next))),
            std::time::Duration::from_millis(delay.into()),
        );
    }

    /// A background delivery task. One future type for both kinds keeps a
    /// single copy of the task machinery in the WebAssembly.
    enum Job {
        /// Store, POST, and hand the outcome to the widget.
        Send(String, String, ResponseId, Box<dyn FnOnce(Outcome)>),
        /// Resend every pending payload; `.1` numbers the next retry.
        Flush(String, u32),
    }

    async fn run(job: Job) {
        match job {
            Job::Send(url, body, id, done) => {
                let kept = save_pending(&url, &id, &body);
                let mut outcome = post(&url, &body).await;
                if !outcome.keeps_pending() {
                    remove_pending(&url, &id);
                } else if kept {
                    // Kept on the device and retried in the background:
                    // for the respondent the answer is given.
                    retry(url, Some(0));
                    outcome = Outcome::Accepted;
                }
                done(outcome);
            }
            Job::Flush(url, next) => {
                flush(&url).await;
                // Storage is read again rather than trusting what this
                // flush saw: an answer whose POST failed while the flush
                // ran was saved after the flush listed the copies, and its
                // own retry was left to this one (issue #3 item 3).
                if RUNNING.fetch_sub(1, Relaxed) == 1 && !pending(&url).is_empty() {
                    retry(url, Some(next));
                }
            }
        }
    }

    /// Sends the response `body` with id `id`: stores a copy first, removes
    /// it on a final answer, retries in the background on a transient
    /// failure (reported as [`Outcome::Accepted`] when the copy is stored,
    /// [`Outcome::RetryLater`] when storage is unavailable), then calls
    /// `done` with the outcome.
    pub fn send(url: String, body: String, id: ResponseId, done: impl FnOnce(Outcome) + 'static) {
        leptos::task::spawn_local(run(Job::Send(url, body, id, Box::new(done))));
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
    fn back_off_doubles_from_one_second_with_jitter_and_caps_at_a_minute() {
        assert_eq!(backoff_ms(0, 0.5), 1000);
        assert_eq!(backoff_ms(1, 0.5), 2000);
        assert_eq!(backoff_ms(2, 0.5), 4000);
        assert_eq!(backoff_ms(0, 0.0), 500);
        assert_eq!(backoff_ms(0, 0.999), 1499);
        for attempt in [6, 7, 20, u32::MAX] {
            assert!(backoff_ms(attempt, 0.999) <= 60_000, "attempt {attempt}");
            assert!(backoff_ms(attempt, 0.0) >= 30_000, "attempt {attempt}");
        }
        assert_eq!(backoff_ms(3, 7.0), backoff_ms(3, 1.0), "jitter is clamped");
    }

    #[test]
    fn pending_key_names_the_collector_and_the_response() {
        let id = ResponseId::from_random_bytes([0; 16]);
        assert_eq!(
            pending_key("https://c.example/v1/responses", &id),
            "manyi:outbox:https://c.example/v1/responses#00000000-0000-4000-8000-000000000000"
        );
    }

    /// A collector lists its copies by prefix: that must never match a
    /// copy owed to another collector, however alike their URLs are.
    #[test]
    fn no_collector_sees_the_copies_owed_to_another() {
        let id = ResponseId::from_random_bytes([7; 16]);
        let urls = [
            "http://127.0.0.1:1/v1/responses",
            "http://127.0.0.1:10/v1/responses",
            "http://127.0.0.1:1/v1/responses2",
            "http://127.0.0.1:1/api/v1/responses",
            "https://127.0.0.1:1/v1/responses",
        ];
        for a in urls {
            for b in urls {
                assert_eq!(
                    pending_key(a, &id).starts_with(&pending_prefix(b)),
                    a == b,
                    "copy for {a}, listed by {b}"
                );
            }
        }
    }

    /// Loaders that predate per-collector keys resend every key under the
    /// legacy prefix to their own collector: a new copy must not be one.
    #[test]
    fn new_copies_are_invisible_to_a_loader_that_knows_only_the_legacy_prefix() {
        let id = ResponseId::from_random_bytes([1; 16]);
        let key = pending_key("http://127.0.0.1:1/v1/responses", &id);
        assert!(!key.starts_with(LEGACY_PREFIX), "{key}");
        assert!(!LEGACY_PREFIX.starts_with(PENDING_PREFIX));
    }
}
