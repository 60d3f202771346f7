//! Supported locales and translated texts.

use crate::SortedMap;
use std::fmt;

/// A locale manyi ships texts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Locale {
    /// Simplified Chinese (mainland China).
    ZhCn,
    /// Traditional Chinese (Taiwan, Hong Kong).
    ZhTw,
    /// English.
    En,
}

impl Locale {
    /// Every supported locale.
    pub const ALL: [Locale; 3] = [Locale::ZhCn, Locale::ZhTw, Locale::En];

    /// The BCP 47 tag, e.g. `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::ZhTw => "zh-TW",
            Locale::En => "en",
        }
    }

    /// Best supported match for a BCP 47 tag such as `zh-Hant-HK`, `en-US` or
    /// `zh`; `None` when the language is not supported at all.
    pub fn negotiate(tag: &str) -> Option<Locale> {
        let t = tag.trim().to_ascii_lowercase().replace('_', "-");
        if t.starts_with("en") {
            return Some(Locale::En);
        }
        if t == "zh" || t.starts_with("zh-") {
            let traditional = ["-tw", "-hk", "-mo", "-hant"].iter().any(|s| t.contains(s));
            return Some(if traditional {
                Locale::ZhTw
            } else {
                Locale::ZhCn
            });
        }
        None
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A text in one or more locales, e.g. `{"zh-CN": "满意", "en": "Satisfied"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalizedText(pub SortedMap<Locale, String>);

impl LocalizedText {
    /// Builds a text from `(locale, text)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (Locale, &'a str)>) -> Self {
        Self(pairs.into_iter().map(|(l, s)| (l, s.to_owned())).collect())
    }

    /// The text in `locale`, else in `fallback`, else any text, else "".
    pub fn get(&self, locale: Locale, fallback: Locale) -> &str {
        self.0
            .get(&locale)
            .or_else(|| self.0.get(&fallback))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Whether a non-blank text exists for `locale`.
    pub fn has(&self, locale: Locale) -> bool {
        self.0.get(&locale).is_some_and(|s| !s.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_common_tags() {
        assert_eq!(Locale::negotiate("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("zh"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("zh-Hans-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("zh-TW"), Some(Locale::ZhTw));
        assert_eq!(Locale::negotiate("zh-Hant-HK"), Some(Locale::ZhTw));
        assert_eq!(Locale::negotiate("en-US"), Some(Locale::En));
        assert_eq!(Locale::negotiate("fr"), None);
    }

    #[test]
    fn text_falls_back() {
        let t = LocalizedText::from_pairs([(Locale::ZhCn, "满意")]);
        assert_eq!(t.get(Locale::En, Locale::ZhCn), "满意");
        assert!(!t.has(Locale::En));
    }
}
