//! The rollup worker: folds stored responses (behind the analysis
//! pipeline, so flags and tags are known) and 'shown' events into the
//! rollup tables of migration 0007 (levels: 0007, 0009 and 0010; shown by
//! version and context: 0011). Started with the collector, so after an
//! upgrade that rebuilds the rollups the refold begins at once; reports
//! meanwhile answer `reports_warming_up` ([`Backlog`]).
//!
//! [`catch_up`] folds everything pending; reports call it before reading
//! so their figures are current, and [`spawn`] runs it in the background so
//! that reports rarely have much to fold. Each batch is added together with
//! its cursor advance in one transaction (see [`crate::store::rollups`]):
//! exactly once, whoever runs it and however often.

use manyi_shared::{Dimension, QuestionKind, Survey};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use utoipa::ToSchema;

use super::days::{day_of, format_day};
use super::durations::bucket_of;
use crate::store::rollups::{
    Grain, PendingEvent, PendingResponse, ResponseCounts, RollupDelta, ScoreCounts, ShownDelta,
    ShownGrain,
};
use crate::store::{Store, StoreError};

/// Responses read per transaction. Folded, a batch is far fewer rows (one
/// per grain, question and option), written with multi-row upserts; in
/// normal running a half-second tick finds a few thousand pending rows at
/// most, and a catch-up over a backlog (a fresh seed, a restart) commits
/// every 20,000 responses, holding the write connection for a fraction of
/// a second each time.
const BATCH: u32 = 20_000;

/// Events per transaction.
const EVENT_BATCH: u32 = 10_000;

/// How often the background worker looks for new rows.
const INTERVAL: Duration = Duration::from_millis(500);

/// What the rollups need to know of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folded {
    /// A rating question: its kind and SERVQUAL dimension ('' when none).
    Score {
        /// 'nps', 'csat', 'ces' or 'likert'.
        kind: &'static str,
        /// Dimension name or ''.
        dimension: &'static str,
    },
    /// A choice question: 'single_choice' or 'multi_choice'.
    Choice(&'static str),
}

/// The folded questions of one survey version, by question id (text
/// questions are not rolled up).
pub type Questions = HashMap<String, Folded>;

/// The lowercase name of a SERVQUAL dimension, as in definitions.
pub fn dimension_name(d: Dimension) -> &'static str {
    match d {
        Dimension::Reliability => "reliability",
        Dimension::Responsiveness => "responsiveness",
        Dimension::Assurance => "assurance",
        Dimension::Empathy => "empathy",
        Dimension::Tangibles => "tangibles",
    }
}

/// The questions of `survey` the rollups count.
pub fn questions_of(survey: &Survey) -> Questions {
    survey
        .questions
        .iter()
        .filter_map(|q| {
            let folded = match &q.kind {
                QuestionKind::SingleChoice { .. } | QuestionKind::MultiChoice { .. } => {
                    Folded::Choice(q.kind.type_name())
                }
                QuestionKind::Text { .. } => return None,
                kind => Folded::Score {
                    kind: kind.type_name(),
                    dimension: q.dimension.map_or("", dimension_name),
                },
            };
            Some((q.id.as_str().to_owned(), folded))
        })
        .collect()
}

/// Definitions by (survey id, version), loaded once per catch-up.
type Definitions = HashMap<(String, i64), Arc<Questions>>;

async fn load_definitions(
    store: &Store,
    rows: &[PendingResponse],
    defs: &mut Definitions,
) -> Result<(), StoreError> {
    for row in rows {
        let key = (row.survey_id.clone(), row.survey_version);
        if defs.contains_key(&key) {
            continue;
        }
        let json = store
            .survey_definition_json(&row.survey_id, row.survey_version)
            .await?
            .ok_or_else(|| {
                StoreError::Inconsistent(format!(
                    "response for unknown survey {} v{}",
                    row.survey_id, row.survey_version
                ))
            })?;
        // A definition that no longer parses must not stop every report
        // (the cursor would never move past its responses): they are
        // counted, with their times and tags, and their answers left out,
        // as the analysis pipeline does.
        let questions = match serde_json::from_str::<Survey>(&json) {
            Ok(survey) => questions_of(&survey),
            Err(e) => {
                tracing::warn!(
                    survey = %row.survey_id, version = row.survey_version, error = %e,
                    "stored survey definition does not parse: its answers are not rolled up"
                );
                Questions::new()
            }
        };
        defs.insert(key, Arc::new(questions));
    }
    Ok(())
}

/// The option ids of a stored choice answer (wire shape, see
/// `manyi_shared::answer`).
fn chosen(answer: &Value) -> Vec<&str> {
    match answer {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::Object(o) => match (o.get("choice"), o.get("choices")) {
            (Some(Value::String(s)), _) => vec![s.as_str()],
            (_, Some(Value::Array(items))) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The tags of an analysis row (`["a","b"]`), deduplicated and sorted.
fn tags_of(json: Option<&str>) -> Vec<String> {
    let mut tags: Vec<String> = json
        .and_then(|j| serde_json::from_str::<Vec<String>>(j).ok())
        .unwrap_or_default();
    tags.sort();
    tags.dedup();
    tags
}

/// What `rows` add to the rollups. Pure: `questions` gives each row's
/// survey version's questions (a row whose version is missing there is an
/// error, as is an unparsable timestamp or answers column).
pub fn fold(
    rows: &[PendingResponse],
    questions: impl Fn(&str, i64) -> Option<Arc<Questions>>,
) -> Result<RollupDelta, StoreError> {
    let mut delta = RollupDelta::default();
    for row in rows {
        let day = day_of(&row.received_at).map(format_day).ok_or_else(|| {
            StoreError::Inconsistent(format!("received_at {:?}", row.received_at))
        })?;
        let qs = questions(&row.survey_id, row.survey_version).ok_or_else(|| {
            StoreError::Inconsistent(format!(
                "no definition of {} v{}",
                row.survey_id, row.survey_version
            ))
        })?;
        let answers: BTreeMap<String, Value> = serde_json::from_str(&row.answers)?;
        let flagged = row.flagged == Some(1);
        let total = Grain {
            level: 0,
            day,
            survey_id: row.survey_id.clone(),
            version: row.survey_version,
            channel: String::new(),
            segment: String::new(),
            locale: String::new(),
            tag: String::new(),
            flagged,
        };
        let context = Grain {
            level: 1,
            channel: row.channel.clone().unwrap_or_default(),
            segment: row.segment.clone().unwrap_or_default(),
            locale: row.locale.clone().unwrap_or_default(),
            ..total.clone()
        };
        // Levels 3–5: one context column each (migration 0009).
        let channel_only = Grain {
            level: 3,
            channel: context.channel.clone(),
            ..total.clone()
        };
        let segment_only = Grain {
            level: 4,
            segment: context.segment.clone(),
            ..total.clone()
        };
        let locale_only = Grain {
            level: 5,
            locale: context.locale.clone(),
            ..total.clone()
        };
        let mut grains = vec![
            total.clone(),
            context.clone(),
            channel_only,
            segment_only,
            locale_only,
        ];
        // Per tag: with the context (2) and alone (6, migration 0010).
        for tag in tags_of(row.tags.as_deref()) {
            grains.push(Grain {
                level: 6,
                tag: tag.clone(),
                ..total.clone()
            });
            grains.push(Grain {
                level: 2,
                tag,
                ..context.clone()
            });
        }
        let bucket = row
            .duration_ms
            .and_then(|ms| u64::try_from(ms).ok())
            .map(bucket_of);
        for grain in grains {
            let r: &mut ResponseCounts = delta.responses.entry(grain.clone()).or_default();
            r.responses += 1;
            if let Some(b) = bucket {
                r.timed += 1;
                *r.durations.entry(b).or_default() += 1;
            }
            for (qid, answer) in &answers {
                match qs.get(qid) {
                    Some(Folded::Score { kind, dimension }) => {
                        let Some(v) = answer.as_i64().filter(|v| (0..=10).contains(v)) else {
                            continue;
                        };
                        let s = delta
                            .scores
                            .entry((grain.clone(), qid.clone()))
                            .or_insert_with(|| ScoreCounts {
                                kind,
                                dimension,
                                counts: [0; 11],
                            });
                        // 0..=10 checked above.
                        s.counts[v as usize] += 1;
                    }
                    Some(Folded::Choice(kind)) => {
                        let options = chosen(answer);
                        if options.is_empty() {
                            continue;
                        }
                        for option in std::iter::once("").chain(options) {
                            delta
                                .choices
                                .entry((grain.clone(), qid.clone(), option.to_owned()))
                                .or_insert((kind, 0))
                                .1 += 1;
                        }
                    }
                    None => {}
                }
            }
        }
    }
    Ok(delta)
}

/// What the 'shown' events of `events` add: per (reporting day, survey),
/// and per day, version and context (migration 0011), where an event
/// without a version (no context: stored before 0011 or sent by an older
/// loader) is counted under version 0 so reports can tell which days hold
/// impressions they cannot place. Other events and unparsable times are
/// skipped.
pub fn fold_shown(events: &[PendingEvent]) -> ShownDelta {
    let mut shown = ShownDelta::default();
    for e in events.iter().filter(|e| e.event == "shown") {
        let Some(day) = day_of(&e.received_at).map(format_day) else {
            continue;
        };
        let known = e.version.is_some();
        let context = |v: &Option<String>| {
            if known {
                v.clone().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let grain = ShownGrain {
            day: day.clone(),
            survey_id: e.survey_id.clone(),
            version: e.version.unwrap_or(0),
            channel: context(&e.channel),
            segment: context(&e.segment),
            locale: context(&e.locale),
        };
        *shown.per_context.entry(grain).or_default() += 1;
        *shown
            .per_survey
            .entry((day, e.survey_id.clone()))
            .or_default() += 1;
    }
    shown
}

/// More responses than this waiting to be folded means the rollups are
/// being rebuilt (a migration that adds a level refolds every response: at
/// 1,000,000 about a minute) or far behind: reports answer 503
/// `reports_warming_up` instead of holding the request for the whole
/// refold. Below it a report folds the rest itself first (about a second
/// at most), so its figures are exact.
pub const WARM_UP_RESPONSES: u64 = 2 * BATCH as u64;

/// Events waiting beyond which reports answer `reports_warming_up`
/// (folding events is cheaper per row than responses).
pub const WARM_UP_EVENTS: u64 = 10 * EVENT_BATCH as u64;

/// How far the rollups are behind the stored rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Backlog {
    /// Responses not yet in the rollups: not analysed yet (flags and tags
    /// come first), or analysed and not yet folded.
    pub responses_pending: u64,
    /// Responses stored in all.
    pub responses_total: u64,
    /// Events not yet in the rollups.
    pub events_pending: u64,
    /// Events in all.
    pub events_total: u64,
    /// Share of both already folded, 0–100 (one decimal).
    pub folded_pct: f64,
    /// Of `responses_pending`, those not analysed yet: what an export (which
    /// needs flags and tags, not rollups) waits for. Not in the 503 body,
    /// whose shape every report and export shares.
    #[serde(skip)]
    pub responses_unanalysed: u64,
}

/// Which rows a request needs processed before it answers: the
/// [`Backlog`] that decides whether it waits for the background workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Analysed (flags and tags known): exports.
    Analysed,
    /// Analysed and folded into the rollups, events too: reports.
    Folded,
}

impl Backlog {
    /// The backlog of `store` (rowid positions: counts of rows, as rows
    /// are never deleted).
    pub async fn of(store: &Store) -> Result<Self, StoreError> {
        let (responses, analysed, events, last_event) = store.rollup_positions().await?;
        // Read after the cursors: at least as far as the analysis got.
        let stored = store.last_response_rowid().await?.max(analysed);
        Ok(Self::from_positions(responses, stored, events, last_event).analysed_to(analysed))
    }

    /// With the analysis cursor at `analysed` (no later than the last
    /// stored response; [`Self::from_positions`] alone counts none as
    /// unanalysed).
    pub fn analysed_to(self, analysed: i64) -> Self {
        let analysed = u64::try_from(analysed).unwrap_or(0);
        let behind = self.responses_total.saturating_sub(analysed);
        Self {
            responses_unanalysed: behind,
            ..self
        }
    }

    /// From the positions: the rollups' response cursor, the last stored
    /// response, the rollups' event cursor and the last event.
    pub fn from_positions(responses: i64, stored: i64, events: i64, last_event: i64) -> Self {
        let gap = |from: i64, to: i64| u64::try_from(to - from).unwrap_or(0);
        let total = |n: i64| u64::try_from(n).unwrap_or(0);
        let (rp, rt) = (gap(responses, stored), total(stored));
        let (ep, et) = (gap(events, last_event), total(last_event));
        let all = rt + et;
        let folded_pct = if all == 0 {
            100.0
        } else {
            ((all - (rp + ep).min(all)) as f64 * 1000.0 / all as f64).floor() / 10.0
        };
        Self {
            responses_pending: rp,
            responses_total: rt,
            events_pending: ep,
            events_total: et,
            folded_pct,
            responses_unanalysed: 0,
        }
    }

    /// Whether reports should wait for the background worker rather than
    /// fold the rest themselves.
    pub fn warming_up(&self) -> bool {
        self.holds_up(Needs::Folded)
    }

    /// Whether a request that `needs` its rows processed should wait for
    /// the background workers rather than process the rest itself. The
    /// events do not hold up an export: it reads none.
    pub fn holds_up(&self, needs: Needs) -> bool {
        match needs {
            Needs::Analysed => self.responses_unanalysed > WARM_UP_RESPONSES,
            Needs::Folded => {
                self.responses_pending > WARM_UP_RESPONSES || self.events_pending > WARM_UP_EVENTS
            }
        }
    }
}

/// Folds every pending response (up to the analysis cursor) and event;
/// returns how many responses this call folded.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn catch_up(store: &Store) -> Result<u64, StoreError> {
    // One catch-up at a time: the dashboard asks for several reports at
    // once and each catches up first; unserialised, every one of them read
    // and folded the same batch and all but one commit were thrown away (the
    // cursor check keeps that correct, not cheap). Waiters then find little
    // or nothing left. Process-wide rather than per store: stores in one
    // process (tests) only wait a little longer for each other.
    static CATCHING_UP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = CATCHING_UP.lock().await;
    let mut defs = Definitions::new();
    let mut folded = 0u64;
    loop {
        let batch = store.pending_rollup_responses(BATCH).await?;
        let Some(last) = batch.rows.last().map(|r| r.rowid) else {
            break;
        };
        load_definitions(store, &batch.rows, &mut defs).await?;
        let delta = fold(&batch.rows, |s, v| defs.get(&(s.to_owned(), v)).cloned())?;
        if store.apply_rollup(batch.from, last, &delta).await? {
            folded += batch.rows.len() as u64;
        }
    }
    loop {
        let (from, events) = store.pending_rollup_events(EVENT_BATCH).await?;
        let Some(last) = events.last().map(|e| e.id) else {
            break;
        };
        store.apply_shown(from, last, &fold_shown(&events)).await?;
    }
    Ok(folded)
}

/// Runs [`catch_up`] every half second until the store closes. Errors are
/// logged and retried: a failed batch left nothing behind.
pub fn spawn(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if store.is_closed() {
                break;
            }
            if let Err(e) = catch_up(&store).await {
                if store.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "rollup catch-up failed; retrying");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        rowid: i64,
        answers: &str,
        flagged: bool,
        tags: &str,
        ms: Option<i64>,
    ) -> PendingResponse {
        PendingResponse {
            rowid,
            survey_id: "s".into(),
            survey_version: 1,
            channel: Some("wechat".into()),
            segment: None,
            locale: Some("zh-CN".into()),
            answers: answers.into(),
            // 16:30 UTC = 00:30 the next day in UTC+8.
            received_at: "2026-11-23T16:30:00.000Z".into(),
            flagged: Some(i64::from(flagged)),
            tags: Some(tags.into()),
            duration_ms: ms,
        }
    }

    fn questions() -> Arc<Questions> {
        Arc::new(HashMap::from([
            (
                "nps".to_owned(),
                Folded::Score {
                    kind: "nps",
                    dimension: "",
                },
            ),
            ("reason".to_owned(), Folded::Choice("multi_choice")),
        ]))
    }

    #[test]
    fn a_response_counts_once_per_level_and_once_per_tag() {
        let rows = [
            row(
                1,
                r#"{"nps": 3, "reason": ["slow", "price"], "comment": "慢"}"#,
                false,
                r#"["logistics_slow","price"]"#,
                Some(41_200),
            ),
            row(2, r#"{"nps": 10}"#, true, "[]", None),
        ];
        let delta = fold(&rows, |_, _| Some(questions())).unwrap();
        // Levels 0, 1, 3, 4, 5 for each flag value, levels 2 and 6 twice
        // for row 1 (once per tag).
        assert_eq!(delta.responses.len(), 14);
        let channel_only = delta
            .responses
            .keys()
            .find(|g| g.level == 3 && !g.flagged)
            .unwrap();
        assert_eq!(
            (channel_only.channel.as_str(), channel_only.locale.as_str()),
            ("wechat", "")
        );
        let l0: Vec<_> = delta
            .responses
            .iter()
            .filter(|(g, _)| g.level == 0)
            .collect();
        assert_eq!(l0.len(), 2);
        let (g, unflagged) = l0.iter().find(|(g, _)| !g.flagged).unwrap();
        assert_eq!(g.day, "2026-11-24");
        assert_eq!((g.channel.as_str(), g.tag.as_str()), ("", ""));
        assert_eq!((unflagged.responses, unflagged.timed), (1, 1));
        assert_eq!(unflagged.durations, BTreeMap::from([(41, 1)]));
        let context = delta
            .responses
            .keys()
            .find(|g| g.level == 1 && !g.flagged)
            .unwrap();
        assert_eq!(
            (
                context.channel.as_str(),
                context.segment.as_str(),
                context.locale.as_str()
            ),
            ("wechat", "", "zh-CN")
        );
        let tags: Vec<&str> = delta
            .responses
            .keys()
            .filter(|g| g.level == 2)
            .map(|g| g.tag.as_str())
            .collect();
        assert_eq!(tags, ["logistics_slow", "price"]);
        // NPS 3 counted at each of row 1's nine grains, NPS 10 at row 2's five.
        let threes: u64 = delta.scores.values().map(|s| s.counts[3]).sum();
        let tens: u64 = delta.scores.values().map(|s| s.counts[10]).sum();
        assert_eq!((threes, tens), (9, 5));
        // Reasons: respondents ('') and each option, at row 1's four grains.
        let l0_choices: BTreeMap<&str, u64> = delta
            .choices
            .iter()
            .filter(|((g, _, _), _)| g.level == 0)
            .map(|((_, _, o), (_, n))| (o.as_str(), *n))
            .collect();
        assert_eq!(
            l0_choices,
            BTreeMap::from([("", 1), ("price", 1), ("slow", 1)])
        );
        // Three choice rows ('' and two options) at each of row 1's nine grains.
        assert_eq!(delta.choices.len(), 27);
    }

    #[test]
    fn a_response_counts_once_at_the_tag_level_per_tag() {
        let mut other_context = row(
            2,
            r#"{"nps": 9, "reason": ["slow"]}"#,
            false,
            r#"["price"]"#,
            Some(5_000),
        );
        other_context.channel = Some("app".into());
        let rows = [
            // A repeated tag counts once.
            row(
                1,
                r#"{"nps": 3, "reason": ["slow", "price"]}"#,
                false,
                r#"["price","logistics_slow","price"]"#,
                Some(41_200),
            ),
            other_context,
            row(3, r#"{"nps": 10}"#, false, "[]", None),
        ];
        let delta = fold(&rows, |_, _| Some(questions())).unwrap();
        let tag_only: BTreeMap<(&str, &str, &str, &str), (u64, u64)> = delta
            .responses
            .iter()
            .filter(|(g, _)| g.level == 6)
            .map(|(g, r)| {
                (
                    (
                        g.tag.as_str(),
                        g.channel.as_str(),
                        g.segment.as_str(),
                        g.locale.as_str(),
                    ),
                    (r.responses, r.timed),
                )
            })
            .collect();
        // Both contexts (wechat, app) share one row per tag; the untagged
        // response has none.
        assert_eq!(
            tag_only,
            BTreeMap::from([
                (("logistics_slow", "", "", ""), (1, 1)),
                (("price", "", "", ""), (2, 2)),
            ])
        );
        // The same tag at level 2 stays split by context.
        let price_contexts = delta
            .responses
            .keys()
            .filter(|g| g.level == 2 && g.tag == "price")
            .count();
        assert_eq!(price_contexts, 2);
        let nps_price: Vec<[u64; 11]> = delta
            .scores
            .iter()
            .filter(|((g, q), _)| g.level == 6 && g.tag == "price" && q == "nps")
            .map(|(_, s)| s.counts)
            .collect();
        assert_eq!(nps_price.len(), 1);
        assert_eq!((nps_price[0][3], nps_price[0][9]), (1, 1));
        assert_eq!(nps_price[0].iter().sum::<u64>(), 2);
        let slow_price: BTreeMap<&str, u64> = delta
            .choices
            .iter()
            .filter(|((g, q, _), _)| g.level == 6 && g.tag == "price" && q == "reason")
            .map(|((_, _, o), (_, n))| (o.as_str(), *n))
            .collect();
        assert_eq!(
            slow_price,
            BTreeMap::from([("", 2), ("price", 1), ("slow", 2)])
        );
    }

    #[test]
    fn choice_answers_with_other_text_count_their_options() {
        assert_eq!(
            chosen(&serde_json::json!({"choices": ["a", "other"], "other_text": "x"})),
            ["a", "other"]
        );
        assert_eq!(
            chosen(&serde_json::json!({"choice": "other", "other_text": "x"})),
            ["other"]
        );
        assert_eq!(chosen(&serde_json::json!("yes")), ["yes"]);
        assert!(chosen(&serde_json::json!(3)).is_empty());
    }

    #[test]
    fn an_unknown_survey_version_is_an_error_not_a_silent_skip() {
        let rows = [row(1, r#"{"nps": 3}"#, false, "[]", None)];
        assert!(fold(&rows, |_, _| None).is_err());
    }

    #[test]
    fn the_backlog_counts_rows_behind_and_warms_up_past_the_thresholds() {
        // Responses folded to rowid 30,000 of 100,000 stored; events
        // folded to 150,000 of 200,000.
        let b = Backlog::from_positions(30_000, 100_000, 150_000, 200_000);
        assert_eq!((b.responses_pending, b.responses_total), (70_000, 100_000));
        assert_eq!((b.events_pending, b.events_total), (50_000, 200_000));
        // (30,000 + 150,000) / 300,000 folded.
        assert_eq!(b.folded_pct, 60.0);
        assert!(b.warming_up(), "70,000 responses behind");
        // At the thresholds a report folds the rest itself.
        let at = Backlog::from_positions(0, WARM_UP_RESPONSES as i64, 0, WARM_UP_EVENTS as i64);
        assert!(!at.warming_up());
        assert!(Backlog::from_positions(0, 0, 0, WARM_UP_EVENTS as i64 + 1).warming_up());
        // Nothing stored: done, not 0 %.
        let empty = Backlog::from_positions(0, 0, 0, 0);
        assert_eq!((empty.folded_pct, empty.warming_up()), (100.0, false));
        // The rollups never pass the last response, but a cursor ahead of
        // it must not underflow.
        assert_eq!(Backlog::from_positions(10, 5, 0, 0).responses_pending, 0);
    }

    #[test]
    fn exports_wait_for_the_unanalysed_responses_only() {
        // 100,000 stored, analysed to 50,000, folded to 30,000; 200,000
        // events behind.
        let b = Backlog::from_positions(30_000, 100_000, 0, 200_000).analysed_to(50_000);
        assert_eq!(
            (b.responses_unanalysed, b.responses_pending),
            (50_000, 70_000)
        );
        assert!(b.holds_up(Needs::Analysed) && b.holds_up(Needs::Folded));
        // Analysed up to the threshold: an export analyses the rest itself,
        // however far behind the rollups and the events are.
        let at = WARM_UP_RESPONSES as i64;
        let b = Backlog::from_positions(0, 100_000, 0, 200_000).analysed_to(100_000 - at);
        assert_eq!(b.responses_unanalysed, WARM_UP_RESPONSES);
        assert!(!b.holds_up(Needs::Analysed) && b.holds_up(Needs::Folded));
        let b = Backlog::from_positions(100_000, 100_000, 0, 200_000).analysed_to(100_000);
        assert!(!b.holds_up(Needs::Analysed) && b.holds_up(Needs::Folded));
        // One more unanalysed: it waits.
        let b = Backlog::from_positions(0, 100_000, 0, 0).analysed_to(100_000 - at - 1);
        assert!(b.holds_up(Needs::Analysed));
        // Without the analysis cursor nothing counts as unanalysed; a
        // cursor past the last response must not underflow.
        assert_eq!(
            Backlog::from_positions(0, 100, 0, 0).responses_unanalysed,
            0
        );
        let ahead = Backlog::from_positions(0, 5, 0, 0).analysed_to(10);
        assert_eq!(ahead.responses_unanalysed, 0);
    }

    #[test]
    fn only_shown_events_count_per_day_and_survey_and_per_context() {
        let e =
            |id, event: &str, at: &str, version: Option<i64>, channel: Option<&str>| PendingEvent {
                id,
                survey_id: "s".into(),
                event: event.into(),
                received_at: at.into(),
                version,
                channel: channel.map(str::to_owned),
                segment: None,
                locale: Some("en".into()),
            };
        let shown = fold_shown(&[
            e(1, "shown", "2026-11-23T15:00:00.000Z", Some(2), Some("web")),
            e(2, "shown", "2026-11-23T16:00:00.000Z", Some(2), Some("web")),
            e(
                3,
                "started",
                "2026-11-23T16:00:00.000Z",
                Some(2),
                Some("web"),
            ),
            // No version: context unknown, whatever else it carries.
            e(4, "shown", "2026-11-23T17:00:00.000Z", None, Some("app")),
        ]);
        assert_eq!(
            shown.per_survey,
            BTreeMap::from([
                (("2026-11-23".to_owned(), "s".to_owned()), 1),
                (("2026-11-24".to_owned(), "s".to_owned()), 2),
            ])
        );
        let grain = |day: &str, version, channel: &str, locale: &str| ShownGrain {
            day: day.into(),
            survey_id: "s".into(),
            version,
            channel: channel.into(),
            segment: String::new(),
            locale: locale.into(),
        };
        assert_eq!(
            shown.per_context,
            BTreeMap::from([
                (grain("2026-11-23", 2, "web", "en"), 1),
                (grain("2026-11-24", 0, "", ""), 1),
                (grain("2026-11-24", 2, "web", "en"), 1),
            ])
        );
    }
}
