//! RED per gRPC method: `forecast_mesh_rpc_requests_total{method, code}` and
//! `forecast_mesh_rpc_request_duration_seconds{method}`, recorded when the
//! call's status is known — in the headers of a trailers-only answer, in the
//! trailers at the end of its body (so a stream counts when it ends), or when
//! the caller goes away (`CANCELLED`, or `DEADLINE_EXCEEDED` once its
//! deadline passed). Requests that are not gRPC (REST, the dashboard's
//! files) pass uncounted.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use futures::future::BoxFuture;
use http::{HeaderMap, Request, Response, header::CONTENT_TYPE};
use http_body::{Frame, SizeHint};
use prometheus_client::metrics::{counter::Counter, family::Family, histogram::Histogram};
use tonic::body::Body;

use super::{Labels, Metrics};
use crate::server::Deadline;

/// Upper bounds of the duration buckets, in seconds.
pub const DURATION_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The label of a path that names no method in the table.
pub const UNKNOWN_METHOD: &str = "unknown";

/// Health and reflection: served by every service, in no contract of ours.
const OPEN_METHODS: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// gRPC status names by code, as the chart's rules spell them.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Returns the method label of `path`: its full name from the method table
/// (or health and reflection), else [`UNKNOWN_METHOD`].
pub fn method_label(path: &str) -> &'static str {
    if let Some(method) = proto::methods::find(path) {
        return method.path;
    }
    OPEN_METHODS
        .iter()
        .find(|m| **m == path)
        .copied()
        .unwrap_or(UNKNOWN_METHOD)
}

/// Returns the name of gRPC status `code`; an unheard-of code is `UNKNOWN`.
pub fn code_name(code: i32) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|i| CODES.get(i))
        .copied()
        .unwrap_or("UNKNOWN")
}

/// The RED instruments of a service's gRPC methods.
#[derive(Clone, Debug)]
pub struct RpcMetrics {
    requests: Family<Labels<2>, Counter>,
    duration: Family<Labels<1>, Histogram, fn() -> Histogram>,
}

impl RpcMetrics {
    /// Registers the instruments in `metrics`.
    pub fn register(metrics: &Metrics) -> Self {
        let requests = Family::<Labels<2>, Counter>::default();
        let duration =
            Family::<Labels<1>, Histogram, fn() -> Histogram>::new_with_constructor(|| {
                Histogram::new(DURATION_BUCKETS)
            });
        metrics.register(
            "rpc_requests",
            "gRPC calls answered, by method and status code",
            requests.clone(),
        );
        metrics.register(
            "rpc_request_duration_seconds",
            "gRPC call duration until its status, by method",
            duration.clone(),
        );
        Self { requests, duration }
    }

    fn record(&self, method: &'static str, code: &'static str, started: Instant) {
        self.requests
            .get_or_create(&[("method", method), ("code", code)])
            .inc();
        self.duration
            .get_or_create(&[("method", method)])
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Counts each gRPC call it wraps.
#[derive(Clone, Debug)]
pub struct RpcMetricsLayer {
    metrics: RpcMetrics,
}

impl RpcMetricsLayer {
    pub fn new(metrics: RpcMetrics) -> Self {
        Self { metrics }
    }
}

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcCounted<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcCounted {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`RpcMetricsLayer`] makes.
#[derive(Clone, Debug)]
pub struct RpcCounted<S> {
    inner: S,
    metrics: RpcMetrics,
}

fn is_grpc<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
}

impl<S, ReqBody> tower::Service<Request<ReqBody>> for RpcCounted<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !is_grpc(&request) {
            return Box::pin(inner.call(request));
        }
        let mut pending = Pending {
            metrics: Some(self.metrics.clone()),
            method: method_label(request.uri().path()),
            started: Instant::now(),
            deadline: request.extensions().get::<Deadline>().copied(),
        };
        Box::pin(async move {
            let response = inner.call(request).await;
            match response {
                Ok(response) => {
                    if let Some(code) = status_in(response.headers()) {
                        pending.finish(code);
                        return Ok(response);
                    }
                    Ok(response.map(|body| Body::new(Counted { body, pending })))
                }
                Err(error) => {
                    pending.finish("UNKNOWN");
                    Err(error)
                }
            }
        })
    }
}

fn status_in(headers: &HeaderMap) -> Option<&'static str> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(code_name)
}

/// A call whose status is not known yet; recorded once, at the latest when
/// dropped.
struct Pending {
    metrics: Option<RpcMetrics>,
    method: &'static str,
    started: Instant,
    deadline: Option<Deadline>,
}

impl Pending {
    fn finish(&mut self, code: &'static str) {
        if let Some(metrics) = self.metrics.take() {
            metrics.record(self.method, code, self.started);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // Dropped unanswered: the caller went away, or the deadline layer
        // answered for us and dropped the work.
        let code = if self.deadline.is_some_and(|d| d.expired()) {
            "DEADLINE_EXCEEDED"
        } else {
            "CANCELLED"
        };
        self.finish(code);
    }
}

/// A response body that records its call's status from its trailers.
struct Counted {
    body: Body,
    pending: Pending,
}

impl http_body::Body for Counted {
    type Data = tonic::codegen::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(status_in) {
                    self.pending.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.pending.finish("UNKNOWN"),
            // Ended without trailers: no status, which clients read as UNKNOWN.
            Poll::Ready(None) => self.pending.finish("UNKNOWN"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
