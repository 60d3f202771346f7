//! The response rate (submitted ÷ shown, shared/DESIGN.md) of a report's
//! groups: which impressions a filter and grouping can see, and which
//! submitted responses are set against them.
//!
//! * Unfiltered, by survey and per day: every 'shown' event (rollup_shown,
//!   migration 0007).
//! * Under a version, channel, segment or locale filter or grouping: the
//!   impressions with that context (rollup_shown_context, migration 0011:
//!   the loader sends the survey version and the context the response will
//!   carry). Impressions stored without context (before 0011, from a loader
//!   copy older than it — a tab left open, a pinned or self-hosted
//!   manyi.js — or from anyone posting by hand) cannot be placed in a
//!   group. A (reporting day, survey) whose context-less impressions are
//!   more than [`MAX_WITHOUT_CONTEXT_PCT`] % of its impressions is left out
//!   of the rate under these filters: its impressions are not in `shown`
//!   and its responses are not in the numerator (they still count in
//!   `responses` and every other figure). Below that share the day counts
//!   with its context impressions (a few stray impressions would otherwise
//!   hide the whole day, indefinitely while old loader copies live on);
//!   the rate is then at most that share too high. Both are reported:
//!   `shown_without_context` and `days_left_out` ([`super::kpis::Kpis`]).
//!   Unfiltered and by-survey figures count every impression.
//! * Under a question or tag filter or grouping: unknown (`null`): an
//!   impression has no answers and no tags.

use std::collections::{BTreeMap, HashSet};

use super::kpis::KpiSums;
use super::query::{Filter, GroupBy};
use crate::store::reports::{Key, Selection};
use crate::store::{Store, StoreError};

/// A (reporting day, survey) is left out of context rates when more than
/// this share (in %) of its impressions came without context. 1 %: old
/// loader copies and hand-made posts leave a trickle that must not hide a
/// day, while a day mostly from before migration 0011 (or from an old
/// loader at large) would set its responses against a fraction of their
/// impressions. A counted day's rate is at most this share too high.
pub const MAX_WITHOUT_CONTEXT_PCT: u64 = 1;

/// Whether a (day, survey) with `without` context-less impressions among
/// `all` is left out of context rates.
pub fn left_out(without: u64, all: u64) -> bool {
    // without / all > pct / 100, in integers.
    without.saturating_mul(100) > all.saturating_mul(MAX_WITHOUT_CONTEXT_PCT)
}

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

/// Whether the rate counts context impressions only (version and context
/// filters and groups), so days can be left out.
pub fn context_only(filter: &Filter, group: Option<GroupBy>) -> bool {
    rate_known(filter, group) && !every_impression(filter, group)
}

/// Sets to 0 the rate fields of `sums` that `filter` and `group` make
/// known, where no row filled them (a group, day or bucket with neither
/// impressions nor responses still has a known rate): `shown` whenever
/// the rate is known; under context filters and groups `days_left_out`,
/// and `shown_without_context` where not grouped (an impression without
/// context belongs to no group: see [`super::kpis::Kpis`]).
pub fn zero_known_fields(filter: &Filter, group: Option<GroupBy>, sums: &mut KpiSums) {
    if !rate_known(filter, group) {
        return;
    }
    sums.shown.get_or_insert(0);
    if context_only(filter, group) {
        sums.days_left_out.get_or_insert(0);
        if group.is_none() {
            sums.shown_without_context.get_or_insert(0);
        }
    }
}

/// The impressions without context and the (day, survey) pairs left out
/// over a report's whole range and survey (a breakdown's totals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Impressions stored without context.
    pub shown_without_context: u64,
    /// (day, survey) pairs left out of context rates.
    pub days_left_out: u64,
}

/// Sets `shown` (and `unrated`, `shown_without_context`, `days_left_out`)
/// of the groups in `out`, keyed by `keys` (the day and/or group key of
/// the report), adding groups that had impressions but no responses.
/// Leaves `out` alone when the rate cannot be known. Returns the coverage
/// totals where days can be left out ([`context_only`]), else `None`.
pub async fn add_shown(
    store: &Store,
    filter: &Filter,
    group: Option<GroupBy>,
    keys: &[Key],
    out: &mut BTreeMap<Vec<String>, KpiSums>,
) -> Result<Option<Coverage>, StoreError> {
    if !rate_known(filter, group) {
        return Ok(None);
    }
    let sel = filter.selection(group);
    let mut coverage = None;
    if every_impression(filter, group) {
        for (k, n) in store.report_shown(&sel, keys).await? {
            out.entry(k).or_default().shown = Some(n);
        }
    } else {
        coverage = Some(add_context_shown(store, &sel, keys, out).await?);
    }
    for e in out.values_mut() {
        zero_known_fields(filter, group, e);
    }
    Ok(coverage)
}

/// The context branch of [`add_shown`].
async fn add_context_shown(
    store: &Store,
    sel: &Selection,
    keys: &[Key],
    out: &mut BTreeMap<Vec<String>, KpiSums>,
) -> Result<Coverage, StoreError> {
    let pairs = store.shown_without_context(sel).await?;
    let grouped = keys.iter().any(|k| *k != Key::Day);
    let by_day = keys.first() == Some(&Key::Day);
    let mut unplaced: HashSet<(String, String)> = HashSet::new();
    let mut coverage = Coverage::default();
    for (day, survey, without, all) in pairs {
        let gone = left_out(without, all);
        coverage.shown_without_context += without;
        coverage.days_left_out += u64::from(gone);
        if !grouped {
            let k = if by_day {
                vec![day.clone()]
            } else {
                Vec::new()
            };
            let e = out.entry(k).or_default();
            *e.shown_without_context.get_or_insert(0) += without;
            if gone {
                *e.days_left_out.get_or_insert(0) += 1;
            }
        }
        if gone {
            unplaced.insert((day, survey));
        }
    }
    if unplaced.is_empty() {
        // Nothing to leave out: sum straight to the report's keys (the
        // common case once loaders carry context; a tenth of the rows of
        // the per-day-and-survey query below).
        for (k, n) in store.report_shown_context(sel, keys).await? {
            out.entry(k).or_default().shown = Some(n);
        }
        return Ok(coverage);
    }
    // Per (day, survey) first, so the days with too many unplaced
    // impressions can be left out; then summed to the report's keys.
    let fine: Vec<Key> = [Key::Day, Key::Survey]
        .into_iter()
        .chain(keys.iter().copied())
        .collect();
    let is_out = |k: &[String]| unplaced.contains(&(k[0].clone(), k[1].clone()));
    // The left-out (day, survey) × group cells each group appears in.
    let mut gone_cells: HashSet<Vec<String>> = HashSet::new();
    for (k, n) in store.report_shown_context(sel, &fine).await? {
        if is_out(&k) {
            gone_cells.insert(k);
        } else {
            *out.entry(k[2..].to_vec())
                .or_default()
                .shown
                .get_or_insert(0) += n;
        }
    }
    for row in store.report_totals(sel, &fine).await? {
        if is_out(&row.keys) {
            // Flagged or not: both were submitted.
            out.entry(row.keys[2..].to_vec()).or_default().unrated += row.responses;
            gone_cells.insert(row.keys);
        }
    }
    if grouped {
        for cell in gone_cells {
            *out.entry(cell[2..].to_vec())
                .or_default()
                .days_left_out
                .get_or_insert(0) += 1;
        }
    }
    Ok(coverage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn filter() -> Filter {
        Filter::range(date!(2026 - 11 - 01), date!(2026 - 11 - 30))
    }

    /// (shown, shown_without_context, days_left_out) after zeroing.
    fn zeroed(f: &Filter, group: Option<GroupBy>) -> (Option<u64>, Option<u64>, Option<u64>) {
        let mut s = KpiSums::default();
        zero_known_fields(f, group, &mut s);
        (s.shown, s.shown_without_context, s.days_left_out)
    }

    #[test]
    fn known_rate_fields_are_zeroed_and_unknown_ones_stay_null() {
        let all = filter();
        assert_eq!(zeroed(&all, None), (Some(0), None, None));
        assert_eq!(zeroed(&all, Some(GroupBy::Survey)), (Some(0), None, None));
        let web = Filter {
            channel: Some("web".into()),
            ..filter()
        };
        assert_eq!(zeroed(&web, None), (Some(0), Some(0), Some(0)));
        // A group cannot hold impressions without context.
        assert_eq!(
            zeroed(&all, Some(GroupBy::Channel)),
            (Some(0), None, Some(0))
        );
        assert_eq!(zeroed(&all, Some(GroupBy::Question)), (None, None, None));
        let tagged = Filter {
            tag: Some("price".into()),
            ..filter()
        };
        assert_eq!(zeroed(&tagged, None), (None, None, None));
        // Fields a row filled are kept.
        let mut s = KpiSums {
            shown: Some(7),
            ..KpiSums::default()
        };
        zero_known_fields(&web, None, &mut s);
        assert_eq!((s.shown, s.days_left_out), (Some(7), Some(0)));
    }

    #[test]
    fn a_day_is_left_out_only_above_one_percent_without_context() {
        // 2 of 200 is exactly 1 %: counted; 3 of 200 is not.
        assert!(!left_out(0, 0));
        assert!(!left_out(1, 201));
        assert!(!left_out(2, 200));
        assert!(left_out(3, 200));
        assert!(left_out(1, 99));
        assert!(left_out(5, 10));
        // Nothing but impressions without context.
        assert!(left_out(4, 4));
    }
}
