//! Follow-up cases: the closed loop. An unhappy answer opens a case with an
//! owner, a priority and a due time; someone contacts the customer, resolves
//! the problem, and the customer's answer to a short verification survey
//! closes the loop (`open → contacted → resolved → verified`).
//!
//! This module holds the domain rules; SQL lives in `crate::store::cases`.
//! - here: [`Priority`] and its due times (also after a change of
//!   priority, [`due_after_priority_change`]), [`Status`], [`CaseError`],
//!   [`Settings`];
//! - [`workflow`]: who may move a case from which status to which;
//! - [`verification`]: the customer's answer, when it verifies a case, and
//!   the secret link token;
//! - [`overdue`]: escalation of cases past their due time, and the
//!   background sweeper.

pub mod overdue;
pub mod verification;
pub mod workflow;

pub use workflow::Status;

use time::{Duration, OffsetDateTime};

use crate::store::StoreError;

/// Refusals of the case API and workflow. Codes are public contract (see
/// `docs/cases-api.md`): never rename one, only add.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// No case has this id.
    #[error("no case has the id {0}")]
    NotFound(i64),
    /// The workflow does not allow this change of status (for this actor).
    #[error("a case cannot go from {from} to {to}{why}")]
    InvalidTransition {
        /// The current status.
        from: Status,
        /// The requested one.
        to: Status,
        /// A hint, e.g. " (only the customer's verification verifies a case)".
        why: &'static str,
    },
    /// The case is verified or closed: its owner and priority no longer change.
    #[error("case {id} is {status}: it can no longer change")]
    Final {
        /// The case.
        id: i64,
        /// Its final status.
        status: Status,
    },
    /// The case does not wait for the customer's verification (it is not
    /// `resolved`), so it has no verification link to replace.
    #[error("case {id} is {status}: only a resolved case has a verification link to renew")]
    NotAwaitingVerification {
        /// The case.
        id: i64,
        /// Its status.
        status: Status,
    },
    /// The request is malformed (unknown field, unknown status, …).
    #[error("{0}")]
    InvalidRequest(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CaseError {
    fn from(e: sqlx::Error) -> Self {
        CaseError::Store(StoreError::Db(e))
    }
}

impl CaseError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::NotFound(_) => "case_not_found",
            CaseError::InvalidTransition { .. } => "invalid_transition",
            CaseError::Final { .. } => "case_final",
            CaseError::NotAwaitingVerification { .. } => "not_awaiting_verification",
            CaseError::InvalidRequest(_) => "invalid_request",
            CaseError::Store(_) => "internal",
        }
    }
}

/// How urgent a case is; sets its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// An alert keyword (fraud, complaint, security): call back within 1 hour.
    Urgent,
    /// Within 4 hours.
    High,
    /// Within 24 hours.
    Normal,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 3] = [Priority::Urgent, Priority::High, Priority::Normal];

    /// The stored and wire name: `urgent`, `high`, `normal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
        }
    }

    /// Parses [`Priority::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// How long the merchant has, from the opening (or reopening), before
    /// an `open` or `contacted` case is overdue: it must be resolved, not
    /// only contacted, by then (see [`overdue`]).
    pub fn response_time(self) -> Duration {
        match self {
            Priority::Urgent => Duration::hours(1),
            Priority::High => Duration::hours(4),
            Priority::Normal => Duration::hours(24),
        }
    }

    /// When a case of this priority opened at `opened` is due.
    pub fn due_at(self, opened: OffsetDateTime) -> OffsetDateTime {
        opened + self.response_time()
    }

    /// One step more urgent (an overdue case escalates); urgent stays urgent.
    pub fn escalated(self) -> Self {
        match self {
            Priority::Normal => Priority::High,
            Priority::High | Priority::Urgent => Priority::Urgent,
        }
    }
}

/// The due time of a case whose priority changes from `old` to `new` at
/// `now`. `due` is its current due time; `clock_start` is when its current
/// response window began: its last reopening, else its opening.
///
/// - **Raised** (e.g. normal → urgent): the shorter window counts from the
///   change, since nobody could have been held to it before; a due time
///   already sooner is kept. So raising an old case never makes it overdue
///   at once (and never escalates it on the next sweep), and never gives it
///   more time.
/// - **Lowered** (e.g. urgent → normal, a false alarm): the longer window
///   counts from `clock_start`, as if the case had had that priority all
///   along, and a due time is never brought forward. Counting from the
///   change instead would let anyone reset the clock by lowering and raising
///   again; with this rule priority changes alone never move a due time
///   past the later of its current value and `clock_start` + the longest
///   window. A case that
///   was overdue stays overdue when even the longer window has run out; if
///   it has not, the miss was against a priority the case should not have
///   had, and the case is due again at the end of the longer window (an
///   escalation already made stays in its level and history).
/// - Unchanged: the due time stays.
pub fn due_after_priority_change(
    old: Priority,
    new: Priority,
    due: OffsetDateTime,
    clock_start: OffsetDateTime,
    now: OffsetDateTime,
) -> OffsetDateTime {
    // `Ord` on Priority is most urgent first: `new < old` means raised.
    match new.cmp(&old) {
        std::cmp::Ordering::Less => due.min(new.due_at(now)),
        std::cmp::Ordering::Greater => due.max(new.due_at(clock_start)),
        std::cmp::Ordering::Equal => due,
    }
}

/// Settings of the closed loop that come from the collector's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How long a verification link stays valid after it is made
    /// (`--verification-link-days`).
    pub link_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            link_ttl: verification::DEFAULT_LINK_TTL,
        }
    }
}

impl Settings {
    /// Settings with links valid for `days` days.
    pub fn with_link_days(days: u32) -> Self {
        Self {
            link_ttl: Duration::days(i64::from(days)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn raising_counts_the_shorter_window_from_the_change_but_never_adds_time() {
        let opened = datetime!(2026-11-20 08:00 UTC);
        let now = datetime!(2026-11-23 10:00 UTC);
        // A normal case, three days old, escalated to high (due 12:30):
        // made urgent at 10:00 it is due at 11:00 (counted from its opening
        // it would have been due on 2026-11-20 at 09:00: overdue at once).
        let due = datetime!(2026-11-23 12:30 UTC);
        assert_eq!(
            due_after_priority_change(Priority::High, Priority::Urgent, due, opened, now),
            datetime!(2026-11-23 11:00 UTC)
        );
        // Due in 20 minutes already: raising keeps the sooner time.
        let soon = datetime!(2026-11-23 10:20 UTC);
        assert_eq!(
            due_after_priority_change(Priority::Normal, Priority::Urgent, soon, opened, now),
            soon
        );
        // Already overdue: raising does not hide it.
        let missed = datetime!(2026-11-23 09:00 UTC);
        assert_eq!(
            due_after_priority_change(Priority::Normal, Priority::High, missed, opened, now),
            missed
        );
    }

    #[test]
    fn lowering_counts_the_longer_window_from_the_clock_start_and_never_brings_it_forward() {
        let opened = datetime!(2026-11-23 08:00 UTC);
        let now = datetime!(2026-11-23 08:20 UTC);
        // An urgent false alarm lowered to normal: due 24 h after opening.
        assert_eq!(
            due_after_priority_change(
                Priority::Urgent,
                Priority::Normal,
                datetime!(2026-11-23 09:00 UTC),
                opened,
                now
            ),
            datetime!(2026-11-24 08:00 UTC)
        );
        // Reopened at 20:00: the window counts from the reopening.
        let reopened = datetime!(2026-11-23 20:00 UTC);
        assert_eq!(
            due_after_priority_change(
                Priority::Urgent,
                Priority::High,
                datetime!(2026-11-23 21:00 UTC),
                reopened,
                datetime!(2026-11-23 20:10 UTC)
            ),
            datetime!(2026-11-24 00:00 UTC)
        );
        // Escalated (due 2026-11-25 12:00 from its escalation): lowering to
        // normal keeps the later due time rather than opening + 24 h.
        let escalated_due = datetime!(2026-11-25 12:00 UTC);
        assert_eq!(
            due_after_priority_change(
                Priority::High,
                Priority::Normal,
                escalated_due,
                opened,
                datetime!(2026-11-25 10:00 UTC)
            ),
            escalated_due
        );
    }

    #[test]
    fn lowering_and_raising_again_never_goes_past_the_longest_window() {
        let opened = datetime!(2026-11-23 08:00 UTC);
        let mut due = Priority::Urgent.due_at(opened);
        let mut now = opened;
        for _ in 0..10 {
            now += Duration::minutes(50);
            due = due_after_priority_change(Priority::Urgent, Priority::Normal, due, opened, now);
            due = due_after_priority_change(Priority::Normal, Priority::Urgent, due, opened, now);
            assert!(due <= Priority::Normal.due_at(opened), "{due}");
        }
        assert_eq!(
            due_after_priority_change(Priority::High, Priority::High, due, opened, now),
            due
        );
    }

    #[test]
    fn due_times_follow_the_priority() {
        let opened = datetime!(2026-11-23 08:00 UTC);
        assert_eq!(
            Priority::Urgent.due_at(opened),
            datetime!(2026-11-23 09:00 UTC)
        );
        assert_eq!(
            Priority::High.due_at(opened),
            datetime!(2026-11-23 12:00 UTC)
        );
        assert_eq!(
            Priority::Normal.due_at(opened),
            datetime!(2026-11-24 08:00 UTC)
        );
    }

    #[test]
    fn names_round_trip() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert_eq!(Priority::parse("low"), None);
    }

    #[test]
    fn escalation_raises_one_step_and_stops_at_urgent() {
        assert_eq!(Priority::Normal.escalated(), Priority::High);
        assert_eq!(Priority::High.escalated(), Priority::Urgent);
        assert_eq!(Priority::Urgent.escalated(), Priority::Urgent);
    }
}
