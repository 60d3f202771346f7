//! The response payload the widget posts to `POST /v1/responses`.
//!
//! Field names are the public contract (see DESIGN.md). Unknown fields are
//! rejected so a typo never silently drops data.

use crate::SortedMap;
use crate::ids::{ResponseId, SiteKey, SurveyId};

/// One submitted response.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponsePayload {
    /// UUID v4 made by the client: the idempotency key.
    pub response_id: ResponseId,
    /// The site's public key.
    pub site: SiteKey,
    /// The survey answered.
    pub survey_id: SurveyId,
    /// The survey version answered.
    pub survey_version: u32,
    /// Raw answers by question id; typed against the survey by
    /// [`crate::rules::validate_response`].
    pub answers: SortedMap<String, crate::json::Value>,
    /// Where and for whom the survey was shown.
    pub context: Context,
    /// When the survey was shown and submitted (client clock).
    pub timing: Timing,
    /// The merchant backend's signature over `site|survey|order|customer|exp`.
    pub sig: Option<String>,
}

/// Context of a response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The merchant's order id.
    pub order_id: Option<String>,
    /// The merchant's customer id.
    pub customer: Option<String>,
    /// `web`, `wechat`, `app`, `sms`, `email`, …
    pub channel: Option<String>,
    /// Customer segment, e.g. `vip`.
    pub segment: Option<String>,
    /// Locale the survey was shown in.
    pub locale: Option<String>,
    /// The host page URL.
    pub page: Option<String>,
    /// Expiry of the signed context (unix seconds), part of the signed string.
    pub exp: Option<i64>,
}

/// Client-side timestamps (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timing {
    /// When the first question was shown.
    pub shown_at: Option<String>,
    /// When the customer pressed submit.
    pub submitted_at: Option<String>,
}
