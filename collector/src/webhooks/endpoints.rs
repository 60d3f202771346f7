//! Managing webhook endpoints (the admin API's domain side): creating one
//! with a fresh secret, disabling one, reading its delivery log, re-sending
//! a delivery.

use crate::store::outbox::EVENT_TYPES;
use crate::store::webhooks::{AttemptRow, DeliveryRow, EndpointRow, NewEndpoint};
use crate::store::{Store, StoreError, now_timestamp};

use super::signing;

/// Refusals of the webhook API. Codes are public contract.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No endpoint has this id.
    #[error("no webhook endpoint has the id {0}")]
    EndpointNotFound(i64),
    /// No delivery has this id.
    #[error("no webhook delivery has the id {0}")]
    DeliveryNotFound(i64),
    /// The endpoint names a site that does not exist.
    #[error("no site has the key {0:?}")]
    UnknownSite(String),
    /// Bad URL, unknown or no event type, malformed body.
    #[error("{0}")]
    InvalidRequest(String),
    /// No randomness for the secret.
    #[error("cannot make a secret: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WebhookError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::EndpointNotFound(_) => "webhook_not_found",
            WebhookError::DeliveryNotFound(_) => "delivery_not_found",
            WebhookError::UnknownSite(_) => "unknown_site",
            WebhookError::InvalidRequest(_) => "invalid_request",
            WebhookError::Random(_) | WebhookError::Store(_) => "internal",
        }
    }
}

/// An endpoint just created, with its secret (shown only now).
#[derive(Debug, Clone)]
pub struct Created {
    /// The stored endpoint.
    pub endpoint: EndpointRow,
    /// `whsec_…`.
    pub secret: String,
}

/// The longest accepted URL.
const MAX_URL_LEN: usize = 2000;

/// Checks an endpoint URL: absolute `http` or `https` with a host.
pub fn check_url(url: &str) -> Result<(), WebhookError> {
    let bad = |why: &str| WebhookError::InvalidRequest(format!("url {url:?}: {why}"));
    if url.len() > MAX_URL_LEN {
        return Err(bad("too long"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    Ok(())
}

/// Checks the event types: at least one, each known, no repeats.
pub fn check_event_types(types: &[String]) -> Result<(), WebhookError> {
    if types.is_empty() {
        return Err(WebhookError::InvalidRequest(format!(
            "event_types: name at least one of {EVENT_TYPES:?}"
        )));
    }
    for (i, t) in types.iter().enumerate() {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(WebhookError::InvalidRequest(format!(
                "event_types: unknown event type {t:?} (known: {EVENT_TYPES:?})"
            )));
        }
        if types[..i].contains(t) {
            return Err(WebhookError::InvalidRequest(format!(
                "event_types: {t:?} is listed twice"
            )));
        }
    }
    Ok(())
}

/// Creates an endpoint for `site` (`None`: every site) with a new secret.
pub async fn create(
    store: &Store,
    site: Option<&str>,
    url: &str,
    event_types: &[String],
) -> Result<Created, WebhookError> {
    check_url(url)?;
    check_event_types(event_types)?;
    let secret = signing::new_secret().map_err(|e| WebhookError::Random(e.to_string()))?;
    let types = serde_json::to_string(event_types).map_err(StoreError::from)?;
    let endpoint = store
        .create_endpoint(&NewEndpoint {
            site,
            url,
            secret: &secret,
            event_types: &types,
            now: &now_timestamp(),
        })
        .await?
        .ok_or_else(|| WebhookError::UnknownSite(site.unwrap_or_default().to_owned()))?;
    Ok(Created { endpoint, secret })
}

/// A delivery with its attempts.
#[derive(Debug, Clone)]
pub struct LoggedDelivery {
    /// The delivery.
    pub delivery: DeliveryRow,
    /// Its attempts, oldest first.
    pub attempts: Vec<AttemptRow>,
}

/// A page of an endpoint's delivery log (newest first) and its total.
pub async fn delivery_log(
    store: &Store,
    endpoint_id: i64,
    offset: u32,
    limit: u32,
) -> Result<(Vec<LoggedDelivery>, i64), WebhookError> {
    store
        .endpoint(endpoint_id)
        .await?
        .ok_or(WebhookError::EndpointNotFound(endpoint_id))?;
    let (deliveries, total) = store
        .endpoint_deliveries(endpoint_id, offset, limit)
        .await?;
    let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
    let mut attempts = store.delivery_attempts(&ids).await?;
    let logged = deliveries
        .into_iter()
        .map(|delivery| {
            let (mine, rest): (Vec<_>, Vec<_>) = attempts
                .drain(..)
                .partition(|a| a.delivery_id == delivery.id);
            attempts = rest;
            LoggedDelivery {
                delivery,
                attempts: mine,
            }
        })
        .collect();
    Ok((logged, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http_or_https() {
        assert!(check_url("https://hooks.example.com/manyi").is_ok());
        assert!(check_url("http://127.0.0.1:9000/x").is_ok());
        for bad in [
            "",
            "hooks.example.com",
            "ftp://x.example/",
            "javascript:alert(1)",
        ] {
            let e = check_url(bad).expect_err(bad);
            assert_eq!(e.code(), "invalid_request", "{bad}");
        }
    }

    #[test]
    fn event_types_must_be_known_and_distinct() {
        let v = |s: &[&str]| s.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        assert!(check_event_types(&v(&["case.opened", "case.verified"])).is_ok());
        for bad in [
            v(&[]),
            v(&["case.closed"]),
            v(&["case.opened", "case.opened"]),
        ] {
            assert_eq!(
                check_event_types(&bad).expect_err("bad").code(),
                "invalid_request"
            );
        }
    }
}
