//! Completion-time buckets: how the rollups keep durations so that the
//! median over any range is a sum of counts.
//!
//! Bucket `i`: 1 second wide below 120 s (`i` = whole seconds), then 10 s
//! wide to 300 s, 60 s wide to 1800 s, and one bucket for 1800 s and more.
//! Most surveys take well under two minutes, so the median is exact to the
//! second where it matters.

use std::collections::BTreeMap;

/// Buckets 0..=119: one second each.
const FINE_END: u64 = 120;
/// Then 10 s buckets up to this many seconds.
const MEDIUM_END: u64 = 300;
/// Then 60 s buckets up to this many seconds; above: one bucket.
const COARSE_END: u64 = 1800;

const MEDIUM_FIRST: u16 = FINE_END as u16;
const COARSE_FIRST: u16 = MEDIUM_FIRST + ((MEDIUM_END - FINE_END) / 10) as u16;
/// The last bucket: 1800 s and more.
pub const LAST_BUCKET: u16 = COARSE_FIRST + ((COARSE_END - MEDIUM_END) / 60) as u16;

/// The bucket of a duration in milliseconds.
pub fn bucket_of(ms: u64) -> u16 {
    let s = ms / 1000;
    if s < FINE_END {
        s as u16
    } else if s < MEDIUM_END {
        MEDIUM_FIRST + ((s - FINE_END) / 10) as u16
    } else if s < COARSE_END {
        COARSE_FIRST + ((s - MEDIUM_END) / 60) as u16
    } else {
        LAST_BUCKET
    }
}

/// The seconds a bucket stands for: its midpoint (1800 for the last one).
pub fn bucket_seconds(b: u16) -> f64 {
    let b = u64::from(b.min(LAST_BUCKET));
    let (lo, width) = if b < u64::from(MEDIUM_FIRST) {
        (b, 1)
    } else if b < u64::from(COARSE_FIRST) {
        (FINE_END + (b - u64::from(MEDIUM_FIRST)) * 10, 10)
    } else if b < u64::from(LAST_BUCKET) {
        (MEDIUM_END + (b - u64::from(COARSE_FIRST)) * 60, 60)
    } else {
        return COARSE_END as f64;
    };
    lo as f64 + width as f64 / 2.0
}

/// The median completion time in seconds of a histogram (the mean of the
/// two middle answers' buckets when the count is even); `None` when empty.
pub fn median_seconds(hist: &BTreeMap<u16, u64>) -> Option<f64> {
    let n: u64 = hist.values().sum();
    if n == 0 {
        return None;
    }
    let nth = |k: u64| {
        let mut seen = 0;
        for (b, c) in hist {
            seen += c;
            if seen > k {
                return bucket_seconds(*b);
            }
        }
        bucket_seconds(LAST_BUCKET)
    };
    Some(if n % 2 == 1 {
        nth(n / 2)
    } else {
        (nth(n / 2 - 1) + nth(n / 2)) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_seconds_then_coarser() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(41_999), 41);
        assert_eq!(bucket_of(119_999), 119);
        assert_eq!(bucket_of(120_000), 120);
        assert_eq!(bucket_of(129_999), 120);
        assert_eq!(bucket_of(299_999), COARSE_FIRST - 1);
        assert_eq!(bucket_of(300_000), COARSE_FIRST);
        assert_eq!(bucket_of(1_799_999), LAST_BUCKET - 1);
        assert_eq!(bucket_of(86_400_000), LAST_BUCKET);
        assert_eq!(bucket_seconds(41), 41.5);
        assert_eq!(bucket_seconds(120), 125.0);
        assert_eq!(bucket_seconds(COARSE_FIRST), 330.0);
        assert_eq!(bucket_seconds(LAST_BUCKET), 1800.0);
    }

    #[test]
    fn median_by_hand() {
        assert_eq!(median_seconds(&BTreeMap::new()), None);
        // One answer of 41.2 s → bucket 41 → 41.5.
        assert_eq!(median_seconds(&BTreeMap::from([(41, 1)])), Some(41.5));
        // 10 s, 20 s, 30 s → 20.5.
        let odd = BTreeMap::from([(10, 1), (20, 1), (30, 1)]);
        assert_eq!(median_seconds(&odd), Some(20.5));
        // 10 s, 20 s (×2), 60 s: middle two are 20 and 20.
        let even = BTreeMap::from([(10, 1), (20, 2), (60, 1)]);
        assert_eq!(median_seconds(&even), Some(20.5));
        // 10 s and 30 s: (10.5 + 30.5) / 2.
        assert_eq!(
            median_seconds(&BTreeMap::from([(10, 1), (30, 1)])),
            Some(20.5)
        );
    }
}
