//! Returns the call's own trace context on every response (`traceparent`,
//! and `tracestate` when set), as a gRPC header or an HTTP header, so a
//! browser or an operator can quote the trace id of any call, failed ones
//! included. Put it inside the server trace layer, whose span it reports.

use std::task::{Context, Poll};

use futures::{FutureExt, future::BoxFuture};
use http::{HeaderMap, Request, Response};

/// Adds the current span's trace context to each response.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReturnTraceContextLayer;

impl<S> tower::Layer<S> for ReturnTraceContextLayer {
    type Service = ReturnTraceContext<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ReturnTraceContext { inner }
    }
}

/// The service [`ReturnTraceContextLayer`] makes.
#[derive(Clone, Debug)]
pub struct ReturnTraceContext<S> {
    inner: S,
}

impl<S, B, R> tower::Service<Request<B>> for ReturnTraceContext<S>
where
    S: tower::Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // `call` runs inside the server span: its context is this call's.
        let mut context = HeaderMap::new();
        super::inject(&mut context);
        self.inner
            .call(request)
            .map(move |answered| {
                answered.map(|mut response| {
                    for name in ["traceparent", "tracestate"] {
                        if let Some(value) = context.remove(name) {
                            response.headers_mut().insert(name, value);
                        }
                    }
                    response
                })
            })
            .boxed()
    }
}
