//! Per-principal rate limits, per method (GCRA, by `governor`): a caller
//! past its method's rate is refused with `RESOURCE_EXHAUSTED` and how long
//! to wait (`retry-after` in metadata, `429` with `Retry-After` on REST).
//! Refusals are counted, and logged as a sum once a minute, never one line
//! or one audit row each: a flood must not fill the disk.
//!
//! Callers whose token fails are limited per peer address by
//! [`FailedAuthentications`]. Limits are per replica: with N gateways a
//! caller may make N times the rate (a shared limit would need a shared
//! store, such as Redis, which this system does not run).

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};
use http::Request;
use mesh_core::metrics::{
    Labels, Metrics,
    prometheus_client::metrics::{counter::Counter, family::Family},
};
use proto::methods::{self, gateway_service};
use tonic::body::Body;

use super::{Principal, PublicCall, gate::Gate};
use crate::error::ApiError;

/// Calls a minute per principal for methods that forecast or write.
pub const COSTLY_PER_MINUTE: u32 = 60;
/// Calls a minute per principal for reads.
pub const READ_PER_MINUTE: u32 = 300;
/// Failed authentications a minute per peer address.
pub const FAILED_AUTH_PER_MINUTE: u32 = 60;
/// How often idle keys are forgotten and refusals summed up in the log.
const SWEEP: Duration = Duration::from_secs(60);

/// The rates, per public method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Calls a minute per principal, keyed by the method's full path.
    pub per_minute: HashMap<&'static str, u32>,
    pub failed_auth_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        let per_minute = public_methods()
            .map(|method| (method.path, default_per_minute(method)))
            .collect();
        Self {
            per_minute,
            failed_auth_per_minute: FAILED_AUTH_PER_MINUTE,
        }
    }
}

/// Returns every public method.
pub fn public_methods() -> impl Iterator<Item = &'static methods::Method> {
    methods::ALL
        .iter()
        .filter(|method| method.service == gateway_service::SERVICE)
}

/// Returns a method's default rate: reads get more than what forecasts,
/// writes, streams (each a standing refresh) or ad-hoc queries.
fn default_per_minute(method: &methods::Method) -> u32 {
    let costly_read = [
        gateway_service::WATCH_DASHBOARD,
        gateway_service::RUN_WAREHOUSE_QUERY,
    ];
    if method.no_side_effects && !costly_read.contains(&method.path) {
        READ_PER_MINUTE
    } else {
        COSTLY_PER_MINUTE
    }
}

/// Returns the variable that overrides `method`'s rate, e.g.
/// `GATEWAY_RATE_LIMIT_GET_KPIS_PER_MINUTE`.
pub fn variable_of(method: &methods::Method) -> String {
    let mut route = String::new();
    for (i, c) in method.name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            route.push('_');
        }
        route.push(c.to_ascii_uppercase());
    }
    format!("GATEWAY_RATE_LIMIT_{route}_PER_MINUTE")
}

/// Returns the quota for a rate: a burst of fifteen seconds' worth (a
/// person exploring a page makes a dozen calls at once), so that a flood's
/// first burst cannot take the machine from the others for long.
fn quota(per_minute: u32) -> Quota {
    // A rate of 0 is refused by the configuration; 1 is the floor here.
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(per_minute / 4).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(rate).allow_burst(burst)
}

/// Returns how long until `not_until`, in whole seconds, at least one.
fn wait_of(not_until: &governor::NotUntil<<DefaultClock as Clock>::Instant>) -> Duration {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        .max(Duration::from_secs(1))
}

/// The per-principal gate.
#[derive(Debug)]
pub struct RateLimit {
    limiters: HashMap<&'static str, (u32, DefaultKeyedRateLimiter<Arc<str>>)>,
    refused: Arc<AtomicU64>,
    /// `forecast_mesh_rate_limit_rejections_total{method}`.
    rejections: Family<Labels<1>, Counter>,
}

impl RateLimit {
    pub fn new(settings: &RateLimitSettings) -> Arc<Self> {
        let limiters = settings
            .per_minute
            .iter()
            .map(|(&method, &rate)| (method, (rate, DefaultKeyedRateLimiter::keyed(quota(rate)))))
            .collect();
        Arc::new(Self {
            limiters,
            refused: Arc::default(),
            rejections: Family::default(),
        })
    }

    /// Registers the rejections counter in `metrics`.
    pub fn register_metrics(&self, metrics: &Metrics) {
        metrics.register(
            "rate_limit_rejections",
            "calls refused by per-principal rate limits, by method",
            self.rejections.clone(),
        );
    }

    /// Forgets principals idle for a full period and logs the refusals
    /// since the last sweep; every [`SWEEP`], until the gateway stops.
    pub fn sweep_every_minute(self: &Arc<Self>, shutdown: mesh_core::CancellationToken) {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(SWEEP);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    () = shutdown.cancelled() => return,
                }
                let Some(this) = this.upgrade() else { return };
                for (_, limiter) in this.limiters.values() {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
                let refused = this.refused.swap(0, Ordering::Relaxed);
                if refused > 0 {
                    tracing::warn!(refused, "calls refused by rate limits in the last minute");
                }
            }
        });
    }
}

impl Gate for RateLimit {
    fn admit(&self, call: PublicCall, request: &mut Request<Body>) -> Result<(), ApiError> {
        let Some(principal) = request.extensions().get::<Principal>() else {
            return Ok(());
        };
        let Some((rate, limiter)) = self.limiters.get(call.method) else {
            return Ok(());
        };
        limiter.check_key(&principal.id).map_err(|not_until| {
            self.refused.fetch_add(1, Ordering::Relaxed);
            self.rejections
                .get_or_create(&[("method", call.method)])
                .inc();
            ApiError::RateLimited {
                per_minute: *rate,
                retry_after: wait_of(&not_until),
            }
        })
    }
}

impl Gate for Arc<RateLimit> {
    fn admit(&self, call: PublicCall, request: &mut Request<Body>) -> Result<(), ApiError> {
        self.as_ref().admit(call, request)
    }
}

/// Failed authentications per peer address: past the rate, a caller with
/// a bad token is told to wait instead of why its token failed.
#[derive(Debug)]
pub struct FailedAuthentications {
    per_minute: u32,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl FailedAuthentications {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            // A whole minute's worth at once: a few tabs with a stale token
            // are not an attack; a peer failing steadily is slowed to the rate.
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN),
            )),
        }
    }

    /// Counts a failed authentication from `peer`; returns the refusal to
    /// answer instead when it is past its rate.
    pub fn failed(&self, peer: Option<IpAddr>) -> Option<ApiError> {
        let peer = peer?;
        self.limiter
            .check_key(&peer)
            .err()
            .map(|not_until| ApiError::RateLimited {
                per_minute: self.per_minute,
                retry_after: wait_of(&not_until),
            })
    }

    /// Forgets peers idle for a full period.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn call(method: &'static str) -> PublicCall {
        PublicCall {
            method,
            protocol: super::super::Protocol::Grpc,
        }
    }

    fn request(principal: &str) -> Request<Body> {
        let mut request = Request::new(Body::empty());
        request.extensions_mut().insert(Principal {
            id: principal.into(),
            scopes: Arc::new(HashSet::new()),
        });
        request
    }

    #[test]
    fn forecasts_and_writes_get_less_than_reads_and_every_method_has_a_rate() {
        let settings = RateLimitSettings::default();
        assert_eq!(
            settings.per_minute[gateway_service::GET_KPIS],
            READ_PER_MINUTE
        );
        assert_eq!(
            settings.per_minute[gateway_service::GET_FORECAST],
            COSTLY_PER_MINUTE
        );
        assert_eq!(
            settings.per_minute[gateway_service::WATCH_DASHBOARD],
            COSTLY_PER_MINUTE
        );
        assert_eq!(settings.per_minute.len(), gateway_service::ALL.len());
    }

    #[test]
    fn variables_name_the_route_in_capitals() {
        let method = public_methods()
            .find(|m| m.path == gateway_service::GET_KPIS)
            .expect("GetKpis is public");
        assert_eq!(
            variable_of(method),
            "GATEWAY_RATE_LIMIT_GET_KPIS_PER_MINUTE"
        );
    }

    #[test]
    fn one_principal_past_its_rate_waits_while_another_is_served() {
        let mut settings = RateLimitSettings::default();
        // A burst of one, then one call every 20 s.
        settings.per_minute.insert(gateway_service::GET_KPIS, 3);
        let gate = RateLimit::new(&settings);
        let kpis = call(gateway_service::GET_KPIS);
        assert!(gate.admit(kpis, &mut request("flooder")).is_ok());
        match gate.admit(kpis, &mut request("flooder")) {
            Err(ApiError::RateLimited {
                per_minute,
                retry_after,
            }) => {
                assert_eq!(per_minute, 3);
                // One call in every 20 s comes back.
                assert!(
                    retry_after >= Duration::from_secs(1) && retry_after <= Duration::from_secs(20)
                );
            }
            other => panic!("not refused: {other:?}"),
        }
        assert!(
            gate.admit(kpis, &mut request("quiet")).is_ok(),
            "another principal"
        );
        assert!(
            gate.admit(call(gateway_service::GET_HISTORY), &mut request("flooder"))
                .is_ok(),
            "another method"
        );
    }

    #[test]
    fn failed_authentications_are_limited_per_peer() {
        // Two a minute, both at once.
        let failed = FailedAuthentications::new(2);
        let attacker = Some(IpAddr::from([192, 0, 2, 1]));
        assert!(failed.failed(attacker).is_none());
        assert!(failed.failed(attacker).is_none());
        assert!(failed.failed(attacker).is_some(), "third in a minute");
        assert!(failed.failed(Some(IpAddr::from([192, 0, 2, 2]))).is_none());
    }
}
