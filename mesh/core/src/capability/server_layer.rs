//! The receiving side: every application call must come from an allowed
//! workload and carry a token that authorizes this very call, none of
//! whose blocks is revoked. Health and reflection need only a caller the
//! transport vouched for; the few methods `proto::policy` marks identity
//! only (the revocation list) need an allowed caller and no token. Each refusal
//! counts in `forecast_mesh_capability_refusals_total{reason}`, one of
//! [`REFUSAL_REASONS`].

use std::{collections::BTreeSet, time::SystemTime};

use http::Request;

use super::{CallFacts, CapabilityError, CapabilityVerifier, Right, authorized::Authorized};
use crate::{
    guard::{Guard, GuardLayer, is_open},
    identity::{PeerIdentity, SpiffeId},
    metrics::{CounterBy, Metrics},
    revocation::RevocationList,
};

/// Why a call was refused, as `forecast_mesh_capability_refusals_total`
/// labels it.
pub(crate) const REFUSAL_REASONS: &[&str] = &[
    "no_identity",
    "caller_not_allowed",
    "unknown_method",
    "missing",
    "invalid",
    "expired",
    "over_limit",
    "run_limit",
    "denied",
    "revoked",
    "internal",
];

fn reason_of(error: &CapabilityError) -> &'static str {
    match error {
        CapabilityError::Missing => "missing",
        CapabilityError::Invalid(_) => "invalid",
        CapabilityError::Expired => "expired",
        CapabilityError::OverLimit(_) => "over_limit",
        CapabilityError::RunLimit { .. } => "run_limit",
        CapabilityError::Denied { .. } => "denied",
        CapabilityError::Build(_) | CapabilityError::Encode(_) => "internal",
    }
}

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
    revoked: RevocationList,
    authorized: Authorized,
    refusals: CounterBy,
}

/// The layer that puts [`Authorize`] in front of a service.
pub type AuthorizeLayer = GuardLayer<Authorize>;

impl Authorize {
    pub fn layer(
        service: &'static str,
        allowed_callers: impl IntoIterator<Item = SpiffeId>,
        verifier: CapabilityVerifier,
        rights: MethodRights,
        revoked: RevocationList,
        metrics: &Metrics,
    ) -> AuthorizeLayer {
        let allowed_callers = allowed_callers.into_iter().collect();
        let refusals = metrics.counter_by(
            "capability_refusals",
            "calls refused by capability authorization, by reason",
            "reason",
            REFUSAL_REASONS,
        );
        GuardLayer::new(Self {
            service,
            allowed_callers,
            verifier,
            rights,
            revoked,
            authorized: Authorized::default(),
            refusals,
        })
    }
}

impl Guard for Authorize {
    fn admit<B>(&self, request: &mut Request<B>) -> Result<(), tonic::Status> {
        self.check(request).map_err(|(reason, status)| {
            self.refusals.get_or_create(&[("reason", reason)]).inc();
            status
        })
    }
}

impl Authorize {
    fn check<B>(&self, request: &mut Request<B>) -> Result<(), (&'static str, tonic::Status)> {
        let PeerIdentity(peer) = request
            .extensions()
            .get::<PeerIdentity>()
            .cloned()
            .ok_or_else(|| {
                (
                    "no_identity",
                    tonic::Status::unauthenticated("no client certificate with a spiffe id"),
                )
            })?;
        let method = request.uri().path().to_owned();
        if is_open(&method) {
            return Ok(());
        }
        if !self.allowed_callers.contains(&peer) {
            return Err((
                "caller_not_allowed",
                tonic::Status::permission_denied(format!(
                    "workload {peer} may not call the {} service",
                    self.service
                )),
            ));
        }
        if proto::policy::needs_identity_only(&method) {
            return Ok(());
        }
        let right = (self.rights)(&method)
            .filter(|right| right.service == self.service)
            .ok_or_else(|| {
                (
                    "unknown_method",
                    tonic::Status::unimplemented(format!("unknown method {method}")),
                )
            })?;
        let refused = |error: CapabilityError| (reason_of(&error), tonic::Status::from(error));
        let token = bearer(request)
            .ok_or(CapabilityError::Missing)
            .map_err(refused)?;
        let facts = CallFacts {
            service: self.service,
            method: &method,
            caller: &peer,
            operation: right.operation,
            now: SystemTime::now(),
        };
        let capability = self
            .authorized
            .get_or_authorize(token, &method, &peer, || {
                self.verifier.authorize(token, &facts)
            })
            .map_err(refused)?;
        if self.revoked.revokes(&capability) {
            return Err((
                "revoked",
                tonic::Status::unauthenticated("capability token revoked"),
            ));
        }
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
