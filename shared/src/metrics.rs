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

/// Mean of the scores within `lo..=hi` and how many there are; `None` if none.
fn mean_in(scores: &[i64], lo: i64, hi: i64) -> Option<(u64, f64)> {
    let (n, sum) = in_scale(scores, lo, hi).fold((0u64, 0i64), |(n, sum), s| (n + 1, sum + s));
    (n > 0).then(|| (n, sum as f64 / n as f64))
}

/// NPS of 0–10 answers; `None` when there are none.
pub fn nps(scores: &[i64]) -> Option<NpsSummary> {
    let (mut promoters, mut passives, mut detractors) = (0, 0, 0);
    for s in in_scale(scores, 0, 10) {
        match s {
            9..=10 => promoters += 1,
            7..=8 => passives += 1,
            _ => detractors += 1,
        }
    }
    let n = promoters + passives + detractors;
    (n > 0).then(|| NpsSummary {
        promoters,
        passives,
        detractors,
        n,
        score: pct(promoters, n) - pct(detractors, n),
    })
}

/// CSAT of 1–5 answers; `None` when there are none.
pub fn csat(scores: &[i64]) -> Option<CsatSummary> {
    let (n, mean) = mean_in(scores, 1, 5)?;
    let top2 = in_scale(scores, 4, 5).count() as u64;
    Some(CsatSummary {
        n,
        top2_pct: pct(top2, n),
        mean,
    })
}

/// CES of 1–7 answers (7 = very easy); `None` when there are none.
pub fn ces(scores: &[i64]) -> Option<CesSummary> {
    let (n, mean) = mean_in(scores, 1, 7)?;
    let easy = in_scale(scores, 5, 7).count() as u64;
    Some(CesSummary {
        n,
        mean,
        easy_pct: pct(easy, n),
    })
}

/// Mean of Likert answers on a `points`-point scale (1..=points); `None` when
/// there are none. Per SERVQUAL dimension: pass the answers of all questions
/// of that dimension together.
pub fn likert_mean(scores: &[i64], points: u8) -> Option<f64> {
    mean_in(scores, 1, i64::from(points)).map(|(_, mean)| mean)
}

/// Response rate as a fraction: `submitted / shown`; `None` when nothing was
/// shown. Not clamped: above 1 means submissions without a recorded
/// impression (e.g. hosted-page links), which a report should show, not hide.
pub fn response_rate(submitted: u64, shown: u64) -> Option<f64> {
    (shown > 0).then(|| submitted as f64 / shown as f64)
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
}
