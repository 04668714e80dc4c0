//! `GetTelemetryStatus`: the trace and span ids of this very call.

use mesh_core::{telemetry, trace::current_trace};
use proto::gateway::{GetTelemetryStatusRequest, GetTelemetryStatusResponse};

use crate::error::ApiError;

pub async fn get_telemetry_status(
    _: GetTelemetryStatusRequest,
) -> Result<GetTelemetryStatusResponse, ApiError> {
    let trace = current_trace();
    Ok(GetTelemetryStatusResponse {
        trace_id: trace.trace_id,
        span_id: trace.span_id,
        exporting: telemetry::is_exporting(),
    })
}
