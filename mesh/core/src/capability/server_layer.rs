//! The receiving side: every application call must come from an allowed
//! workload over mTLS and carry a token that authorizes this very call.
//! Health and reflection need only the mTLS handshake.

use std::{collections::BTreeSet, time::SystemTime};

use http::Request;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

use super::{CallFacts, CapabilityError, CapabilityVerifier};
use crate::{
    guard::{Guard, GuardLayer, is_open},
    identity::{PeerIdentity, SpiffeId},
};

/// Returns the operation a method needs (`right(<service>, <operation>)`), or
/// `None` for a method the service does not serve.
pub type MethodRights = fn(&str) -> Option<&'static str>;

/// Authorizes each request before it reaches the service's handlers.
#[derive(Debug)]
pub struct Authorize {
    service: &'static str,
    allowed_callers: BTreeSet<SpiffeId>,
    verifier: CapabilityVerifier,
    rights: MethodRights,
}

/// The layer that puts [`Authorize`] in front of a service.
pub type AuthorizeLayer = GuardLayer<Authorize>;

impl Authorize {
    pub fn layer(
        service: &'static str,
        allowed_callers: impl IntoIterator<Item = SpiffeId>,
        verifier: CapabilityVerifier,
        rights: MethodRights,
    ) -> AuthorizeLayer {
        let allowed_callers = allowed_callers.into_iter().collect();
        GuardLayer::new(Self {
            service,
            allowed_callers,
            verifier,
            rights,
        })
    }
}

impl Guard for Authorize {
    type Ticket = ();

    fn admit<B>(&self, request: &mut Request<B>) -> Result<(), tonic::Status> {
        let peer = peer_identity(request).ok_or_else(|| {
            tonic::Status::unauthenticated("no client certificate with a spiffe id")
        })?;
        request.extensions_mut().insert(PeerIdentity(peer.clone()));
        let method = request.uri().path().to_owned();
        if is_open(&method) {
            return Ok(());
        }
        if !self.allowed_callers.contains(&peer) {
            return Err(tonic::Status::permission_denied(format!(
                "workload {peer} may not call the {} service",
                self.service
            )));
        }
        let operation = (self.rights)(&method)
            .ok_or_else(|| tonic::Status::unimplemented(format!("unknown method {method}")))?;
        let token = bearer(request).ok_or(CapabilityError::Missing)?;
        let facts = CallFacts {
            service: self.service,
            method: &method,
            caller: &peer,
            operation,
            now: SystemTime::now(),
        };
        let capability = self.verifier.authorize(token, &facts)?;
        request.extensions_mut().insert(capability);
        Ok(())
    }
}

fn peer_identity<B>(request: &Request<B>) -> Option<SpiffeId> {
    let info = request
        .extensions()
        .get::<TlsConnectInfo<TcpConnectInfo>>()?;
    let certs = info.peer_certs()?;
    SpiffeId::from_certificate(certs.first()?).ok()
}

/// Returns the token of an `authorization: Bearer <token>` header.
pub fn bearer<B>(request: &Request<B>) -> Option<&str> {
    let value = request
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}
