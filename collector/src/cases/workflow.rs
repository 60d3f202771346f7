//! The case workflow: statuses and who may move a case between them.
//!
//! ```text
//! open ──► contacted ──► resolved ──► verified   (customer: satisfied)
//!   ▲                       │
//!   └───────────────────────┘                    (customer not satisfied, or staff: reopen)
//! open | contacted | resolved ──► closed         (staff, without verification)
//! ```
//!
//! `verified` is reachable only through the customer's own answer to the
//! verification survey: a merchant marking its own work as verified would
//! defeat the point of closing the loop. `verified` and `closed` are final.

use std::fmt;

use super::CaseError;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Opened, nobody has contacted the customer yet.
    Open,
    /// Someone talked to the customer.
    Contacted,
    /// The merchant says the problem is solved; waits for the customer's
    /// verification.
    Resolved,
    /// The customer confirmed (final).
    Verified,
    /// Closed without verification (final).
    Closed,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Contacted,
        Status::Resolved,
        Status::Verified,
        Status::Closed,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Contacted => "contacted",
            Status::Resolved => "resolved",
            Status::Verified => "verified",
            Status::Closed => "closed",
        }
    }

    /// Parses [`Status::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Verified and closed cases no longer change.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Verified | Status::Closed)
    }

    /// Open and contacted cases are waiting for the merchant: they have a
    /// due time and can become overdue.
    pub fn awaits_merchant(self) -> bool {
        matches!(self, Status::Open | Status::Contacted)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The merchant's staff, through the admin API.
    Staff,
    /// The customer, through the verification page.
    Customer,
}

/// Whether `actor` may move a case from `from` to `to`. Staying in the same
/// status is not a transition (callers treat it as no change).
pub fn check_transition(from: Status, to: Status, actor: Actor) -> Result<(), CaseError> {
    use Status::{Closed, Contacted, Open, Resolved, Verified};
    let refuse = |why| Err(CaseError::InvalidTransition { from, to, why });
    if from.is_final() {
        return refuse(" (the case is final)");
    }
    match (actor, from, to) {
        (Actor::Staff, Open, Contacted)
        | (Actor::Staff, Contacted, Resolved)
        | (Actor::Staff, Resolved, Open)
        | (Actor::Staff, Open | Contacted | Resolved, Closed)
        | (Actor::Customer, Resolved, Verified | Open) => Ok(()),
        (Actor::Staff, _, Verified) => {
            refuse(" (only the customer's answer to the verification survey verifies a case)")
        }
        (Actor::Staff, Open, Resolved) => refuse(" (contact the customer first)"),
        _ => refuse(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::{Closed, Contacted, Open, Resolved, Verified};

    fn allowed(from: Status, to: Status, actor: Actor) -> bool {
        check_transition(from, to, actor).is_ok()
    }

    #[test]
    fn staff_moves_a_case_forward_and_may_close_or_reopen_it() {
        assert!(allowed(Open, Contacted, Actor::Staff));
        assert!(allowed(Contacted, Resolved, Actor::Staff));
        assert!(allowed(Resolved, Open, Actor::Staff));
        for from in [Open, Contacted, Resolved] {
            assert!(allowed(from, Closed, Actor::Staff), "{from} → closed");
        }
    }

    #[test]
    fn only_the_customer_verifies() {
        assert!(allowed(Resolved, Verified, Actor::Customer));
        assert!(allowed(Resolved, Open, Actor::Customer));
        let e = check_transition(Resolved, Verified, Actor::Staff).expect_err("staff");
        assert_eq!(e.code(), "invalid_transition");
        assert!(e.to_string().contains("only the customer"), "{e}");
    }

    #[test]
    fn every_other_change_is_refused() {
        let allowed_pairs = [
            (Open, Contacted, Actor::Staff),
            (Contacted, Resolved, Actor::Staff),
            (Resolved, Open, Actor::Staff),
            (Open, Closed, Actor::Staff),
            (Contacted, Closed, Actor::Staff),
            (Resolved, Closed, Actor::Staff),
            (Resolved, Verified, Actor::Customer),
            (Resolved, Open, Actor::Customer),
        ];
        for actor in [Actor::Staff, Actor::Customer] {
            for from in Status::ALL {
                for to in Status::ALL {
                    if from == to {
                        continue;
                    }
                    let expected = allowed_pairs.contains(&(from, to, actor));
                    assert_eq!(
                        allowed(from, to, actor),
                        expected,
                        "{actor:?}: {from} → {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("in_progress"), None);
    }
}
