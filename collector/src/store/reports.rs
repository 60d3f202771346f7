//! Report queries over the rollups (migration 0007): sums of counts over a
//! date range, a filter and a grouping. What the sums mean is decided in
//! [`crate::reports`].
//!
//! Every query reads one rollup level (see the migration): the caller picks
//! the coarsest level that has the columns it filters or groups by.

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row as _, Sqlite};
use std::collections::HashMap;

use super::{Store, StoreError};

/// A column to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Reporting day.
    Day,
    /// Survey id.
    Survey,
    /// `survey_id:version`.
    Version,
    /// Channel ('' = none).
    Channel,
    /// Segment ('' = none).
    Segment,
    /// Locale ('' = none).
    Locale,
    /// Tag (level 2 only).
    Tag,
    /// Question id (scores and choices only).
    Question,
    /// SERVQUAL dimension (scores only; '' = none).
    Dimension,
}

impl Key {
    fn expr(self) -> &'static str {
        match self {
            Key::Day => "day",
            Key::Survey => "survey_id",
            Key::Version => "survey_id || ':' || version",
            Key::Channel => "channel",
            Key::Segment => "segment",
            Key::Locale => "locale",
            Key::Tag => "tag",
            Key::Question => "question",
            Key::Dimension => "dimension",
        }
    }
}

/// Which rollup rows to sum.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rollup level: 0 total, 1 context, 2 tag × context, 3 channel,
    /// 4 segment, 5 locale, 6 tag.
    pub level: u8,
    /// First reporting day, `YYYY-MM-DD`.
    pub from: String,
    /// Last reporting day, inclusive.
    pub to: String,
    /// Only this survey.
    pub survey: Option<String>,
    /// Only this version (with `survey`).
    pub version: Option<i64>,
    /// Only this channel ('' = none).
    pub channel: Option<String>,
    /// Only this segment.
    pub segment: Option<String>,
    /// Only this locale.
    pub locale: Option<String>,
    /// Only this tag (levels 2 and 6).
    pub tag: Option<String>,
    /// Scores and choices: only this question.
    pub question: Option<String>,
    /// Include flagged responses.
    pub include_flagged: bool,
}

/// Responses of one group and flag value.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalsRow {
    /// The group's key values, in the order asked.
    pub keys: Vec<String>,
    /// Flagged or not.
    pub flagged: bool,
    /// Responses.
    pub responses: u64,
    /// With a completion time.
    pub timed: u64,
}

/// Rating answers of one group and question kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoresRow {
    /// The group's key values.
    pub keys: Vec<String>,
    /// 'nps', 'csat', 'ces' or 'likert'.
    pub kind: String,
    /// Answers per value 0..=10.
    pub counts: [u64; 11],
}

/// One option's picks in one group and question.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRow {
    /// The group's key values.
    pub keys: Vec<String>,
    /// 'single_choice' or 'multi_choice'.
    pub kind: String,
    /// Option id, '' = respondents.
    pub option: String,
    /// Picks.
    pub count: u64,
}

/// `SELECT k0, k1, …` for `keys`.
fn push_keys(qb: &mut QueryBuilder<'_, Sqlite>, keys: &[Key]) {
    qb.push("SELECT ");
    for (i, k) in keys.iter().enumerate() {
        qb.push(k.expr());
        qb.push(format!(" AS k{i}, "));
    }
}

/// `WHERE …` for `sel` over a rollup of responses; `per_question` (scores
/// and choices) adds the question filter.
fn push_where<'a>(qb: &mut QueryBuilder<'a, Sqlite>, sel: &'a Selection, per_question: bool) {
    qb.push(" WHERE level = ")
        .push_bind(i64::from(sel.level))
        .push(" AND day BETWEEN ")
        .push_bind(sel.from.as_str())
        .push(" AND ")
        .push_bind(sel.to.as_str());
    push_context_filters(qb, sel);
    if let Some(v) = &sel.tag {
        qb.push(" AND tag = ").push_bind(v.as_str());
    }
    if per_question && let Some(q) = &sel.question {
        qb.push(" AND question = ").push_bind(q.as_str());
    }
}

/// ` AND …` for the survey, version and context filters of `sel`: the
/// columns that responses' rollups and rollup_shown_context share.
fn push_context_filters<'a>(qb: &mut QueryBuilder<'a, Sqlite>, sel: &'a Selection) {
    let text_filters = [
        ("survey_id", &sel.survey),
        ("channel", &sel.channel),
        ("segment", &sel.segment),
        ("locale", &sel.locale),
    ];
    for (column, value) in text_filters {
        if let Some(v) = value {
            qb.push(format!(" AND {column} = ")).push_bind(v.as_str());
        }
    }
    if let Some(v) = sel.version {
        qb.push(" AND version = ").push_bind(v);
    }
}

/// `GROUP BY k0, k1, …` plus `extra` columns.
fn push_group(qb: &mut QueryBuilder<'_, Sqlite>, keys: &[Key], extra: &[&str]) {
    let cols: Vec<String> = (0..keys.len())
        .map(|i| format!("k{i}"))
        .chain(extra.iter().map(|c| (*c).to_owned()))
        .collect();
    if !cols.is_empty() {
        qb.push(" GROUP BY ").push(cols.join(", "));
    }
}

fn keys_of(row: &SqliteRow, n: usize) -> Result<Vec<String>, sqlx::Error> {
    (0..n).map(|i| row.try_get::<String, _>(i)).collect()
}

fn count(row: &SqliteRow, i: usize) -> Result<u64, sqlx::Error> {
    Ok(u64::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0))
}

impl Store {
    /// Responses (and timed ones) per group and flag value, flagged rows
    /// included whatever `sel.include_flagged` says (the caller reports
    /// how many it left out).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn report_totals(
        &self,
        sel: &Selection,
        keys: &[Key],
    ) -> Result<Vec<TotalsRow>, StoreError> {
        let mut qb = QueryBuilder::new("");
        push_keys(&mut qb, keys);
        qb.push("flagged, SUM(responses), SUM(timed) FROM rollup_responses");
        push_where(&mut qb, sel, false);
        push_group(&mut qb, keys, &["flagged"]);
        let rows = qb.build().fetch_all(&self.reader).await?;
        let n = keys.len();
        rows.iter()
            .map(|row| {
                Ok(TotalsRow {
                    keys: keys_of(row, n)?,
                    flagged: row.try_get::<i64, _>(n)? == 1,
                    responses: count(row, n + 1)?,
                    timed: count(row, n + 2)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Completion-time histogram per group: (keys, bucket, responses).
    ///
    /// The per-row histograms are read and summed here rather than with
    /// `json_each` in SQL: SQLite's JSON table function costs about 2 µs per
    /// bucket, which made this the slowest part of every report (0.6 s for
    /// a month of context rows); parsing the same text in Rust is a tenth.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn report_durations(
        &self,
        sel: &Selection,
        keys: &[Key],
    ) -> Result<Vec<(Vec<String>, u16, u64)>, StoreError> {
        let mut qb = QueryBuilder::new("");
        push_keys(&mut qb, keys);
        qb.push("durations FROM rollup_responses");
        push_where(&mut qb, sel, false);
        if !sel.include_flagged {
            qb.push(" AND flagged = 0");
        }
        let rows = qb.build().fetch_all(&self.reader).await?;
        let n = keys.len();
        let mut sums: HashMap<Vec<String>, HashMap<u16, u64>> = HashMap::new();
        for row in &rows {
            let k = keys_of(row, n)?;
            let json: &str = row.try_get(n)?;
            let buckets: HashMap<&str, u64> = serde_json::from_str(json)?;
            let group = sums.entry(k).or_default();
            for (b, c) in buckets {
                let b = b
                    .parse::<u16>()
                    .map_err(|_| StoreError::Inconsistent(format!("histogram bucket {b:?}")))?;
                *group.entry(b).or_default() += c;
            }
        }
        Ok(sums
            .into_iter()
            .flat_map(|(k, h)| h.into_iter().map(move |(b, c)| (k.clone(), b, c)))
            .collect())
    }

    /// Rating answers per group and question kind (flagged rows only when
    /// included).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn report_scores(
        &self,
        sel: &Selection,
        keys: &[Key],
    ) -> Result<Vec<ScoresRow>, StoreError> {
        let mut qb = QueryBuilder::new("");
        push_keys(&mut qb, keys);
        qb.push(
            "kind, SUM(v0), SUM(v1), SUM(v2), SUM(v3), SUM(v4), SUM(v5), SUM(v6), SUM(v7), \
             SUM(v8), SUM(v9), SUM(v10) FROM rollup_scores",
        );
        push_where(&mut qb, sel, true);
        if !sel.include_flagged {
            qb.push(" AND flagged = 0");
        }
        push_group(&mut qb, keys, &["kind"]);
        let rows = qb.build().fetch_all(&self.reader).await?;
        let n = keys.len();
        rows.iter()
            .map(|row| {
                let mut counts = [0u64; 11];
                for (v, c) in counts.iter_mut().enumerate() {
                    *c = count(row, n + 1 + v)?;
                }
                Ok(ScoresRow {
                    keys: keys_of(row, n)?,
                    kind: row.try_get(n)?,
                    counts,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Choice picks per group, question kind and option.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn report_choices(
        &self,
        sel: &Selection,
        keys: &[Key],
    ) -> Result<Vec<ChoiceRow>, StoreError> {
        let mut qb = QueryBuilder::new("");
        push_keys(&mut qb, keys);
        qb.push("kind, option, SUM(count) FROM rollup_choices");
        push_where(&mut qb, sel, true);
        if !sel.include_flagged {
            qb.push(" AND flagged = 0");
        }
        push_group(&mut qb, keys, &["kind", "option"]);
        let rows = qb.build().fetch_all(&self.reader).await?;
        let n = keys.len();
        rows.iter()
            .map(|row| {
                Ok(ChoiceRow {
                    keys: keys_of(row, n)?,
                    kind: row.try_get(n)?,
                    option: row.try_get(n + 1)?,
                    count: count(row, n + 2)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Every 'shown' event (with or without context) per group; `keys` may
    /// only hold [`Key::Day`] and [`Key::Survey`] (rollup_shown has no
    /// other column; by version or context see
    /// [`Store::report_shown_context`]).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn report_shown(
        &self,
        sel: &Selection,
        keys: &[Key],
    ) -> Result<Vec<(Vec<String>, u64)>, StoreError> {
        let mut qb = QueryBuilder::new("");
        push_keys(&mut qb, keys);
        qb.push("SUM(shown) FROM rollup_shown WHERE day BETWEEN ")
            .push_bind(sel.from.as_str())
            .push(" AND ")
            .push_bind(sel.to.as_str());
        if let Some(s) = &sel.survey {
            qb.push(" AND survey_id = ").push_bind(s.as_str());
        }
        push_group(&mut qb, keys, &[]);
        self.shown_sums(qb, keys.len()).await
    }

    /// 'shown' events with a known context (migration 0011) per group;
    /// `keys` may hold [`Key::Day`], [`Key::Survey`], [`Key::Version`] and
    /// the context keys. Filters on survey, version, channel, segment and
    /// locale apply (tag and question do not exist for impressions; the
    /// caller does not ask then).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn report_shown_context(
        &self,
        sel: &Selection,
        keys: &[Key],
    ) -> Result<Vec<(Vec<String>, u64)>, StoreError> {
        let mut qb = QueryBuilder::new("");
        push_keys(&mut qb, keys);
        qb.push("SUM(shown) FROM rollup_shown_context WHERE version > 0 AND day BETWEEN ")
            .push_bind(sel.from.as_str())
            .push(" AND ")
            .push_bind(sel.to.as_str());
        push_context_filters(&mut qb, sel);
        push_group(&mut qb, keys, &[]);
        self.shown_sums(qb, keys.len()).await
    }

    /// Runs `qb` (`n` key columns, then `SUM(shown)`): impressions per group.
    async fn shown_sums(
        &self,
        mut qb: QueryBuilder<'_, Sqlite>,
        n: usize,
    ) -> Result<Vec<(Vec<String>, u64)>, StoreError> {
        let rows = qb.build().fetch_all(&self.reader).await?;
        rows.iter()
            .filter_map(|row| {
                // Ungrouped, SUM over no rows is one row of NULL: no group
                // (the caller counts a known rate's missing groups as 0).
                let shown = row.try_get::<Option<i64>, _>(n).transpose()?;
                Some(shown.and_then(|s| Ok((keys_of(row, n)?, u64::try_from(s).unwrap_or(0)))))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The (day, survey) pairs of the range (and survey, if filtered) that
    /// hold 'shown' events without a context (their impressions cannot be
    /// placed in a version or context group), each with those impressions
    /// and all of its impressions: (day, survey, without context, all).
    ///
    /// Driven by rollup_shown (one row per day and survey) with a primary
    /// key lookup of each pair's version-0 row in rollup_shown_context
    /// (always channel, segment and locale ''), so the cost follows the
    /// number of days × surveys, not the number of context values in the
    /// range (which anyone posting made-up channels can inflate).
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn shown_without_context(
        &self,
        sel: &Selection,
    ) -> Result<Vec<(String, String, u64, u64)>, StoreError> {
        let mut qb = QueryBuilder::new(
            "SELECT s.day, s.survey_id, c.shown, s.shown FROM rollup_shown s
             JOIN rollup_shown_context c ON c.day = s.day AND c.survey_id = s.survey_id
                 AND c.version = 0 AND c.channel = '' AND c.segment = '' AND c.locale = ''
             WHERE c.shown > 0 AND s.day BETWEEN ",
        );
        qb.push_bind(sel.from.as_str())
            .push(" AND ")
            .push_bind(sel.to.as_str());
        if let Some(s) = &sel.survey {
            qb.push(" AND s.survey_id = ").push_bind(s.as_str());
        }
        let rows: Vec<(String, String, i64, i64)> =
            qb.build_query_as().fetch_all(&self.reader).await?;
        Ok(rows
            .into_iter()
            .map(|(day, survey, without, all)| {
                let n = |x: i64| u64::try_from(x).unwrap_or(0);
                (day, survey, n(without), n(all))
            })
            .collect())
    }

    /// The latest stored definition JSON of each survey among `surveys`
    /// (for question types and dimensions in reports).
    pub async fn latest_definitions(
        &self,
        surveys: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for s in surveys {
            let row: Option<(String,)> = sqlx::query_as(
                "SELECT definition FROM surveys WHERE survey_id = ? ORDER BY version DESC LIMIT 1",
            )
            .bind(s)
            .fetch_optional(&self.reader)
            .await?;
            if let Some((d,)) = row {
                out.push((s.clone(), d));
            }
        }
        Ok(out)
    }
}
