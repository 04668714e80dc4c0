//! Channels to other services: mTLS with the workload's current certificate,
//! the request's capability narrowed to each call, and trace context injected.

use std::{sync::Arc, time::Duration};

use tonic::transport::{Channel, Endpoint};
use tower::ServiceBuilder;

use crate::{
    capability::{CallPlan, NarrowLayer, NarrowToCall},
    identity::SpiffeId,
    tls::{MeshTls, MtlsConnector},
    trace::{InjectContext, InjectContextLayer},
};

/// A channel ready for a generated client.
pub type MeshChannel = NarrowToCall<InjectContext<Channel>>;

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
/// (`host:port`). The host is also the name checked in the server's
/// certificate. Each call's capability is narrowed to the method called,
/// delegating what `call_plan` says that method may call.
pub fn channel(
    address: &str,
    tls: Arc<MeshTls>,
    caller: SpiffeId,
    callee: SpiffeId,
    call_plan: CallPlan,
) -> Result<MeshChannel, ChannelError> {
    // The scheme is `http` because TLS is done by our connector, not by tonic.
    let endpoint = Endpoint::from_shared(format!("http://{address}"))
        .map_err(|source| ChannelError {
            address: address.to_owned(),
            source,
        })?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true);
    let channel = endpoint.connect_with_connector_lazy(MtlsConnector::new(tls));
    Ok(ServiceBuilder::new()
        .layer(NarrowLayer::new(caller, callee, NARROWED_TTL, call_plan))
        .layer(InjectContextLayer)
        .service(channel))
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
