//! Metric definitions: the one place that says what NPS, CSAT, CES, a Likert
//! mean and the response rate are, so reports and the dashboard agree.
//!
//! Every function is pure and takes the scores of one question. Each returns
//! `None` when there is nothing to summarise (no scores, nothing shown) rather
//! than a misleading 0. Scores outside a metric's scale cannot come out of
//! [`crate::rules::validate_response`]; should one reach these functions
//! anyway it is ignored (not counted in `n`) instead of skewing the figure.
//!
//! | metric | scale | figure |
//! |---|---|---|
//! | NPS | 0–10 | % promoters (9–10) − % detractors (0–6), −100…100 |
//! | CSAT | 1–5 | % of answers 4 or 5 (top-2-box), and the mean |
//! | CES | 1–7, **7 = very easy** | mean, and % of answers ≥ 5 |
//! | Likert | 1–5 or 1–7 | mean |
//! | response rate | — | submitted ÷ shown |
//!
//! Reports keep answers as counts per value ([`ValueCounts`], what the
//! collector's rollups store), so every figure also has a `*_from_counts`
//! form; the slice forms count first and share the same code, so both agree
//! by construction.
//!
//! ## Margins of error and small samples
//!
//! Every margin is the half-width of a 95 % confidence interval under the
//! normal approximation (z = [`Z95`]):
//! - a share `p` (top-2-box, % easy): `z·√(p(1−p)/n)`, in percentage points;
//! - a mean: `z·s/√n` with `s` the sample standard deviation (n − 1);
//! - NPS: each answer scores +1 (promoter), 0 (passive) or −1 (detractor);
//!   NPS is 100 × their mean, whose variance is `p + d − (p − d)²` (`p`, `d`
//!   the promoter and detractor shares), so the margin is
//!   `100·z·√((p + d − (p − d)²)/n)` NPS points.
//!
//! Margins are `None` below 2 answers (no spread to estimate). Figures from
//! fewer than [`LOW_SAMPLE`] answers are marked as low-sample: the normal
//! approximation is poor there and the figure moves a lot with one answer.

/// Net Promoter Score over a set of 0–10 answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NpsSummary {
    /// Answers of 9 or 10.
    pub promoters: u64,
    /// Answers of 7 or 8.
    pub passives: u64,
    /// Answers of 0 to 6.
    pub detractors: u64,
    /// All counted answers.
    pub n: u64,
    /// % promoters − % detractors, from −100 to 100.
    pub score: f64,
}

/// Customer satisfaction over a set of 1–5 answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsatSummary {
    /// Counted answers.
    pub n: u64,
    /// % of answers that are 4 or 5 (top-2-box), 0 to 100.
    pub top2_pct: f64,
    /// Mean answer, 1 to 5.
    pub mean: f64,
}

/// Customer effort over a set of 1–7 answers, where 7 = very easy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CesSummary {
    /// Counted answers.
    pub n: u64,
    /// Mean answer, 1 to 7 (higher is easier).
    pub mean: f64,
    /// % of answers that are 5 or more ("easy"), 0 to 100.
    pub easy_pct: f64,
}

/// The scores within `lo..=hi`.
fn in_scale(scores: &[i64], lo: i64, hi: i64) -> impl Iterator<Item = i64> + '_ {
    scores
        .iter()
        .copied()
        .filter(move |s| (lo..=hi).contains(s))
}

/// `part` as a percentage of `whole` (`whole` > 0).
fn pct(part: u64, whole: u64) -> f64 {
    100.0 * part as f64 / whole as f64
}

/// NPS of 0–10 answers; `None` when there are none.
pub fn nps(scores: &[i64]) -> Option<NpsSummary> {
    nps_from_counts(&counts_of(scores))
}

/// CSAT of 1–5 answers; `None` when there are none.
pub fn csat(scores: &[i64]) -> Option<CsatSummary> {
    csat_from_counts(&counts_of(scores))
}

/// CES of 1–7 answers (7 = very easy); `None` when there are none.
pub fn ces(scores: &[i64]) -> Option<CesSummary> {
    ces_from_counts(&counts_of(scores))
}

/// Mean of Likert answers on a `points`-point scale (1..=points); `None` when
/// there are none. Per SERVQUAL dimension: pass the answers of all questions
/// of that dimension together.
pub fn likert_mean(scores: &[i64], points: u8) -> Option<f64> {
    mean_from_counts(&counts_of(scores), 1, i64::from(points)).map(|m| m.mean)
}

/// Response rate as a fraction: `submitted / shown`; `None` when nothing was
/// shown. Not clamped: above 1 means submissions without a recorded
/// impression (e.g. hosted-page links), which a report should show, not hide.
pub fn response_rate(submitted: u64, shown: u64) -> Option<f64> {
    (shown > 0).then(|| submitted as f64 / shown as f64)
}

/// Answers of one rating question as counts per value: `counts[v]` is the
/// number of answers of value `v` (every scale, 0–10 NPS included, fits).
pub type ValueCounts = [u64; 11];

/// Adds `counts` to `sum`, value by value (answers of several groups,
/// days or versions summed before a figure is computed).
pub fn add_counts(sum: &mut ValueCounts, counts: &ValueCounts) {
    for (s, c) in sum.iter_mut().zip(counts) {
        *s += c;
    }
}

/// Below this many answers a figure is marked low-sample.
pub const LOW_SAMPLE: u64 = 30;

/// The two-sided 95 % normal quantile.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Whether a figure from `n` answers is low-sample (`n <` [`LOW_SAMPLE`]).
pub fn is_low_sample(n: u64) -> bool {
    n < LOW_SAMPLE
}

/// Counts per value of the scores within 0–10; others are ignored.
pub fn counts_of(scores: &[i64]) -> ValueCounts {
    let mut counts = [0; 11];
    for s in in_scale(scores, 0, 10) {
        // in_scale keeps 0..=10 only, so the index is in bounds.
        counts[s as usize] += 1;
    }
    counts
}

/// Answers within `lo..=hi` (clamped to 0–10).
fn n_in(counts: &ValueCounts, lo: i64, hi: i64) -> u64 {
    (lo.max(0)..=hi.min(10)).map(|v| counts[v as usize]).sum()
}

/// The spread and centre of answers on a scale, from counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSummary {
    /// Counted answers.
    pub n: u64,
    /// Mean answer.
    pub mean: f64,
    /// Median answer (the mean of the two middle answers when `n` is even).
    pub median: f64,
    /// Sample standard deviation (n − 1); `None` when `n` < 2.
    pub sd: Option<f64>,
}

impl MeanSummary {
    /// 95 % margin of error of the mean; `None` when `n` < 2.
    pub fn margin(&self) -> Option<f64> {
        mean_margin(self.sd, self.n)
    }
}

/// Mean, median and standard deviation of the answers within `lo..=hi`;
/// `None` when there are none.
pub fn mean_from_counts(counts: &ValueCounts, lo: i64, hi: i64) -> Option<MeanSummary> {
    let values = || (lo.max(0)..=hi.min(10)).map(|v| (v, counts[v as usize]));
    let n = n_in(counts, lo, hi);
    if n == 0 {
        return None;
    }
    let sum: f64 = values().map(|(v, c)| v as f64 * c as f64).sum();
    let mean = sum / n as f64;
    let sd = (n > 1).then(|| {
        let ss: f64 = values()
            .map(|(v, c)| c as f64 * (v as f64 - mean).powi(2))
            .sum();
        (ss / (n - 1) as f64).sqrt()
    });
    // The k-th answer in value order (0-based).
    let nth = |k: u64| {
        let mut seen = 0;
        for (v, c) in values() {
            seen += c;
            if seen > k {
                return v as f64;
            }
        }
        hi as f64
    };
    let median = if n % 2 == 1 {
        nth(n / 2)
    } else {
        (nth(n / 2 - 1) + nth(n / 2)) / 2.0
    };
    Some(MeanSummary {
        n,
        mean,
        median,
        sd,
    })
}

/// NPS from counts of 0–10 answers; `None` when there are none.
pub fn nps_from_counts(counts: &ValueCounts) -> Option<NpsSummary> {
    let promoters = n_in(counts, 9, 10);
    let passives = n_in(counts, 7, 8);
    let detractors = n_in(counts, 0, 6);
    let n = promoters + passives + detractors;
    (n > 0).then(|| NpsSummary {
        promoters,
        passives,
        detractors,
        n,
        score: pct(promoters, n) - pct(detractors, n),
    })
}

/// CSAT from counts of 1–5 answers; `None` when there are none.
pub fn csat_from_counts(counts: &ValueCounts) -> Option<CsatSummary> {
    let m = mean_from_counts(counts, 1, 5)?;
    Some(CsatSummary {
        n: m.n,
        top2_pct: pct(n_in(counts, 4, 5), m.n),
        mean: m.mean,
    })
}

/// CES from counts of 1–7 answers (7 = very easy); `None` when there are none.
pub fn ces_from_counts(counts: &ValueCounts) -> Option<CesSummary> {
    let m = mean_from_counts(counts, 1, 7)?;
    Some(CesSummary {
        n: m.n,
        mean: m.mean,
        easy_pct: pct(n_in(counts, 5, 7), m.n),
    })
}

/// 95 % margin of error, in NPS points; `None` when `n` < 2.
pub fn nps_margin(s: &NpsSummary) -> Option<f64> {
    if s.n < 2 {
        return None;
    }
    let n = s.n as f64;
    let (p, d) = (s.promoters as f64 / n, s.detractors as f64 / n);
    let variance = (p + d - (p - d).powi(2)).max(0.0);
    Some(100.0 * Z95 * (variance / n).sqrt())
}

/// 95 % margin of error of a percentage `pct` (0–100) of `n` answers, in
/// percentage points; `None` when `n` < 2.
pub fn proportion_margin(pct: f64, n: u64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let p = pct / 100.0;
    Some(100.0 * Z95 * (p * (1.0 - p) / n as f64).max(0.0).sqrt())
}

/// 95 % margin of error of a mean of `n` answers with sample standard
/// deviation `sd`; `None` when `n` < 2 or `sd` is unknown.
pub fn mean_margin(sd: Option<f64>, n: u64) -> Option<f64> {
    let sd = sd.filter(|_| n >= 2)?;
    Some(Z95 * sd / (n as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn nps_of_nothing_is_none() {
        assert_eq!(nps(&[]), None);
        assert_eq!(nps(&[11, -1]), None);
    }

    #[test]
    fn nps_of_one_answer() {
        let s = nps(&[10]).unwrap();
        assert_eq!((s.promoters, s.passives, s.detractors, s.n), (1, 0, 0, 1));
        assert!(close(s.score, 100.0));
        assert!(close(nps(&[6]).unwrap().score, -100.0));
        assert!(close(nps(&[7]).unwrap().score, 0.0));
    }

    #[test]
    fn nps_by_hand() {
        // 10 answers: promoters 9,10,9,10 (4); passives 7,8 (2); detractors 0,6,3,5 (4).
        // 40% − 40% = 0. Then add two promoters: 6/12 − 4/12 = 16.67.
        let s = nps(&[9, 10, 9, 10, 7, 8, 0, 6, 3, 5]).unwrap();
        assert_eq!((s.promoters, s.passives, s.detractors, s.n), (4, 2, 4, 10));
        assert!(close(s.score, 0.0));
        let s = nps(&[9, 10, 9, 10, 7, 8, 0, 6, 3, 5, 9, 9]).unwrap();
        assert!(close(s.score, 100.0 * 2.0 / 12.0), "{}", s.score);
        // Out-of-scale scores are not counted.
        assert_eq!(nps(&[10, 11]).unwrap().n, 1);
    }

    #[test]
    fn csat_is_top_two_box_and_mean() {
        assert_eq!(csat(&[]), None);
        let one = csat(&[4]).unwrap();
        assert_eq!(one.n, 1);
        assert!(close(one.top2_pct, 100.0) && close(one.mean, 4.0));
        // 1,2,3,4,5,5: top-2 = 3 of 6 = 50%; mean = 20/6.
        let s = csat(&[1, 2, 3, 4, 5, 5]).unwrap();
        assert_eq!(s.n, 6);
        assert!(close(s.top2_pct, 50.0));
        assert!(close(s.mean, 20.0 / 6.0));
        assert_eq!(csat(&[0, 6]), None);
    }

    #[test]
    fn ces_is_mean_and_share_at_least_five() {
        assert_eq!(ces(&[]), None);
        let one = ces(&[7]).unwrap();
        assert!(close(one.mean, 7.0) && close(one.easy_pct, 100.0));
        // 1,4,5,7: mean 17/4 = 4.25; ≥ 5: 2 of 4 = 50%.
        let s = ces(&[1, 4, 5, 7]).unwrap();
        assert_eq!(s.n, 4);
        assert!(close(s.mean, 4.25) && close(s.easy_pct, 50.0));
    }

    #[test]
    fn likert_mean_by_hand() {
        assert_eq!(likert_mean(&[], 5), None);
        assert_eq!(likert_mean(&[3], 5), Some(3.0));
        assert_eq!(likert_mean(&[1, 2, 5, 4], 5), Some(3.0));
        // A 6 counts on a 7-point scale but not on a 5-point one.
        assert_eq!(likert_mean(&[6, 2], 7), Some(4.0));
        assert_eq!(likert_mean(&[6, 2], 5), Some(2.0));
    }

    #[test]
    fn response_rate_is_submitted_over_shown() {
        assert_eq!(response_rate(0, 0), None);
        assert_eq!(response_rate(5, 0), None);
        assert_eq!(response_rate(0, 4), Some(0.0));
        assert_eq!(response_rate(1, 4), Some(0.25));
        assert_eq!(response_rate(3, 2), Some(1.5));
    }
    #[test]
    fn counts_ignore_out_of_scale_scores() {
        let c = counts_of(&[0, 10, 10, 11, -1, 5]);
        assert_eq!(c, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2]);
        assert_eq!(counts_of(&[]), [0; 11]);
    }

    #[test]
    fn counts_add_value_by_value() {
        let mut sum = counts_of(&[1, 5, 5]);
        add_counts(&mut sum, &counts_of(&[5, 10, 0]));
        assert_eq!(sum, [1, 1, 0, 0, 0, 3, 0, 0, 0, 0, 1]);
        add_counts(&mut sum, &[0; 11]);
        assert_eq!(sum, counts_of(&[1, 5, 5, 5, 10, 0]));
    }

    #[test]
    fn mean_median_and_spread_from_counts_by_hand() {
        assert_eq!(mean_from_counts(&[0; 11], 1, 5), None);
        // One answer: mean = median = the answer, no spread, no margin.
        let one = mean_from_counts(&counts_of(&[3]), 1, 5).unwrap();
        assert_eq!((one.n, one.mean, one.median, one.sd), (1, 3.0, 3.0, None));
        assert_eq!(one.margin(), None);
        // 1,2,4,5: mean 3, median (2+4)/2 = 3, deviations −2,−1,1,2 →
        // s² = 10/3, margin = 1.96·√(10/3)/√4 = 1.78919.
        let m = mean_from_counts(&counts_of(&[1, 2, 5, 4]), 1, 5).unwrap();
        assert_eq!((m.n, m.mean, m.median), (4, 3.0, 3.0));
        assert!(close(m.sd.unwrap(), (10.0f64 / 3.0).sqrt()));
        assert!((m.margin().unwrap() - 1.789_194).abs() < 1e-6);
        // Odd count: the middle answer. 1,1,5 → median 1, mean 7/3.
        let m = mean_from_counts(&counts_of(&[1, 1, 5]), 1, 5).unwrap();
        assert_eq!(m.median, 1.0);
        assert!(close(m.mean, 7.0 / 3.0));
        // Values outside lo..=hi do not count: 0 and 6 on a 1–5 scale.
        let m = mean_from_counts(&counts_of(&[0, 6, 2]), 1, 5).unwrap();
        assert_eq!((m.n, m.mean, m.median), (1, 2.0, 2.0));
    }

    #[test]
    fn counts_and_slices_give_the_same_figures() {
        let scores = [9, 10, 9, 10, 7, 8, 0, 6, 3, 5, 9, 9];
        assert_eq!(nps(&scores), nps_from_counts(&counts_of(&scores)));
        let scores = [1, 2, 3, 4, 5, 5];
        assert_eq!(csat(&scores), csat_from_counts(&counts_of(&scores)));
        let scores = [1, 4, 5, 7];
        assert_eq!(ces(&scores), ces_from_counts(&counts_of(&scores)));
        assert_eq!(nps_from_counts(&[0; 11]), None);
        assert_eq!(csat_from_counts(&[0; 11]), None);
        assert_eq!(ces_from_counts(&[0; 11]), None);
    }

    #[test]
    fn nps_margin_by_hand() {
        // 4 promoters, 2 passives, 4 detractors: p = d = 0.4, variance
        // 0.8 − 0² = 0.8, margin = 100·1.96·√(0.8/10) = 55.4362 points.
        let s = nps(&[9, 10, 9, 10, 7, 8, 0, 6, 3, 5]).unwrap();
        assert!((nps_margin(&s).unwrap() - 55.436_153).abs() < 1e-5);
        // Everybody a promoter: no spread, margin 0.
        let s = nps(&[10, 9, 10]).unwrap();
        assert!(close(nps_margin(&s).unwrap(), 0.0));
        // One answer: no margin.
        assert_eq!(nps_margin(&nps(&[10]).unwrap()), None);
    }

    #[test]
    fn proportion_and_mean_margins_by_hand() {
        // 50 % of 100: 100·1.96·√(0.25/100) = 9.7998 points.
        assert!((proportion_margin(50.0, 100).unwrap() - 9.799_820).abs() < 1e-5);
        assert!(close(proportion_margin(100.0, 40).unwrap(), 0.0));
        assert_eq!(proportion_margin(100.0, 1), None);
        assert_eq!(proportion_margin(50.0, 0), None);
        // s = 2, n = 16: 1.96·2/4 = 0.98.
        assert!(close(mean_margin(Some(2.0), 16).unwrap(), Z95 / 2.0));
        assert_eq!(mean_margin(None, 16), None);
        assert_eq!(mean_margin(Some(1.0), 1), None);
    }

    #[test]
    fn low_sample_below_thirty_answers() {
        assert!(is_low_sample(0));
        assert!(is_low_sample(29));
        assert!(!is_low_sample(30));
    }
}
