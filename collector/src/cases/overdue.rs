//! Overdue cases: an `open` or `contacted` case whose due time has passed
//! escalates: its escalation level goes up by one, its priority one step
//! (normal → high → urgent; urgent stays) and it gets a new due time from
//! now at the new priority, so the next escalation comes one response time
//! later if still nobody acts. Each escalation writes history and a
//! `case.overdue` event (SQL in `crate::store::Store::sweep_overdue`).
//!
//! [`spawn`] runs the sweep in the background every interval; tests call
//! `Store::sweep_overdue` with an explicit time instead.

use std::time::Duration;
use time::OffsetDateTime;

use super::Priority;
use crate::store::Store;
use crate::webhooks::background::Background;

/// What an overdue case becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    /// The raised priority.
    pub priority: Priority,
    /// The new due time.
    pub due_at: OffsetDateTime,
}

/// The escalation of a case of priority `priority` found overdue at `now`.
pub fn escalate(priority: Priority, now: OffsetDateTime) -> Escalation {
    let priority = priority.escalated();
    Escalation {
        priority,
        due_at: priority.due_at(now),
    }
}

/// Sweeps for overdue cases every `every` until stopped.
pub fn spawn(store: Store, every: Duration) -> Background {
    Background::every("overdue sweep", every, move || {
        let store = store.clone();
        async move {
            match store.sweep_overdue(OffsetDateTime::now_utc()).await {
                Ok(ids) if !ids.is_empty() => {
                    tracing::info!(cases = ?ids, "overdue cases escalated");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "overdue sweep failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn an_overdue_case_goes_one_step_up_with_a_due_time_from_now() {
        let now = datetime!(2026-11-23 10:30 UTC);
        assert_eq!(
            escalate(Priority::Normal, now),
            Escalation {
                priority: Priority::High,
                due_at: datetime!(2026-11-23 14:30 UTC)
            }
        );
        assert_eq!(
            escalate(Priority::Urgent, now),
            Escalation {
                priority: Priority::Urgent,
                due_at: datetime!(2026-11-23 11:30 UTC)
            }
        );
    }
}
