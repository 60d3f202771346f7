//! Reporting days: calendar days in a fixed UTC offset, and the week and
//! month buckets of trends.
//!
//! Users are in China, so a "day" is a day in UTC+08:00 (no daylight saving
//! there). The offset is fixed rather than configurable because the rollups
//! store days in it: changing it would mean rebuilding them.

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// The reporting offset: UTC+08:00 (China standard time).
pub const REPORT_OFFSET: UtcOffset = offset!(+8);

/// The reporting offset as shown in answers.
pub const REPORT_OFFSET_TEXT: &str = "+08:00";

/// The reporting day of a stored RFC 3339 timestamp (`received_at`).
pub fn day_of(timestamp: &str) -> Option<Date> {
    OffsetDateTime::parse(timestamp, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(REPORT_OFFSET).date())
}

/// `YYYY-MM-DD`.
pub fn format_day(d: Date) -> String {
    let f = format_description!("[year]-[month]-[day]");
    // Formatting a Date with this description only fails for years beyond
    // four digits, which parse_day and day_of never produce.
    d.format(f).unwrap_or_default()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<Date> {
    let f = format_description!("[year]-[month]-[day]");
    Date::parse(s, f).ok()
}

/// Today in the reporting offset.
pub fn today() -> Date {
    OffsetDateTime::now_utc().to_offset(REPORT_OFFSET).date()
}

/// Trend bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// One reporting day.
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Interval {
    /// Parses `day`, `week` or `month`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    /// The name, as in the query.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The first day of the bucket holding `d`.
    pub fn start_of(self, d: Date) -> Date {
        match self {
            Self::Day => d,
            Self::Week => d - Duration::days(i64::from(d.weekday().number_days_from_monday())),
            // Day 1 exists in every month.
            Self::Month => d.replace_day(1).unwrap_or(d),
        }
    }

    /// The last day of the bucket holding `d`.
    pub fn end_of(self, d: Date) -> Date {
        match self {
            Self::Day => d,
            Self::Week => d + Duration::days(i64::from(6 - d.weekday().number_days_from_monday())),
            Self::Month => {
                let last = d.month().length(d.year());
                d.replace_day(last).unwrap_or(d)
            }
        }
    }
}

/// The buckets covering `from..=to`, each `(start, end)` inclusive and
/// clipped to the range.
pub fn buckets(from: Date, to: Date, interval: Interval) -> Vec<(Date, Date)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = interval.end_of(start).min(to);
        out.push((start, end));
        match end.next_day() {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_day_is_a_day_in_utc_plus_eight() {
        // 15:59:59 UTC is 23:59:59 in Beijing; 16:00 UTC is the next day there.
        assert_eq!(
            day_of("2026-11-23T15:59:59.999Z"),
            Some(date!(2026 - 11 - 23))
        );
        assert_eq!(
            day_of("2026-11-23T16:00:00.000Z"),
            Some(date!(2026 - 11 - 24))
        );
        assert_eq!(
            day_of("2026-12-31T16:00:00.000Z"),
            Some(date!(2027 - 01 - 01))
        );
        assert_eq!(day_of("not a time"), None);
    }

    #[test]
    fn days_parse_and_format() {
        assert_eq!(parse_day("2026-02-28"), Some(date!(2026 - 02 - 28)));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day("2026-2-3"), None);
        assert_eq!(format_day(date!(2026 - 02 - 03)), "2026-02-03");
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_months_are_calendar_months() {
        // 2026-11-23 is a Monday.
        assert_eq!(date!(2026 - 11 - 23).weekday(), time::Weekday::Monday);
        let w = Interval::Week;
        assert_eq!(w.start_of(date!(2026 - 11 - 29)), date!(2026 - 11 - 23));
        assert_eq!(w.end_of(date!(2026 - 11 - 23)), date!(2026 - 11 - 29));
        assert_eq!(
            Interval::Month.end_of(date!(2028 - 02 - 10)),
            date!(2028 - 02 - 29)
        );
        assert_eq!(
            Interval::Month.start_of(date!(2028 - 02 - 10)),
            date!(2028 - 02 - 01)
        );
    }

    #[test]
    fn buckets_cover_the_range_clipped_at_both_ends() {
        let b = buckets(date!(2026 - 11 - 20), date!(2026 - 12 - 02), Interval::Week);
        assert_eq!(
            b,
            vec![
                (date!(2026 - 11 - 20), date!(2026 - 11 - 22)),
                (date!(2026 - 11 - 23), date!(2026 - 11 - 29)),
                (date!(2026 - 11 - 30), date!(2026 - 12 - 02)),
            ]
        );
        let m = buckets(
            date!(2026 - 11 - 20),
            date!(2027 - 01 - 05),
            Interval::Month,
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m[1], (date!(2026 - 12 - 01), date!(2026 - 12 - 31)));
        assert_eq!(
            buckets(date!(2026 - 11 - 20), date!(2026 - 11 - 22), Interval::Day).len(),
            3
        );
    }
}
