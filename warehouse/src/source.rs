//! What the service reads sales through. The embedded dataset implements it
//! today; SQL Server will too.

use std::time::Duration;

use proto::warehouse::{DailySales, Kpis, RunQueryResponse};

/// Why a query gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("warehouse unavailable: {0}")]
    Unavailable(String),
    #[error("warehouse query failed: {0}")]
    Query(String),
    #[error("{0}")]
    DeadlineExceeded(String),
}

impl From<WarehouseError> for tonic::Status {
    fn from(error: WarehouseError) -> Self {
        match error {
            WarehouseError::InvalidArgument(message) => tonic::Status::invalid_argument(message),
            WarehouseError::Unavailable(message) => tonic::Status::unavailable(message),
            WarehouseError::DeadlineExceeded(message) => tonic::Status::deadline_exceeded(message),
            WarehouseError::Query(message) => {
                tracing::warn!(error = %message, "warehouse query failed");
                tonic::Status::internal("internal error")
            }
        }
    }
}

/// Read-only sales analytics.
#[tonic::async_trait]
pub trait SalesSource: Send + Sync + 'static {
    /// Returns the figures for the `window_days` days ending at the latest day.
    async fn kpis(&self, window_days: u32) -> Result<Kpis, WarehouseError>;

    /// Returns one row per day, oldest first, for the `days_back` days ending
    /// at the latest day; days without orders are zero rows, not gaps.
    async fn daily_sales(&self, days_back: u32) -> Result<Vec<DailySales>, WarehouseError>;

    /// Runs a query the SQL guard admitted, returning at most `max_rows` rows
    /// and giving up after `timeout`. Errors in the operator's SQL are
    /// `InvalidArgument`.
    async fn run_query(
        &self,
        sql: String,
        max_rows: u32,
        timeout: Duration,
    ) -> Result<RunQueryResponse, WarehouseError>;
}
