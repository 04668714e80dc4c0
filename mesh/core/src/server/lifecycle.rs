//! A server's life: stopping on a signal, and waiting until it serves.

use tokio_util::sync::CancellationToken;

/// Cancels `shutdown` on Ctrl-C or SIGTERM, for binaries.
pub async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    shutdown.cancel();
}

/// Why a service did not become healthy.
#[derive(Debug, thiserror::Error)]
#[error("{address} did not report SERVING within {within:?}: {last}")]
pub struct NotServing {
    address: std::net::SocketAddr,
    within: std::time::Duration,
    last: String,
}

/// Polls the plaintext health port at `address` until it reports SERVING.
pub async fn wait_until_serving(
    address: std::net::SocketAddr,
    within: std::time::Duration,
) -> Result<(), NotServing> {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let deadline = tokio::time::Instant::now() + within;
    let mut last = String::from("not polled");
    while tokio::time::Instant::now() < deadline {
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| NotServing {
                address,
                within,
                last: e.to_string(),
            })?;
        match endpoint.connect().await.map(HealthClient::new) {
            Ok(mut client) => match client
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
            {
                Ok(response) if response.get_ref().status == ServingStatus::Serving as i32 => {
                    return Ok(());
                }
                Ok(response) => last = format!("status {}", response.get_ref().status),
                Err(status) => last = status.to_string(),
            },
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(NotServing {
        address,
        within,
        last,
    })
}
