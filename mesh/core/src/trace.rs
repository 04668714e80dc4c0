//! W3C trace context across every hop.
//!
//! - [`propagation`]: reading and writing `traceparent`, `tracestate` and
//!   `baggage` in gRPC metadata, and the current trace's ids.
//! - [`server_layer`]: a server span per call, parented on the caller's context,
//!   following the OpenTelemetry RPC semantic conventions.
//! - [`client_layer`]: writes the current span's context into outgoing calls.
//! - [`response_layer`]: returns the call's trace context on its response.

mod client_layer;
mod propagation;
mod response_layer;
mod server_layer;

pub use client_layer::{InjectContext, InjectContextLayer};
pub use propagation::{CurrentTrace, current_trace, extract, inject};
pub use response_layer::{ReturnTraceContext, ReturnTraceContextLayer};
pub use server_layer::{ServerTraceLayer, server_trace_layer};

/// The headers trace context travels in, on both sides.
pub const HEADERS: [&str; 3] = ["traceparent", "tracestate", "baggage"];
