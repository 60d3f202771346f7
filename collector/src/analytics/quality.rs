//! Data-quality checks: which responses reports should not trust blindly.
//!
//! A flagged response is never dropped, only marked (`response_analysis.flags`);
//! reports leave flagged responses out by default and say how many. The
//! checks here are pure; the duplicate check needs other responses and is
//! answered by one batched store lookup (`store::analysis`), with the rule
//! stated in [`Flag::SuspectedDuplicate`].

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::facts::Score;

/// A data-quality flag. The codes are stored and public (reports, exports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// The same answer on every answered rating question, when there are at
    /// least [`STRAIGHT_LINING_MIN`] of them. "The same" is the same
    /// position on each question's scale (5 on a 1–5 Likert is 10 on NPS),
    /// so a survey mixing scales is judged the way a respondent clicking
    /// down one column would answer it.
    StraightLining,
    /// Submitted faster than the survey's minimum (see [`too_fast`]).
    TooFast,
    /// A top-box rating beside a bottom-box one (e.g. NPS 10 with CSAT 1):
    /// see [`contradictory`].
    Contradictory,
    /// The same customer of the same site answered before, for another order
    /// (or without an order), within the survey's duplicate window. Only the
    /// later response is flagged: the first one is the genuine answer, and
    /// a response's flags never change once analysed.
    SuspectedDuplicate,
}

impl Flag {
    /// Every flag, in the order they are stored.
    pub const ALL: [Flag; 4] = [
        Flag::StraightLining,
        Flag::TooFast,
        Flag::Contradictory,
        Flag::SuspectedDuplicate,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Flag::StraightLining => "straight_lining",
            Flag::TooFast => "too_fast",
            Flag::Contradictory => "contradictory",
            Flag::SuspectedDuplicate => "suspected_duplicate",
        }
    }
}

/// Straight-lining needs at least this many answered rating questions: with
/// fewer, equal answers are too likely to be honest.
pub const STRAIGHT_LINING_MIN: usize = 4;

/// The duplicate window when a survey has no settings: a day.
pub const DEFAULT_DUPLICATE_WINDOW_MINUTES: u32 = 1440;

/// Without settings nor `display.min_seconds`, a response faster than this
/// per answered question is too fast: reading a question and tapping an
/// answer takes longer than that.
pub const DEFAULT_SECONDS_PER_ANSWER: u32 = 2;

/// Client durations longer than this are not believed (a tab left open for
/// days, a wrong clock): no duration, so no `too_fast`.
pub const MAX_DURATION_MS: i64 = 24 * 60 * 60 * 1000;

/// Limits of the per-survey settings.
pub const MAX_MIN_SECONDS: u32 = 3600;
/// A year.
pub const MAX_DUPLICATE_WINDOW_MINUTES: u32 = 525_600;

/// A survey's stored settings (`survey_quality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QualitySettings {
    /// Below this many seconds a response is too fast; 0 disables the check.
    pub min_seconds: u32,
    /// Duplicate window in minutes; 0 disables the check.
    pub duplicate_window_minutes: u32,
}

/// The thresholds applied to one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Too fast below this (milliseconds); 0: never.
    pub min_duration_ms: i64,
    /// Duplicate window (minutes); 0: no duplicate check.
    pub duplicate_window_minutes: u32,
}

impl Thresholds {
    /// The thresholds for a response with `answered` answers: the survey's
    /// stored settings; else its `display.min_seconds` and the default
    /// window; else [`DEFAULT_SECONDS_PER_ANSWER`] per answer and the
    /// default window.
    pub fn resolve(
        stored: Option<QualitySettings>,
        display_min_seconds: Option<u32>,
        answered: usize,
    ) -> Self {
        match stored {
            Some(s) => Self {
                min_duration_ms: i64::from(s.min_seconds) * 1000,
                duplicate_window_minutes: s.duplicate_window_minutes,
            },
            None => {
                let seconds = display_min_seconds.map_or_else(
                    || {
                        i64::from(DEFAULT_SECONDS_PER_ANSWER)
                            * i64::try_from(answered).unwrap_or(i64::MAX / 4000)
                    },
                    i64::from,
                );
                Self {
                    min_duration_ms: seconds.saturating_mul(1000),
                    duplicate_window_minutes: DEFAULT_DUPLICATE_WINDOW_MINUTES,
                }
            }
        }
    }
}

/// `submitted_at − shown_at` in milliseconds, by the client's clock. `None`
/// when either is missing or unparsable, or the difference is negative or
/// longer than [`MAX_DURATION_MS`].
pub fn duration_ms(shown_at: Option<&str>, submitted_at: Option<&str>) -> Option<i64> {
    let shown = OffsetDateTime::parse(shown_at?, &Rfc3339).ok()?;
    let submitted = OffsetDateTime::parse(submitted_at?, &Rfc3339).ok()?;
    let ms = i64::try_from((submitted - shown).whole_milliseconds()).ok()?;
    (0..=MAX_DURATION_MS).contains(&ms).then_some(ms)
}

/// Whether the response took less than the minimum. Unknown duration: no.
pub fn too_fast(duration_ms: Option<i64>, thresholds: &Thresholds) -> bool {
    duration_ms.is_some_and(|d| d < thresholds.min_duration_ms)
}

/// The position of `score` on its scale as a fraction `num / den`, so
/// positions compare exactly (no floating point).
fn position(score: &Score) -> (i64, i64) {
    (score.value - score.min, (score.max - score.min).max(1))
}

/// See [`Flag::StraightLining`].
pub fn straight_lining(scores: &[Score]) -> bool {
    let Some(first) = scores.first() else {
        return false;
    };
    if scores.len() < STRAIGHT_LINING_MIN {
        return false;
    }
    let (n0, d0) = position(first);
    scores.iter().all(|s| {
        let (n, d) = position(s);
        n * d0 == n0 * d
    })
}

/// Top box: at least 90 % up the scale (NPS 9–10, CSAT 5, CES 7, Likert
/// top point). Bottom box: at most 10 % (NPS 0–1, CSAT 1, CES 1, Likert 1).
/// A response with both is contradictory: nobody is at once delighted and
/// appalled by the same purchase; one of the answers is a misclick or noise.
pub fn contradictory(scores: &[Score]) -> bool {
    let top = |s: &Score| {
        let (n, d) = position(s);
        n * 10 >= d * 9
    };
    let bottom = |s: &Score| {
        let (n, d) = position(s);
        n * 10 <= d
    };
    scores.iter().any(top) && scores.iter().any(bottom)
}

/// The flags of one response (the duplicate check comes from the store).
pub fn flags(
    scores: &[Score],
    duration_ms: Option<i64>,
    thresholds: &Thresholds,
    duplicate: bool,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    if straight_lining(scores) {
        flags.push(Flag::StraightLining);
    }
    if too_fast(duration_ms, thresholds) {
        flags.push(Flag::TooFast);
    }
    if contradictory(scores) {
        flags.push(Flag::Contradictory);
    }
    if duplicate {
        flags.push(Flag::SuspectedDuplicate);
    }
    flags
}

/// A problem with settings given through the admin API: (field, code, message).
pub type SettingsProblem = (&'static str, &'static str, String);

/// Checks settings from the admin API.
pub fn check_settings(min_seconds: i64, duplicate_window_minutes: i64) -> Vec<SettingsProblem> {
    let mut problems = Vec::new();
    if !(0..=i64::from(MAX_MIN_SECONDS)).contains(&min_seconds) {
        problems.push((
            "min_seconds",
            "out_of_range",
            format!("min_seconds must be 0..={MAX_MIN_SECONDS} (0 disables too_fast)"),
        ));
    }
    if !(0..=i64::from(MAX_DUPLICATE_WINDOW_MINUTES)).contains(&duplicate_window_minutes) {
        problems.push((
            "duplicate_window_minutes",
            "out_of_range",
            format!(
                "duplicate_window_minutes must be 0..={MAX_DUPLICATE_WINDOW_MINUTES} \
                 (0 disables suspected_duplicate)"
            ),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::super::facts::ScoreKind;
    use super::*;

    fn likert(v: i64) -> Score {
        Score::new(ScoreKind::Likert, v)
    }

    #[test]
    fn four_identical_ratings_are_straight_lining_three_are_not() {
        assert!(straight_lining(&[
            likert(3),
            likert(3),
            likert(3),
            likert(3)
        ]));
        assert!(!straight_lining(&[likert(3), likert(3), likert(3)]));
        assert!(!straight_lining(&[
            likert(3),
            likert(3),
            likert(3),
            likert(4)
        ]));
        assert!(!straight_lining(&[]));
    }

    #[test]
    fn straight_lining_compares_positions_across_scales() {
        let nps10 = Score::new(ScoreKind::Nps, 10);
        assert!(straight_lining(&[likert(5), likert(5), likert(5), nps10]));
        // 5 on NPS is the middle, like 3 on a 5-point Likert.
        let nps5 = Score::new(ScoreKind::Nps, 5);
        assert!(straight_lining(&[likert(3), likert(3), likert(3), nps5]));
        // Raw 5 everywhere is not the same position.
        assert!(!straight_lining(&[likert(5), likert(5), likert(5), nps5]));
    }

    #[test]
    fn top_box_beside_bottom_box_is_contradictory() {
        let nps = |v| Score::new(ScoreKind::Nps, v);
        let csat = |v| Score::new(ScoreKind::Csat, v);
        let ces = |v| Score::new(ScoreKind::Ces, v);
        assert!(contradictory(&[nps(10), csat(1)]));
        assert!(contradictory(&[nps(9), csat(1)]));
        assert!(contradictory(&[nps(1), csat(5)]));
        assert!(contradictory(&[ces(7), likert(1)]));
        assert!(!contradictory(&[nps(8), csat(1)]));
        assert!(!contradictory(&[nps(10), csat(2)]));
        assert!(!contradictory(&[nps(2), csat(5)]));
        assert!(!contradictory(&[nps(10)]));
        assert!(!contradictory(&[]));
    }

    #[test]
    fn durations_come_from_client_times_and_absurd_ones_are_dropped() {
        let d = |a: Option<&str>, b: Option<&str>| duration_ms(a, b);
        assert_eq!(
            d(Some("2026-11-23T08:00:00Z"), Some("2026-11-23T08:00:41.5Z")),
            Some(41_500)
        );
        assert_eq!(
            d(
                Some("2026-11-23T16:00:00+08:00"),
                Some("2026-11-23T08:00:03Z")
            ),
            Some(3000)
        );
        assert_eq!(d(None, Some("2026-11-23T08:00:00Z")), None);
        assert_eq!(d(Some("2026-11-23T08:00:00Z"), None), None);
        assert_eq!(d(Some("yesterday"), Some("2026-11-23T08:00:00Z")), None);
        assert_eq!(
            d(Some("2026-11-23T08:00:10Z"), Some("2026-11-23T08:00:00Z")),
            None
        );
        assert_eq!(
            d(Some("2026-11-20T08:00:00Z"), Some("2026-11-23T08:00:00Z")),
            None
        );
    }

    #[test]
    fn thresholds_come_from_settings_then_the_survey_then_the_answer_count() {
        let stored = QualitySettings {
            min_seconds: 20,
            duplicate_window_minutes: 60,
        };
        assert_eq!(
            Thresholds::resolve(Some(stored), Some(5), 3),
            Thresholds {
                min_duration_ms: 20_000,
                duplicate_window_minutes: 60
            }
        );
        assert_eq!(
            Thresholds::resolve(None, Some(5), 3),
            Thresholds {
                min_duration_ms: 5_000,
                duplicate_window_minutes: 1440
            }
        );
        assert_eq!(
            Thresholds::resolve(None, None, 3),
            Thresholds {
                min_duration_ms: 6_000,
                duplicate_window_minutes: 1440
            }
        );
    }

    #[test]
    fn too_fast_is_strictly_below_the_minimum_and_zero_disables_it() {
        let t = Thresholds {
            min_duration_ms: 6000,
            duplicate_window_minutes: 0,
        };
        assert!(too_fast(Some(5999), &t));
        assert!(!too_fast(Some(6000), &t));
        assert!(!too_fast(None, &t));
        let off = Thresholds {
            min_duration_ms: 0,
            duplicate_window_minutes: 0,
        };
        assert!(!too_fast(Some(0), &off));
    }

    #[test]
    fn flags_are_listed_in_their_fixed_order() {
        let t = Thresholds {
            min_duration_ms: 10_000,
            duplicate_window_minutes: 60,
        };
        let all5 = [likert(5), likert(5), likert(5), likert(5)];
        assert_eq!(
            flags(&all5, Some(1000), &t, true),
            vec![
                Flag::StraightLining,
                Flag::TooFast,
                Flag::SuspectedDuplicate
            ]
        );
        let mixed = [
            Score::new(ScoreKind::Nps, 10),
            Score::new(ScoreKind::Csat, 1),
        ];
        assert_eq!(
            flags(&mixed, Some(20_000), &t, false),
            vec![Flag::Contradictory]
        );
        assert_eq!(flags(&[], None, &t, false), vec![]);
        let codes: Vec<&str> = Flag::ALL.iter().map(|f| f.code()).collect();
        assert_eq!(
            codes,
            [
                "straight_lining",
                "too_fast",
                "contradictory",
                "suspected_duplicate"
            ]
        );
    }

    #[test]
    fn settings_out_of_range_are_refused_per_field() {
        assert_eq!(check_settings(0, 0), vec![]);
        assert_eq!(check_settings(3600, 525_600), vec![]);
        let fields: Vec<(&str, &str)> = check_settings(-1, 525_601)
            .into_iter()
            .map(|(f, c, _)| (f, c))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("min_seconds", "out_of_range"),
                ("duplicate_window_minutes", "out_of_range")
            ]
        );
    }
}
