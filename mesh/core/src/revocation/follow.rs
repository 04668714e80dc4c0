//! Following the store's revocation list: where a page of it comes from
//! ([`RevocationSource`]: the store over the mesh, or the store's own
//! records), and the loop that keeps a [`RevocationList`] current.

use std::{
    future::Future,
    pin::Pin,
    time::{Duration, SystemTime},
};

use proto::store::{ListRevocationsRequest, Revocation, store_service_client::StoreServiceClient};
use tokio_util::sync::CancellationToken;

use super::RevocationList;
use crate::{
    client::MeshChannel,
    metrics::{CounterBy, Metrics},
};

/// Every this many refreshes, the whole list is read again.
pub const FULL_REFRESH_EVERY: u64 = 12;

/// The most revocations one refresh reads (in pages of [`PAGE_SIZE`]): a
/// bound on the work a refresh can cause.
const MAX_REVOCATIONS: usize = 100_000;
const PAGE_SIZE: i32 = 500;

/// One page of revocations, newest first, and the token of the next page
/// (empty after the last).
pub type RevocationPage = (Vec<Revocation>, String);

/// A page being read: what [`RevocationSource::page`] returns.
pub type PageFuture<'a> =
    Pin<Box<dyn Future<Output = Result<RevocationPage, tonic::Status>> + Send + 'a>>;

/// Where the revocation list is read from.
pub trait RevocationSource: Send + Sync + 'static {
    fn page(&self, page_token: String) -> PageFuture<'_>;
}

/// The store, called over the mesh with the caller's transport identity
/// alone: listing revocations needs no capability.
#[derive(Clone, Debug)]
pub struct StoreSource {
    client: StoreServiceClient<MeshChannel>,
}

/// How long the store may take to answer one page.
const PAGE_TIMEOUT: Duration = Duration::from_secs(5);

impl StoreSource {
    /// Reads from the store behind `channel`.
    pub fn new(channel: MeshChannel) -> Self {
        Self {
            client: StoreServiceClient::new(channel),
        }
    }
}

impl RevocationSource for StoreSource {
    fn page(&self, page_token: String) -> PageFuture<'_> {
        Box::pin(async move {
            let mut request = tonic::Request::new(ListRevocationsRequest {
                page_size: PAGE_SIZE,
                page_token,
            });
            request.set_timeout(PAGE_TIMEOUT);
            let page = self
                .client
                .clone()
                .list_revocations(request)
                .await?
                .into_inner();
            Ok((page.revocations, page.next_page_token))
        })
    }
}

/// Keeps `list` current from `source` every `period` until `shutdown`.
/// Refreshes count in `forecast_mesh_revocation_refreshes_total{outcome}`
/// and the list's size is `forecast_mesh_revocations`.
pub fn follow(
    list: RevocationList,
    source: impl RevocationSource,
    period: Duration,
    metrics: &Metrics,
    shutdown: CancellationToken,
) {
    let refreshes = metrics.counter_by(
        "revocation_refreshes",
        "reads of the store's revocation list, by outcome",
        "outcome",
        &["ok", "failed"],
    );
    let size = prometheus_client::metrics::gauge::Gauge::<i64>::default();
    metrics.register(
        "revocations",
        "revoked credentials this service refuses",
        size.clone(),
    );
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        for round in 0u64.. {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let full = round % FULL_REFRESH_EVERY == 0;
            match refresh(&list, &source, full).await {
                Ok(()) => {
                    if failing {
                        tracing::info!("revocation list read again");
                    }
                    failing = false;
                    count(&refreshes, "ok");
                }
                Err(status) => {
                    // Once per outage: the last list read stays in force.
                    if !failing {
                        tracing::warn!(
                            code = ?status.code(),
                            message = status.message(),
                            "revocation list could not be read; the last one read stays in force"
                        );
                    }
                    failing = true;
                    count(&refreshes, "failed");
                }
            }
            list.forget_expired(SystemTime::now());
            size.set(list.len() as i64);
        }
    });
}

fn count(refreshes: &CounterBy, outcome: &'static str) {
    refreshes.get_or_create(&[("outcome", outcome)]).inc();
}

/// Reads the newest revocations until one already known (or all of them,
/// when `full`), and adds them to `list` (or replaces it with them).
async fn refresh(
    list: &RevocationList,
    source: &impl RevocationSource,
    full: bool,
) -> Result<(), tonic::Status> {
    let mut read = Vec::new();
    let mut token = String::new();
    loop {
        let (page, next) = source.page(token).await?;
        let met_known = !full && list.add(&page);
        read.extend(page);
        if met_known || next.is_empty() {
            break;
        }
        if read.len() >= MAX_REVOCATIONS {
            tracing::error!(
                limit = MAX_REVOCATIONS,
                "more revocations than one service keeps: the oldest are not read"
            );
            break;
        }
        token = next;
    }
    if full {
        list.replace(&read);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    };

    use proto::store::RevocationKind;

    use super::{super::tests::revocation, *};

    /// A list of revocations, newest first, served two to a page.
    #[derive(Clone, Default)]
    struct Pages {
        revocations: Arc<Mutex<Vec<Revocation>>>,
        fail: Arc<std::sync::atomic::AtomicBool>,
        pages_read: Arc<AtomicUsize>,
    }

    impl Pages {
        fn push_newest(&self, id: &str) {
            let mut revocations = self.lock();
            revocations.insert(0, revocation(RevocationKind::TokenId, id, 0));
        }
    }

    impl Pages {
        fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Revocation>> {
            self.revocations
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl RevocationSource for Pages {
        fn page(&self, page_token: String) -> PageFuture<'_> {
            Box::pin(async move {
                if self.fail.load(Ordering::SeqCst) {
                    return Err(tonic::Status::unavailable("store down"));
                }
                self.pages_read.fetch_add(1, Ordering::SeqCst);
                let revocations = self.lock();
                let start: usize = page_token.parse().unwrap_or(0);
                let end = (start + 2).min(revocations.len());
                let next = if end < revocations.len() {
                    end.to_string()
                } else {
                    String::new()
                };
                Ok((revocations[start..end].to_vec(), next))
            })
        }
    }

    #[tokio::test]
    async fn a_partial_refresh_stops_at_the_first_known_revocation() -> Result<(), tonic::Status> {
        let pages = Pages::default();
        for id in ["a", "b", "c", "d", "e", "f"] {
            pages.push_newest(id);
        }
        let list = RevocationList::default();
        refresh(&list, &pages, true).await?;
        assert_eq!(list.len(), 6);
        assert_eq!(pages.pages_read.load(Ordering::SeqCst), 3);

        pages.push_newest("g");
        refresh(&list, &pages, false).await?;
        assert!(list.token_revoked("g"));
        assert_eq!(
            pages.pages_read.load(Ordering::SeqCst),
            4,
            "the first page held a known revocation: no second page"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_list_in_force() -> Result<(), tonic::Status> {
        let pages = Pages::default();
        pages.push_newest("a");
        let list = RevocationList::default();
        refresh(&list, &pages, true).await?;
        pages.fail.store(true, Ordering::SeqCst);
        assert!(refresh(&list, &pages, true).await.is_err());
        assert!(list.token_revoked("a"));
        Ok(())
    }

    #[tokio::test]
    async fn following_picks_up_a_new_revocation_within_a_period() {
        let pages = Pages::default();
        let list = RevocationList::default();
        let shutdown = CancellationToken::new();
        follow(
            list.clone(),
            pages.clone(),
            Duration::from_millis(20),
            &Metrics::new(),
            shutdown.clone(),
        );
        pages.push_newest("late");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !list.token_revoked("late") {
            assert!(tokio::time::Instant::now() < deadline, "never picked up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        shutdown.cancel();
    }
}
