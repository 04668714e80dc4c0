//! The registry pushed over OTLP/gRPC: every `OTEL_METRIC_EXPORT_INTERVAL`
//! (and once more at shutdown) the service's [`Metrics`] are read, collectors
//! included, translated ([`translate`]) and sent to the collector at
//! `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (the one the spans go to). The same instruments as `/metrics`, whether
//! or not that page is served.
//!
//! A collector that is down, slow or absent costs the service nothing: the
//! push runs on its own task, each export gives up after its timeout, the
//! data of a failed export is dropped (the next one carries the cumulative
//! counts again), and `forecast_mesh_otlp_exports_total{result}` counts
//! every attempt. A failing collector is logged once when it starts
//! failing and once when it answers again, not at every interval.
//!
//! - [`translate`]: Prometheus's data model to OTLP's.

pub mod translate;

use std::{
    collections::HashMap,
    time::{Duration, SystemTime},
};

use opentelemetry_proto::{
    tonic::{
        collector::metrics::v1::metrics_service_client::MetricsServiceClient,
        resource::v1::Resource,
    },
    transform::common::tonic::ResourceAttributesWithSchema,
};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint};

use super::{CounterBy, Metrics};
use crate::{config::ConfigError, telemetry};

/// The collector's address for every signal.
const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// The collector's address for metrics, over [`ENDPOINT`].
const METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
/// Milliseconds between two exports.
const INTERVAL: &str = "OTEL_METRIC_EXPORT_INTERVAL";
/// Milliseconds one export may take, for metrics and for every signal.
const METRICS_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT";
const TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
/// `otlp` (the default) or `none`.
const EXPORTER: &str = "OTEL_METRICS_EXPORTER";

/// The OpenTelemetry defaults: a minute between exports, ten seconds each.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how often the instruments are pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The collector's OTLP/gRPC address, e.g. `http://collector:4317`.
    pub endpoint: String,
    /// How long from one export to the next.
    pub interval: Duration,
    /// How long one export may take before it counts as failed.
    pub timeout: Duration,
}

impl OtlpSettings {
    /// Reads the standard `OTEL_*` variables from `env`: `None` when no
    /// endpoint is set or `OTEL_METRICS_EXPORTER=none`. Refuses what could
    /// never export: an endpoint that is no `http://` URI (there is no TLS
    /// to a collector: use its plaintext port, a node agent or a sidecar),
    /// a zero or unreadable interval or timeout.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Option<Self>, ConfigError> {
        let set = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        match set(EXPORTER) {
            None | Some("otlp") => {}
            Some("none") => return Ok(None),
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: EXPORTER,
                    reason: format!("{other:?}: otlp or none"),
                });
            }
        }
        let Some((name, endpoint)) = [METRICS_ENDPOINT, ENDPOINT]
            .into_iter()
            .find_map(|name| Some((name, set(name)?)))
        else {
            return Ok(None);
        };
        match endpoint.parse::<http::Uri>() {
            Ok(uri) if uri.scheme_str() == Some("http") && uri.host().is_some() => {}
            _ => {
                return Err(ConfigError::Invalid {
                    name,
                    reason: format!(
                        "{endpoint:?}: an http:// URI of an OTLP/gRPC collector (no TLS to it)"
                    ),
                });
            }
        }
        let millis = |name: &'static str| -> Result<Option<Duration>, ConfigError> {
            set(name)
                .map(|value| match value.parse::<u64>() {
                    Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
                    _ => Err(ConfigError::Invalid {
                        name,
                        reason: format!("{value:?}: a positive number of milliseconds"),
                    }),
                })
                .transpose()
        };
        Ok(Some(Self {
            endpoint: endpoint.to_owned(),
            interval: millis(INTERVAL)?.unwrap_or(DEFAULT_INTERVAL),
            timeout: match millis(METRICS_TIMEOUT)? {
                Some(timeout) => timeout,
                None => millis(TIMEOUT)?.unwrap_or(DEFAULT_TIMEOUT),
            },
        }))
    }
}

/// Pushes `metrics` of `service` as `settings` say until `shutdown`, then
/// once more so the last counts reach the collector. Spawn it: it returns
/// only then.
pub async fn push(
    metrics: Metrics,
    service: &'static str,
    settings: OtlpSettings,
    shutdown: CancellationToken,
) {
    let channel = match Endpoint::from_shared(settings.endpoint.clone()) {
        Ok(endpoint) => endpoint.connect_timeout(settings.timeout).connect_lazy(),
        // Checked when the settings were read; a URI tonic refuses all the
        // same leaves the service serving, unexported.
        Err(error) => {
            tracing::warn!(endpoint = %settings.endpoint, %error, "metrics not exported: endpoint refused");
            return;
        }
    };
    let mut exporter = Exporter {
        client: MetricsServiceClient::new(channel),
        resource: Resource {
            attributes: ResourceAttributesWithSchema::from(&telemetry::resource(service))
                .attributes
                .0,
            ..Default::default()
        },
        exports: metrics.counter_by(
            "otlp_exports",
            "pushes of the metrics to the OTLP collector, by result",
            "result",
            &["ok", "failed"],
        ),
        metrics,
        settings,
        failing: false,
    };
    let period = exporter.settings.interval;
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let last = tokio::select! {
            _ = ticks.tick() => false,
            () = shutdown.cancelled() => true,
        };
        exporter.export().await;
        if last {
            return;
        }
    }
}

/// One service's export: its client, what it sends, whether it is failing.
struct Exporter {
    client: MetricsServiceClient<Channel>,
    resource: Resource,
    exports: CounterBy,
    metrics: Metrics,
    settings: OtlpSettings,
    /// The last export failed: its outage has been logged.
    failing: bool,
}

impl Exporter {
    /// Sends the registry as it is now; records how that went.
    async fn export(&mut self) {
        let request = translate::request(
            self.resource.clone(),
            self.metrics.families(),
            self.metrics.started(),
            SystemTime::now(),
        );
        let outcome =
            match tokio::time::timeout(self.settings.timeout, self.client.export(request)).await {
                Err(_) => Err("timed out".to_owned()),
                Ok(Err(status)) => Err(format!("{}: {}", status.code(), status.message())),
                Ok(Ok(response)) => match response.into_inner().partial_success {
                    Some(partial) if partial.rejected_data_points > 0 => Err(format!(
                        "{} data points rejected: {}",
                        partial.rejected_data_points, partial.error_message
                    )),
                    _ => Ok(()),
                },
            };
        let endpoint = &self.settings.endpoint;
        match outcome {
            Ok(()) => {
                self.exports.get_or_create(&[("result", "ok")]).inc();
                if std::mem::take(&mut self.failing) {
                    tracing::info!(%endpoint, "metrics export works again");
                }
            }
            Err(error) => {
                self.exports.get_or_create(&[("result", "failed")]).inc();
                if std::mem::replace(&mut self.failing, true) {
                    tracing::debug!(%endpoint, %error, "metrics export failed");
                } else {
                    tracing::warn!(%endpoint, %error, "metrics export failed; not logged again until it works");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
