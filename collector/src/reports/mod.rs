//! Reports: NPS, CSAT, CES, Likert means per question and SERVQUAL
//! dimension, response rate, completion time and follow-up reasons, over
//! any date range, filtered, grouped and as trends — all from the rollups
//! of migration 0007 (see [`rollup`]), so a report over a million responses
//! reads a few thousand pre-summed rows.
//!
//! Metric definitions are those of [`manyi_shared::metrics`] (and
//! shared/DESIGN.md); margins of error and the low-sample mark are
//! documented there. Which impressions a response rate counts under a
//! filter is in [`rate`]; Likert means (per question and SERVQUAL
//! dimension) on one 1–5 scale in [`servqual`]. Days are reporting days in
//! UTC+08:00 ([`days`]). Flagged responses (data quality) are left out
//! unless asked for, and the number left out is always reported.
//!
//! The HTTP contract is docs/reports-api.md; handlers are in
//! `crate::http::admin::reports`.

pub mod days;
pub mod durations;
pub mod export;
pub mod kpis;
pub mod query;
pub mod rate;
pub mod rollup;
pub mod servqual;

use manyi_shared::metrics::{self, ValueCounts};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use self::days::{Interval, REPORT_OFFSET_TEXT, buckets, format_day};
use self::kpis::{KpiSums, Kpis};
use self::query::{Filter, GroupBy};
use crate::store::reports::Key;
use crate::store::{Store, StoreError};

/// A date range as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// Days covered.
    pub days: i64,
}

impl Period {
    fn of(f: &Filter) -> Self {
        Self {
            from: format_day(f.from),
            to: format_day(f.to),
            days: f.days(),
        }
    }
}

/// What every report answer carries besides its figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Frame {
    /// The range reported.
    pub period: Period,
    /// The reporting offset of days, `+08:00`.
    pub utc_offset: &'static str,
    /// Whether flagged responses are counted.
    pub include_flagged: bool,
    /// Figures from fewer answers are marked `low_sample`.
    pub low_sample_threshold: u64,
}

impl Frame {
    fn of(f: &Filter) -> Self {
        Self {
            period: Period::of(f),
            utc_offset: REPORT_OFFSET_TEXT,
            include_flagged: f.include_flagged,
            low_sample_threshold: metrics::LOW_SAMPLE,
        }
    }
}

/// Sums per group key (`[]` when not grouped, `[day]` / `[day, group]` for
/// trends), with the rate's coverage totals ([`rate::add_shown`]). Flagged
/// responses are counted as excluded unless included.
async fn sums_by(
    store: &Store,
    filter: &Filter,
    group: Option<GroupBy>,
    by_day: bool,
) -> Result<(BTreeMap<Vec<String>, KpiSums>, Option<rate::Coverage>), StoreError> {
    let sel = filter.selection(group);
    let mut keys = Vec::new();
    if by_day {
        keys.push(Key::Day);
    }
    if let Some(g) = group {
        keys.push(g.key());
    }
    let mut out: BTreeMap<Vec<String>, KpiSums> = BTreeMap::new();
    let per_question = group == Some(GroupBy::Question);
    if !per_question {
        for row in store.report_totals(&sel, &keys).await? {
            let e = out.entry(row.keys).or_default();
            if row.flagged && !filter.include_flagged {
                e.excluded_flagged += row.responses;
            } else {
                e.responses += row.responses;
                e.timed += row.timed;
            }
        }
        for (k, bucket, n) in store.report_durations(&sel, &keys).await? {
            *out.entry(k)
                .or_default()
                .durations
                .entry(bucket)
                .or_default() += n;
        }
    }
    for row in store.report_scores(&sel, &keys).await? {
        let e = out.entry(row.keys).or_default();
        e.add_scores(&row.kind, &row.counts);
        if per_question {
            // A question group's responses are the answers to it.
            e.responses = e.responses.max(row.counts.iter().sum());
        }
    }
    let coverage = rate::add_shown(store, filter, group, &keys, &mut out).await?;
    Ok((out, coverage))
}

/// Responses left out as flagged under `filter` (0 when included).
async fn excluded(store: &Store, filter: &Filter) -> Result<u64, StoreError> {
    if filter.include_flagged {
        return Ok(0);
    }
    let rows = store.report_totals(&filter.selection(None), &[]).await?;
    Ok(rows.iter().filter(|r| r.flagged).map(|r| r.responses).sum())
}

/// Current − previous, when both exist.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Change {
    /// Responses.
    pub responses: i64,
    /// Response rate (fraction).
    pub response_rate: Option<f64>,
    /// Median completion seconds.
    pub median_seconds: Option<f64>,
    /// NPS points.
    pub nps: Option<f64>,
    /// CSAT top-2-box, percentage points.
    pub csat_top2_pct: Option<f64>,
    /// CSAT mean.
    pub csat_mean: Option<f64>,
    /// CES mean.
    pub ces_mean: Option<f64>,
    /// CES % easy, percentage points.
    pub ces_easy_pct: Option<f64>,
}

fn diff(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

impl Change {
    fn between(c: &Kpis, p: &Kpis) -> Self {
        Self {
            responses: c.responses as i64 - p.responses as i64,
            response_rate: diff(c.response_rate, p.response_rate),
            median_seconds: diff(c.median_seconds, p.median_seconds),
            nps: diff(
                c.nps.as_ref().map(|x| x.score),
                p.nps.as_ref().map(|x| x.score),
            ),
            csat_top2_pct: diff(
                c.csat.as_ref().map(|x| x.top2_pct),
                p.csat.as_ref().map(|x| x.top2_pct),
            ),
            csat_mean: diff(
                c.csat.as_ref().map(|x| x.mean),
                p.csat.as_ref().map(|x| x.mean),
            ),
            ces_mean: diff(
                c.ces.as_ref().map(|x| x.mean),
                p.ces.as_ref().map(|x| x.mean),
            ),
            ces_easy_pct: diff(
                c.ces.as_ref().map(|x| x.easy_pct),
                p.ces.as_ref().map(|x| x.easy_pct),
            ),
        }
    }
}

/// `GET /api/reports/summary`: the KPI tiles.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    /// Range and conventions.
    #[serde(flatten)]
    pub frame: Frame,
    /// The period of equal length just before.
    pub previous_period: Period,
    /// Figures of the period.
    pub current: Kpis,
    /// Figures of the previous period.
    pub previous: Kpis,
    /// current − previous.
    pub change: Change,
}

/// The KPI tiles of `filter`, with the previous period.
pub async fn summary(store: &Store, filter: &Filter) -> Result<Summary, StoreError> {
    let prev_filter = filter.previous();
    let kpis_of = |mut m: BTreeMap<Vec<String>, KpiSums>, f: &Filter| {
        let mut s = m.remove(&Vec::new()).unwrap_or_default();
        rate::zero_known_fields(f, None, &mut s);
        s.kpis()
    };
    let current = kpis_of(sums_by(store, filter, None, false).await?.0, filter);
    let previous = kpis_of(
        sums_by(store, &prev_filter, None, false).await?.0,
        &prev_filter,
    );
    Ok(Summary {
        frame: Frame::of(filter),
        previous_period: Period::of(&prev_filter),
        change: Change::between(&current, &previous),
        current,
        previous,
    })
}

/// One trend bucket.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Bucket {
    /// First day (clipped to the range).
    pub start: String,
    /// Last day, inclusive (clipped).
    pub end: String,
    /// Figures.
    pub kpis: Kpis,
}

/// `GET /api/reports/trend`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Trend {
    /// Range and conventions.
    #[serde(flatten)]
    pub frame: Frame,
    /// `day`, `week` or `month`.
    pub interval: &'static str,
    /// Every bucket of the range, in order.
    pub buckets: Vec<Bucket>,
}

/// The figures per day, ISO week or calendar month.
pub async fn trend(
    store: &Store,
    filter: &Filter,
    interval: Interval,
) -> Result<Trend, StoreError> {
    let (per_day, _) = sums_by(store, filter, None, true).await?;
    let buckets = buckets(filter.from, filter.to, interval)
        .into_iter()
        .map(|(start, end)| {
            let (s, e) = (format_day(start), format_day(end));
            let mut sums = KpiSums::default();
            for (_, day) in per_day.range(vec![s.clone()]..=vec![e.clone()]) {
                sums.merge(day);
            }
            rate::zero_known_fields(filter, None, &mut sums);
            Bucket {
                start: s,
                end: e,
                kpis: sums.kpis(),
            }
        })
        .collect();
    Ok(Trend {
        frame: Frame::of(filter),
        interval: interval.as_str(),
        buckets,
    })
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Group {
    /// The value grouped on; null for responses without one.
    pub key: Option<String>,
    /// Figures.
    pub kpis: Kpis,
}

/// `GET /api/reports/breakdown`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Breakdown {
    /// Range and conventions.
    #[serde(flatten)]
    pub frame: Frame,
    /// What is grouped on.
    pub by: &'static str,
    /// Flagged responses left out in all.
    pub excluded_flagged: u64,
    /// `by` version, channel, segment or locale: the impressions stored
    /// without context in the range (and survey), which no group holds;
    /// null for other groupings ([`rate`]).
    pub shown_without_context: Option<u64>,
    /// Likewise: the (reporting day, survey) pairs of the range left out
    /// of every group's rate ([`rate::MAX_WITHOUT_CONTEXT_PCT`]).
    pub days_left_out: Option<u64>,
    /// Groups, most responses first; at most [`MAX_GROUPS`].
    pub groups: Vec<Group>,
    /// The groups beyond the first [`MAX_GROUPS`], summed; null when
    /// every group is listed.
    pub other: Option<OtherGroups>,
}

/// The groups a breakdown does not list, summed into one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OtherGroups {
    /// How many groups were summed.
    pub groups: u64,
    /// Their figures together (for `tag`, a response with several of
    /// these tags counts once per tag, as in the groups).
    pub kpis: Kpis,
}

/// Groups a breakdown lists at most. Channel, segment, locale and tag
/// values come from the public payload (anyone can post a response with a
/// made-up channel), so their number is not bounded by the merchant: the
/// groups with the most responses are listed and the rest summed into
/// `other`, keeping answers small and charts readable.
pub const MAX_GROUPS: usize = 50;

fn key_value(k: String) -> Option<String> {
    (!k.is_empty()).then_some(k)
}

/// The figures per survey, version, channel, segment, locale, question or
/// tag: the [`MAX_GROUPS`] groups with most responses (ties by key), the
/// rest summed in `other`.
pub async fn breakdown(
    store: &Store,
    filter: &Filter,
    by: GroupBy,
) -> Result<Breakdown, StoreError> {
    let (sums, coverage) = sums_by(store, filter, Some(by), false).await?;
    let mut ranked: Vec<(Option<String>, KpiSums)> = sums
        .into_iter()
        .map(|(mut k, s)| (key_value(k.pop().unwrap_or_default()), s))
        .collect();
    ranked.sort_by(|a, b| {
        b.1.responses
            .cmp(&a.1.responses)
            .then_with(|| a.0.cmp(&b.0))
    });
    let rest = ranked.split_off(ranked.len().min(MAX_GROUPS));
    let other = (!rest.is_empty()).then(|| {
        let mut sum = KpiSums::default();
        for (_, s) in &rest {
            sum.merge(s);
        }
        OtherGroups {
            groups: rest.len() as u64,
            kpis: sum.kpis(),
        }
    });
    Ok(Breakdown {
        frame: Frame::of(filter),
        by: by.as_str(),
        excluded_flagged: excluded(store, filter).await?,
        shown_without_context: coverage.map(|c| c.shown_without_context),
        days_left_out: coverage.map(|c| c.days_left_out),
        groups: ranked
            .into_iter()
            .map(|(key, s)| Group {
                key,
                kpis: s.kpis(),
            })
            .collect(),
        other,
    })
}

/// Answers of one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ValueCount {
    /// The answer value.
    pub value: i64,
    /// Answers.
    pub count: u64,
}

/// One rating question's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionFigures {
    /// Survey id.
    pub survey_id: String,
    /// Question id.
    pub question: String,
    /// `nps`, `csat`, `ces` or `likert`.
    #[serde(rename = "type")]
    pub kind: String,
    /// SERVQUAL dimension, null when none.
    pub dimension: Option<String>,
    /// Answers.
    pub n: u64,
    /// Mean answer; Likert: on 1–5, each answer rescaled with the scale of
    /// the version it answered ([`servqual`]).
    pub mean: Option<f64>,
    /// Median answer (Likert: on 1–5, as the mean).
    pub median: Option<f64>,
    /// 95 % margin of the mean (Likert: of the rescaled answers).
    pub margin: Option<f64>,
    /// n below the threshold.
    pub low_sample: bool,
    /// Answers per value, every value of the scale, as given (not
    /// rescaled). Likert: every value up to the largest scale answered,
    /// all versions summed, so no answer is left out; where versions had
    /// different scales, `scales` tells them apart.
    pub distribution: Vec<ValueCount>,
    /// Likert only (null for other kinds): the answers per scale they were
    /// given on, fewest points first.
    pub scales: Option<Vec<ScaleCounts>>,
}

/// A Likert question's answers given on one scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ScaleCounts {
    /// Points of the scale (5 or 7).
    pub points: i64,
    /// Answers on it.
    pub n: u64,
    /// Answers per value 1..=points.
    pub distribution: Vec<ValueCount>,
}

/// The Likert mean of one SERVQUAL dimension (or one heat-map cell).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DimensionFigure {
    /// Dimension name.
    pub dimension: String,
    /// The group (heat map only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Answers.
    pub n: u64,
    /// Mean answer on 1–5 (7-point answers rescaled: [`servqual`]); null
    /// when n = 0.
    pub mean: Option<f64>,
    /// 95 % margin of the mean.
    pub margin: Option<f64>,
    /// n below the threshold.
    pub low_sample: bool,
}

/// The five SERVQUAL dimensions, in the usual order.
pub const DIMENSIONS: [&str; 5] = [
    "reliability",
    "responsiveness",
    "assurance",
    "empathy",
    "tangibles",
];

/// The fixed scale of the non-Likert rating kinds.
fn scale_of(kind: &str) -> (i64, i64) {
    match kind {
        "nps" => (0, 10),
        "csat" => (1, 5),
        _ => (1, 7),
    }
}

/// Answers per value `lo..=hi` (within 0..=10).
fn value_counts(counts: &ValueCounts, lo: i64, hi: i64) -> Vec<ValueCount> {
    (lo.max(0)..=hi.min(10))
        .map(|v| ValueCount {
            value: v,
            // v lies within 0..=10.
            count: counts[v as usize],
        })
        .collect()
}

/// `GET /api/reports/questions`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionsReport {
    /// Range and conventions.
    #[serde(flatten)]
    pub frame: Frame,
    /// Flagged responses left out.
    pub excluded_flagged: u64,
    /// Rating questions, by survey then question id.
    pub questions: Vec<QuestionFigures>,
    /// The five SERVQUAL dimensions' Likert means.
    pub dimensions: Vec<DimensionFigure>,
}

/// Every rating question's distribution and mean, and the SERVQUAL
/// dimension means (on 1–5: [`servqual`]).
pub async fn questions(store: &Store, filter: &Filter) -> Result<QuestionsReport, StoreError> {
    let sel = filter.selection(None);
    // Per version: each version fixes the scale of its Likert questions,
    // and every Likert answer is put on 1–5 with its own version's scale.
    let rows = store
        .report_scores(&sel, &[Key::Version, Key::Question, Key::Dimension])
        .await?;
    let mut likert = Vec::new();
    let mut others: BTreeMap<(String, String, String, String), ValueCounts> = BTreeMap::new();
    for row in rows {
        let [version, question, dimension]: [String; 3] = match row.keys.try_into() {
            Ok(k) => k,
            Err(_) => continue,
        };
        let Some((survey_id, version)) = servqual::split_version(&version) else {
            continue;
        };
        if row.kind == "likert" {
            likert.push(servqual::VersionCounts {
                survey_id: survey_id.clone(),
                version,
                question: question.clone(),
                counts: row.counts,
                group: (survey_id, question, dimension),
            });
        } else {
            let sum = others
                .entry((survey_id, question, dimension, row.kind))
                .or_insert([0; 11]);
            metrics::add_counts(sum, &row.counts);
        }
    }
    let mut dims: BTreeMap<String, servqual::DimensionSums> = BTreeMap::new();
    let mut per_likert: BTreeMap<(String, String, String), servqual::QuestionScales> =
        BTreeMap::new();
    for (key, counts, p) in servqual::with_points(store, likert).await? {
        let dimension = &key.2;
        if !dimension.is_empty() {
            dims.entry(dimension.clone()).or_default().add(&counts, p);
        }
        per_likert.entry(key).or_default().add(&counts, p);
    }
    let mut questions = Vec::new();
    for ((survey_id, question, dimension, kind), counts) in others {
        let (lo, hi) = scale_of(&kind);
        let m = metrics::mean_from_counts(&counts, lo, hi);
        let n = m.map_or(0, |m| m.n);
        questions.push(QuestionFigures {
            survey_id,
            question,
            kind,
            dimension: key_value(dimension),
            n,
            mean: m.map(|m| m.mean),
            median: m.map(|m| m.median),
            margin: m.and_then(|m| m.margin()),
            low_sample: metrics::is_low_sample(n),
            distribution: value_counts(&counts, lo, hi),
            scales: None,
        });
    }
    for ((survey_id, question, dimension), by_scale) in per_likert {
        let f = by_scale.sums().figure("", None);
        let mut all = [0; 11];
        for counts in by_scale.0.values() {
            metrics::add_counts(&mut all, counts);
        }
        let widest = by_scale.0.keys().copied().max().unwrap_or(5);
        questions.push(QuestionFigures {
            survey_id,
            question,
            kind: "likert".to_owned(),
            dimension: key_value(dimension),
            n: f.n,
            mean: f.mean,
            median: by_scale.median(),
            margin: f.margin,
            low_sample: f.low_sample,
            distribution: value_counts(&all, 1, widest),
            scales: Some(
                by_scale
                    .0
                    .iter()
                    .map(|(points, counts)| ScaleCounts {
                        points: *points,
                        n: counts.iter().sum(),
                        distribution: value_counts(counts, 1, *points),
                    })
                    .collect(),
            ),
        });
    }
    // By survey then question id, whatever the kind.
    questions.sort_by(|a, b| {
        (&a.survey_id, &a.question, &a.dimension).cmp(&(&b.survey_id, &b.question, &b.dimension))
    });
    let dimensions = DIMENSIONS
        .iter()
        .map(|d| dims.get(*d).copied().unwrap_or_default().figure(d, None))
        .collect();
    Ok(QuestionsReport {
        frame: Frame::of(filter),
        excluded_flagged: excluded(store, filter).await?,
        questions,
        dimensions,
    })
}

/// `GET /api/reports/heatmap`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Heatmap {
    /// Range and conventions.
    #[serde(flatten)]
    pub frame: Frame,
    /// What the columns are.
    pub by: &'static str,
    /// Flagged responses left out.
    pub excluded_flagged: u64,
    /// The rows: the five dimensions.
    pub dimensions: Vec<&'static str>,
    /// The columns: the groups with Likert answers (null = none), at most
    /// [`MAX_GROUPS`]: those with the most answers.
    pub keys: Vec<Option<String>>,
    /// Groups with Likert answers left out beyond [`MAX_GROUPS`].
    pub omitted_keys: u64,
    /// One cell per dimension and group with answers.
    pub cells: Vec<DimensionFigure>,
}

/// Likert mean per SERVQUAL dimension × group, on 1–5 ([`servqual`]).
pub async fn heatmap(store: &Store, filter: &Filter, by: GroupBy) -> Result<Heatmap, StoreError> {
    let sel = filter.selection(Some(by));
    // Per version and question as well: each answer's scale.
    let rows = store
        .report_scores(
            &sel,
            &[Key::Dimension, by.key(), Key::Version, Key::Question],
        )
        .await?;
    let likert = rows
        .into_iter()
        .filter(|r| r.kind == "likert")
        .filter_map(|r| {
            let [dimension, key, version, question]: [String; 4] = r.keys.try_into().ok()?;
            let (survey_id, version) = servqual::split_version(&version)?;
            (!dimension.is_empty()).then(|| servqual::VersionCounts {
                survey_id,
                version,
                question,
                counts: r.counts,
                group: (dimension, key_value(key)),
            })
        })
        .collect();
    let mut sums: BTreeMap<(String, Option<String>), servqual::DimensionSums> = BTreeMap::new();
    for (cell, counts, p) in servqual::with_points(store, likert).await? {
        sums.entry(cell).or_default().add(&counts, p);
    }
    // As in breakdowns, at most MAX_GROUPS columns: those with the most
    // answers (ties by key); the others are counted, not shown.
    let mut answers: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for ((_, key), s) in &sums {
        *answers.entry(key.clone()).or_default() += s.n;
    }
    let mut ranked: Vec<(Option<String>, u64)> = answers.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let omitted_keys = ranked.len().saturating_sub(MAX_GROUPS) as u64;
    ranked.truncate(MAX_GROUPS);
    let mut keys: Vec<Option<String>> = ranked.into_iter().map(|(k, _)| k).collect();
    keys.sort();
    let mut cells: Vec<DimensionFigure> = sums
        .into_iter()
        .filter(|((_, key), _)| keys.binary_search(key).is_ok())
        .map(|((dimension, key), s)| s.figure(&dimension, key))
        .collect();
    cells.sort_by_key(|c| {
        (
            DIMENSIONS.iter().position(|d| *d == c.dimension),
            c.key.clone(),
        )
    });
    Ok(Heatmap {
        frame: Frame::of(filter),
        by: by.as_str(),
        excluded_flagged: excluded(store, filter).await?,
        dimensions: DIMENSIONS.to_vec(),
        keys,
        omitted_keys,
        cells,
    })
}

/// One option's picks.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OptionCount {
    /// Option id (`other` for the free-text option).
    pub option: String,
    /// Picks.
    pub count: u64,
    /// count ÷ respondents × 100.
    pub pct: f64,
}

/// One choice question's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChoiceFigures {
    /// Survey id.
    pub survey_id: String,
    /// Question id.
    pub question: String,
    /// `single_choice` or `multi_choice`; `multi_choice` when any version
    /// in the range asked it so (the picks may then add up to more than
    /// the respondents).
    #[serde(rename = "type")]
    pub kind: String,
    /// Responses that answered it.
    pub respondents: u64,
    /// Options, most picked first, each once (picks summed over the
    /// versions, whatever the question's type was in each).
    pub options: Vec<OptionCount>,
}

/// `GET /api/reports/reasons`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Reasons {
    /// Range and conventions.
    #[serde(flatten)]
    pub frame: Frame,
    /// Flagged responses left out.
    pub excluded_flagged: u64,
    /// Choice questions, by survey then question id.
    pub questions: Vec<ChoiceFigures>,
}

/// The follow-up reason (choice question) distributions.
pub async fn reasons(store: &Store, filter: &Filter) -> Result<Reasons, StoreError> {
    let sel = filter.selection(None);
    let rows = store
        .report_choices(&sel, &[Key::Survey, Key::Question])
        .await?;
    // Rows come per question *and type*: a question whose type changed
    // between versions has rows under both, summed here per option.
    let mut by_question: BTreeMap<(String, String), ChoiceSums> = BTreeMap::new();
    for row in rows {
        let [survey_id, question]: [String; 2] = match row.keys.try_into() {
            Ok(k) => k,
            Err(_) => continue,
        };
        let q = by_question.entry((survey_id, question)).or_default();
        if q.kind.is_empty() || row.kind == "multi_choice" {
            q.kind = row.kind;
        }
        if row.option.is_empty() {
            q.respondents += row.count;
        } else {
            *q.options.entry(row.option).or_default() += row.count;
        }
    }
    let questions = by_question
        .into_iter()
        .map(|((survey_id, question), q)| q.figures(survey_id, question))
        .collect();
    Ok(Reasons {
        frame: Frame::of(filter),
        excluded_flagged: excluded(store, filter).await?,
        questions,
    })
}

/// One choice question's picks, summed over its rollup rows.
#[derive(Debug, Default)]
struct ChoiceSums {
    kind: String,
    respondents: u64,
    options: BTreeMap<String, u64>,
}

impl ChoiceSums {
    fn figures(self, survey_id: String, question: String) -> ChoiceFigures {
        let respondents = self.respondents;
        let mut options: Vec<OptionCount> = self
            .options
            .into_iter()
            .map(|(option, count)| OptionCount {
                option,
                count,
                pct: if respondents > 0 {
                    100.0 * count as f64 / respondents as f64
                } else {
                    0.0
                },
            })
            .collect();
        options.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.option.cmp(&b.option)));
        ChoiceFigures {
            survey_id,
            question,
            kind: self.kind,
            respondents,
            options,
        }
    }
}
