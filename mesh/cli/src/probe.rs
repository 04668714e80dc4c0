//! `mesh probe`: asks plaintext health ports whether their services are
//! SERVING, the way kubelet's gRPC probes do. The Helm chart's `helm test`
//! hook runs it against every service of a release.

use std::time::Duration;

use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// Why a health port did not say SERVING.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{address}: not a valid address: {reason}")]
    Address { address: String, reason: String },
    #[error("{address}: could not connect: {reason}")]
    Connect { address: String, reason: String },
    #[error("{address}: health check failed: {reason}")]
    Check { address: String, reason: String },
    #[error("{address}: no answer within {timeout:?}")]
    Timeout { address: String, timeout: Duration },
    #[error("{address}: {status:?}")]
    NotServing {
        address: String,
        status: ServingStatus,
    },
}

/// Checks the overall health (service `""`) at `address` (`host:port`,
/// plaintext), within `timeout`.
pub async fn probe(address: &str, timeout: Duration) -> Result<(), ProbeError> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .map_err(|e| ProbeError::Address {
            address: address.to_owned(),
            reason: e.to_string(),
        })?
        .connect_timeout(timeout);
    let check = async {
        let channel = endpoint.connect().await.map_err(|e| ProbeError::Connect {
            address: address.to_owned(),
            reason: e.to_string(),
        })?;
        HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map_err(|status| ProbeError::Check {
                address: address.to_owned(),
                reason: status.message().to_owned(),
            })
    };
    let answer =
        tokio::time::timeout(timeout, check)
            .await
            .map_err(|_| ProbeError::Timeout {
                address: address.to_owned(),
                timeout,
            })??;
    match ServingStatus::try_from(answer.get_ref().status) {
        Ok(ServingStatus::Serving) => Ok(()),
        status => Err(ProbeError::NotServing {
            address: address.to_owned(),
            status: status.unwrap_or(ServingStatus::Unknown),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::transport::server::TcpIncoming;

    #[tokio::test]
    async fn serving_passes_not_serving_and_nothing_listening_fail() -> anyhow::Result<()> {
        let (reporter, service) = tonic_health::server::health_reporter();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(TcpIncoming::from(listener)),
        );
        let timeout = Duration::from_secs(5);
        probe(&address, timeout).await?;

        reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        let refused = probe(&address, timeout).await.expect_err("not serving");
        assert!(refused.to_string().contains("NotServing"), "{refused}");

        server.abort();
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let nobody = closed.local_addr()?.to_string();
        drop(closed);
        let refused = probe(&nobody, timeout)
            .await
            .expect_err("nothing listening");
        assert!(
            refused.to_string().contains("could not connect"),
            "{refused}"
        );
        Ok(())
    }
}
