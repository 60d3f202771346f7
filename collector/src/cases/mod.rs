//! Follow-up cases: the closed loop. An unhappy answer opens a case with an
//! owner, a priority and a due time; someone contacts the customer, resolves
//! the problem, and the customer's answer to a short verification survey
//! closes the loop (`open → contacted → resolved → verified`).
//!
//! This module holds the domain rules; SQL lives in `crate::store::cases`.
//! - here: [`Priority`] and its due times, [`Status`], [`CaseError`];
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

    /// How long after opening the customer must have been contacted.
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

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
