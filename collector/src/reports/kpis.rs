//! The figures of one period, group or trend bucket ([`Kpis`]), built from
//! summed rollup counts with the metric definitions of
//! [`manyi_shared::metrics`] (NPS = % promoters 9–10 − % detractors 0–6;
//! CSAT = % of 4–5 answers on 1–5, and the mean; CES on 1–7 with 7 = very
//! easy: mean and % ≥ 5; response rate = submitted ÷ shown; margins of error
//! at 95 %; low-sample below [`metrics::LOW_SAMPLE`] answers).

use manyi_shared::metrics::{self, ValueCounts};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::durations::median_seconds;

/// NPS of a set of answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NpsFigure {
    /// Answers.
    pub n: u64,
    /// Answers 9–10.
    pub promoters: u64,
    /// Answers 7–8.
    pub passives: u64,
    /// Answers 0–6.
    pub detractors: u64,
    /// % promoters − % detractors, −100…100.
    pub score: f64,
    /// 95 % margin of error in NPS points; null when n < 2.
    pub margin: Option<f64>,
    /// n below the low-sample threshold.
    pub low_sample: bool,
}

/// CSAT of a set of 1–5 answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CsatFigure {
    /// Answers.
    pub n: u64,
    /// % of answers 4 or 5.
    pub top2_pct: f64,
    /// Mean answer.
    pub mean: f64,
    /// 95 % margin of `top2_pct`, in percentage points.
    pub top2_margin: Option<f64>,
    /// 95 % margin of the mean.
    pub mean_margin: Option<f64>,
    /// n below the low-sample threshold.
    pub low_sample: bool,
}

/// CES of a set of 1–7 answers (7 = very easy).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CesFigure {
    /// Answers.
    pub n: u64,
    /// Mean answer.
    pub mean: f64,
    /// % of answers ≥ 5.
    pub easy_pct: f64,
    /// 95 % margin of the mean.
    pub mean_margin: Option<f64>,
    /// 95 % margin of `easy_pct`, in percentage points.
    pub easy_margin: Option<f64>,
    /// n below the low-sample threshold.
    pub low_sample: bool,
}

/// The figures of one period, group or bucket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Kpis {
    /// Responses counted.
    pub responses: u64,
    /// Flagged responses left out (0 with include_flagged=true).
    pub excluded_flagged: u64,
    /// 'shown' events; null where impressions cannot be known (question
    /// and tag filters or groups). Under version and context filters and
    /// groups, the impressions with that context, on the days (per survey)
    /// not left out (see [`super::rate`]).
    pub shown: Option<u64>,
    /// Under version and context filters: the impressions stored without
    /// context on this figure's days (counted days and left-out days), which
    /// no context figure can hold; null where every impression counts,
    /// where the rate is unknown, and for breakdown groups (an impression
    /// without context belongs to no group: the breakdown reports the
    /// total).
    pub shown_without_context: Option<u64>,
    /// Under version and context filters: the (reporting day, survey)
    /// pairs left out of this figure's rate because more than
    /// [`super::rate::MAX_WITHOUT_CONTEXT_PCT`] % of their impressions came
    /// without context (for a breakdown group: those in which the group has
    /// impressions or responses); null where the rule does not apply.
    pub days_left_out: Option<u64>,
    /// Submitted responses (flagged ones included) of the days left out,
    /// not in the rate's numerator: response_rate = (responses +
    /// excluded_flagged − responses_left_out) ÷ shown.
    pub responses_left_out: u64,
    /// submitted ÷ shown as a fraction; null when shown is null or 0.
    pub response_rate: Option<f64>,
    /// Median completion time in seconds; null when none is timed.
    pub median_seconds: Option<f64>,
    /// Responses with a completion time.
    pub timed: u64,
    /// NPS; null without NPS answers.
    pub nps: Option<NpsFigure>,
    /// CSAT; null without CSAT answers.
    pub csat: Option<CsatFigure>,
    /// CES; null without CES answers.
    pub ces: Option<CesFigure>,
}

/// NPS figure of 0–10 counts.
pub fn nps_figure(c: &ValueCounts) -> Option<NpsFigure> {
    let s = metrics::nps_from_counts(c)?;
    Some(NpsFigure {
        n: s.n,
        promoters: s.promoters,
        passives: s.passives,
        detractors: s.detractors,
        score: s.score,
        margin: metrics::nps_margin(&s),
        low_sample: metrics::is_low_sample(s.n),
    })
}

/// CSAT figure of 1–5 counts.
pub fn csat_figure(c: &ValueCounts) -> Option<CsatFigure> {
    let s = metrics::csat_from_counts(c)?;
    let m = metrics::mean_from_counts(c, 1, 5)?;
    Some(CsatFigure {
        n: s.n,
        top2_pct: s.top2_pct,
        mean: s.mean,
        top2_margin: metrics::proportion_margin(s.top2_pct, s.n),
        mean_margin: m.margin(),
        low_sample: metrics::is_low_sample(s.n),
    })
}

/// CES figure of 1–7 counts.
pub fn ces_figure(c: &ValueCounts) -> Option<CesFigure> {
    let s = metrics::ces_from_counts(c)?;
    let m = metrics::mean_from_counts(c, 1, 7)?;
    Some(CesFigure {
        n: s.n,
        mean: s.mean,
        easy_pct: s.easy_pct,
        mean_margin: m.margin(),
        easy_margin: metrics::proportion_margin(s.easy_pct, s.n),
        low_sample: metrics::is_low_sample(s.n),
    })
}

/// a + b, where either is known.
fn add_known(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

/// Sums of one group, before they become [`Kpis`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiSums {
    /// Responses counted.
    pub responses: u64,
    /// Flagged responses left out.
    pub excluded_flagged: u64,
    /// With a completion time.
    pub timed: u64,
    /// Completion-time histogram.
    pub durations: BTreeMap<u16, u64>,
    /// Answers per value, per question kind.
    pub scores: BTreeMap<String, ValueCounts>,
    /// Impressions, when known.
    pub shown: Option<u64>,
    /// Submitted responses left out of the response rate's numerator
    /// because their day's impressions cannot be placed under the filter
    /// (stored without context: see [`super::rate`]); never more than
    /// `responses + excluded_flagged`.
    pub unrated: u64,
    /// Impressions without context of the figure's days, where reported
    /// (see [`Kpis::shown_without_context`]).
    pub shown_without_context: Option<u64>,
    /// Days left out of the rate, where the rule applies (see
    /// [`Kpis::days_left_out`]).
    pub days_left_out: Option<u64>,
}

impl KpiSums {
    /// Adds answer counts of `kind`.
    pub fn add_scores(&mut self, kind: &str, counts: &ValueCounts) {
        let sum = self.scores.entry(kind.to_owned()).or_insert([0; 11]);
        metrics::add_counts(sum, counts);
    }

    /// Adds another group's sums (trend buckets of several days).
    pub fn merge(&mut self, other: &KpiSums) {
        self.responses += other.responses;
        self.excluded_flagged += other.excluded_flagged;
        self.timed += other.timed;
        self.unrated += other.unrated;
        for (b, c) in &other.durations {
            *self.durations.entry(*b).or_default() += c;
        }
        for (kind, counts) in &other.scores {
            self.add_scores(kind, counts);
        }
        self.shown = add_known(self.shown, other.shown);
        self.shown_without_context =
            add_known(self.shown_without_context, other.shown_without_context);
        self.days_left_out = add_known(self.days_left_out, other.days_left_out);
    }

    /// The figures.
    pub fn kpis(&self) -> Kpis {
        let counts = |kind: &str| self.scores.get(kind).copied().unwrap_or([0; 11]);
        Kpis {
            responses: self.responses,
            excluded_flagged: self.excluded_flagged,
            shown: self.shown,
            shown_without_context: self.shown_without_context,
            days_left_out: self.days_left_out,
            responses_left_out: self.unrated,
            // Submitted / shown (DESIGN.md): a flagged response was still
            // submitted, so the responses left out of the other figures
            // count here; responses of days whose impressions are not in
            // `shown` do not (see `unrated`).
            response_rate: self.shown.and_then(|shown| {
                let submitted =
                    (self.responses + self.excluded_flagged).saturating_sub(self.unrated);
                metrics::response_rate(submitted, shown)
            }),
            median_seconds: median_seconds(&self.durations),
            timed: self.timed,
            nps: nps_figure(&counts("nps")),
            csat: csat_figure(&counts("csat")),
            ces: ces_figure(&counts("ces")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sums_give_zero_counts_and_no_figures() {
        let k = KpiSums::default().kpis();
        assert_eq!((k.responses, k.timed, k.excluded_flagged), (0, 0, 0));
        assert_eq!((k.nps, k.csat, k.ces), (None, None, None));
        assert_eq!(
            (k.shown, k.response_rate, k.median_seconds),
            (None, None, None)
        );
        // Shown known but zero: no rate (not 0, not infinity).
        let k = KpiSums {
            shown: Some(0),
            ..KpiSums::default()
        }
        .kpis();
        assert_eq!(k.response_rate, None);
    }

    #[test]
    fn one_answer_has_a_figure_without_margin_and_is_low_sample() {
        let mut s = KpiSums {
            responses: 1,
            ..KpiSums::default()
        };
        s.add_scores("csat", &metrics::counts_of(&[5]));
        let c = s.kpis().csat.unwrap();
        assert_eq!((c.n, c.top2_pct, c.mean), (1, 100.0, 5.0));
        assert_eq!((c.top2_margin, c.mean_margin), (None, None));
        assert!(c.low_sample);
    }

    #[test]
    fn merged_days_add_up() {
        let mut a = KpiSums {
            responses: 2,
            shown: Some(4),
            ..KpiSums::default()
        };
        a.add_scores("nps", &metrics::counts_of(&[10, 0]));
        let mut b = KpiSums {
            responses: 1,
            shown: None,
            excluded_flagged: 3,
            ..KpiSums::default()
        };
        b.add_scores("nps", &metrics::counts_of(&[9]));
        a.merge(&b);
        let k = a.kpis();
        assert_eq!((k.responses, k.excluded_flagged, k.shown), (3, 3, Some(4)));
        // Submitted = 3 counted + 3 flagged, over 4 shown.
        assert_eq!(k.response_rate, Some(1.5));
        let nps = k.nps.unwrap();
        assert_eq!((nps.promoters, nps.detractors, nps.n), (2, 1, 3));
        assert!((nps.score - 100.0 / 3.0).abs() < 1e-9);
    }
}
