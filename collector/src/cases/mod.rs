//! Follow-up cases: the closed loop. An unhappy answer opens a case with an
//! owner, a priority and a due time; someone contacts the customer, resolves
//! the problem, and the customer's answer to a short verification survey
//! closes the loop (`open → contacted → resolved → verified`).
//!
//! This module holds the domain rules (priorities and their due times, the
//! allowed transitions); SQL lives in `crate::store::cases`.

use time::{Duration, OffsetDateTime};

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
}
