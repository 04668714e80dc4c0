//! The embedded warehouse: a generated dataset in a SQLite file, opened
//! read-only so no query can change it.

mod adhoc;
mod aggregates;
mod generate;
mod pool;
mod queries;

use std::{path::Path, sync::Arc};

use chrono::NaiveDate;
use pool::ReadOnlyPool;
use proto::warehouse::{CustomerSales, DailySales, ItemSales, Kpis, RunQueryResponse, StockLevel};
use rusqlite::{Connection, limits::Limit};

use crate::{SalesSource, Subject, WarehouseError, Window, answer::MAX_VALUE_BYTES};

pub use generate::{DATASET_VERSION, FIRST_DAY, LAST_DAY};

/// How many read-only connections answer queries side by side: four gave
/// two cores their fill, one left a core idle.
const CONNECTIONS: usize = 4;

/// The generated dataset, read through a few read-only connections.
#[derive(Debug)]
pub struct EmbeddedWarehouse {
    connections: Arc<ReadOnlyPool>,
    latest_day: NaiveDate,
}

impl EmbeddedWarehouse {
    /// Opens the dataset at `path`, generating it first when it is missing or
    /// was made by another version of the generator.
    pub async fn open_or_generate(path: &Path) -> Result<Arc<Self>, WarehouseError> {
        let path = path.to_owned();
        blocking(move || {
            if !generate::is_current(&path) {
                tracing::info!(path = %path.display(), "generating the embedded warehouse");
                generate::write(&path).map_err(|e| {
                    WarehouseError::Unavailable(format!("cannot generate dataset: {e}"))
                })?;
            }
            Self::open(&path)
        })
        .await
        .map(Arc::new)
    }

    fn open(path: &Path) -> Result<Self, WarehouseError> {
        let connections = Arc::new(ReadOnlyPool::open(path, CONNECTIONS, limit)?);
        let latest_day = connections
            .with_here(|connection| queries::latest_day(connection).map_err(query_error))?;
        Ok(Self {
            connections,
            latest_day,
        })
    }

    async fn with_connection<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection, NaiveDate) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, WarehouseError> {
        let latest_day = self.latest_day;
        self.connections
            .with(move |connection| query(connection, latest_day).map_err(query_error))
            .await
    }
}

#[tonic::async_trait]
impl SalesSource for Arc<EmbeddedWarehouse> {
    /// The dataset is written once, before it is opened read-only: its
    /// data never changes while it is served.
    async fn data_version(&self) -> Result<u64, WarehouseError> {
        Ok(DATASET_VERSION as u64)
    }

    async fn kpis(&self, window: Window) -> Result<Kpis, WarehouseError> {
        Ok(self.kpis_and_previous(window).await?.0)
    }

    async fn kpis_and_previous(&self, window: Window) -> Result<(Kpis, Kpis), WarehouseError> {
        self.with_connection(move |connection, latest| {
            queries::kpis_and_previous(connection, latest, window)
        })
        .await
    }

    async fn item_sales(&self, window: Window) -> Result<Vec<ItemSales>, WarehouseError> {
        self.with_connection(move |connection, latest| {
            queries::item_sales(connection, latest, window)
        })
        .await
    }

    async fn customer_sales(&self, window: Window) -> Result<Vec<CustomerSales>, WarehouseError> {
        self.with_connection(move |connection, latest| {
            queries::customer_sales(connection, latest, window)
        })
        .await
    }

    async fn stock_levels(&self) -> Result<Vec<StockLevel>, WarehouseError> {
        self.with_connection(|connection, _| queries::stock_levels(connection))
            .await
    }

    async fn daily_sales(
        &self,
        days_back: u32,
        subject: Subject,
    ) -> Result<Vec<DailySales>, WarehouseError> {
        self.with_connection(move |connection, latest| {
            queries::daily_sales(connection, latest, days_back, subject)
        })
        .await?
        .map_err(WarehouseError::InvalidArgument)
    }

    async fn run_query(
        &self,
        sql: String,
        max_rows: u32,
        timeout: std::time::Duration,
    ) -> Result<RunQueryResponse, WarehouseError> {
        self.connections
            .with(move |connection| adhoc::run(connection, &sql, max_rows, timeout))
            .await
    }
}

/// Bounds what any statement on the connection may make: a value (text,
/// blob, row) past [`MAX_VALUE_BYTES`], SQL text past
/// [`MAX_SQL_BYTES`](crate::service::MAX_SQL_BYTES) and answers wider than
/// [`MAX_COLUMNS`] fail before anything that large is allocated.
fn limit(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES as i32)?;
    connection.set_limit(
        Limit::SQLITE_LIMIT_SQL_LENGTH,
        crate::service::MAX_SQL_BYTES as i32,
    )?;
    connection.set_limit(Limit::SQLITE_LIMIT_COLUMN, MAX_COLUMNS)?;
    Ok(())
}

/// The most columns an answer (or an index, ORDER BY or GROUP BY) may have.
pub const MAX_COLUMNS: i32 = 100;

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, WarehouseError> + Send + 'static,
) -> Result<T, WarehouseError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| WarehouseError::Query(e.to_string()))?
}

fn query_error(error: rusqlite::Error) -> WarehouseError {
    WarehouseError::Query(error.to_string())
}

#[cfg(test)]
mod tests;
