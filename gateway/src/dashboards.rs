//! Live dashboards: one shared refresh per (interval, horizon), however many
//! viewers watch it. A thousand viewers must not mean a thousand backtests.
//!
//! The first viewer of a [`FeedKey`] starts a refresher task that fetches
//! the figures at once and then every interval, publishing each snapshot in
//! a `tokio::sync::watch`; later viewers subscribe to the same channel and
//! get the latest snapshot at once. The refresher stops when its last viewer
//! leaves (the feed is dropped) or when the gateway shuts down (the feed's
//! token is a child of the gateway's), which ends every viewer's stream.
//!
//! - [`source`]: where a refresh gets its figures, with a capability the
//!   refresher mints for itself.
//! - [`refresher`]: the refresh loop of one feed.

pub mod refresher;
pub mod source;

use std::{
    collections::HashMap,
    fmt,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::Stream;
use mesh_core::CancellationToken;
use proto::gateway::WatchDashboardResponse;
use tokio::sync::watch;

pub use source::{DashboardSource, UpstreamSource};

use crate::error::ApiError;

/// What viewers share a refresh by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeedKey {
    pub interval: Duration,
    pub forecast_days: i32,
}

/// The latest refresh of a feed: `None` until the first one finishes.
type Snapshot = Option<Result<Arc<WatchDashboardResponse>, Arc<ApiError>>>;

/// Every live feed, and what starts new ones.
#[derive(Clone)]
pub struct DashboardHub {
    inner: Arc<Inner>,
}

struct Inner {
    feeds: Mutex<HashMap<FeedKey, Weak<Feed>>>,
    source: Arc<dyn DashboardSource>,
    shutdown: CancellationToken,
    refreshes: AtomicU64,
}

impl fmt::Debug for DashboardHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DashboardHub")
            .field("feeds", &self.feeds())
            .field("refreshes", &self.refreshes())
            .finish()
    }
}

/// One feed's channel. Viewers hold it; dropping the last one stops the
/// refresher.
#[derive(Debug)]
struct Feed {
    snapshots: watch::Receiver<Snapshot>,
    stop: CancellationToken,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl DashboardHub {
    /// Returns a hub whose refreshes fetch from `source` and stop on `shutdown`.
    pub fn new(source: Arc<dyn DashboardSource>, shutdown: CancellationToken) -> Self {
        Self {
            inner: Arc::new(Inner {
                feeds: Mutex::new(HashMap::new()),
                source,
                shutdown,
                refreshes: AtomicU64::new(0),
            }),
        }
    }

    /// Returns a viewer of the feed for `key`, starting the feed's refresher
    /// if no one watches it yet.
    pub fn subscribe(&self, key: FeedKey) -> Viewer {
        // A poisoned lock only means another subscriber panicked while
        // holding it; the map itself is always consistent.
        let mut feeds = self
            .inner
            .feeds
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        feeds.retain(|_, feed| feed.strong_count() > 0);
        // The map holds feeds weakly and a feed stops its refresher only when
        // its last viewer drops it, so a feed upgraded here still refreshes.
        let feed = match feeds.get(&key).and_then(Weak::upgrade) {
            Some(feed) => feed,
            None => {
                let feed = self.start(key);
                feeds.insert(key, Arc::downgrade(&feed));
                feed
            }
        };
        Viewer {
            snapshots: feed.snapshots.clone(),
            first: true,
            _feed: feed,
        }
    }

    fn start(&self, key: FeedKey) -> Arc<Feed> {
        let (sender, snapshots) = watch::channel(None);
        let stop = self.inner.shutdown.child_token();
        let refresher = refresher::Refresher {
            key,
            source: self.inner.source.clone(),
            hub: Arc::downgrade(&self.inner),
            sender,
            stop: stop.clone(),
        };
        tokio::spawn(refresher.run());
        tracing::info!(
            interval_seconds = key.interval.as_secs(),
            forecast_days = key.forecast_days,
            "dashboard feed started"
        );
        Arc::new(Feed { snapshots, stop })
    }

    /// Returns how many refreshes have finished, over every feed.
    pub fn refreshes(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// Returns how many feeds have viewers.
    pub fn feeds(&self) -> usize {
        self.inner
            .feeds
            .lock()
            .map(|feeds| feeds.values().filter(|f| f.strong_count() > 0).count())
            .unwrap_or_default()
    }
}

impl Inner {
    fn refreshed(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }
}

/// One viewer of a feed.
#[derive(Debug)]
pub struct Viewer {
    snapshots: watch::Receiver<Snapshot>,
    first: bool,
    _feed: Arc<Feed>,
}

impl Viewer {
    /// Returns the next snapshot: the latest at once (once there is one),
    /// then each new one. `None` when the feed ended (the gateway is
    /// shutting down).
    pub async fn next(&mut self) -> Option<Result<WatchDashboardResponse, ApiError>> {
        let snapshot = if std::mem::take(&mut self.first) {
            self.snapshots.wait_for(Option::is_some).await.ok()?.clone()
        } else {
            self.snapshots.changed().await.ok()?;
            self.snapshots.borrow_and_update().clone()
        };
        match snapshot? {
            Ok(dashboard) => Some(Ok(WatchDashboardResponse::clone(&dashboard))),
            Err(error) => Some(Err(again(&error))),
        }
    }

    /// Returns the viewer as a stream that ends after an error.
    pub fn into_stream(self) -> impl Stream<Item = Result<WatchDashboardResponse, ApiError>> {
        futures::stream::unfold(Some(self), |viewer| async move {
            let mut viewer = viewer?;
            let next = viewer.next().await?;
            let more = next.is_ok().then_some(viewer);
            Some((next, more))
        })
    }
}

/// Returns a failed refresh's error for one more viewer.
fn again(error: &ApiError) -> ApiError {
    match error {
        ApiError::Invalid { field, reason } => ApiError::invalid(field, reason.clone()),
        ApiError::MissingScope(scope) => ApiError::MissingScope(scope),
        ApiError::NotFound(message) => ApiError::NotFound(message.clone()),
        ApiError::AuditUnavailable => ApiError::AuditUnavailable,
        ApiError::RateLimited {
            per_minute,
            retry_after,
        } => ApiError::RateLimited {
            per_minute: *per_minute,
            retry_after: *retry_after,
        },
        ApiError::Upstream { service, status } => ApiError::Upstream {
            service,
            status: status.clone(),
        },
        // A refresh authenticates no one; anything else is the gateway's.
        ApiError::Unauthenticated(_) | ApiError::Internal(_) => {
            ApiError::Internal(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests;
