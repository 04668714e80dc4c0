//! `WatchDashboard`: the dashboard, live. Viewers of the same interval and
//! horizon share one refresh ([`crate::dashboards`]).

use std::time::Duration;

use proto::gateway::WatchDashboardRequest;

use super::{
    Call, Gateway,
    forecast::{DEFAULT_DAYS, MAX_DAYS},
    in_range,
};
use crate::{
    dashboards::{FeedKey, Viewer},
    error::ApiError,
};

/// Seconds between refreshes when the caller says 0, and the most.
pub const DEFAULT_INTERVAL_SECONDS: i32 = 30;
pub const MAX_INTERVAL_SECONDS: i32 = 300;

/// Returns a viewer of the shared feed for the request's interval and
/// horizon. The call's own capability goes unused: the shared refresh mints
/// its own, since it outlives any one viewer.
pub async fn watch_dashboard(
    gateway: &Gateway,
    _call: &Call,
    input: WatchDashboardRequest,
) -> Result<Viewer, ApiError> {
    let key = feed_key(input)?;
    Ok(gateway.dashboards.subscribe(key))
}

/// Returns the feed a request asks for, refusing bad values in the caller's
/// words.
pub fn feed_key(input: WatchDashboardRequest) -> Result<FeedKey, ApiError> {
    let seconds = in_range(
        "interval_seconds",
        input.interval_seconds,
        DEFAULT_INTERVAL_SECONDS,
        MAX_INTERVAL_SECONDS,
    )?;
    Ok(FeedKey {
        interval: Duration::from_secs(seconds.unsigned_abs().into()),
        forecast_days: in_range("forecast_days", input.forecast_days, DEFAULT_DAYS, MAX_DAYS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(interval_seconds: i32, forecast_days: i32) -> WatchDashboardRequest {
        WatchDashboardRequest {
            interval_seconds,
            forecast_days,
        }
    }

    #[test]
    fn zero_means_the_defaults() {
        let key = feed_key(asking(0, 0)).ok();
        assert_eq!(
            key,
            Some(FeedKey {
                interval: Duration::from_secs(30),
                forecast_days: 30
            })
        );
        assert_eq!(
            feed_key(asking(300, 365)).ok().map(|k| k.interval),
            Some(Duration::from_secs(300))
        );
    }

    #[test]
    fn out_of_range_values_name_the_caller_s_field() {
        for (request, field) in [
            (asking(301, 7), "interval_seconds"),
            (asking(-1, 7), "interval_seconds"),
            (asking(5, 366), "forecast_days"),
        ] {
            let error = feed_key(request).err().map(|e| e.status());
            assert_eq!(
                error.as_ref().map(|s| s.code()),
                Some(tonic::Code::InvalidArgument)
            );
            assert!(
                error.is_some_and(|s| s.message().starts_with(&format!("{field}:"))),
                "{field}"
            );
        }
    }
}
