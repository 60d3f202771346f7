//! One batch of the pipeline: read the responses past the cursor, load what
//! analysing them needs with one query per kind of thing, analyse each, and
//! hand the results to the store to write with the new cursor.

use manyi_shared::Survey;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::case_rules::{self, Facts, Rule};
use super::facts::{self, Answers};
use super::keywords::{self, TagResult, Tagger};
use super::quality::{self, Flag, Thresholds};
use crate::store::analysis::{
    AnalysedResponse, BatchWritten, CaseToOpen, DuplicateProbe, PendingResponse, window_start,
};
use crate::store::{Store, StoreError};

/// Responses per batch of [`super::Pipeline::catch_up`] (a report waits
/// for it), and the most the background loop analyses per round during a
/// long peak. One transaction of this size holds the write connection for
/// ~80 ms on the 2-core machines (most responses of the bench open a case),
/// which the response writer's waiters see as latency: the background loop
/// commits in transactions of [`super::pipeline::LOOP_BATCH_SIZE`].
pub const BATCH_SIZE: i64 = 1000;

/// Responses received longer ago than this when analysed (a backlog after
/// an upgrade, imported or generated history) get flags and tags but open
/// no case: a call-back weeks late helps nobody, and hundreds of cases
/// overdue on arrival would bury the queue and escalate at once.
pub const CASE_HORIZON: time::Duration = time::Duration::days(7);

/// Whether a response received at `received` may still open a case at `now`.
pub fn opens_cases(received: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - received <= CASE_HORIZON
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Responses read past the cursor.
    pub read: usize,
    /// Analysis rows written (fewer than `read` only if some were analysed
    /// already).
    pub analysed: usize,
    /// Cases opened.
    pub cases: usize,
}

/// The analysing side of the worker; keeps parsed survey definitions
/// between batches (a published version never changes).
#[derive(Debug, Default)]
pub struct Analyzer {
    /// `None`: the stored definition does not parse (texts are still read).
    surveys: HashMap<(String, i64), Option<Arc<Survey>>>,
}

/// One response during analysis.
struct Draft<'a> {
    row: &'a PendingResponse,
    /// The stored answers, parsed once (read, and sent in the event).
    raw: Value,
    answers: Answers,
    tagged: TagResult,
    thresholds: Thresholds,
    duration_ms: Option<i64>,
    received: OffsetDateTime,
}

impl Analyzer {
    /// Analyses the next batch (up to `limit` responses) and commits it.
    /// `Ok(None)` when nothing was pending or the cursor moved meanwhile.
    pub async fn run_batch(
        &mut self,
        store: &Store,
        limit: i64,
    ) -> Result<Option<BatchReport>, StoreError> {
        let cursor = store.analysis_cursor().await?;
        let rows = store.pending_responses(cursor, limit).await?;
        let Some(last) = rows.last().map(|r| r.rowid) else {
            return Ok(None);
        };
        self.load_surveys(store, &rows).await?;

        let survey_ids: Vec<&str> = distinct(rows.iter().map(|r| r.survey_id.as_str()));
        let sites: Vec<&str> = distinct(rows.iter().map(|r| r.site_key.as_str()));
        let settings = store.quality_settings_of(&survey_ids).await?;
        let taggers = taggers_for(store, &sites).await?;
        let rules = rules_for(store, &sites).await?;
        let with_events = store.response_created_subscribed().await?;

        let drafts: Vec<Draft<'_>> = rows
            .iter()
            .map(|row| {
                let survey = self
                    .surveys
                    .get(&(row.survey_id.clone(), row.survey_version))
                    .cloned()
                    .flatten();
                let raw: Value = serde_json::from_str(&row.answers).unwrap_or(Value::Null);
                let answers = facts::read(&raw, survey.as_deref());
                let tagger = taggers.get(row.site_key.as_str());
                let tagged = tagger.map_or_else(TagResult::default, |t| {
                    t.tag(answers.texts.iter().map(String::as_str))
                });
                let thresholds = Thresholds::resolve(
                    settings.get(&row.survey_id).copied(),
                    survey.as_ref().and_then(|s| s.display.min_seconds),
                    answers.answered,
                );
                Draft {
                    row,
                    duration_ms: quality::duration_ms(
                        row.shown_at.as_deref(),
                        row.submitted_at.as_deref(),
                    ),
                    received: OffsetDateTime::parse(&row.received_at, &Rfc3339)
                        .unwrap_or_else(|_| OffsetDateTime::now_utc()),
                    raw,
                    answers,
                    tagged,
                    thresholds,
                }
            })
            .collect();

        let probes: Vec<DuplicateProbe<'_>> = drafts
            .iter()
            .filter(|d| d.thresholds.duplicate_window_minutes > 0)
            .filter_map(|d| {
                Some(DuplicateProbe {
                    response_id: &d.row.response_id,
                    rowid: d.row.rowid,
                    site: &d.row.site_key,
                    customer: d.row.customer.as_deref()?,
                    order_id: d.row.order_id.as_deref(),
                    from: window_start(d.received, d.thresholds.duplicate_window_minutes),
                    at: &d.row.received_at,
                })
            })
            .collect();
        let duplicates = store.earlier_answers_of_customers(&probes).await?;

        let builtin = case_rules::builtin();
        let now = OffsetDateTime::now_utc();
        let batch: Vec<AnalysedResponse> = drafts
            .iter()
            .map(|d| {
                let site_rules = rules
                    .get(d.row.site_key.as_str())
                    .map_or(builtin.as_slice(), Vec::as_slice);
                let rules = if opens_cases(d.received, now) {
                    site_rules
                } else {
                    &[]
                };
                finish(
                    d,
                    duplicates.contains(&d.row.response_id),
                    rules,
                    with_events,
                )
            })
            .collect();

        let Some(BatchWritten { analysed, cases }) =
            store.commit_analysis(cursor, last, &batch).await?
        else {
            return Ok(None);
        };
        Ok(Some(BatchReport {
            read: rows.len(),
            analysed,
            cases,
        }))
    }

    /// Parses the definitions of survey versions not seen before.
    async fn load_surveys(
        &mut self,
        store: &Store,
        rows: &[PendingResponse],
    ) -> Result<(), StoreError> {
        let missing: Vec<(String, i64)> = distinct(
            rows.iter()
                .map(|r| (r.survey_id.clone(), r.survey_version))
                .filter(|k| !self.surveys.contains_key(k)),
        );
        if missing.is_empty() {
            return Ok(());
        }
        for (id, version, definition) in store.survey_definitions(&missing).await? {
            let parsed = match serde_json::from_str::<Survey>(&definition) {
                Ok(s) => Some(Arc::new(s)),
                Err(e) => {
                    tracing::warn!(survey = %id, version, error = %e,
                        "stored survey definition does not parse; analysing its responses' texts only");
                    None
                }
            };
            self.surveys.insert((id, version), parsed);
        }
        for key in missing {
            self.surveys.entry(key).or_insert(None);
        }
        Ok(())
    }
}

/// Flags, case and event of one response.
fn finish(d: &Draft<'_>, duplicate: bool, rules: &[Rule], with_event: bool) -> AnalysedResponse {
    let row = d.row;
    let flags: Vec<&'static str> =
        quality::flags(&d.answers.scores, d.duration_ms, &d.thresholds, duplicate)
            .into_iter()
            .map(Flag::code)
            .collect();
    let tags: Vec<String> = d.tagged.tags.iter().cloned().collect();
    // Flagged responses open cases too: a flag says "do not trust this
    // figure", not "nobody is unhappy"; the person calling back decides.
    let decision = case_rules::decide(
        rules,
        &Facts {
            survey_id: &row.survey_id,
            scores: &d.answers.scores,
            tags: &d.tagged.tags,
            alert_keywords: &d.tagged.alert_keywords,
            segment: row.segment.as_deref(),
        },
    );
    let case = decision.map(|decision| CaseToOpen {
        customer: case_customer(row),
        priority: decision.priority,
        reason: decision.reason,
        rule: decision.rule,
        owner: decision.owner,
        opened_at: d.received,
    });
    let event = with_event.then(|| {
        json!({
            "response_id": row.response_id,
            "site": row.site_key,
            "survey_id": row.survey_id,
            "survey_version": row.survey_version,
            "order_id": row.order_id,
            "customer": row.customer,
            "channel": row.channel,
            "segment": row.segment,
            "locale": row.locale,
            "answers": d.raw,
            "received_at": row.received_at,
            "flags": flags,
            "tags": tags,
            "alert": d.tagged.alert(),
        })
    });
    AnalysedResponse {
        response_id: row.response_id.clone(),
        site: row.site_key.clone(),
        survey_id: row.survey_id.clone(),
        received_at: row.received_at.clone(),
        alert: d.tagged.alert(),
        duration_ms: d.duration_ms,
        flags,
        tags,
        case,
        event,
    }
}

/// Who a case is about. A case needs a customer (the queue is per
/// customer, and an open case stops surveying them again): the response's
/// `customer`; without one, `order:<order_id>` (the merchant can look the
/// order up); without either, `response:<response_id>` — anonymous, but
/// the answer itself is still worth reading and reacting to.
pub fn case_customer(row: &PendingResponse) -> String {
    match (&row.customer, &row.order_id) {
        (Some(c), _) => c.clone(),
        (None, Some(order)) => format!("order:{order}"),
        (None, None) => format!("response:{}", row.response_id),
    }
}

/// The built-in dictionaries plus the custom keywords of every site and of
/// each site in the batch: one tagger per site.
async fn taggers_for(store: &Store, sites: &[&str]) -> Result<HashMap<String, Tagger>, StoreError> {
    let custom = store.keyword_rows(Some(sites)).await?;
    Ok(sites
        .iter()
        .map(|site| {
            let entries = keywords::builtin().iter().cloned().chain(
                custom
                    .iter()
                    .filter(|k| k.site.as_deref().is_none_or(|s| s == *site))
                    .map(|k| k.entry.clone()),
            );
            ((*site).to_owned(), Tagger::new(entries))
        })
        .collect())
}

/// The rules of each site in the batch that has rules of its own (the
/// others use the built-in ones).
async fn rules_for(
    store: &Store,
    sites: &[&str],
) -> Result<HashMap<String, Vec<Rule>>, StoreError> {
    let mut by_site: HashMap<String, Vec<Rule>> = HashMap::new();
    for row in store.rule_rows(Some(sites)).await? {
        by_site.entry(row.site).or_default().push(row.rule);
    }
    Ok(by_site)
}

/// The distinct items, first occurrence first.
fn distinct<T: Clone + Eq + std::hash::Hash>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(customer: Option<&str>, order: Option<&str>) -> PendingResponse {
        PendingResponse {
            rowid: 1,
            response_id: "r-1".into(),
            site_key: "demo".into(),
            survey_id: "s".into(),
            survey_version: 1,
            order_id: order.map(str::to_owned),
            customer: customer.map(str::to_owned),
            channel: None,
            segment: None,
            locale: None,
            answers: "{}".into(),
            shown_at: None,
            submitted_at: None,
            received_at: "2026-11-23T08:00:00.000Z".into(),
        }
    }

    #[test]
    fn cases_are_about_the_customer_else_the_order_else_the_response() {
        assert_eq!(case_customer(&row(Some("c-1"), Some("o-1"))), "c-1");
        assert_eq!(case_customer(&row(None, Some("o-1"))), "order:o-1");
        assert_eq!(case_customer(&row(None, None)), "response:r-1");
    }

    #[test]
    fn only_responses_of_the_last_seven_days_open_cases() {
        use time::macros::datetime;
        let now = datetime!(2026-11-23 08:00 UTC);
        assert!(opens_cases(now, now));
        assert!(opens_cases(datetime!(2026-11-16 08:00 UTC), now));
        assert!(!opens_cases(datetime!(2026-11-16 07:59:59 UTC), now));
    }

    #[test]
    fn distinct_keeps_first_occurrences_in_order() {
        assert_eq!(distinct(["b", "a", "b", "c", "a"]), vec!["b", "a", "c"]);
    }
}
