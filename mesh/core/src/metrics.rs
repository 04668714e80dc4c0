//! Metrics: one registry per service, served as Prometheus text on the admin
//! port's `/metrics` when enabled. Every name starts `forecast_mesh_`; labels
//! are bounded sets (the generated method table, fixed reasons), never a
//! caller's input, a tenant or a principal. The `service`, `namespace` and
//! `pod` labels are the scraper's (the chart's ServiceMonitor sets them).
//!
//! The same registry is pushed over OTLP when a collector is configured.
//!
//! - [`rpc`]: RED per gRPC method, a tower layer in the server assembly.
//! - [`endpoint`]: `/metrics`, off unless enabled, optionally behind a bearer token.
//! - [`otlp`]: the registry pushed to an OTLP/gRPC collector, periodically.

pub mod endpoint;
pub mod otlp;
pub mod rpc;

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::SystemTime,
};

use prometheus_client::{
    collector::Collector,
    encoding::prometheus_protobuf::prometheus_data_model::MetricFamily,
    metrics::{counter::Counter, family::Family},
    registry::{Metric, Registry},
};
use secrecy::SecretString;

pub use otlp::OtlpSettings;
pub use rpc::{RpcMetrics, RpcMetricsLayer};

/// Re-exported so services build their instruments with the same crate.
pub use prometheus_client;

/// A label set of `N` fixed names, each with a value from a bounded set.
pub type Labels<const N: usize> = [(&'static str, &'static str); N];

/// Counters by one label: refusals by `reason`, say.
pub type CounterBy = Family<Labels<1>, Counter>;

/// Where a service's instruments go.
#[derive(Clone, Debug, Default)]
pub struct MetricsSettings {
    /// `<prefix>METRICS_ENABLED`: serve `/metrics` on the admin port.
    pub enabled: bool,
    /// `<prefix>METRICS_TOKEN`: the bearer token a scraper must present.
    pub token: Option<SecretString>,
    /// The collector the instruments are pushed to (`OTEL_EXPORTER_OTLP_*`),
    /// whether or not `/metrics` is served.
    pub otlp: Option<OtlpSettings>,
}

/// The instruments of one service, shared by every part that records.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    /// When the registry was made: where every cumulative count starts.
    started: SystemTime,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Returns an empty registry whose names start `forecast_mesh_`.
    pub fn new() -> Self {
        Self {
            registry: Arc::new(Mutex::new(Registry::with_prefix("forecast_mesh"))),
            started: SystemTime::now(),
        }
    }

    /// Returns when the registry was made, where its counts start.
    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// Registers `metric` as `forecast_mesh_<name>` (a counter gets `_total`).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.lock().register(name, help, metric);
    }

    /// Registers a collector whose values are read at each scrape.
    pub fn register_collector(&self, collector: impl Collector) {
        self.lock().register_collector(Box::new(collector));
    }

    /// Registers and returns a counter family labelled by `label`, with
    /// every value of `values` present from the start (at 0), so a rate
    /// over it exists before the first event.
    pub fn counter_by(
        &self,
        name: &str,
        help: &str,
        label: &'static str,
        values: &[&'static str],
    ) -> CounterBy {
        let family = CounterBy::default();
        for value in values {
            drop(family.get_or_create(&[(label, *value)]));
        }
        self.register(name, help, family.clone());
        family
    }

    /// Returns the registry in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail; an instrument's own encoding
        // failing would leave a partial page, which Prometheus refuses.
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.lock()) {
            tracing::warn!(%error, "metrics could not be encoded");
        }
        text
    }

    /// Returns the registry in Prometheus's protobuf data model, read now
    /// (collectors included): what the OTLP export translates.
    pub fn families(&self) -> Vec<MetricFamily> {
        prometheus_client::encoding::prometheus_protobuf::encode(&self.lock()).unwrap_or_else(
            |error| {
                tracing::warn!(%error, "metrics could not be encoded");
                Vec::new()
            },
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while registering leaves the registry usable.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
