use std::sync::atomic::AtomicBool;

use futures::StreamExt;
use proto::gateway::{GetDashboardResponse, Kpis};
use tokio::time::Instant;
use tonic::Status;

use super::*;

const KEY: FeedKey = FeedKey {
    interval: Duration::from_secs(30),
    forecast_days: 7,
};

/// A source that counts its fetches and answers with the count as revenue.
#[derive(Debug, Default)]
struct Counting {
    fetches: AtomicU64,
    failing: AtomicBool,
}

#[derive(Debug)]
struct Shared(Arc<Counting>);

impl DashboardSource for Shared {
    fn fetch(
        &self,
        _forecast_days: i32,
    ) -> futures::future::BoxFuture<'static, Result<GetDashboardResponse, ApiError>> {
        let count = self.0.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        let failing = self.0.failing.load(Ordering::SeqCst);
        Box::pin(async move {
            if failing {
                return Err(ApiError::Upstream {
                    service: "warehouse",
                    status: Status::unavailable("down"),
                });
            }
            Ok(GetDashboardResponse {
                kpis: Some(Kpis {
                    revenue: count as f64,
                    ..Default::default()
                }),
                ..Default::default()
            })
        })
    }
}

fn hub() -> (DashboardHub, Arc<Counting>, CancellationToken) {
    let counting = Arc::new(Counting::default());
    let shutdown = CancellationToken::new();
    let hub = DashboardHub::new(Arc::new(Shared(counting.clone())), shutdown.clone());
    (hub, counting, shutdown)
}

fn revenue(next: Option<Result<WatchDashboardResponse, ApiError>>) -> f64 {
    match next {
        Some(Ok(dashboard)) => dashboard.kpis.map_or(f64::NAN, |k| k.revenue),
        other => panic!("expected figures, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_thousand_viewers_share_one_refresh_per_interval() {
    let (hub, counting, _shutdown) = hub();
    let started = Instant::now();
    let mut viewers: Vec<_> = (0..1000).map(|_| hub.subscribe(KEY)).collect();
    for viewer in &mut viewers {
        assert_eq!(revenue(viewer.next().await), 1.0);
    }
    assert!(
        started.elapsed() < KEY.interval,
        "the first message at once"
    );
    assert_eq!(counting.fetches.load(Ordering::SeqCst), 1);
    for viewer in &mut viewers {
        assert_eq!(revenue(viewer.next().await), 2.0);
    }
    assert!(
        started.elapsed() >= KEY.interval,
        "the second after the interval"
    );
    assert_eq!(counting.fetches.load(Ordering::SeqCst), 2);
    assert_eq!(hub.refreshes(), 2);
    assert_eq!(hub.feeds(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_late_viewer_gets_the_latest_figures_at_once() {
    let (hub, counting, _shutdown) = hub();
    let mut early = hub.subscribe(KEY);
    assert_eq!(revenue(early.next().await), 1.0);
    assert_eq!(revenue(early.next().await), 2.0);
    let joined = Instant::now();
    let mut late = hub.subscribe(KEY);
    assert_eq!(revenue(late.next().await), 2.0);
    assert_eq!(joined.elapsed(), Duration::ZERO);
    assert_eq!(counting.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn other_intervals_and_horizons_are_other_feeds() {
    let (hub, counting, _shutdown) = hub();
    let mut a = hub.subscribe(KEY);
    let mut b = hub.subscribe(FeedKey {
        forecast_days: 30,
        ..KEY
    });
    let mut c = hub.subscribe(FeedKey {
        interval: Duration::from_secs(5),
        ..KEY
    });
    for viewer in [&mut a, &mut b, &mut c] {
        assert!(viewer.next().await.is_some_and(|next| next.is_ok()));
    }
    assert_eq!(hub.feeds(), 3);
    assert_eq!(counting.fetches.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn the_refresher_stops_when_the_last_viewer_leaves() {
    let (hub, counting, _shutdown) = hub();
    let (mut first, mut second) = (hub.subscribe(KEY), hub.subscribe(KEY));
    first.next().await;
    second.next().await;
    drop(first);
    // Halfway between ticks, so the clock never lands on one.
    tokio::time::sleep(KEY.interval * 2 + KEY.interval / 2).await;
    assert_eq!(
        counting.fetches.load(Ordering::SeqCst),
        3,
        "one viewer left"
    );
    drop(second);
    assert_eq!(hub.feeds(), 0);
    tokio::time::sleep(KEY.interval * 10).await;
    assert_eq!(counting.fetches.load(Ordering::SeqCst), 3, "no one left");
    // The next viewer starts a new feed, at once.
    let mut again = hub.subscribe(KEY);
    assert_eq!(revenue(again.next().await), 4.0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_every_stream_cleanly() {
    let (hub, _counting, shutdown) = hub();
    let mut streams: Vec<_> = (0..3)
        .map(|_| Box::pin(hub.subscribe(KEY).into_stream()))
        .collect();
    for stream in &mut streams {
        assert!(stream.next().await.is_some_and(|next| next.is_ok()));
    }
    shutdown.cancel();
    for stream in &mut streams {
        assert!(stream.next().await.is_none(), "ended without an error");
    }
    let mut after = hub.subscribe(KEY);
    assert!(after.next().await.is_none(), "no new feed after shutdown");
}

#[tokio::test(start_paused = true)]
async fn a_failed_first_refresh_ends_the_stream_with_its_status() {
    let (hub, counting, _shutdown) = hub();
    counting.failing.store(true, Ordering::SeqCst);
    let mut stream = Box::pin(hub.subscribe(KEY).into_stream());
    let failure = stream.next().await;
    let Some(Err(error)) = failure else {
        panic!("expected the failure, got {failure:?}");
    };
    assert_eq!(error.status().code(), tonic::Code::Unavailable);
    assert!(stream.next().await.is_none(), "ended after the error");
}

#[tokio::test(start_paused = true)]
async fn later_failures_keep_the_last_figures() {
    let (hub, counting, _shutdown) = hub();
    let mut viewer = hub.subscribe(KEY);
    assert_eq!(revenue(viewer.next().await), 1.0);
    counting.failing.store(true, Ordering::SeqCst);
    tokio::time::sleep(KEY.interval * 3 + KEY.interval / 2).await;
    counting.failing.store(false, Ordering::SeqCst);
    // Three refreshes failed without reaching the viewer; the fifth did.
    assert_eq!(revenue(viewer.next().await), 5.0);
}
