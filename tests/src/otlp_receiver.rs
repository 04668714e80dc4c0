//! An OTLP/gRPC collector of the test's own on loopback: it keeps every
//! span and every metrics export sent to it, for the test to read back.

use std::sync::{Arc, Mutex, PoisonError};

use opentelemetry_proto::tonic::{
    collector::{
        metrics::v1::{
            ExportMetricsServiceRequest, ExportMetricsServiceResponse,
            metrics_service_server::{MetricsService, MetricsServiceServer},
        },
        trace::v1::{
            ExportTraceServiceRequest, ExportTraceServiceResponse,
            trace_service_server::{TraceService, TraceServiceServer},
        },
    },
    common::v1::{KeyValue, any_value::Value},
    metrics::v1::ResourceMetrics,
    trace::v1::Span,
};
use tokio_stream::wrappers::TcpListenerStream;

/// What has been exported to the receiver so far.
#[derive(Clone, Debug, Default)]
pub struct OtlpReceiver {
    spans: Arc<Mutex<Vec<Span>>>,
    metrics: Arc<Mutex<Vec<ResourceMetrics>>>,
}

impl OtlpReceiver {
    /// Starts a receiver of spans and metrics on a free loopback port;
    /// returns it and its endpoint (`http://127.0.0.1:<port>`).
    pub async fn start() -> anyhow::Result<(Self, String)> {
        let receiver = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(receiver.clone()))
                .add_service(MetricsServiceServer::new(receiver.clone()))
                .serve_with_incoming(TcpListenerStream::new(listener)),
        );
        Ok((receiver, endpoint))
    }

    /// Returns every span received.
    pub fn spans(&self) -> Vec<Span> {
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Returns every resource's metrics received, one per export, oldest first.
    pub fn metrics(&self) -> Vec<ResourceMetrics> {
        self.metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[tonic::async_trait]
impl TraceService for OtlpReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans);
        self.spans
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for OtlpReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(request.into_inner().resource_metrics);
        Ok(tonic::Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

/// Returns the value of attribute `key` as text (strings and integers).
pub fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            Value::IntValue(i) => Some(i.to_string()),
            _ => None,
        }
    })
}
