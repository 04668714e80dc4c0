//! Process-wide telemetry: structured logs, and OpenTelemetry spans exported
//! over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Without an endpoint,
//! spans still get trace ids, so callers can quote them.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::{global, propagation::TextMapCompositePropagator, trace::TracerProvider as _};
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    Resource,
    propagation::{BaggagePropagator, TraceContextPropagator},
    runtime,
    trace::{SdkTracerProvider, span_processor_with_async_runtime::BatchSpanProcessor},
};
use tracing_subscriber::{
    EnvFilter, Layer, filter::LevelFilter, layer::SubscriberExt, util::SubscriberInitExt,
};

static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("otlp exporter could not be built: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
}

/// Keeps the tracer provider alive; flush it before the process exits.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Exports every finished span now. Blocks: call from a blocking context.
    pub fn flush(&self) {
        if let Err(error) = self.provider.force_flush() {
            tracing::warn!(%error, "span flush failed");
        }
    }

    /// Flushes and stops the exporter.
    pub fn shutdown(self) {
        self.flush();
        let _ = self.provider.shutdown();
    }
}

/// Returns true when spans are exported over OTLP.
pub fn is_exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Returns the resource every signal of `service_name` is exported with:
/// `service.name`, the SDK's own attributes and `OTEL_RESOURCE_ATTRIBUTES`.
pub fn resource(service_name: &str) -> Resource {
    Resource::builder()
        .with_service_name(service_name.to_owned())
        .build()
}

/// Installs the global subscriber (filter from `RUST_LOG`, default `info`) and
/// the W3C trace-context and baggage propagators. Must run inside a Tokio
/// runtime when `otlp_endpoint` is set.
pub fn init(service_name: &str, otlp_endpoint: Option<&str>) -> Result<Telemetry, TelemetryError> {
    install(service_name, otlp_endpoint, true)
}

/// Like [`init`], but writes logs only when `logs` is true: tests keep trace
/// ids and spans while their output stays quiet.
pub fn install(
    service_name: &str,
    otlp_endpoint: Option<&str>,
    logs: bool,
) -> Result<Telemetry, TelemetryError> {
    global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));
    let mut provider = SdkTracerProvider::builder().with_resource(resource(service_name));
    if let Some(endpoint) = otlp_endpoint.filter(|e| !e.is_empty()) {
        let exporter = SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        // The async-runtime processor exports on Tokio, which the tonic
        // exporter needs; the default processor's own thread has no reactor.
        provider = provider
            .with_span_processor(BatchSpanProcessor::builder(exporter, runtime::Tokio).build());
        EXPORTING.store(true, Ordering::Relaxed);
    }
    let provider = provider.build();
    let tracer = provider.tracer("forecast-mesh");
    global::set_tracer_provider(provider.clone());

    // `RUST_LOG` filters the logs only: the trace layer always sees the
    // server spans, or a service run at `warn` would lose its callers'
    // trace ids (in the audit, in `traceparent`) with its info logs.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(logs.then(|| {
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_writer(std::io::stderr)
                .with_filter(filter)
        }))
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(LevelFilter::INFO),
        )
        .try_init()
        .map_err(|_| TelemetryError::AlreadyInstalled)?;
    Ok(Telemetry { provider })
}
