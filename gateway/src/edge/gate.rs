//! A gate admits a public call or refuses it; the refusal is answered in the
//! call's own protocol from one description of the failure: a gRPC status,
//! or an HTTP status with `{code, message, trace_id}` for REST.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};
use tonic::body::Body;

use super::{Protocol, PublicCall};
use crate::error::{ApiError, rest_response};

/// Decides about each public call.
pub trait Gate: Send + Sync + 'static {
    /// Admits `call`, possibly adding extensions, or says why not.
    fn admit(&self, call: PublicCall, request: &mut Request<Body>) -> Result<(), ApiError>;
}

/// Returns the answer to a refused call, in its protocol.
pub fn refusal(protocol: Protocol, error: &ApiError) -> Response<Body> {
    let status = error.status();
    match protocol {
        Protocol::Grpc => status.into_http(),
        Protocol::Rest => rest_response(&status),
    }
}

/// Puts a [`Gate`] in front of a service.
#[derive(Debug)]
pub struct GateLayer<G> {
    gate: Arc<G>,
}

impl<G> Clone for GateLayer<G> {
    fn clone(&self) -> Self {
        Self {
            gate: self.gate.clone(),
        }
    }
}

impl<G> GateLayer<G> {
    pub fn new(gate: G) -> Self {
        Self {
            gate: Arc::new(gate),
        }
    }
}

impl<S, G> tower::Layer<S> for GateLayer<G> {
    type Service = Gated<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Gated {
            inner,
            gate: self.gate.clone(),
        }
    }
}

/// The service [`GateLayer`] makes.
#[derive(Debug)]
pub struct Gated<S, G> {
    inner: S,
    gate: Arc<G>,
}

impl<S: Clone, G> Clone for Gated<S, G> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            gate: self.gate.clone(),
        }
    }
}

impl<S, G> tower::Service<Request<Body>> for Gated<S, G>
where
    S: tower::Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    G: Gate,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // Take the service that was polled ready, leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(call) = request.extensions().get::<PublicCall>().copied() else {
            return Box::pin(inner.call(request));
        };
        match self.gate.admit(call, &mut request) {
            Ok(()) => Box::pin(inner.call(request)),
            Err(error) => {
                tracing::debug!(method = call.method, %error, "call refused");
                Box::pin(std::future::ready(Ok(refusal(call.protocol, &error))))
            }
        }
    }
}
