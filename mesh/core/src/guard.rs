//! A gate in front of a service: admits each request, possibly adding
//! extensions for the handlers, or refuses it with a status. The mesh's
//! capability authorization is a guard; this module holds the tower plumbing.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};

/// Paths any peer that reached the server may call: health and reflection.
pub const OPEN_PREFIXES: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.",
    "/grpc.reflection.v1alpha.",
];

/// Returns true for health and reflection methods.
pub fn is_open(path: &str) -> bool {
    OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

/// Decides about each request.
pub trait Guard: Send + Sync + 'static {
    /// Admits the request, possibly adding extensions for the handlers, or
    /// refuses it with the status the caller gets.
    fn admit<B>(&self, request: &mut Request<B>) -> Result<(), tonic::Status>;
}

/// Puts a [`Guard`] in front of a service.
#[derive(Debug)]
pub struct GuardLayer<G> {
    guard: Arc<G>,
}

impl<G> Clone for GuardLayer<G> {
    fn clone(&self) -> Self {
        Self {
            guard: self.guard.clone(),
        }
    }
}

impl<G> GuardLayer<G> {
    pub fn new(guard: G) -> Self {
        Self {
            guard: Arc::new(guard),
        }
    }
}

impl<S, G> tower::Layer<S> for GuardLayer<G> {
    type Service = Guarded<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The service [`GuardLayer`] makes.
#[derive(Debug)]
pub struct Guarded<S, G> {
    inner: S,
    guard: Arc<G>,
}

impl<S: Clone, G> Clone for Guarded<S, G> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            guard: self.guard.clone(),
        }
    }
}

impl<S, G, ReqBody, ResBody> tower::Service<Request<ReqBody>> for Guarded<S, G>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send + 'static,
    G: Guard,
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
        match self.guard.admit(&mut request) {
            Ok(()) => Box::pin(inner.call(request)),
            Err(status) => {
                tracing::info!(code = ?status.code(), message = status.message(), "call refused");
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}
