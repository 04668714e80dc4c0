//! Channels to other services: mTLS with the workload's current certificate
//! (or, in mesh mode, plaintext h2 to the pod's proxy, which does the mTLS),
//! the request's capability narrowed to each call, and trace context injected.
//! Calls to a service name spread over its replicas ([`upstream`]).

mod upstream;

use std::{net::IpAddr, time::Duration};

use tonic::transport::Endpoint;
use tower::ServiceBuilder;

pub use upstream::{DNS_REFRESH, Resolver, Upstream, UpstreamError};

use crate::{
    capability::{CallPlan, NarrowLayer, NarrowToCall},
    identity::SpiffeId,
    link::Link,
    tls::MtlsConnector,
    trace::{InjectContext, InjectContextLayer},
};

/// A channel ready for a generated client.
pub type MeshChannel = NarrowToCall<InjectContext<Upstream>>;

/// Narrowed tokens live this long: one call, with room for clock skew.
const NARROWED_TTL: Duration = Duration::from_secs(30);

/// Why a channel could not be made.
#[derive(Debug, thiserror::Error)]
#[error("invalid address {address:?}: {source}")]
pub struct ChannelError {
    address: String,
    source: tonic::transport::Error,
}

/// Returns a lazily connecting channel from `caller` to `callee` at `address`
/// (`host:port`) over `link`. The host is also the name checked in the
/// server's certificate (by the proxy, in mesh mode). Calls are spread over
/// every address the host resolves to, resolved again every [`DNS_REFRESH`].
/// Each call's capability is narrowed to the method called, delegating what
/// `call_plan` says that method may call.
pub fn channel(
    address: &str,
    link: impl Into<Link>,
    caller: SpiffeId,
    callee: SpiffeId,
    call_plan: CallPlan,
) -> Result<MeshChannel, ChannelError> {
    channel_resolved_by(address, link, caller, callee, call_plan, Resolver::dns())
}

/// Returns [`channel`] finding the replicas of `address` with `resolver`.
pub fn channel_resolved_by(
    address: &str,
    link: impl Into<Link>,
    caller: SpiffeId,
    callee: SpiffeId,
    call_plan: CallPlan,
    resolver: Resolver,
) -> Result<MeshChannel, ChannelError> {
    let endpoint = endpoint(address).map_err(|source| ChannelError {
        address: address.to_owned(),
        source,
    })?;
    let literal = endpoint
        .uri()
        .host()
        .is_some_and(|host| host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok());
    let upstream = match link.into() {
        // An address is one replica: nothing to resolve or balance.
        Link::Native(tls) if literal => {
            upstream::single(endpoint.connect_with_connector_lazy(MtlsConnector::new(tls)))
        }
        Link::Native(tls) => upstream::balanced(endpoint, tls, resolver),
        // The pod's proxy knows the replicas and balances over them itself:
        // one channel to it is all the mesh wants.
        Link::Sidecar(_) => upstream::single(endpoint.connect_lazy()),
    };
    Ok(ServiceBuilder::new()
        .layer(NarrowLayer::new(caller, callee, NARROWED_TTL, call_plan))
        .layer(InjectContextLayer)
        .service(upstream))
}

/// Returns the endpoint of `address` (`host:port`). The scheme is `http`:
/// TLS is done by our connector, or by the proxy.
fn endpoint(address: &str) -> Result<Endpoint, tonic::transport::Error> {
    Ok(Endpoint::from_shared(format!("http://{address}"))?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true))
}

/// Returns an outgoing request carrying `capability`, which the channel's
/// narrowing layer confines to the call.
pub fn with_capability<T>(
    capability: &crate::capability::Capability,
    message: T,
) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(capability.clone());
    request
}

/// Returns the capability an incoming request was authorized with, to call
/// further services on the same user's behalf.
pub fn capability_of<T>(
    request: &tonic::Request<T>,
) -> Result<crate::capability::Capability, tonic::Status> {
    request
        .extensions()
        .get::<crate::capability::Capability>()
        .cloned()
        .ok_or_else(|| tonic::Status::unauthenticated("missing capability token"))
}
