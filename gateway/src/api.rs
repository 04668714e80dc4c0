//! The public operations, one file each: plain async functions over typed
//! input, called by the gRPC adapter ([`crate::grpc`]) and the REST adapter
//! ([`crate::rest`]) alike, so neither owns the logic. Each returns an
//! [`ApiError`], which the adapters answer in their protocol.
//!
//! - [`kpis`], [`history`]: the warehouse's figures.
//! - [`forecast`], [`forecast_series`]: forecasts, recorded as runs.
//! - [`dashboard`]: KPIs, history and a forecast, fetched concurrently.
//! - [`watch_dashboard`]: the dashboard, live, one shared refresh per feed.
//! - [`rankings`], [`recommendations`]: insights, recorded as runs.
//! - [`audit_logs`]: the audit trail, paged.
//! - [`forecast_runs`], [`ranking_runs`], [`recommendation_runs`]: run
//!   history, paged.
//! - [`warehouse_query`]: an operator's read-only ad-hoc query.
//! - [`telemetry_status`]: the trace of the call itself.
//! - [`public`]: internal messages made public, in one place.

pub mod audit_logs;
pub mod dashboard;
pub mod forecast;
pub mod forecast_runs;
pub mod forecast_series;
pub mod history;
pub mod kpis;
pub mod public;
pub mod ranking_runs;
pub mod rankings;
pub mod recommendation_runs;
pub mod recommendations;
pub mod telemetry_status;
pub mod warehouse_query;
pub mod watch_dashboard;

use mesh_core::{capability::Capability, client::MeshChannel, server::Deadline};
use proto::{
    forecaster::forecaster_service_client::ForecasterServiceClient,
    store::store_service_client::StoreServiceClient,
    warehouse::warehouse_service_client::WarehouseServiceClient,
};

use crate::{dashboards::DashboardHub, edge::Principal, error::ApiError};

/// Clients of the internal services.
#[derive(Clone, Debug)]
pub struct Upstreams {
    pub warehouse: WarehouseServiceClient<MeshChannel>,
    pub forecaster: ForecasterServiceClient<MeshChannel>,
    pub store: StoreServiceClient<MeshChannel>,
}

/// What the operations share.
#[derive(Clone, Debug)]
pub struct Gateway {
    pub upstreams: Upstreams,
    /// The live dashboards' shared refreshes.
    pub dashboards: DashboardHub,
}

/// Who is calling, the capability the edge minted for this call, and when
/// the caller stops waiting.
#[derive(Clone, Debug)]
pub struct Call {
    pub principal: Principal,
    pub capability: Capability,
    pub deadline: Option<Deadline>,
}

impl Call {
    /// Returns the call the edge's layers left in an HTTP request's extensions.
    pub fn of_http(extensions: &http::Extensions) -> Result<Self, ApiError> {
        Self::from_parts(extensions.get(), extensions.get(), extensions.get())
    }

    /// Returns the call the edge's layers left in a gRPC request's extensions.
    pub fn of_grpc<T>(request: &tonic::Request<T>) -> Result<Self, ApiError> {
        let extensions = request.extensions();
        Self::from_parts(extensions.get(), extensions.get(), extensions.get())
    }

    fn from_parts(
        principal: Option<&Principal>,
        capability: Option<&Capability>,
        deadline: Option<&Deadline>,
    ) -> Result<Self, ApiError> {
        match (principal, capability) {
            (Some(principal), Some(capability)) => Ok(Self {
                principal: principal.clone(),
                capability: capability.clone(),
                deadline: deadline.copied(),
            }),
            _ => Err(ApiError::Internal(
                "a public call reached its operation without the edge's principal and capability"
                    .into(),
            )),
        }
    }

    /// Returns `message` as a request carrying this call's capability and
    /// what is left of its deadline, so upstream work stops when the caller
    /// stops waiting.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = mesh_core::client::with_capability(&self.capability, message);
        if let Some(deadline) = self.deadline {
            request.set_timeout(deadline.remaining());
        }
        request
    }
}

/// Returns `value`, or `default` for 0, refusing values outside `1..=max`
/// with the name the caller used.
pub fn in_range(field: &'static str, value: i32, default: i32, max: i32) -> Result<i32, ApiError> {
    match value {
        0 => Ok(default),
        1.. if value <= max => Ok(value),
        _ => Err(ApiError::invalid(
            field,
            format!("must be between 1 and {max}, got {value}"),
        )),
    }
}

/// Returns the page size of a listing: 1 to 500, 0 meaning 50.
pub fn page_size(value: i32) -> Result<i32, ApiError> {
    in_range("page_size", value, 50, 500)
}

/// Returns a fresh idempotency key for a run the gateway asks to record.
fn idempotency_key() -> String {
    crate::audit::fresh_key()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_name_the_caller_s_field() {
        assert_eq!(in_range("days", 0, 30, 365).ok(), Some(30));
        assert_eq!(in_range("days", 365, 30, 365).ok(), Some(365));
        let error = in_range("days", 366, 30, 365)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(error, "days: must be between 1 and 365, got 366");
        assert!(in_range("days", -1, 30, 365).is_err());
    }
}
