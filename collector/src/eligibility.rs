//! May this customer be asked now? The rules behind `POST /v1/eligibility`,
//! as a pure function over what the store knows ([`Facts`]), the survey's
//! settings ([`Policy`]) and the request ([`Check`]).
//!
//! Rules, checked in this order (the first that fails is the reason):
//! 1. the survey is not paused ([`Reason::SurveyPaused`]);
//! 2. the triggering event (payment, ticket close) happened at most
//!    `trigger_hours` ago and not in the future, allowing
//!    [`CLOCK_SKEW`] for the merchant's clock ([`Reason::OutsideTriggerWindow`]);
//! 3. the order has not been answered ([`Reason::AlreadyAnswered`]);
//! 4. the customer has no unresolved follow-up case: they are talking to
//!    the service team already ([`Reason::OpenCase`]);
//! 5. the customer has not answered any survey of the site within
//!    `recontact_days` ([`Reason::RecentlyAsked`]);
//! 6. the customer's order falls inside the segment's sample
//!    ([`Reason::SampledOut`]).
//!
//! Sampling is deterministic: [`sample_point`] hashes `survey|customer|order`
//! to a number in [0, 1), and the order is in the sample when that number is
//! below the rate. Asking again (a page reload, the hosted page after the
//! widget) gives the same answer, and raising the rate only adds orders.

use manyi_shared::SurveyId;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// How far in the future an `event_at` may be and still count: merchants'
/// clocks drift, and refusing a customer over a few seconds helps nobody.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// Built-in settings for a survey or segment without a `survey_sampling` row.
pub const DEFAULT_RATE: f64 = 1.0;
/// Built-in recontact window, in days.
pub const DEFAULT_RECONTACT_DAYS: u32 = 30;
/// Built-in trigger window, in hours.
pub const DEFAULT_TRIGGER_HOURS: u32 = 24;

/// The settings that apply to one customer's segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Share of customers asked, 0..=1.
    pub rate: f64,
    /// Days after a customer's last response during which they are not
    /// asked again; 0 disables the rule.
    pub recontact_days: u32,
    /// Hours after the triggering event during which the customer may be asked.
    pub trigger_hours: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            rate: DEFAULT_RATE,
            recontact_days: DEFAULT_RECONTACT_DAYS,
            trigger_hours: DEFAULT_TRIGGER_HOURS,
        }
    }
}

/// What the store knows about the survey, the order and the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// The survey has a paused version and no published one.
    pub survey_paused: bool,
    /// A response for this survey and order is stored.
    pub order_answered: bool,
    /// The customer has an open or in-progress case on this site.
    pub open_case: bool,
    /// When the customer's latest response on this site was received.
    pub last_response_at: Option<OffsetDateTime>,
}

/// The request being decided.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// The survey to show.
    pub survey: &'a SurveyId,
    /// The merchant's order id.
    pub order_id: Option<&'a str>,
    /// The merchant's customer id.
    pub customer: Option<&'a str>,
    /// When the triggering event happened.
    pub event_at: OffsetDateTime,
    /// The collector's clock.
    pub now: OffsetDateTime,
}

/// Why a customer is not asked. The snake_case names are public contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Outside the segment's sample.
    SampledOut,
    /// Answered a survey of the site within the recontact window.
    RecentlyAsked,
    /// The triggering event is too old, or in the future.
    OutsideTriggerWindow,
    /// This order was already answered.
    AlreadyAnswered,
    /// The customer has an unresolved follow-up case.
    OpenCase,
    /// The survey is paused.
    SurveyPaused,
}

/// The decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Show the survey.
    Eligible,
    /// Do not show it, because of this.
    Ineligible(Reason),
}

/// Applies the rules (see the module docs) in order.
pub fn decide(policy: &Policy, facts: &Facts, check: &Check<'_>) -> Decision {
    use Decision::Ineligible;
    if facts.survey_paused {
        return Ineligible(Reason::SurveyPaused);
    }
    let window = Duration::hours(i64::from(policy.trigger_hours));
    if check.event_at > check.now + CLOCK_SKEW || check.now - check.event_at > window {
        return Ineligible(Reason::OutsideTriggerWindow);
    }
    if facts.order_answered {
        return Ineligible(Reason::AlreadyAnswered);
    }
    if facts.open_case {
        return Ineligible(Reason::OpenCase);
    }
    if policy.recontact_days > 0
        && let Some(last) = facts.last_response_at
        && check.now - last < Duration::days(i64::from(policy.recontact_days))
    {
        return Ineligible(Reason::RecentlyAsked);
    }
    if !in_sample(
        policy.rate,
        sample_point(check.survey, check.customer, check.order_id),
    ) {
        return Ineligible(Reason::SampledOut);
    }
    Decision::Eligible
}

/// Where an order falls in [0, 1): the first 53 bits of
/// SHA-256(`survey|customer|order`) (missing parts as empty strings) as a
/// fraction. Uniform, stable across builds and machines.
pub fn sample_point(survey: &SurveyId, customer: Option<&str>, order_id: Option<&str>) -> f64 {
    let key = format!(
        "{}|{}|{}",
        survey.as_str(),
        customer.unwrap_or(""),
        order_id.unwrap_or("")
    );
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits: exactly representable in an f64, so the fraction is exact.
    let bits = u64::from_be_bytes(first) >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// Whether a point is inside a sample of `rate` (a rate of 1 takes every
/// point, 0 none).
fn in_sample(rate: f64, point: f64) -> bool {
    point < rate
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 08:00 UTC);

    fn survey() -> SurveyId {
        SurveyId::parse("post-payment").expect("id")
    }

    fn decide_at(policy: Policy, facts: Facts, event_at: OffsetDateTime) -> Decision {
        let id = survey();
        decide(
            &policy,
            &facts,
            &Check {
                survey: &id,
                order_id: Some("A1001"),
                customer: Some("c-42"),
                event_at,
                now: NOW,
            },
        )
    }

    fn everyone() -> Policy {
        Policy {
            rate: 1.0,
            ..Policy::default()
        }
    }

    #[test]
    fn a_fresh_order_of_a_new_customer_is_eligible() {
        let d = decide_at(everyone(), Facts::default(), NOW - Duration::minutes(1));
        assert_eq!(d, Decision::Eligible);
    }

    #[test]
    fn the_trigger_window_includes_its_end_and_a_little_clock_skew() {
        let at = |t| decide_at(everyone(), Facts::default(), t);
        assert_eq!(at(NOW - Duration::hours(24)), Decision::Eligible);
        assert_eq!(
            at(NOW - Duration::hours(24) - Duration::seconds(1)),
            Decision::Ineligible(Reason::OutsideTriggerWindow)
        );
        assert_eq!(at(NOW), Decision::Eligible);
        assert_eq!(at(NOW + CLOCK_SKEW), Decision::Eligible);
        assert_eq!(
            at(NOW + CLOCK_SKEW + Duration::seconds(1)),
            Decision::Ineligible(Reason::OutsideTriggerWindow)
        );
        let short = Policy {
            trigger_hours: 2,
            ..everyone()
        };
        assert_eq!(
            decide_at(short, Facts::default(), NOW - Duration::hours(3)),
            Decision::Ineligible(Reason::OutsideTriggerWindow)
        );
    }

    #[test]
    fn the_recontact_window_is_counted_in_days_from_the_last_response() {
        let facts = |ago: Duration| Facts {
            last_response_at: Some(NOW - ago),
            ..Facts::default()
        };
        let at = |ago| decide_at(everyone(), facts(ago), NOW);
        assert_eq!(
            at(Duration::days(30) - Duration::seconds(1)),
            Decision::Ineligible(Reason::RecentlyAsked)
        );
        assert_eq!(at(Duration::days(30)), Decision::Eligible);
        let off = Policy {
            recontact_days: 0,
            ..everyone()
        };
        assert_eq!(
            decide_at(off, facts(Duration::seconds(1)), NOW),
            Decision::Eligible
        );
    }

    #[test]
    fn reasons_come_in_the_documented_order() {
        let all = Facts {
            survey_paused: true,
            order_answered: true,
            open_case: true,
            last_response_at: Some(NOW),
        };
        let nobody = Policy {
            rate: 0.0,
            ..Policy::default()
        };
        let stale = NOW - Duration::days(2);
        let mut facts = all;
        assert_eq!(
            decide_at(nobody, facts, stale),
            Decision::Ineligible(Reason::SurveyPaused)
        );
        facts.survey_paused = false;
        assert_eq!(
            decide_at(nobody, facts, stale),
            Decision::Ineligible(Reason::OutsideTriggerWindow)
        );
        assert_eq!(
            decide_at(nobody, facts, NOW),
            Decision::Ineligible(Reason::AlreadyAnswered)
        );
        facts.order_answered = false;
        assert_eq!(
            decide_at(nobody, facts, NOW),
            Decision::Ineligible(Reason::OpenCase)
        );
        facts.open_case = false;
        assert_eq!(
            decide_at(nobody, facts, NOW),
            Decision::Ineligible(Reason::RecentlyAsked)
        );
        facts.last_response_at = None;
        assert_eq!(
            decide_at(nobody, facts, NOW),
            Decision::Ineligible(Reason::SampledOut)
        );
    }

    #[test]
    fn sampling_is_deterministic_per_order() {
        let id = survey();
        let p = sample_point(&id, Some("c-1"), Some("A1"));
        assert_eq!(p, sample_point(&id, Some("c-1"), Some("A1")));
        assert_ne!(p, sample_point(&id, Some("c-1"), Some("A2")));
        assert!((0.0..1.0).contains(&p));
        // Pinned (computed independently with Python's hashlib), so that a
        // change of the hash, which would re-draw every merchant's sample,
        // cannot go unnoticed.
        assert_eq!(
            sample_point(&id, Some("c-42"), Some("A1001")),
            0.249_164_283_901_473_5
        );
    }

    #[test]
    fn rates_of_zero_and_one_take_nobody_and_everybody() {
        for point in [0.0, 0.5, 0.999_999] {
            assert!(in_sample(1.0, point));
            assert!(!in_sample(0.0, point));
        }
    }

    #[test]
    fn the_sampled_share_is_close_to_the_rate() {
        let id = survey();
        for rate in [0.1, 0.3, 0.5, 0.9] {
            let n = 10_000;
            let taken = (0..n)
                .filter(|i| {
                    let customer = format!("c-{i}");
                    let order = format!("A{i}");
                    in_sample(rate, sample_point(&id, Some(&customer), Some(&order)))
                })
                .count();
            let share = taken as f64 / f64::from(n);
            assert!((share - rate).abs() < 0.02, "rate {rate}: share {share}");
        }
    }
}
