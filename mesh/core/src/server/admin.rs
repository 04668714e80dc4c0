//! The admin port: plain HTTP for operators' tools. `GET /ready` answers 200
//! while the service reports SERVING and 503 otherwise; `GET /metrics`
//! serves the service's metrics when enabled ([`crate::metrics::endpoint`]).

use axum::{Router, http::StatusCode, routing::get};
use tokio::{net::TcpListener, sync::watch};
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;

/// Serves the admin port until `shutdown`; nothing when it is not enabled.
pub(super) async fn serve(
    listener: Option<TcpListener>,
    ready: watch::Receiver<bool>,
    metrics: Router,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let Some(listener) = listener else {
        return Ok(());
    };
    let router = metrics.route(
        "/ready",
        get(move || {
            let ready = *ready.borrow();
            async move {
                if ready {
                    (StatusCode::OK, "ready\n")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
                }
            }
        }),
    );
    tonic::transport::Server::builder()
        .accept_http1(true)
        .add_routes(router.into())
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.cancelled_owned())
        .await
}
