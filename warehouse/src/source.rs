//! What the service reads sales through. The embedded dataset implements it
//! today; SQL Server will too.

use std::time::Duration;

use chrono::NaiveDate;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

    /// Returns the first and last day of the window, `YYYY-MM-DD`, given the
    /// latest day with orders.
    pub fn bounds(self, latest: NaiveDate) -> (String, String) {
        let end = latest - chrono::Duration::days(i64::from(self.offset));
        let start = end - chrono::Duration::days(i64::from(self.days) - 1);
        (
            start.format(DATE_FORMAT).to_string(),
            end.format(DATE_FORMAT).to_string(),
        )
    }
}

/// How every backend writes dates.
pub const DATE_FORMAT: &str = "%Y-%m-%d";

/// Returns one row per calendar day of `window` from `rows` (sorted by date,
/// days without orders absent): a day without orders is a zero, not a gap.
pub fn fill_calendar(latest: NaiveDate, window: Window, rows: Vec<DailySales>) -> Vec<DailySales> {
    let mut rows = rows.into_iter().peekable();
    let mut days = Vec::with_capacity(window.days as usize);
    let end = latest - chrono::Duration::days(i64::from(window.offset));
    let mut day = end - chrono::Duration::days(i64::from(window.days) - 1);
    while day <= end {
        let date = day.format(DATE_FORMAT).to_string();
        match rows.next_if(|row| row.date == date) {
            Some(row) => days.push(row),
            None => days.push(DailySales {
                date,
                ..Default::default()
            }),
        }
        day += chrono::Duration::days(1);
    }
    days
}

/// Rounds money to cents.
pub fn round_cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Whose sales a series holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    All,
    StockItem(i64),
    Customer(i64),
}

impl Subject {
    /// The filters a query binds: (stock item, customer), each optional.
    pub fn filters(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::All => (None, None),
            Self::StockItem(id) => (Some(id), None),
            Self::Customer(id) => (None, Some(id)),
        }
    }
}

/// Read-only sales analytics.
#[tonic::async_trait]
pub trait SalesSource: Send + Sync + 'static {
    /// Checks the source can answer, for health; the embedded one always can.
    async fn check(&self) -> Result<(), WarehouseError> {
        Ok(())
    }

    /// Names the data the answers come from: two answers to one question
    /// under one version are the same answer, so they may be cached under it.
    async fn data_version(&self) -> Result<u64, WarehouseError>;

    /// Returns the headline figures over `window`.
    async fn kpis(&self, window: Window) -> Result<Kpis, WarehouseError>;

    /// Returns the headline figures over `window` and over the window before
    /// it. The default asks for both side by side; a source that can answer
    /// both in one query does.
    async fn kpis_and_previous(&self, window: Window) -> Result<(Kpis, Kpis), WarehouseError> {
        tokio::try_join!(self.kpis(window), self.kpis(window.previous()))
    }

    /// Returns every stock item's sales over `window` and the window before,
    /// highest revenue first.
    async fn item_sales(&self, window: Window) -> Result<Vec<ItemSales>, WarehouseError>;

    /// Returns every customer's purchases over `window` and the window
    /// before, highest revenue first.
    async fn customer_sales(&self, window: Window) -> Result<Vec<CustomerSales>, WarehouseError>;

    /// Returns stock on hand, reorder level and lead time per stock item.
    async fn stock_levels(&self) -> Result<Vec<StockLevel>, WarehouseError>;

    /// Returns one row per day, oldest first, for the `days_back` days ending
    /// at the latest day, of `subject`'s sales; days without orders are zero
    /// rows, not gaps. An unknown stock item or customer is `InvalidArgument`.
    async fn daily_sales(
        &self,
        days_back: u32,
        subject: Subject,
    ) -> Result<Vec<DailySales>, WarehouseError>;

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
