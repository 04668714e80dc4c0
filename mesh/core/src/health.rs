//! Health that means something: each service names a readiness check of
//! what it depends on (its database, its upstreams), polled on a period, and
//! reports SERVING or NOT_SERVING accordingly — on the mTLS port and on the
//! plaintext probe port alike. Changes are logged with their reason.

use std::{sync::Arc, time::Duration};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use tonic_health::{
    ServingStatus,
    pb::{HealthCheckRequest, health_check_response, health_client::HealthClient},
    server::HealthReporter,
};

use crate::client::MeshChannel;

/// Checks what a service depends on: `Ok` when it can serve, or why not.
pub type Readiness = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// How soon a service that is not ready checks again.
const RETRY: Duration = Duration::from_millis(250);

/// How long one upstream has to answer a health check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// A service with nothing to depend on.
pub fn always_ready() -> Readiness {
    Arc::new(|| Box::pin(async { Ok(()) }))
}

/// Ready while every upstream reports SERVING over its mTLS port.
pub fn upstreams(upstreams: Vec<(&'static str, MeshChannel)>) -> Readiness {
    Arc::new(move || {
        let upstreams = upstreams.clone();
        Box::pin(async move {
            for (name, channel) in upstreams {
                let mut client = HealthClient::new(channel);
                let check = client.check(HealthCheckRequest {
                    service: String::new(),
                });
                match tokio::time::timeout(CHECK_TIMEOUT, check).await {
                    Ok(Ok(answer))
                        if answer.get_ref().status
                            == health_check_response::ServingStatus::Serving as i32 => {}
                    Ok(Ok(_)) => return Err(format!("{name} is not serving")),
                    Ok(Err(status)) => {
                        return Err(format!("{name} did not answer: {}", status.message()));
                    }
                    Err(_) => {
                        return Err(format!("{name} did not answer within {CHECK_TIMEOUT:?}"));
                    }
                }
            }
            Ok(())
        })
    })
}

/// Runs `check` now and every `period` until `shutdown`, reporting the
/// outcome for the whole server (`""`) and for `service`.
pub async fn watch(
    reporter: HealthReporter,
    service: &'static str,
    check: Readiness,
    period: Duration,
    ready_sender: tokio::sync::watch::Sender<bool>,
    shutdown: CancellationToken,
) {
    let mut last: Option<bool> = None;
    loop {
        let outcome = check().await;
        let ready = outcome.is_ok();
        if last != Some(ready) {
            match &outcome {
                Ok(()) => tracing::info!(service, "ready"),
                Err(reason) => tracing::warn!(service, %reason, "not ready"),
            }
            let status = if ready {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            // The admin port's /ready first: whoever sees SERVING over gRPC
            // (`mesh up` before it prints its banner, say) then also finds
            // /ready agreeing, never a stale 503 between the two updates.
            ready_sender.send_replace(ready);
            reporter.set_service_status("", status).await;
            reporter.set_service_status(service, status).await;
            last = Some(ready);
        }
        // Not ready yet (an upstream still starting, say): look again soon.
        let wait = if ready { period } else { period.min(RETRY) };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
