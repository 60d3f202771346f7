//! SERVQUAL dimension means, and per-question Likert means, on one scale.
//!
//! A dimension gathers every Likert question tagged with it, and a Likert
//! question has 5 or 7 points. Averaging raw answers would let a 7-point
//! item pull its dimension above a 5-point one for the same opinion, so
//! each answer is first put on 1–5 linearly:
//!
//! ```text
//! x = 1 + (v − 1) · 4 / (points − 1)      (7 points: 1, 1.67, 2.33, 3, 3.67, 4.33, 5)
//! ```
//!
//! The rollups keep answer counts per question and survey version
//! (migration 0007), and a version's definition fixes each question's
//! scale, so the dimension mean is computed at report time from those
//! counts: exact, whatever scales were mixed, and without a rollup change.
//! The mean, sample standard deviation and 95 % margin (1.96·s/√n) are
//! those of the rescaled answers. A question's own Likert mean, median and
//! margin are on 1–5 the same way ([`QuestionScales`]), each answer with the
//! scale of the version it answered: a question that went from 7 to 5
//! points keeps its old answers 6 and 7 (see [`super::questions`]).

use manyi_shared::metrics::{self, ValueCounts};
use manyi_shared::{QuestionKind, Survey};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::DimensionFigure;
use crate::store::{Store, StoreError};

/// The 1–5 value of answer `v` on a 1..=`points` scale.
pub fn on_five(v: i64, points: i64) -> f64 {
    if points <= 1 {
        return 1.0;
    }
    1.0 + (v - 1) as f64 * 4.0 / (points - 1) as f64
}

/// Rescaled answers of one dimension (or heat-map cell), summed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DimensionSums {
    /// Answers.
    pub n: u64,
    /// Σ rescaled answers.
    pub sum: f64,
    /// Σ rescaled answers².
    pub sum_sq: f64,
}

impl DimensionSums {
    /// Adds a Likert question's answer counts on a 1..=`points` scale
    /// (values outside it are not answers of that scale and are skipped).
    pub fn add(&mut self, counts: &ValueCounts, points: i64) {
        for v in 1..=points.min(10) {
            // 1..=10 lies within the counts.
            let c = counts[v as usize];
            if c == 0 {
                continue;
            }
            let x = on_five(v, points);
            self.n += c;
            self.sum += c as f64 * x;
            self.sum_sq += c as f64 * x * x;
        }
    }

    /// The figure: mean, margin and the low-sample mark.
    pub fn figure(&self, dimension: &str, key: Option<String>) -> DimensionFigure {
        let n = self.n;
        let mean = (n > 0).then(|| self.sum / n as f64);
        let sd = mean.filter(|_| n > 1).map(|m| {
            // Σ(x − m)² = Σx² − n·m²; rounding can leave a hair below 0.
            ((self.sum_sq - n as f64 * m * m).max(0.0) / (n - 1) as f64).sqrt()
        });
        DimensionFigure {
            dimension: dimension.to_owned(),
            key,
            n,
            mean,
            margin: metrics::mean_margin(sd, n),
            low_sample: metrics::is_low_sample(n),
        }
    }
}

/// One Likert question's answers per answered scale (points → answer
/// counts), summed over the survey versions that had that scale.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionScales(pub BTreeMap<i64, ValueCounts>);

impl QuestionScales {
    /// Adds answer counts given on a 1..=`points` scale.
    pub fn add(&mut self, counts: &ValueCounts, points: i64) {
        let sum = self.0.entry(points).or_insert([0; 11]);
        metrics::add_counts(sum, counts);
    }

    /// The answers on 1–5, summed (n, mean and margin: [`DimensionSums::figure`]).
    pub fn sums(&self) -> DimensionSums {
        let mut s = DimensionSums::default();
        for (points, counts) in &self.0 {
            s.add(counts, *points);
        }
        s
    }

    /// The median of the answers on 1–5 (the mean of the two middle ones
    /// when n is even, as [`metrics::mean_from_counts`]); `None` without
    /// answers.
    pub fn median(&self) -> Option<f64> {
        let mut values: Vec<(f64, u64)> = self
            .0
            .iter()
            .flat_map(|(points, counts)| {
                (1..=(*points).min(10)).map(move |v| (on_five(v, *points), counts[v as usize]))
            })
            .filter(|(_, c)| *c > 0)
            .collect();
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n: u64 = values.iter().map(|(_, c)| c).sum();
        if n == 0 {
            return None;
        }
        // The k-th answer in value order (0-based); k < n.
        let nth = |k: u64| {
            let mut seen = 0;
            for (x, c) in &values {
                seen += c;
                if seen > k {
                    return *x;
                }
            }
            5.0
        };
        Some(if n % 2 == 1 {
            nth(n / 2)
        } else {
            (nth(n / 2 - 1) + nth(n / 2)) / 2.0
        })
    }
}

/// A Likert question's answer counts in one survey version (a rollup row
/// keyed by version and question), with the report's key it adds to.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionCounts<G> {
    /// Survey id.
    pub survey_id: String,
    /// The version answered, which fixes the question's scale.
    pub version: i64,
    /// Question id.
    pub question: String,
    /// Answers per value, as given.
    pub counts: ValueCounts,
    /// What the report sums the answers under.
    pub group: G,
}

/// Each of `rows` as (group, counts, points of the scale it was answered
/// on), the points read from the definitions of the versions answered
/// (one query for them all: [`Scales`]). What the questions report and the
/// heat map both need before rescaling onto 1–5.
pub async fn with_points<G>(
    store: &Store,
    rows: Vec<VersionCounts<G>>,
) -> Result<Vec<(G, ValueCounts, i64)>, StoreError> {
    let versions = rows
        .iter()
        .map(|r| (r.survey_id.clone(), r.version))
        .collect();
    let scales = Scales::load(store, versions).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let points = scales.points(&r.survey_id, r.version, &r.question, &r.counts);
            (r.group, r.counts, points)
        })
        .collect())
}

/// Likert points per question id, for each survey version asked.
#[derive(Debug, Default)]
pub struct Scales(HashMap<(String, i64), HashMap<String, i64>>);

impl Scales {
    /// Reads the definitions of `versions` (survey id, version). A version
    /// whose definition is missing or no longer parses has no entry; its
    /// questions fall back to [`Scales::points`]' guess.
    pub async fn load(
        store: &Store,
        versions: BTreeSet<(String, i64)>,
    ) -> Result<Self, StoreError> {
        let keys: Vec<(String, i64)> = versions.into_iter().collect();
        let mut out = HashMap::new();
        // One query for every version asked (not one per version).
        for (survey, version, json) in store.survey_definitions(&keys).await? {
            let Ok(def) = serde_json::from_str::<Survey>(&json) else {
                continue;
            };
            let points = def
                .questions
                .iter()
                .filter_map(|q| match q.kind {
                    QuestionKind::Likert { points, .. } => {
                        Some((q.id.as_str().to_owned(), i64::from(points)))
                    }
                    _ => None,
                })
                .collect();
            out.insert((survey, version), points);
        }
        Ok(Self(out))
    }

    /// The points of `question` in that version; unknown (no readable
    /// definition): 7 when answers above 5 exist, else 5.
    pub fn points(&self, survey: &str, version: i64, question: &str, counts: &ValueCounts) -> i64 {
        self.0
            .get(&(survey.to_owned(), version))
            .and_then(|qs| qs.get(question))
            .copied()
            .unwrap_or(if counts[6] + counts[7] > 0 { 7 } else { 5 })
    }
}

/// Splits a [`crate::store::reports::Key::Version`] value
/// (`survey_id:version`).
pub fn split_version(key: &str) -> Option<(String, i64)> {
    let (survey, version) = key.rsplit_once(':')?;
    Some((survey.to_owned(), version.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_points_map_linearly_onto_one_to_five() {
        assert_eq!(on_five(1, 7), 1.0);
        assert_eq!(on_five(4, 7), 3.0);
        assert_eq!(on_five(7, 7), 5.0);
        assert!((on_five(2, 7) - 5.0 / 3.0).abs() < 1e-12);
        // Five points are left as they are.
        assert_eq!((1..=5).map(|v| on_five(v, 5)).sum::<f64>(), 15.0);
    }

    #[test]
    fn a_five_and_a_seven_point_item_average_on_one_scale() {
        // 5-point answers 5 and 3; 7-point answers 7 and 4 (= 5 and 3 on
        // 1–5). Raw, the mean would be 19/4 = 4.75; on one scale it is 4.
        let mut s = DimensionSums::default();
        s.add(&metrics::counts_of(&[5, 3]), 5);
        s.add(&metrics::counts_of(&[7, 4]), 7);
        let f = s.figure("reliability", None);
        assert_eq!((f.n, f.mean), (4, Some(4.0)));
        // Values 5, 3, 5, 3: s = √(4/3), margin = z·s/√4.
        let margin = f.margin.unwrap();
        assert!((margin - metrics::Z95 * (4.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-9);
        assert!(f.low_sample);
    }

    #[test]
    fn no_answers_no_mean_and_one_answer_no_margin() {
        let f = DimensionSums::default().figure("empathy", None);
        assert_eq!((f.n, f.mean, f.margin), (0, None, None));
        let mut s = DimensionSums::default();
        s.add(&metrics::counts_of(&[6]), 7);
        let f = s.figure("empathy", Some("web".into()));
        assert_eq!(f.n, 1);
        assert!((f.mean.unwrap() - (1.0 + 5.0 * 4.0 / 6.0)).abs() < 1e-12);
        assert_eq!(f.margin, None);
    }

    #[test]
    fn a_question_answered_on_seven_then_five_points_keeps_every_answer() {
        // Version 1 (7 points): 7, 6 → 5, 13/3; version 2 (5 points): 2.
        let mut q = QuestionScales::default();
        q.add(&metrics::counts_of(&[7, 6]), 7);
        q.add(&metrics::counts_of(&[2]), 5);
        let f = q.sums().figure("", None);
        assert_eq!(f.n, 3);
        assert!((f.mean.unwrap() - (5.0 + 13.0 / 3.0 + 2.0) / 3.0).abs() < 1e-12);
        assert!((q.median().unwrap() - 13.0 / 3.0).abs() < 1e-12);
        // Even n: the two middle answers averaged (2 and 13/3).
        q.add(&metrics::counts_of(&[1]), 5);
        assert!((q.median().unwrap() - (2.0 + 13.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!(QuestionScales::default().median(), None);
    }

    #[test]
    fn version_keys_split_at_the_last_colon() {
        assert_eq!(
            split_version("post-payment:12"),
            Some(("post-payment".into(), 12))
        );
        assert_eq!(split_version("nope"), None);
    }
}
