//! The refresh loop of one feed: fetch at once, then every interval, until
//! the last viewer leaves or the gateway shuts down.

use std::{
    sync::{Arc, Weak},
    time::{SystemTime, UNIX_EPOCH},
};

use mesh_core::CancellationToken;
use proto::gateway::WatchDashboardResponse;
use tokio::{sync::watch, time::MissedTickBehavior};
use tracing::Instrument;

use super::{DashboardSource, FeedKey, Inner, Snapshot};

/// Refreshes one feed.
pub(super) struct Refresher {
    pub(super) key: FeedKey,
    pub(super) source: Arc<dyn DashboardSource>,
    pub(super) hub: Weak<Inner>,
    pub(super) sender: watch::Sender<Snapshot>,
    pub(super) stop: CancellationToken,
}

impl Refresher {
    /// Runs until stopped; dropping the sender then ends every viewer.
    pub(super) async fn run(self) {
        let mut ticks = tokio::time::interval(self.key.interval);
        // A slow refresh delays the next one rather than bunching them up.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut published = false;
        loop {
            tokio::select! {
                biased;
                () = self.stop.cancelled() => break,
                _ = ticks.tick() => {}
            }
            let span = tracing::info_span!(
                "dashboard refresh",
                interval_seconds = self.key.interval.as_secs(),
                forecast_days = self.key.forecast_days,
            );
            let fetched = tokio::select! {
                biased;
                () = self.stop.cancelled() => break,
                fetched = self.source.fetch(self.key.forecast_days).instrument(span) => fetched,
            };
            if let Some(hub) = self.hub.upgrade() {
                hub.refreshed();
            }
            match fetched {
                Ok(dashboard) => {
                    let refreshed_at_unix_ms = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |since| since.as_millis() as i64);
                    let snapshot = WatchDashboardResponse {
                        kpis: dashboard.kpis,
                        history: dashboard.history,
                        forecast: dashboard.forecast,
                        refreshed_at_unix_ms,
                    };
                    self.sender.send_replace(Some(Ok(Arc::new(snapshot))));
                    published = true;
                }
                // Viewers keep the last good figures through a failed
                // refresh; with none yet, they learn why.
                Err(error) if published => {
                    tracing::warn!(%error, "dashboard refresh failed, keeping the last figures");
                }
                Err(error) => {
                    tracing::warn!(%error, "first dashboard refresh failed");
                    self.sender.send_replace(Some(Err(Arc::new(error))));
                }
            }
        }
        tracing::info!(
            interval_seconds = self.key.interval.as_secs(),
            forecast_days = self.key.forecast_days,
            "dashboard feed stopped"
        );
    }
}
