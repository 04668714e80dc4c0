//! One server span per call, a child of the caller's span, named and tagged
//! after the OpenTelemetry RPC conventions: `rpc.system`, `rpc.service`,
//! `rpc.method`, `rpc.grpc.status_code`. Health checks and reflection are
//! not traced: kubelet and the upstreams' readiness checks probe every few
//! seconds, and a span per probe is noise in every trace store and a
//! fifth of a health check's CPU.

use std::time::Duration;

use http::{HeaderMap, Request, Response};
use tower_http::{
    classify::{GrpcErrorsAsFailures, GrpcFailureClass, SharedClassifier},
    trace::{MakeSpan, OnEos, OnFailure, OnResponse, TraceLayer},
};
use tracing::{Span, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The server trace layer's full type.
pub type ServerTraceLayer = TraceLayer<
    SharedClassifier<GrpcErrorsAsFailures>,
    ServerSpan,
    (),
    RecordStatus,
    (),
    RecordStatus,
    RecordFailure,
>;

/// Returns the layer; put it outermost so refused calls are traced too.
pub fn server_trace_layer() -> ServerTraceLayer {
    TraceLayer::new_for_grpc()
        .make_span_with(ServerSpan)
        .on_request(())
        .on_response(RecordStatus)
        .on_body_chunk(())
        .on_eos(RecordStatus)
        .on_failure(RecordFailure)
}

/// Makes the server span, parented on the caller's trace context.
#[derive(Clone, Copy, Debug)]
pub struct ServerSpan;

impl<B> MakeSpan<B> for ServerSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let path = request.uri().path();
        if crate::guard::is_open(path) {
            return Span::none();
        }
        let (service, method) = path
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or((path, ""));
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = path.trim_start_matches('/'),
            otel.kind = "server",
            otel.status_code = Empty,
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = Empty,
        );
        // A span is parented once; it was just made, so this cannot fail.
        let _ = span.set_parent(super::extract(request.headers()));
        span
    }
}

/// Records `grpc-status` from a trailers-only response or from the trailers.
#[derive(Clone, Copy, Debug)]
pub struct RecordStatus;

impl<B> OnResponse<B> for RecordStatus {
    fn on_response(self, response: &Response<B>, _: Duration, span: &Span) {
        record_status(response.headers(), span);
    }
}

impl OnEos for RecordStatus {
    fn on_eos(self, trailers: Option<&HeaderMap>, _: Duration, span: &Span) {
        if let Some(trailers) = trailers {
            record_status(trailers, span);
        }
    }
}

/// Marks the span as failed.
#[derive(Clone, Copy, Debug)]
pub struct RecordFailure;

impl OnFailure<GrpcFailureClass> for RecordFailure {
    fn on_failure(&mut self, failure: GrpcFailureClass, _: Duration, span: &Span) {
        span.record("otel.status_code", "ERROR");
        if let GrpcFailureClass::Code(code) = failure {
            span.record("rpc.grpc.status_code", code.get());
        }
    }
}

fn record_status(headers: &HeaderMap, span: &Span) {
    if let Some(code) = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
    {
        span.record("rpc.grpc.status_code", code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_for(path: &str) -> Span {
        let request = Request::builder()
            .uri(path)
            .body(())
            .unwrap_or_else(|e| panic!("{e}"));
        tracing::subscriber::with_default(tracing_subscriber::registry(), || {
            ServerSpan.make_span(&request)
        })
    }

    #[test]
    fn application_calls_are_traced_and_probes_are_not() {
        assert!(!span_for("/forecastmesh.warehouse.v1.WarehouseService/GetKpis").is_none());
        assert!(span_for("/grpc.health.v1.Health/Check").is_none());
        assert!(span_for("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo").is_none());
    }
}
