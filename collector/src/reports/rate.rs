//! The response rate (submitted ÷ shown, shared/DESIGN.md) of a report's
//! groups: which impressions a filter and grouping can see, and which
//! submitted responses are set against them.
//!
//! * Unfiltered, by survey and per day: every 'shown' event (rollup_shown,
//!   migration 0007).
//! * Under a version, channel, segment or locale filter or grouping: the
//!   impressions with that context (rollup_shown_context, migration 0011:
//!   the loader sends the survey version and the context the response will
//!   carry). Impressions stored without context (before 0011, or from a
//!   loader older than it) cannot be placed in a group. So that a rate
//!   never sets the responses of such impressions against impressions that
//!   leave them out, each (reporting day, survey) holding one or more
//!   context-less impressions is left out of the rate under these filters:
//!   its impressions are not in `shown` and its responses are not in the
//!   numerator (they still count in `responses` and every other figure).
//!   Unfiltered and by-survey figures count every impression.
//! * Under a question or tag filter or grouping: unknown (`null`): an
//!   impression has no answers and no tags.

use std::collections::{BTreeMap, HashSet};

use super::kpis::KpiSums;
use super::query::{Filter, GroupBy};
use crate::store::reports::Key;
use crate::store::{Store, StoreError};

/// Whether impressions can be known under `filter` and `group` at all.
pub fn rate_known(filter: &Filter, group: Option<GroupBy>) -> bool {
    filter.question.is_none()
        && filter.tag.is_none()
        && !matches!(group, Some(GroupBy::Question | GroupBy::Tag))
}

/// Whether every impression counts (nothing narrower than the survey).
fn every_impression(filter: &Filter, group: Option<GroupBy>) -> bool {
    !filter.narrower_than_survey() && matches!(group, None | Some(GroupBy::Survey))
}

/// Sets `shown` (and `unrated`) of the groups in `out`, keyed by `keys`
/// (the day and/or group key of the report), adding groups that had
/// impressions but no responses. Leaves `out` alone when the rate cannot
/// be known.
pub async fn add_shown(
    store: &Store,
    filter: &Filter,
    group: Option<GroupBy>,
    keys: &[Key],
    out: &mut BTreeMap<Vec<String>, KpiSums>,
) -> Result<(), StoreError> {
    if !rate_known(filter, group) {
        return Ok(());
    }
    let sel = filter.selection(group);
    if every_impression(filter, group) {
        for (k, n) in store.report_shown(&sel, keys).await? {
            out.entry(k).or_default().shown = Some(n);
        }
    } else {
        let unplaced: HashSet<(String, String)> = store
            .days_without_context(&sel)
            .await?
            .into_iter()
            .collect();
        // Per (day, survey) first, so the days with unplaced impressions
        // can be left out; then summed to the report's keys.
        let fine: Vec<Key> = [Key::Day, Key::Survey]
            .into_iter()
            .chain(keys.iter().copied())
            .collect();
        let left_out = |k: &[String]| unplaced.contains(&(k[0].clone(), k[1].clone()));
        for (k, n) in store.report_shown_context(&sel, &fine).await? {
            if !left_out(&k) {
                *out.entry(k[2..].to_vec())
                    .or_default()
                    .shown
                    .get_or_insert(0) += n;
            }
        }
        if !unplaced.is_empty() {
            for row in store.report_totals(&sel, &fine).await? {
                if left_out(&row.keys) {
                    // Flagged or not: both were submitted.
                    out.entry(row.keys[2..].to_vec()).or_default().unrated += row.responses;
                }
            }
        }
    }
    for e in out.values_mut() {
        e.shown.get_or_insert(0);
    }
    Ok(())
}
