//! Writes the current span's trace context into each outgoing request.

use std::task::{Context, Poll};

use http::Request;

/// Injects `traceparent`, `tracestate` and `baggage` from the current span.
#[derive(Clone, Copy, Debug, Default)]
pub struct InjectContextLayer;

impl<S> tower::Layer<S> for InjectContextLayer {
    type Service = InjectContext<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InjectContext { inner }
    }
}

/// The service [`InjectContextLayer`] makes.
#[derive(Clone, Debug)]
pub struct InjectContext<S> {
    inner: S,
}

impl<S, B> tower::Service<Request<B>> for InjectContext<S>
where
    S: tower::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // `call` runs synchronously inside the handler's span, so the current
        // span is the one this call belongs to.
        super::inject(request.headers_mut());
        self.inner.call(request)
    }
}
