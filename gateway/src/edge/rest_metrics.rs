//! RED per REST route: `forecast_mesh_http_requests_total{route, status}`
//! and `forecast_mesh_http_request_duration_seconds{route}`, for requests
//! [`call`](super::call) classified as a REST call. The route is the route
//! table's path, the status one of the few the gateway answers (else
//! `other`): never the caller's text.

use std::{
    task::{Context, Poll},
    time::Instant,
};

use futures::future::BoxFuture;
use http::{Request, Response};
use mesh_core::metrics::{
    Labels, Metrics,
    prometheus_client::metrics::{counter::Counter, family::Family, histogram::Histogram},
    rpc::DURATION_BUCKETS,
};

use super::{Protocol, PublicCall};
use crate::rest::routes;

/// The statuses a REST answer may be labelled with.
const STATUSES: &[&str] = &[
    "200", "400", "401", "403", "404", "409", "413", "429", "499", "500", "503", "504",
];

fn status_label(status: http::StatusCode) -> &'static str {
    STATUSES
        .iter()
        .find(|s| **s == status.as_str())
        .copied()
        .unwrap_or("other")
}

/// The REST instruments.
#[derive(Clone, Debug)]
pub struct RestMetricsLayer {
    requests: Family<Labels<2>, Counter>,
    duration: Family<Labels<1>, Histogram, fn() -> Histogram>,
}

impl RestMetricsLayer {
    /// Registers the instruments in `metrics`.
    pub fn new(metrics: &Metrics) -> Self {
        let requests = Family::<Labels<2>, Counter>::default();
        let duration =
            Family::<Labels<1>, Histogram, fn() -> Histogram>::new_with_constructor(|| {
                Histogram::new(DURATION_BUCKETS)
            });
        metrics.register(
            "http_requests",
            "REST calls answered, by route and HTTP status",
            requests.clone(),
        );
        metrics.register(
            "http_request_duration_seconds",
            "REST call duration until its answer's head, by route",
            duration.clone(),
        );
        Self { requests, duration }
    }
}

impl<S> tower::Layer<S> for RestMetricsLayer {
    type Service = RestCounted<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RestCounted {
            inner,
            metrics: self.clone(),
        }
    }
}

/// The service [`RestMetricsLayer`] makes.
#[derive(Clone, Debug)]
pub struct RestCounted<S> {
    inner: S,
    metrics: RestMetricsLayer,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for RestCounted<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<ResBody>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let route = request
            .extensions()
            .get::<PublicCall>()
            .filter(|call| call.protocol == Protocol::Rest)
            .and_then(|_| routes::route(request.uri().path()))
            .map(|route| route.path);
        let Some(route) = route else {
            return Box::pin(inner.call(request));
        };
        let metrics = self.metrics.clone();
        let started = Instant::now();
        Box::pin(async move {
            let response = inner.call(request).await?;
            metrics
                .requests
                .get_or_create(&[
                    ("route", route),
                    ("status", status_label(response.status())),
                ])
                .inc();
            metrics
                .duration
                .get_or_create(&[("route", route)])
                .observe(started.elapsed().as_secs_f64());
            Ok(response)
        })
    }
}
