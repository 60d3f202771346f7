//! When to retry a failed delivery: exponential-ish delays from
//! [`super::Settings::retry_delays`] (the last repeats), each stretched by a
//! random 0–20 % so that deliveries failed together (an endpoint that was
//! down) do not all come back in the same second.

use std::time::Duration;

/// The most a delay is stretched, in percent.
const JITTER_PERCENT: u64 = 20;

/// The delay after the `failed`-th failed attempt (1 = the first), with
/// `jitter` in 0.0..1.0 (a random draw; a parameter so tests are exact).
pub fn delay(delays: &[Duration], failed: u32, jitter: f64) -> Duration {
    let index = usize::try_from(failed.saturating_sub(1)).unwrap_or(usize::MAX);
    let base = delays
        .get(index)
        .or(delays.last())
        .copied()
        .unwrap_or(Duration::from_secs(60));
    let max_extra = base.as_millis() as f64 * (JITTER_PERCENT as f64 / 100.0);
    base + Duration::from_millis((max_extra * jitter.clamp(0.0, 1.0)) as u64)
}

/// A random draw in 0.0..1.0 for [`delay`] (0.0 when the OS has no
/// randomness: jitter is a nicety, not a reason to stop delivering).
pub fn random_jitter() -> f64 {
    getrandom::u32().map_or(0.0, |r| f64::from(r) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &[u64]) -> Vec<Duration> {
        s.iter().copied().map(Duration::from_secs).collect()
    }

    #[test]
    fn delays_follow_the_schedule_and_the_last_repeats() {
        let d = secs(&[5, 30, 120]);
        assert_eq!(delay(&d, 1, 0.0), Duration::from_secs(5));
        assert_eq!(delay(&d, 2, 0.0), Duration::from_secs(30));
        assert_eq!(delay(&d, 3, 0.0), Duration::from_secs(120));
        assert_eq!(delay(&d, 9, 0.0), Duration::from_secs(120));
        assert_eq!(delay(&d, 0, 0.0), Duration::from_secs(5));
    }

    #[test]
    fn jitter_stretches_by_at_most_a_fifth() {
        let d = secs(&[5]);
        assert_eq!(delay(&d, 1, 0.5), Duration::from_millis(5500));
        assert_eq!(delay(&d, 1, 1.0), Duration::from_secs(6));
        assert_eq!(delay(&d, 1, 7.0), Duration::from_secs(6));
        let j = random_jitter();
        assert!((0.0..1.0).contains(&j), "{j}");
    }

    #[test]
    fn an_empty_schedule_waits_a_minute() {
        assert_eq!(delay(&[], 3, 0.0), Duration::from_secs(60));
    }
}
