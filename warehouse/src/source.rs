//! What the service reads sales through. The embedded dataset implements it
//! today; SQL Server will too.

use std::time::Duration;

use proto::warehouse::{CustomerSales, DailySales, ItemSales, Kpis, RunQueryResponse, StockLevel};

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

/// A window of whole days ending `offset` days before the latest day with
/// orders: `Window::latest(30)` is the last 30 days, its `previous()` the 30
/// before them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub days: u32,
    pub offset: u32,
}

impl Window {
    /// The `days` days ending at the latest day.
    pub fn latest(days: u32) -> Self {
        Self { days, offset: 0 }
    }

    /// The window of equal length just before this one.
    pub fn previous(self) -> Self {
        Self {
            days: self.days,
            offset: self.offset + self.days,
        }
    }
}

/// Read-only sales analytics.
#[tonic::async_trait]
pub trait SalesSource: Send + Sync + 'static {
    /// Returns the headline figures over `window`.
    async fn kpis(&self, window: Window) -> Result<Kpis, WarehouseError>;

    /// Returns every stock item's sales over `window` and the window before,
    /// highest revenue first.
    async fn item_sales(&self, window: Window) -> Result<Vec<ItemSales>, WarehouseError>;

    /// Returns every customer's purchases over `window` and the window
    /// before, highest revenue first.
    async fn customer_sales(&self, window: Window) -> Result<Vec<CustomerSales>, WarehouseError>;

    /// Returns stock on hand, reorder level and lead time per stock item.
    async fn stock_levels(&self) -> Result<Vec<StockLevel>, WarehouseError>;

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
