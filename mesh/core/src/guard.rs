//! A gate in front of a service: admits or refuses each request before it
//! reaches the handlers, and hears how each admitted request was answered.
//! The mesh's server authorization and the gateway's edge are guards; this
//! module holds the tower plumbing they share.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};

/// Paths any peer that reached the server may call: health and reflection.
const OPEN_PREFIXES: &[&str] = &[
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
    /// What an admitted request leaves for [`Guard::answered`].
    type Ticket: Send + 'static;

    /// Admits the request, possibly adding extensions for the handlers, or
    /// refuses it with the status the caller gets.
    fn admit<B>(&self, request: &mut Request<B>) -> Result<Self::Ticket, tonic::Status>;

    /// Hears the status an admitted request was answered with.
    fn answered(&self, _ticket: Self::Ticket, _code: tonic::Code) {}
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
            Ok(ticket) => {
                let guard = self.guard.clone();
                Box::pin(async move {
                    let response = inner.call(request).await?;
                    guard.answered(ticket, status_of(&response));
                    Ok(response)
                })
            }
            Err(status) => {
                tracing::info!(code = ?status.code(), message = status.message(), "call refused");
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

/// Returns the status a response carries in its headers. A unary call that
/// failed answers trailers-only, with the status in the headers; one that
/// carries no status there succeeded (a stream failing later is not seen).
fn status_of<B>(response: &Response<B>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}
