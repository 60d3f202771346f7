//! Report and export query parameters: parsing and checking them into a
//! [`Filter`], every problem reported at once (422 `invalid_query`).

use serde::Serialize;
use std::collections::BTreeSet;
use time::{Date, Duration};
use utoipa::ToSchema;

use super::days::{Interval, format_day, parse_day, today};
use crate::store::reports::{Key, Selection};

/// The longest range a report may cover, in days (ten years).
pub const MAX_DAYS: i64 = 3660;

/// Days covered when `from` is not given.
const DEFAULT_DAYS: i64 = 30;

/// One bad query parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueryProblem {
    /// The parameter, e.g. `from` (named `question` like every error item).
    pub question: String,
    /// Stable code: `bad_date`, `bad_range`, `bad_value`, `needs_survey`,
    /// `unknown_parameter`.
    pub code: &'static str,
    /// A human sentence.
    pub message: String,
}

fn problem(param: &str, code: &'static str, message: impl Into<String>) -> QueryProblem {
    QueryProblem {
        question: param.to_owned(),
        code,
        message: message.into(),
    }
}

/// A grouping of a breakdown or heat map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// Per survey.
    Survey,
    /// Per survey version.
    Version,
    /// Per channel.
    Channel,
    /// Per segment.
    Segment,
    /// Per locale.
    Locale,
    /// Per question id.
    Question,
    /// Per open-text tag.
    Tag,
}

impl GroupBy {
    /// Parses the `by` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "survey" => Self::Survey,
            "version" => Self::Version,
            "channel" => Self::Channel,
            "segment" => Self::Segment,
            "locale" => Self::Locale,
            "question" => Self::Question,
            "tag" => Self::Tag,
            _ => return None,
        })
    }

    /// The name, as in the query.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Survey => "survey",
            Self::Version => "version",
            Self::Channel => "channel",
            Self::Segment => "segment",
            Self::Locale => "locale",
            Self::Question => "question",
            Self::Tag => "tag",
        }
    }

    /// The rollup column.
    pub fn key(self) -> Key {
        match self {
            Self::Survey => Key::Survey,
            Self::Version => Key::Version,
            Self::Channel => Key::Channel,
            Self::Segment => Key::Segment,
            Self::Locale => Key::Locale,
            Self::Question => Key::Question,
            Self::Tag => Key::Tag,
        }
    }
}

/// A checked filter: a date range and what to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// First reporting day.
    pub from: Date,
    /// Last reporting day (inclusive).
    pub to: Date,
    /// Survey id.
    pub survey: Option<String>,
    /// Version (only with `survey`).
    pub version: Option<i64>,
    /// Channel ('' = responses without one).
    pub channel: Option<String>,
    /// Segment.
    pub segment: Option<String>,
    /// Locale.
    pub locale: Option<String>,
    /// Question id.
    pub question: Option<String>,
    /// Open-text tag.
    pub tag: Option<String>,
    /// Include flagged responses.
    pub include_flagged: bool,
}

impl Filter {
    /// Every response of `from..=to`: nothing else filtered, flagged
    /// responses left out.
    pub fn range(from: Date, to: Date) -> Self {
        Self {
            from,
            to,
            survey: None,
            version: None,
            channel: None,
            segment: None,
            locale: None,
            question: None,
            tag: None,
            include_flagged: false,
        }
    }

    /// Days covered.
    pub fn days(&self) -> i64 {
        (self.to - self.from).whole_days() + 1
    }

    /// The same filter over the period of equal length just before.
    pub fn previous(&self) -> Self {
        let len = Duration::days(self.days());
        Self {
            from: self.from - len,
            to: self.from - Duration::days(1),
            ..self.clone()
        }
    }

    /// Whether a filter other than the survey is set: impressions
    /// ('shown' events) only exist per survey and day.
    pub fn narrower_than_survey(&self) -> bool {
        self.version.is_some()
            || self.channel.is_some()
            || self.segment.is_some()
            || self.locale.is_some()
            || self.question.is_some()
            || self.tag.is_some()
    }

    /// The rollup rows for this filter, grouped by `group` (if any): the
    /// coarsest level holding every column used (see migrations 0007, 0009
    /// and 0010): a tag alone (6) or with any context column (2); one
    /// context column alone (3 channel, 4 segment, 5 locale); several (1);
    /// none (0).
    pub fn selection(&self, group: Option<GroupBy>) -> Selection {
        let uses = |filter: &Option<String>, g: GroupBy| filter.is_some() || group == Some(g);
        let context = [
            (uses(&self.channel, GroupBy::Channel), 3),
            (uses(&self.segment, GroupBy::Segment), 4),
            (uses(&self.locale, GroupBy::Locale), 5),
        ];
        let used: Vec<u8> = context
            .iter()
            .filter(|(u, _)| *u)
            .map(|(_, l)| *l)
            .collect();
        let tagged = self.tag.is_some() || group == Some(GroupBy::Tag);
        let level = match (tagged, used.as_slice()) {
            (true, []) => 6,
            (true, _) => 2,
            (false, []) => 0,
            (false, [one]) => *one,
            (false, _) => 1,
        };
        Selection {
            level,
            from: format_day(self.from),
            to: format_day(self.to),
            survey: self.survey.clone(),
            version: self.version,
            channel: self.channel.clone(),
            segment: self.segment.clone(),
            locale: self.locale.clone(),
            tag: self.tag.clone(),
            question: self.question.clone(),
            include_flagged: self.include_flagged,
        }
    }
}

/// The parameters every report takes.
const FILTER_PARAMS: [&str; 10] = [
    "from",
    "to",
    "survey",
    "version",
    "channel",
    "segment",
    "locale",
    "question",
    "tag",
    "include_flagged",
];

/// The raw query, with the parsing state.
pub struct Params<'a> {
    pairs: &'a [(String, String)],
    problems: Vec<QueryProblem>,
}

impl<'a> Params<'a> {
    /// Over the decoded query pairs. `extra` are the endpoint's own
    /// parameters (e.g. `interval`); anything else is `unknown_parameter`.
    pub fn new(pairs: &'a [(String, String)], extra: &[&str]) -> Self {
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for (k, _) in pairs {
            if !FILTER_PARAMS.contains(&k.as_str()) && !extra.contains(&k.as_str()) {
                problems.push(problem(
                    k,
                    "unknown_parameter",
                    format!("unknown parameter {k:?}"),
                ));
            } else if !seen.insert(k.as_str()) {
                problems.push(problem(
                    k,
                    "bad_value",
                    format!("{k} is given more than once"),
                ));
            }
        }
        Self { pairs, problems }
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Records a problem.
    pub fn reject(&mut self, param: &str, code: &'static str, message: impl Into<String>) {
        self.problems.push(problem(param, code, message));
    }

    fn day(&mut self, name: &str) -> Option<Date> {
        let v = self.get(name)?;
        // Years outside 2000..=9000 are refused rather than parsed: bucket
        // and previous-period arithmetic near year ±9999 would overflow.
        let d = parse_day(v).filter(|d| (2000..=9000).contains(&d.year()));
        if d.is_none() {
            self.reject(
                name,
                "bad_date",
                format!("{name} must be a date YYYY-MM-DD between 2000 and 9000, not {v:?}"),
            );
        }
        d
    }

    fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.get(name) {
            None => default,
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(v) => {
                self.reject(
                    name,
                    "bad_value",
                    format!("{name} must be true or false, not {v:?}"),
                );
                default
            }
        }
    }

    /// The filter; `flagged_by_default` is the `include_flagged` default
    /// (reports: false, exports: true).
    pub fn filter(&mut self, flagged_by_default: bool) -> Filter {
        let to = self.day("to").unwrap_or_else(today);
        let from = self
            .day("from")
            .unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            self.reject("from", "bad_range", "from is after to");
        } else if (to - from).whole_days() + 1 > MAX_DAYS {
            self.reject(
                "from",
                "bad_range",
                format!("the range is longer than {MAX_DAYS} days"),
            );
        }
        let text = |name: &str| self.get(name).map(str::to_owned);
        let (survey, channel, segment, locale) = (
            text("survey"),
            text("channel"),
            text("segment"),
            text("locale"),
        );
        let (question, tag) = (text("question"), text("tag"));
        let version = match self.get("version") {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    self.reject(
                        "version",
                        "bad_value",
                        format!("version must be a positive integer, not {v:?}"),
                    );
                    None
                }
            },
        };
        if version.is_some() && survey.is_none() {
            self.reject("version", "needs_survey", "version needs survey");
        }
        let include_flagged = self.flag("include_flagged", flagged_by_default);
        Filter {
            from,
            to,
            survey,
            version,
            channel,
            segment,
            locale,
            question,
            tag,
            include_flagged,
        }
    }

    /// `by` (required when `default` is `None`).
    pub fn group_by(&mut self, default: Option<GroupBy>) -> Option<GroupBy> {
        match (self.get("by"), default) {
            (None, None) => {
                self.reject(
                    "by",
                    "bad_value",
                    "by is required: survey, version, channel, segment, locale, question or tag",
                );
                None
            }
            (None, d) => d,
            (Some(v), _) => {
                let g = GroupBy::parse(v);
                if g.is_none() {
                    self.reject("by", "bad_value", format!("by must be survey, version, channel, segment, locale, question or tag, not {v:?}"));
                }
                g
            }
        }
    }

    /// `interval` (default `day`).
    pub fn interval(&mut self) -> Interval {
        match self.get("interval") {
            None => Interval::Day,
            Some(v) => Interval::parse(v).unwrap_or_else(|| {
                self.reject(
                    "interval",
                    "bad_value",
                    format!("interval must be day, week or month, not {v:?}"),
                );
                Interval::Day
            }),
        }
    }

    /// Every problem found, or `Ok` when there was none.
    pub fn finish(self) -> Result<(), Vec<QueryProblem>> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn parse(q: &[(&str, &str)]) -> Result<Filter, Vec<QueryProblem>> {
        let pairs = pairs(q);
        let mut p = Params::new(&pairs, &[]);
        let f = p.filter(false);
        p.finish().map(|()| f)
    }

    #[test]
    fn a_full_filter_parses() {
        let f = parse(&[
            ("from", "2026-11-01"),
            ("to", "2026-11-30"),
            ("survey", "post-payment"),
            ("version", "2"),
            ("channel", ""),
            ("tag", "logistics_slow"),
            ("include_flagged", "true"),
        ])
        .unwrap();
        assert_eq!(
            (f.from, f.to, f.days()),
            (date!(2026 - 11 - 01), date!(2026 - 11 - 30), 30)
        );
        assert_eq!(f.version, Some(2));
        assert_eq!(f.channel.as_deref(), Some(""));
        assert!(f.include_flagged);
        let p = f.previous();
        assert_eq!(
            (p.from, p.to),
            (date!(2026 - 10 - 02), date!(2026 - 10 - 31))
        );
        assert_eq!(f.selection(None).level, 2);
    }

    #[test]
    fn the_default_range_is_the_last_thirty_days() {
        let f = parse(&[("to", "2026-11-30")]).unwrap();
        assert_eq!(f.from, date!(2026 - 11 - 01));
        assert!(!f.include_flagged);
        assert_eq!(f.selection(None).level, 0);
        assert_eq!(f.selection(Some(GroupBy::Channel)).level, 3);
        assert_eq!(f.selection(Some(GroupBy::Locale)).level, 5);
        let segment = Filter {
            segment: Some("vip".into()),
            ..f.clone()
        };
        assert_eq!(segment.selection(None).level, 4);
        assert_eq!(segment.selection(Some(GroupBy::Channel)).level, 1);
        assert_eq!(segment.selection(Some(GroupBy::Segment)).level, 4);
        // A tag alone reads the tag level; with a context column, level 2.
        assert_eq!(f.selection(Some(GroupBy::Tag)).level, 6);
        let tag = Filter {
            tag: Some("price".into()),
            ..f.clone()
        };
        assert_eq!(tag.selection(None).level, 6);
        assert_eq!(tag.selection(Some(GroupBy::Question)).level, 6);
        assert_eq!(tag.selection(Some(GroupBy::Channel)).level, 2);
        assert_eq!(segment.selection(Some(GroupBy::Tag)).level, 2);
    }

    #[test]
    fn every_bad_parameter_is_reported_with_its_code() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: &[Case<'_>] = &[
            (&[("from", "2026-13-01")], "from", "bad_date"),
            (&[("to", "yesterday")], "to", "bad_date"),
            // Far years would overflow the bucket and previous-period arithmetic.
            (&[("to", "9999-12-31")], "to", "bad_date"),
            (&[("from", "1999-12-31")], "from", "bad_date"),
            (
                &[("from", "2026-11-02"), ("to", "2026-11-01")],
                "from",
                "bad_range",
            ),
            (
                &[("from", "2000-01-01"), ("to", "2026-11-01")],
                "from",
                "bad_range",
            ),
            (&[("version", "2")], "version", "needs_survey"),
            (&[("survey", "s"), ("version", "x")], "version", "bad_value"),
            (
                &[("include_flagged", "yes")],
                "include_flagged",
                "bad_value",
            ),
            (&[("colour", "red")], "colour", "unknown_parameter"),
            (&[("survey", "a"), ("survey", "b")], "survey", "bad_value"),
        ];
        for (q, param, code) in cases {
            let problems = parse(q).unwrap_err();
            assert!(
                problems
                    .iter()
                    .any(|p| p.question == *param && p.code == *code),
                "{q:?}: {problems:?}"
            );
        }
        let both = parse(&[("from", "x"), ("to", "y")]).unwrap_err();
        assert_eq!(both.len(), 2);
    }
}
