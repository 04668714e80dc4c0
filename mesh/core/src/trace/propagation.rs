//! Trace context in and out of gRPC metadata (HTTP/2 headers).

use http::HeaderMap;
use opentelemetry::{Context, global, trace::TraceContextExt};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Returns the context the caller sent. A missing or malformed `traceparent`
/// yields an empty context, so the call starts a new trace rather than failing.
pub fn extract(headers: &HeaderMap) -> Context {
    global::get_text_map_propagator(|propagator| propagator.extract(&HeaderExtractor(headers)))
}

/// Writes the current span's context into `headers`.
pub fn inject(headers: &mut HeaderMap) {
    let context = tracing::Span::current().context();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers))
    });
}

/// The ids of the span the caller is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentTrace {
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
}

/// Returns the ids of the current span.
pub fn current_trace() -> CurrentTrace {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    CurrentTrace {
        trace_id: span_context.trace_id().to_string(),
        span_id: span_context.span_id().to_string(),
    }
}
