//! gRPC-web for the requests that speak it, and only those: tonic-web
//! answers any other HTTP/1.1 request with an empty 400, which would shut
//! out REST clients (the replaced system's `GET /api/...` over HTTP/1.1).

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{Request, Response, header::CONTENT_TYPE};
use tonic::body::Body;
use tonic_web::{GrpcWebLayer, GrpcWebService};
use tower::{Layer, ServiceExt};

/// Translates gRPC-web requests; passes every other request through.
#[derive(Clone, Copy, Debug, Default)]
pub struct GrpcWebOnlyLayer;

impl<S: Clone> Layer<S> for GrpcWebOnlyLayer {
    type Service = GrpcWebOnly<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcWebOnly {
            web: GrpcWebLayer::new().layer(inner.clone()),
            plain: inner,
        }
    }
}

/// The service [`GrpcWebOnlyLayer`] makes.
#[derive(Clone, Debug)]
pub struct GrpcWebOnly<S> {
    plain: S,
    web: GrpcWebService<S>,
}

/// True for `application/grpc-web`, `application/grpc-web+proto`,
/// `application/grpc-web-text`, ...
fn is_grpc_web<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc-web"))
}

impl<S> tower::Service<Request<Body>> for GrpcWebOnly<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        // Each call drives its own clone to readiness (`oneshot`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let plain_http1 = request.version() < http::Version::HTTP_2 && !is_grpc_web(&request);
        if plain_http1 {
            Box::pin(self.plain.clone().oneshot(request))
        } else {
            Box::pin(self.web.clone().oneshot(request))
        }
    }
}
