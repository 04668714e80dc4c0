//! The receiving side: every application call must come from an allowed
//! workload and carry a token that authorizes this very call. Health and
//! reflection need only a caller the transport vouched for.

use std::{collections::BTreeSet, time::SystemTime};

use http::Request;

use super::{CallFacts, CapabilityError, CapabilityVerifier, Right};
use crate::{
    guard::{Guard, GuardLayer, is_open},
    identity::{PeerIdentity, SpiffeId},
};

/// Returns the right a method needs, or `None` for a method the service
/// does not serve (refused: deny by default).
pub type MethodRights = fn(&str) -> Option<Right>;

/// Authorizes each request before it reaches the service's handlers, from
/// the [`PeerIdentity`] the transport put in its extensions.
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
    fn admit<B>(&self, request: &mut Request<B>) -> Result<(), tonic::Status> {
        let PeerIdentity(peer) = request
            .extensions()
            .get::<PeerIdentity>()
            .cloned()
            .ok_or_else(|| {
                tonic::Status::unauthenticated("no client certificate with a spiffe id")
            })?;
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
        let right = (self.rights)(&method)
            .filter(|right| right.service == self.service)
            .ok_or_else(|| tonic::Status::unimplemented(format!("unknown method {method}")))?;
        let token = bearer(request).ok_or(CapabilityError::Missing)?;
        let facts = CallFacts {
            service: self.service,
            method: &method,
            caller: &peer,
            operation: right.operation,
            now: SystemTime::now(),
        };
        let capability = self.verifier.authorize(token, &facts)?;
        request.extensions_mut().insert(capability);
        Ok(())
    }
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
