//! Calls spread over a service's replicas. The name is resolved now and every
//! [`DNS_REFRESH`] (a Kubernetes headless Service answers one address per
//! ready pod); each address gets a channel of its own, and each call goes to
//! the less loaded of two replicas picked at random (tower's p2c balancer).

use std::{
    collections::HashSet,
    convert::Infallible,
    fmt,
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures::{TryFutureExt, future::MapErr};
use tokio::sync::mpsc;
use tonic::{
    body::Body,
    transport::{Channel, Endpoint},
};
use tower::{
    balance::p2c::Balance,
    buffer::Buffer,
    discover::Change,
    load::{CompleteOnResponse, PendingRequestsDiscover},
    util::{BoxCloneSyncService, ServiceExt},
};

use crate::tls::{MeshTls, MtlsConnector};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service under every mesh channel: one channel, or a balancer over one
/// channel per replica.
#[derive(Clone, Debug)]
pub struct Upstream(BoxCloneSyncService<http::Request<Body>, http::Response<Body>, BoxError>);

impl tower::Service<http::Request<Body>> for Upstream {
    type Response = http::Response<Body>;
    type Error = UpstreamError;
    type Future = MapErr<
        Pin<Box<dyn Future<Output = Result<http::Response<Body>, BoxError>> + Send>>,
        fn(BoxError) -> UpstreamError,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), UpstreamError>> {
        self.0.poll_ready(cx).map_err(UpstreamError)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        TryFutureExt::map_err(self.0.call(request), UpstreamError as fn(BoxError) -> _)
    }
}

/// Why a call did not reach a replica: the transport's or the balancer's
/// error, as it was. A type of its own, not a bare `BoxError`: rustc cannot
/// prove the futures of generated clients `Send` over a boxed trait object
/// error converted `Into` itself.
#[derive(Debug)]
pub struct UpstreamError(BoxError);

impl fmt::Display for UpstreamError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

impl std::error::Error for UpstreamError {
    // One error, not a wrapper of one: its causes are the inner error's, so
    // tonic finds a connect error or a timeout among them as before.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// How often a service's name is resolved again: a replica that scales in
/// gets calls, and one that leaves stops getting them, within this long.
pub const DNS_REFRESH: Duration = Duration::from_secs(10);

/// How long one resolution may take before it counts as failed.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Calls wait this many deep for the balancer (tonic's default for a channel).
const BUFFER: usize = 1024;

/// The addresses `host:port` stands for.
type Lookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>
        + Send
        + Sync,
>;

/// Finds the replicas of a service from its `host:port`, again and again.
#[derive(Clone)]
pub struct Resolver {
    lookup: Lookup,
    every: Duration,
}

impl Resolver {
    /// Returns the system resolver, asked every [`DNS_REFRESH`].
    pub fn dns() -> Self {
        Self::new(DNS_REFRESH, |authority| async move {
            Ok(tokio::net::lookup_host(authority).await?.collect())
        })
    }

    /// Returns a resolver that asks `lookup` every `every`: tests hand it the
    /// addresses they started.
    pub fn new<F, L>(every: Duration, lookup: L) -> Self
    where
        L: Fn(String) -> F + Send + Sync + 'static,
        F: Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static,
    {
        Self {
            lookup: Arc::new(move |authority| Box::pin(lookup(authority))),
            every,
        }
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Resolver")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

/// One member of the balanced set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Replica {
    /// The name itself, dialed as a single channel does (resolving at each
    /// connect): until the name first resolves, calls still go somewhere.
    ByName,
    /// One resolved address.
    At(SocketAddr),
}

/// Returns calls balanced over the addresses `endpoint`'s host resolves to,
/// each dialed with mTLS and checked against that host name.
pub(super) fn balanced(endpoint: Endpoint, tls: Arc<MeshTls>, resolver: Resolver) -> Upstream {
    let (changes, discovered) = mpsc::unbounded_channel();
    let dialer = Dialer { endpoint, tls };
    tokio::spawn(follow(dialer, resolver, changes));
    let mut discovered = discovered;
    let discover = futures::stream::poll_fn(move |cx| {
        discovered
            .poll_recv(cx)
            .map(|change| change.map(Ok::<_, Infallible>))
    });
    let balance = Balance::new(PendingRequestsDiscover::new(
        discover,
        CompleteOnResponse::default(),
    ));
    // The balancer is not `Clone` and every generated client clones its
    // channel: the buffer's worker owns it and the handles are cheap clones,
    // as inside tonic's own balanced channel.
    Upstream(BoxCloneSyncService::new(Buffer::new(balance, BUFFER)))
}

/// Returns calls over `channel` alone.
pub(super) fn single(channel: Channel) -> Upstream {
    Upstream(BoxCloneSyncService::new(
        channel.map_err(|error| -> BoxError { Box::new(error) }),
    ))
}

/// Makes the channel of one replica.
struct Dialer {
    endpoint: Endpoint,
    tls: Arc<MeshTls>,
}

impl Dialer {
    fn dial(&self, replica: Replica) -> Result<Channel, tonic::transport::Error> {
        let connector = MtlsConnector::new(self.tls.clone());
        match replica {
            Replica::ByName => Ok(self.endpoint.clone().connect_with_connector_lazy(connector)),
            Replica::At(address) => {
                let uri = self.endpoint.uri();
                let host = uri.host().unwrap_or_default().to_owned();
                // The request's authority stays the service's, as with one
                // channel; only the dialed address is the replica's.
                let endpoint = super::endpoint(&address.to_string())?.origin(uri.clone());
                Ok(endpoint.connect_with_connector_lazy(connector.with_server_name(host)))
            }
        }
    }

    /// Returns `host:port` of the service, the port defaulting as `http`'s.
    fn authority(&self) -> String {
        let uri = self.endpoint.uri();
        let host = uri.host().unwrap_or_default();
        format!("{host}:{}", uri.port_u16().unwrap_or(80))
    }
}

/// Resolves the service now and every `resolver.every`, telling the balancer
/// which replicas came and went, until the balancer is dropped. A failed
/// resolution keeps the last set.
async fn follow(
    dialer: Dialer,
    resolver: Resolver,
    changes: mpsc::UnboundedSender<Change<Replica, Channel>>,
) {
    let authority = dialer.authority();
    let mut current = HashSet::new();
    let mut ticks = tokio::time::interval(resolver.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = changes.closed() => return,
            _ = ticks.tick() => {}
        }
        let lookup = (resolver.lookup)(authority.clone());
        let found = match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
            Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
            Ok(Ok(_)) => Err("no addresses".to_owned()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {LOOKUP_TIMEOUT:?}")),
        };
        let wanted: HashSet<Replica> = match found {
            Ok(addresses) => addresses.into_iter().map(Replica::At).collect(),
            Err(error) => {
                tracing::warn!(upstream = %authority, %error, "upstream did not resolve, keeping its last replicas");
                if !current.is_empty() {
                    continue;
                }
                HashSet::from([Replica::ByName])
            }
        };
        // Newcomers first, so that the set is never empty in between.
        for &replica in wanted.difference(&current) {
            match dialer.dial(replica) {
                Ok(channel) => {
                    tracing::debug!(upstream = %authority, ?replica, "replica added");
                    let _ = changes.send(Change::Insert(replica, channel));
                }
                Err(error) => {
                    tracing::warn!(upstream = %authority, ?replica, %error, "replica not dialable");
                }
            }
        }
        for &replica in current.difference(&wanted) {
            tracing::debug!(upstream = %authority, ?replica, "replica removed");
            let _ = changes.send(Change::Remove(replica));
        }
        current = wanted;
    }
}

#[cfg(test)]
mod tests;
