//! What one connection and one service may hold at once: HTTP/2 limits
//! (concurrent streams, header list size, keepalive pings, a maximum
//! connection age) and admission control (calls in flight; past them a
//! call is shed at once with `UNAVAILABLE` rather than queued behind
//! the others, so one caller cannot make every caller wait).

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures::future::BoxFuture;
use http::{Request, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::body::Body;
use tower::{Layer, Service};

/// A service's limits; the defaults suit one replica of any service here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Calls in flight at once; past it, new calls are shed.
    pub max_in_flight: usize,
    /// Streams one HTTP/2 connection may open at once.
    pub max_concurrent_streams: u32,
    /// Bytes of headers one request may carry.
    pub max_header_list_size: u32,
    /// How often an idle connection is pinged, and how long the answer may
    /// take before the connection is closed.
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
    /// A connection is closed (gracefully) after this long, so that no
    /// client holds one forever and load spreads as replicas come and go.
    pub max_connection_age: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_in_flight: 256,
            max_concurrent_streams: 100,
            max_header_list_size: 16 * 1024,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            max_connection_age: Duration::from_secs(3600),
        }
    }
}

impl Limits {
    /// Applies the HTTP/2 limits to a server builder.
    pub(super) fn apply<L>(
        &self,
        builder: tonic::transport::Server<L>,
    ) -> tonic::transport::Server<L> {
        builder
            .max_concurrent_streams(self.max_concurrent_streams)
            .http2_max_header_list_size(self.max_header_list_size)
            .http2_keepalive_interval(Some(self.keepalive_interval))
            .http2_keepalive_timeout(Some(self.keepalive_timeout))
            .max_connection_age(self.max_connection_age)
            .tcp_keepalive(Some(self.keepalive_interval))
    }

    /// Returns the admission layer for `max_in_flight` calls.
    pub(super) fn admission(&self) -> AdmissionLayer {
        AdmissionLayer {
            permits: Arc::new(Semaphore::new(self.max_in_flight)),
        }
    }
}

/// Admits at most a fixed number of calls in flight (a call is in flight
/// until its response body ends: a stream holds its permit while it
/// streams); the rest are shed at once with `UNAVAILABLE`, which clients
/// retry, instead of queueing behind the others.
#[derive(Clone, Debug)]
pub struct AdmissionLayer {
    permits: Arc<Semaphore>,
}

impl<S> Layer<S> for AdmissionLayer {
    type Service = Admission<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Admission {
            inner,
            permits: self.permits.clone(),
        }
    }
}

/// The service [`AdmissionLayer`] makes.
#[derive(Clone, Debug)]
pub struct Admission<S> {
    inner: S,
    permits: Arc<Semaphore>,
}

impl<S> Service<Request<Body>> for Admission<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            let shed = tonic::Status::unavailable(
                "the service is at its limit of calls in flight: try again shortly",
            );
            return Box::pin(std::future::ready(Ok(shed.into_http())));
        };
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| {
                Body::new(Permitted {
                    body,
                    _permit: permit,
                })
            }))
        })
    }
}

/// A response body that holds its call's permit until it is dropped.
struct Permitted {
    body: Body,
    _permit: OwnedSemaphorePermit,
}

impl http_body::Body for Permitted {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, tonic::Status>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::{ServiceExt, service_fn};

    use super::*;

    #[tokio::test]
    async fn calls_past_the_limit_are_shed_at_once_and_admitted_again_when_one_ends()
    -> Result<(), Infallible> {
        let (release, released) = tokio::sync::watch::channel(false);
        let layer = Limits {
            max_in_flight: 1,
            ..Limits::default()
        }
        .admission();
        let service = layer.layer(service_fn(move |_: Request<Body>| {
            let mut released = released.clone();
            async move {
                let _ = released.wait_for(|done| *done).await;
                Ok::<_, Infallible>(Response::new(Body::empty()))
            }
        }));
        let first = tokio::spawn(service.clone().oneshot(Request::new(Body::empty())));
        tokio::task::yield_now().await;
        let shed = service.clone().oneshot(Request::new(Body::empty())).await?;
        assert_eq!(
            shed.headers().get("grpc-status").map(|v| v.as_bytes()),
            Some(&b"14"[..]),
            "UNAVAILABLE while the first is in flight"
        );
        let _ = release.send(true);
        let answered = first.await.map(drop);
        assert!(answered.is_ok());
        let admitted = service.oneshot(Request::new(Body::empty())).await?;
        assert!(
            admitted.headers().get("grpc-status").is_none(),
            "admitted again"
        );
        Ok(())
    }
}
