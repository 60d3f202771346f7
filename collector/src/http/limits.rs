//! Rate limits on the public POST endpoints: per client IP (checked in
//! middleware before the body is read) and per site (checked by the handler
//! once the body names the site). Over a limit: 429 `rate_limited` with a
//! `Retry-After` header in seconds.
//!
//! Both are GCRA limiters from `governor`, keyed in memory: one collector
//! process, one set of buckets (several replicas each apply the full limit).
//! Keys of quiet clients are pruned every minute, so a scan from many
//! addresses does not grow memory for good.
//!
//! IPv6 clients are keyed by their /64 network: one subscriber usually owns a
//! whole /64, and keying single addresses would let it rotate freely.
//! Loopback peers skip the per-IP limit unless `--rate-limit-loopback`: local
//! traffic is tooling or a same-host reverse proxy, where the peer address is
//! the proxy's. The per-site limit applies to everyone.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota};
use manyi_shared::SiteKey;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{ApiError, AppState};
use crate::config::{Config, Rate, RateLimitSwitch};

/// How often idle keys are dropped.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The limiters of one collector. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_site: Option<DefaultKeyedRateLimiter<SiteKey>>,
    include_loopback: bool,
}

impl RateLimits {
    /// No limits at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// The limits `config` asks for.
    pub fn from_config(config: &Config) -> Self {
        if config.rate_limit == RateLimitSwitch::Off {
            return Self::none();
        }
        Self {
            per_ip: limiter(config.rate_per_ip),
            per_site: limiter(config.rate_per_site),
            include_loopback: config.rate_limit_loopback,
        }
    }

    /// Whether any limit is set (and pruning is worth a task).
    pub fn is_active(&self) -> bool {
        self.per_ip.is_some() || self.per_site.is_some()
    }

    /// Counts one request from `ip`; `Err` when it is over the limit.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), ApiError> {
        let Some(limiter) = &self.per_ip else {
            return Ok(());
        };
        let ip = ip.to_canonical();
        if ip.is_loopback() && !self.include_loopback {
            return Ok(());
        }
        limiter
            .check_key(&ip_key(ip))
            .map_err(|not_until| too_many(limiter, &not_until))
    }

    /// Counts one request for `site`; `Err` when it is over the limit.
    /// Call it only for sites that exist, so the keys stay bounded.
    pub fn check_site(&self, site: &SiteKey) -> Result<(), ApiError> {
        let Some(limiter) = &self.per_site else {
            return Ok(());
        };
        limiter
            .check_key(site)
            .map_err(|not_until| too_many(limiter, &not_until))
    }

    /// Drops the state of keys that are back to a full bucket.
    fn prune(&self) {
        if let Some(l) = &self.per_ip {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_site {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// Starts the task that prunes idle keys every minute; it ends once the
/// limits are dropped. Must run inside a Tokio runtime.
pub fn spawn_pruning(limits: &Arc<RateLimits>) {
    if !limits.is_active() {
        return;
    }
    let weak: Weak<RateLimits> = Arc::downgrade(limits);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        tick.tick().await; // the first tick completes at once
        loop {
            tick.tick().await;
            let Some(limits) = weak.upgrade() else { break };
            limits.prune();
        }
    });
}

fn limiter<K>(rate: Rate) -> Option<DefaultKeyedRateLimiter<K>>
where
    K: std::hash::Hash + Eq + Clone,
{
    let Rate::Limit {
        count,
        period,
        burst,
    } = rate
    else {
        return None;
    };
    // One cell every period / count; `count` is non-zero, so the interval
    // is too unless the rate is above one per nanosecond.
    let interval = (period / count.get()).max(Duration::from_nanos(1));
    let quota = Quota::with_period(interval)?.allow_burst(burst);
    Some(DefaultKeyedRateLimiter::keyed(quota))
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 network.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

fn too_many<K>(
    limiter: &DefaultKeyedRateLimiter<K>,
    not_until: &NotUntil<<DefaultClock as governor::clock::Clock>::Instant>,
) -> ApiError
where
    K: std::hash::Hash + Eq + Clone,
{
    let wait = not_until.wait_time_from(limiter.clock().now());
    // Whole seconds, rounded up, at least 1: a client retrying after
    // `Retry-After` must not be refused again.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::RateLimited {
        retry_after_secs: secs.max(1),
    }
}

/// Middleware: the per-IP limit on every POST. The peer address comes from
/// `ConnectInfo` (see [`crate::App::serve`]); requests without it (in-process
/// tests) are not limited.
pub async fn per_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST
        && let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(e) = state.limits.check_ip(peer.ip())
    {
        return e.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn limits(ip: &str, site: &str, loopback: bool) -> RateLimits {
        let mut config = Config::for_tests("unused", "unused");
        config.rate_per_ip = ip.parse().expect("rate");
        config.rate_per_site = site.parse().expect("rate");
        config.rate_limit_loopback = loopback;
        RateLimits::from_config(&config)
    }

    fn code(r: Result<(), ApiError>) -> Option<(&'static str, u64)> {
        match r {
            Ok(()) => None,
            Err(e @ ApiError::RateLimited { retry_after_secs }) => {
                Some((e.code(), retry_after_secs))
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn the_burst_passes_then_the_next_waits_for_the_period() {
        let l = limits("1/m:2", "off", true);
        let ip = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
        assert_eq!(code(l.check_ip(ip)), None);
        assert_eq!(code(l.check_ip(ip)), None);
        let (c, secs) = code(l.check_ip(ip)).expect("limited");
        assert_eq!(c, "rate_limited");
        assert!((59..=60).contains(&secs), "{secs}");
        // Another client has its own bucket.
        assert_eq!(
            code(l.check_ip(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 8)))),
            None
        );
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        let l = limits("1/h:1", "off", true);
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(code(l.check_ip(a)), None);
        assert!(code(l.check_ip(b)).is_some());
        assert_eq!(code(l.check_ip(c)), None);
    }

    #[test]
    fn loopback_is_exempt_from_the_per_ip_limit_unless_asked() {
        let exempt = limits("1/h:1", "off", false);
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("ip");
        for _ in 0..5 {
            assert_eq!(code(exempt.check_ip(mapped)), None);
        }
        let counted = limits("1/h:1", "off", true);
        assert_eq!(code(counted.check_ip(mapped)), None);
        assert!(code(counted.check_ip(mapped)).is_some());
    }

    #[test]
    fn sites_have_their_own_buckets_and_off_means_off() {
        let l = limits("off", "1/h:1", false);
        let demo = SiteKey::parse("demo").expect("key");
        let shop = SiteKey::parse("shop").expect("key");
        assert_eq!(code(l.check_site(&demo)), None);
        assert!(code(l.check_site(&demo)).is_some());
        assert_eq!(code(l.check_site(&shop)), None);
        assert!(!RateLimits::none().is_active());
        let mut config = Config::for_tests("unused", "unused");
        config.rate_per_ip = "1/h:1".parse().expect("rate");
        config.rate_limit = RateLimitSwitch::Off;
        assert!(!RateLimits::from_config(&config).is_active());
    }
}
