//! Open-text tagging: keyword dictionaries per language turn comments into
//! tags (`logistics_slow`, `refund`, `fraud` …) that reports filter by.
//!
//! The built-in dictionaries are a data file compiled into the binary
//! (`keywords.json`, beside this module); sites add entries of their own
//! (`tag_keywords`, admin API `/api/keywords`). A keyword matches
//! case-insensitively as a substring of any free-text answer (text
//! questions and the "other" text of choices), whatever locale the response
//! was given in: customers mix languages, and simplified and traditional
//! Chinese are handled by listing both forms. Chinese has no spaces to split
//! words on, hence substrings rather than words (an English keyword is best
//! written as a phrase, e.g. `slow delivery`).
//!
//! Keywords marked `alert` (fraud, security, complaint) make the response an
//! alert: its follow-up case becomes urgent (see [`super::case_rules`]).

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The built-in dictionaries, as shipped.
const BUILTIN_JSON: &str = include_str!("keywords.json");

/// The dictionary locales (the `locale` of a keyword entry).
pub const LOCALES: [&str; 3] = ["zh-CN", "zh-TW", "en"];

/// Longest keyword accepted (characters).
pub const MAX_KEYWORD_CHARS: usize = 100;

/// Longest tag accepted (characters).
pub const MAX_TAG_CHARS: usize = 64;

/// One dictionary entry: `keyword` (in `locale`'s dictionary) tags `tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordEntry {
    /// `zh-CN`, `zh-TW` or `en`.
    pub locale: String,
    /// The word or phrase, as entered.
    pub keyword: String,
    /// The tag it sets.
    pub tag: String,
    /// Whether it is an alert keyword.
    pub alert: bool,
}

/// What tagging found in one response's texts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagResult {
    /// Every tag found, sorted.
    pub tags: BTreeSet<String>,
    /// The alert keywords found (as entered in the dictionary), sorted.
    pub alert_keywords: BTreeSet<String>,
}

impl TagResult {
    /// Whether an alert keyword matched.
    pub fn alert(&self) -> bool {
        !self.alert_keywords.is_empty()
    }
}

/// A compiled set of entries: keywords lower-cased once.
#[derive(Debug, Clone, Default)]
pub struct Tagger {
    /// (lower-cased keyword, entry).
    entries: Vec<(String, KeywordEntry)>,
}

impl Tagger {
    /// A tagger over `entries` (e.g. the built-in ones plus a site's own).
    pub fn new(entries: impl IntoIterator<Item = KeywordEntry>) -> Self {
        let mut entries: Vec<(String, KeywordEntry)> = entries
            .into_iter()
            .filter(|e| !e.keyword.trim().is_empty())
            .map(|e| (e.keyword.to_lowercase(), e))
            .collect();
        // Stable order, so the reported alert keywords do not depend on the
        // order entries were loaded in.
        entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.tag.cmp(&b.1.tag)));
        entries.dedup_by(|a, b| a.0 == b.0 && a.1.tag == b.1.tag && a.1.alert == b.1.alert);
        Self { entries }
    }

    /// Tags found in `texts`.
    pub fn tag<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> TagResult {
        let mut result = TagResult::default();
        for text in texts {
            let text = text.to_lowercase();
            for (keyword, entry) in &self.entries {
                if text.contains(keyword.as_str()) {
                    result.tags.insert(entry.tag.clone());
                    if entry.alert {
                        result.alert_keywords.insert(entry.keyword.clone());
                    }
                }
            }
        }
        result
    }
}

/// The file's shape: tag → {alert, locale → keywords}.
#[derive(Debug, Deserialize)]
struct BuiltinFile {
    tags: BTreeMap<String, BuiltinTag>,
}

#[derive(Debug, Deserialize)]
struct BuiltinTag {
    alert: bool,
    #[serde(flatten)]
    locales: BTreeMap<String, Vec<String>>,
}

/// The built-in entries, parsed once.
pub fn builtin() -> &'static [KeywordEntry] {
    static BUILTIN: OnceLock<Vec<KeywordEntry>> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        // The file is part of the source and checked by the unit tests below;
        // a broken file is a build defect, not a runtime condition.
        let file: BuiltinFile =
            serde_json::from_str(BUILTIN_JSON).expect("analytics/keywords.json is valid");
        let mut entries = Vec::new();
        for (tag, spec) in file.tags {
            for (locale, words) in spec.locales {
                for keyword in words {
                    entries.push(KeywordEntry {
                        locale: locale.clone(),
                        keyword,
                        tag: tag.clone(),
                        alert: spec.alert,
                    });
                }
            }
        }
        entries
    })
}

/// A problem with a keyword entry given through the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    /// The field: `locale`, `keyword` or `tag`.
    pub field: &'static str,
    /// Stable code.
    pub code: &'static str,
    /// A human sentence.
    pub message: String,
}

/// Checks a keyword entry: a known locale, a keyword of 1..=100 characters
/// without control characters, a tag of 1..=64 of `a-z`, `0-9`, `_`.
pub fn check_entry(locale: &str, keyword: &str, tag: &str) -> Vec<EntryProblem> {
    let mut problems = Vec::new();
    if !LOCALES.contains(&locale) {
        problems.push(EntryProblem {
            field: "locale",
            code: "unknown_locale",
            message: format!("locale must be one of {}", LOCALES.join(", ")),
        });
    }
    let chars = keyword.chars().count();
    if keyword.trim().is_empty() {
        problems.push(EntryProblem {
            field: "keyword",
            code: "required",
            message: "the keyword is empty".to_owned(),
        });
    } else if chars > MAX_KEYWORD_CHARS {
        problems.push(EntryProblem {
            field: "keyword",
            code: "too_long",
            message: format!("at most {MAX_KEYWORD_CHARS} characters"),
        });
    } else if keyword.chars().any(char::is_control) {
        problems.push(EntryProblem {
            field: "keyword",
            code: "control_characters",
            message: "the keyword holds control characters".to_owned(),
        });
    }
    if let Some(problem) = check_tag(tag) {
        problems.push(EntryProblem {
            field: "tag",
            code: problem.0,
            message: problem.1,
        });
    }
    problems
}

/// Checks a tag name: 1..=64 of `a-z`, `0-9`, `_`. Returns (code, message).
pub fn check_tag(tag: &str) -> Option<(&'static str, String)> {
    if tag.is_empty() {
        Some(("required", "the tag is empty".to_owned()))
    } else if tag.chars().count() > MAX_TAG_CHARS {
        Some(("too_long", format!("at most {MAX_TAG_CHARS} characters")))
    } else if !tag
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Some((
            "bad_tag",
            "a tag is made of a-z, 0-9 and _ (e.g. logistics_slow)".to_owned(),
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_tagger() -> Tagger {
        Tagger::new(builtin().iter().cloned())
    }

    #[test]
    fn the_builtin_file_parses_into_valid_entries_for_every_locale() {
        let entries = builtin();
        assert!(entries.len() > 50, "{} entries", entries.len());
        for e in entries {
            assert_eq!(check_entry(&e.locale, &e.keyword, &e.tag), vec![], "{e:?}");
        }
        for locale in LOCALES {
            for tag in ["logistics_slow", "attitude", "refund", "fraud", "security"] {
                assert!(
                    entries.iter().any(|e| e.locale == locale && e.tag == tag),
                    "{locale} has no {tag} keyword"
                );
            }
        }
        let alerts: BTreeSet<&str> = entries
            .iter()
            .filter(|e| e.alert)
            .map(|e| e.tag.as_str())
            .collect();
        assert_eq!(alerts, BTreeSet::from(["complaint", "fraud", "security"]));
    }

    #[test]
    fn simplified_and_traditional_chinese_and_english_are_tagged() {
        let t = builtin_tagger();
        let r = t.tag(["物流太慢了，等了一周"]);
        assert_eq!(r.tags, BTreeSet::from(["logistics_slow".to_owned()]));
        assert!(!r.alert());
        let r = t.tag(["快遞太慢，客服態度也不好"]);
        assert_eq!(
            r.tags,
            BTreeSet::from(["attitude".to_owned(), "logistics_slow".to_owned()])
        );
        let r = t.tag(["I want a REFUND now"]);
        assert_eq!(r.tags, BTreeSet::from(["refund".to_owned()]));
    }

    #[test]
    fn alert_keywords_are_reported() {
        let t = builtin_tagger();
        let r = t.tag(["这是欺诈，我要投诉"]);
        assert_eq!(
            r.tags,
            BTreeSet::from(["complaint".to_owned(), "fraud".to_owned()])
        );
        assert_eq!(
            r.alert_keywords,
            BTreeSet::from(["投诉".to_owned(), "欺诈".to_owned()])
        );
        assert!(r.alert());
    }

    #[test]
    fn texts_without_keywords_get_no_tag() {
        let t = builtin_tagger();
        assert_eq!(t.tag(["很好，下次再来", ""]), TagResult::default());
        assert_eq!(t.tag([]), TagResult::default());
    }

    #[test]
    fn site_entries_add_tags_and_alerts() {
        let mut entries: Vec<KeywordEntry> = builtin().to_vec();
        entries.push(KeywordEntry {
            locale: "en".into(),
            keyword: "Cold Food".into(),
            tag: "food_temperature".into(),
            alert: false,
        });
        entries.push(KeywordEntry {
            locale: "zh-CN".into(),
            keyword: "食物中毒".into(),
            tag: "food_safety".into(),
            alert: true,
        });
        let t = Tagger::new(entries);
        let r = t.tag(["the cold food made me sick", "怀疑食物中毒"]);
        assert_eq!(
            r.tags,
            BTreeSet::from(["food_safety".to_owned(), "food_temperature".to_owned()])
        );
        assert_eq!(r.alert_keywords, BTreeSet::from(["食物中毒".to_owned()]));
    }

    #[test]
    fn bad_entries_are_refused_with_codes() {
        let codes = |l: &str, k: &str, t: &str| -> Vec<(&'static str, &'static str)> {
            check_entry(l, k, t)
                .into_iter()
                .map(|p| (p.field, p.code))
                .collect()
        };
        assert_eq!(codes("fr", "x", "ok"), vec![("locale", "unknown_locale")]);
        assert_eq!(codes("en", "  ", "ok"), vec![("keyword", "required")]);
        assert_eq!(
            codes("en", &"x".repeat(101), "ok"),
            vec![("keyword", "too_long")]
        );
        assert_eq!(
            codes("en", "a\u{7}b", "ok"),
            vec![("keyword", "control_characters")]
        );
        assert_eq!(codes("en", "x", ""), vec![("tag", "required")]);
        assert_eq!(codes("en", "x", "Slow-Delivery"), vec![("tag", "bad_tag")]);
        assert_eq!(codes("en", "x", &"a".repeat(65)), vec![("tag", "too_long")]);
        assert_eq!(codes("zh-TW", "退貨", "refund"), vec![]);
    }
}
