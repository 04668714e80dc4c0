//! Authentication: the caller's bearer JWT, validated, becomes the
//! [`Principal`] later layers and handlers read. The token itself goes no
//! further than this layer.

mod sample;
mod verified;

use std::{collections::HashSet, net::IpAddr, sync::Arc, time::SystemTime};

use http::Request;
use mesh_core::{
    capability::bearer,
    metrics::{CounterBy, Metrics},
    revocation::RevocationList,
};
use tonic::{body::Body, transport::server::TcpConnectInfo};

use super::{PublicCall, gate::Gate, rate_limit::FailedAuthentications};
use crate::{
    error::ApiError,
    oidc::{AuthError, JwtValidator},
    scopes,
};
use sample::RefusalSample;
use verified::{Verified, VerifiedTokens};

/// Who is calling, as the mesh knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// A hash of issuer and subject: no service sees the raw subject.
    pub id: Arc<str>,
    /// The scopes the token granted.
    pub scopes: Arc<HashSet<String>>,
}

/// The authentication gate.
#[derive(Debug)]
pub struct Authenticate {
    validator: JwtValidator,
    verified: VerifiedTokens,
    revoked: RevocationList,
    failed: FailedAuthentications,
    refusals: CounterBy,
    sample: RefusalSample,
}

impl Authenticate {
    /// Authenticates with `validator`, refusing the token ids `revoked` lists.
    pub fn new(
        validator: JwtValidator,
        revoked: RevocationList,
        failed: FailedAuthentications,
    ) -> Self {
        Self {
            validator,
            verified: VerifiedTokens::default(),
            revoked,
            failed,
            refusals: CounterBy::default(),
            sample: RefusalSample::default(),
        }
    }

    /// Counts refusals in `forecast_mesh_jwt_refusals_total{reason}`.
    pub fn counted_in(mut self, metrics: &Metrics) -> Self {
        self.refusals = metrics.counter_by(
            "jwt_refusals",
            "bearer tokens refused at the edge, by reason",
            "reason",
            AuthError::REASONS,
        );
        self
    }
}

/// Returns the address the connection came from.
fn peer_ip(request: &Request<Body>) -> Option<IpAddr> {
    let info = request.extensions().get::<TcpConnectInfo>()?;
    info.remote_addr().map(|address| address.ip())
}

impl Authenticate {
    /// Returns the principal of `token`: from the tokens verified lately,
    /// or by checking it; either way, not if the token is revoked.
    fn principal(&self, token: &str) -> Result<Principal, AuthError> {
        let now = SystemTime::now();
        let verified = match self.verified.get(token, now) {
            Some(verified) => verified,
            None => {
                let claims = self.validator.validate(token)?;
                let verified = Verified {
                    principal: Principal {
                        id: scopes::principal(&claims.issuer, &claims.subject).into(),
                        scopes: Arc::new(claims.scopes),
                    },
                    token_id: claims.token_id.map(Into::into),
                };
                self.verified.insert(token, &verified, now);
                verified
            }
        };
        if verified
            .token_id
            .as_deref()
            .is_some_and(|jti| self.revoked.token_revoked(jti))
        {
            return Err(AuthError::Revoked);
        }
        Ok(verified.principal)
    }
}

impl Gate for Authenticate {
    fn admit(&self, _: PublicCall, request: &mut Request<Body>) -> Result<(), ApiError> {
        let validated = bearer(request)
            .ok_or(AuthError::Missing)
            .and_then(|token| self.principal(token));
        let principal = match validated {
            Ok(principal) => principal,
            // Past its rate of failures, a peer is told to wait.
            Err(error) => {
                let peer = peer_ip(request);
                self.refusals
                    .get_or_create(&[("reason", error.reason())])
                    .inc();
                self.sample.refused(error.reason(), peer);
                return Err(self.failed.failed(peer).unwrap_or(error.into()));
            }
        };
        request.headers_mut().remove(http::header::AUTHORIZATION);
        request.extensions_mut().insert(principal);
        Ok(())
    }
}
