//! The SQL Server warehouse: WideWorldImporters read through tiberius.
//!
//! Read-only by construction: every connection declares
//! `ApplicationIntent=ReadOnly` (routed to a readable secondary, refused
//! writes on one), and the ad-hoc query is guarded before it gets here.
//! Encryption is required and the server's certificate validated unless the
//! operator says otherwise with a loudly named setting.

mod connect;
mod in_flight;
mod queries;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::NaiveDate;
use deadpool::managed::{Pool, PoolError};
use in_flight::InFlight;
use proto::warehouse::{CustomerSales, DailySales, ItemSales, Kpis, RunQueryResponse, StockLevel};

use crate::{SalesSource, Subject, WarehouseError, Window};

pub use connect::{Connections, SqlServerSettings};

/// The SQL Server warehouse, read through a pool of connections. Clones
/// share the pool.
#[derive(Clone, Debug)]
pub struct SqlServerWarehouse {
    pool: Pool<Connections>,
    query_timeout: Duration,
    /// The latest day with orders, and when it was read: every query's
    /// window ends there, and it changes at most daily.
    latest: Arc<Mutex<Option<LatestDay>>>,
}

#[derive(Clone, Copy, Debug)]
struct LatestDay {
    read_at: Instant,
    day: NaiveDate,
    /// Counts the reads: the data version. Orders and holdings change under
    /// a live WideWorldImporters with no cheap way to see it, so answers
    /// cached under one read are served for at most [`LATEST_DAY_TTL`].
    version: u64,
}

/// How long the latest day with orders is reused before it is read again.
const LATEST_DAY_TTL: Duration = Duration::from_secs(60);

impl SqlServerWarehouse {
    /// Builds the pool and checks a connection can be made.
    pub async fn connect(settings: &SqlServerSettings) -> Result<Self, WarehouseError> {
        let pool = Pool::builder(Connections::new(settings)?)
            .max_size(settings.pool_max_size)
            .wait_timeout(Some(settings.connect_timeout))
            .create_timeout(Some(settings.connect_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| WarehouseError::Unavailable(format!("pool could not be built: {e}")))?;
        let warehouse = Self {
            pool,
            query_timeout: settings.query_timeout,
            latest: Arc::default(),
        };
        warehouse.connection().await?.finished();
        Ok(warehouse)
    }

    async fn connection(&self) -> Result<InFlight<Connections>, WarehouseError> {
        self.pool
            .get()
            .await
            .map(InFlight::new)
            .map_err(|error| match error {
                PoolError::Backend(error) => {
                    WarehouseError::Unavailable(format!("sql server: {error}"))
                }
                PoolError::Timeout(_) => {
                    WarehouseError::Unavailable("no sql server connection in time".into())
                }
                other => WarehouseError::Unavailable(other.to_string()),
            })
    }

    /// Runs `work` on a pooled connection within the query timeout. A query
    /// that times out, or whose caller stops waiting, takes its connection
    /// with it ([`InFlight`]), so a half-read answer never goes back to the
    /// pool.
    async fn run<T>(
        &self,
        work: impl AsyncFnOnce(&mut connect::Client) -> Result<T, tiberius::error::Error>,
    ) -> Result<T, WarehouseError> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(self.query_timeout, work(&mut connection)).await {
            Ok(result) => {
                connection.finished();
                result.map_err(query_error)
            }
            Err(_) => Err(WarehouseError::DeadlineExceeded(
                "sql server did not answer in time".into(),
            )),
        }
    }

    async fn latest_day(&self) -> Result<NaiveDate, WarehouseError> {
        Ok(self.latest().await?.day)
    }

    async fn latest(&self) -> Result<LatestDay, WarehouseError> {
        let cached = *self
            .latest
            .lock()
            .map_err(|_| WarehouseError::Query("latest day poisoned".into()))?;
        if let Some(latest) = cached
            && latest.read_at.elapsed() < LATEST_DAY_TTL
        {
            return Ok(latest);
        }
        let read = self
            .run(async |client| queries::latest_day(client).await)
            .await?;
        let day = NaiveDate::parse_from_str(&read, crate::source::DATE_FORMAT)
            .map_err(|e| WarehouseError::Query(format!("latest order date {read:?}: {e}")))?;
        let latest = LatestDay {
            read_at: Instant::now(),
            day,
            version: cached.map_or(0, |before| before.version + 1),
        };
        *self
            .latest
            .lock()
            .map_err(|_| WarehouseError::Query("latest day poisoned".into()))? = Some(latest);
        Ok(latest)
    }
}

#[tonic::async_trait]
impl SalesSource for SqlServerWarehouse {
    async fn check(&self) -> Result<(), WarehouseError> {
        self.run(async |client| {
            client
                .simple_query("SELECT 1")
                .await?
                .into_results()
                .await
                .map(drop)
        })
        .await
    }

    async fn data_version(&self) -> Result<u64, WarehouseError> {
        Ok(self.latest().await?.version)
    }

    async fn kpis(&self, window: Window) -> Result<Kpis, WarehouseError> {
        let bounds = window.bounds(self.latest_day().await?);
        self.run(async |client| queries::kpis(client, &bounds).await)
            .await
    }

    async fn daily_sales(
        &self,
        days_back: u32,
        subject: Subject,
    ) -> Result<Vec<DailySales>, WarehouseError> {
        let latest = self.latest_day().await?;
        let window = Window::latest(days_back);
        let bounds = window.bounds(latest);
        let rows = self
            .run(async |client| queries::daily_sales(client, &bounds, subject).await)
            .await?;
        Ok(crate::source::fill_calendar(
            latest,
            window,
            rows.map_err(WarehouseError::InvalidArgument)?,
        ))
    }

    async fn item_sales(&self, window: Window) -> Result<Vec<ItemSales>, WarehouseError> {
        let latest = self.latest_day().await?;
        let (bounds, previous) = (window.bounds(latest), window.previous().bounds(latest));
        self.run(async |client| queries::item_sales(client, &bounds, &previous.0).await)
            .await
    }

    async fn customer_sales(&self, window: Window) -> Result<Vec<CustomerSales>, WarehouseError> {
        let latest = self.latest_day().await?;
        let (bounds, previous) = (window.bounds(latest), window.previous().bounds(latest));
        self.run(async |client| queries::customer_sales(client, &bounds, &previous.0).await)
            .await
    }

    async fn stock_levels(&self) -> Result<Vec<StockLevel>, WarehouseError> {
        self.run(async |client| queries::stock_levels(client).await)
            .await
    }

    async fn run_query(
        &self,
        sql: String,
        max_rows: u32,
        timeout: Duration,
    ) -> Result<RunQueryResponse, WarehouseError> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(timeout, queries::ad_hoc(&mut connection, &sql, max_rows)).await
        {
            // The operator's SQL failing is the operator's to fix.
            Ok(Err(error)) => {
                connection.finished();
                Err(WarehouseError::InvalidArgument(format!(
                    "query failed: {error}"
                )))
            }
            Ok(Ok(answer)) => {
                // Rows past the cap are still on the wire: dropping the
                // connection closes it, which ends the query instead of
                // reading them all.
                if !answer.truncated {
                    connection.finished();
                }
                Ok(answer)
            }
            Err(_) => Err(WarehouseError::DeadlineExceeded(format!(
                "query ran longer than {} ms",
                timeout.as_millis()
            ))),
        }
    }
}

fn query_error(error: tiberius::error::Error) -> WarehouseError {
    match error {
        tiberius::error::Error::Io { .. } => {
            WarehouseError::Unavailable(format!("sql server connection failed: {error}"))
        }
        other => WarehouseError::Query(other.to_string()),
    }
}
