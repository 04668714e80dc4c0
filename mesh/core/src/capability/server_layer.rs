//! The receiving side: every application call must come from an allowed
//! workload over mTLS and carry a token that authorizes this very call.
//! Health and reflection need only the mTLS handshake.

use std::{
    collections::BTreeSet,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::SystemTime,
};

use http::{Request, Response};
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

use super::{CallFacts, CapabilityError, CapabilityVerifier};
use crate::identity::{PeerIdentity, SpiffeId};

/// Returns the operation a method needs (`right(<service>, <operation>)`), or
/// `None` for a method the service does not serve.
pub type MethodRights = fn(&str) -> Option<&'static str>;

/// Paths open to any peer that completed the mTLS handshake.
const OPEN_PREFIXES: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.",
    "/grpc.reflection.v1alpha.",
];

#[derive(Debug)]
struct Policy {
    service: &'static str,
    allowed_callers: BTreeSet<SpiffeId>,
    verifier: CapabilityVerifier,
    rights: MethodRights,
}

/// Authorizes each request before it reaches the service's handlers.
#[derive(Clone, Debug)]
pub struct AuthorizeLayer {
    policy: Arc<Policy>,
}

impl AuthorizeLayer {
    pub fn new(
        service: &'static str,
        allowed_callers: impl IntoIterator<Item = SpiffeId>,
        verifier: CapabilityVerifier,
        rights: MethodRights,
    ) -> Self {
        let allowed_callers = allowed_callers.into_iter().collect();
        Self {
            policy: Arc::new(Policy {
                service,
                allowed_callers,
                verifier,
                rights,
            }),
        }
    }
}

impl<S> tower::Layer<S> for AuthorizeLayer {
    type Service = AuthorizeCall<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthorizeCall {
            inner,
            policy: self.policy.clone(),
        }
    }
}

/// The service [`AuthorizeLayer`] makes.
#[derive(Clone, Debug)]
pub struct AuthorizeCall<S> {
    inner: S,
    policy: Arc<Policy>,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for AuthorizeCall<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // Take the service that was polled ready, leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        match self.policy.admit(&mut request) {
            Ok(()) => Box::pin(inner.call(request)),
            Err(status) => {
                tracing::info!(code = ?status.code(), message = status.message(), "call refused");
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

impl Policy {
    fn admit<B>(&self, request: &mut Request<B>) -> Result<(), tonic::Status> {
        let peer = peer_identity(request).ok_or_else(|| {
            tonic::Status::unauthenticated("no client certificate with a spiffe id")
        })?;
        request.extensions_mut().insert(PeerIdentity(peer.clone()));
        let method = request.uri().path().to_owned();
        if OPEN_PREFIXES
            .iter()
            .any(|prefix| method.starts_with(prefix))
        {
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

fn bearer<B>(request: &Request<B>) -> Option<&str> {
    let value = request
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
}
