//! The hosted survey page (`GET/POST /s/{survey_id}`): the survey as a plain
//! HTML form that works with JavaScript off, for SMS, e-mail and WeChat
//! message links and as the widget's fallback.
//!
//! - [`form`]: the posted form → the response payload (hidden questions
//!   dropped with the shared visibility rules before validation);
//! - [`text`]: the page's own texts per locale, error messages, and the
//!   human hint derived from a `show_if` condition;
//! - [`render`]: the HTML (every value escaped).
//!
//! The HTTP side is `crate::http::hosted`; storing goes through
//! [`crate::ingest`], exactly like `POST /v1/responses`.
//!
//! # Why the form carries no CSRF token
//!
//! CSRF protects an action taken with the victim's ambient authority
//! (cookies, a session). This form has none: it is public, sets and reads
//! no cookie, and what it proves (the order and customer) travels in the
//! merchant's signature inside the form itself. A forged cross-site post
//! can do nothing that the attacker could not do by posting directly.
//! Double submission is handled by the `response_id` minted when the page
//! is rendered: it is the idempotency key, so a second post of the same
//! form is answered with the same thank-you, and a different answer reusing
//! it is refused as already answered.

pub mod form;
pub mod render;
pub mod text;

use manyi_shared::{Locale, Survey};

/// The query parameters of a hosted link, as the loader's fallback builds
/// them (`s/<survey>?site=…&order=…&customer=…&channel=…&segment=…&locale=…&sig=…&exp=…`),
/// and as the form carries them back in hidden fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct LinkParams {
    /// The site key.
    pub site: Option<String>,
    /// The merchant's order id.
    pub order: Option<String>,
    /// The merchant's customer id.
    pub customer: Option<String>,
    /// `sms`, `email`, `wechat`, …; `link` when absent.
    pub channel: Option<String>,
    /// Customer segment.
    pub segment: Option<String>,
    /// Requested locale (any BCP 47 tag).
    pub locale: Option<String>,
    /// The merchant's signature over `site|survey|order|customer|exp`.
    pub sig: Option<String>,
    /// Signature expiry, unix seconds (kept as text until parsed).
    pub exp: Option<String>,
}

/// The channel recorded for responses from a link that names none.
pub const DEFAULT_CHANNEL: &str = "link";

impl LinkParams {
    /// The same parameters with blank values removed (a link template with
    /// an empty `customer=` means "no customer", not an empty id).
    pub fn normalized(self) -> Self {
        let keep = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Self {
            site: keep(self.site),
            order: keep(self.order),
            customer: keep(self.customer),
            channel: keep(self.channel),
            segment: keep(self.segment),
            locale: keep(self.locale),
            sig: keep(self.sig),
            exp: keep(self.exp),
        }
    }

    /// The channel to record: the link's, else [`DEFAULT_CHANNEL`].
    pub fn channel(&self) -> &str {
        self.channel.as_deref().unwrap_or(DEFAULT_CHANNEL)
    }
}

/// The page's locale: the link's `locale`, else the first language of
/// `Accept-Language` that the survey declares, else the survey's default.
pub fn choose_locale(
    requested: Option<&str>,
    accept_language: Option<&str>,
    survey: &Survey,
) -> Locale {
    let declared = |l: &Locale| survey.locales.contains(l);
    if let Some(l) = requested.and_then(Locale::negotiate).filter(declared) {
        return l;
    }
    accept_language
        .map(accepted_languages)
        .unwrap_or_default()
        .iter()
        .filter_map(|tag| Locale::negotiate(tag))
        .find(declared)
        .unwrap_or(survey.default_locale)
}

/// The tags of an `Accept-Language` header, most preferred first (by `q`,
/// then by position); tags with `q=0` are dropped.
fn accepted_languages(header: &str) -> Vec<&str> {
    let mut tags: Vec<(usize, f32, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && q > 0.0).then_some((i, q, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    tags.into_iter().map(|(_, _, tag)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Survey {
        crate::seed::demo_survey().expect("demo survey")
    }

    #[test]
    fn the_link_locale_wins_then_accept_language_then_the_default() {
        let s = demo();
        assert_eq!(choose_locale(Some("en"), Some("zh-TW"), &s), Locale::En);
        assert_eq!(choose_locale(Some("fr"), Some("zh-TW"), &s), Locale::ZhTw);
        assert_eq!(
            choose_locale(None, Some("fr-FR,en;q=0.8,zh-HK;q=0.9"), &s),
            Locale::ZhTw
        );
        assert_eq!(choose_locale(None, Some("fr, de"), &s), Locale::ZhCn);
        assert_eq!(choose_locale(None, None, &s), Locale::ZhCn);
        let mut only_zh = s.clone();
        only_zh.locales = vec![Locale::ZhCn];
        assert_eq!(
            choose_locale(Some("en"), Some("en"), &only_zh),
            Locale::ZhCn
        );
    }

    #[test]
    fn accept_language_is_ordered_by_quality() {
        assert_eq!(
            accepted_languages("en;q=0.5, zh-TW, fr;q=0, de;q=0.7"),
            ["zh-TW", "de", "en"]
        );
        assert!(accepted_languages("").is_empty());
    }

    #[test]
    fn blank_link_parameters_are_absent_and_the_channel_defaults_to_link() {
        let p = LinkParams {
            customer: Some(" ".into()),
            channel: Some(String::new()),
            ..LinkParams::default()
        }
        .normalized();
        assert_eq!(p.customer, None);
        assert_eq!(p.channel(), "link");
    }
}
