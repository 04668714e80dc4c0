//! The gRPC face of the warehouse.

use std::time::Duration;

use mesh_core::server::Deadline;
use proto::warehouse::{
    GetCustomerSalesRequest, GetCustomerSalesResponse, GetDailySalesRequest, GetDailySalesResponse,
    GetItemSalesRequest, GetItemSalesResponse, GetKpisRequest, GetKpisResponse,
    GetStockLevelsRequest, GetStockLevelsResponse, KpiChange, Kpis, RunQueryRequest,
    RunQueryResponse, warehouse_service_server::WarehouseService,
};
use tonic::{Request, Response, Status};

use crate::{SalesSource, Subject, Window, sql_guard};

/// The most rows an ad-hoc query returns, and the default.
pub const MAX_QUERY_ROWS: i32 = 10_000;
const DEFAULT_QUERY_ROWS: u32 = 1000;
/// The longest an ad-hoc query may run, and the default, in milliseconds.
pub const MAX_QUERY_MS: i32 = 30_000;
const DEFAULT_QUERY_MS: u64 = 5000;

/// The longest SQL text an ad-hoc query may be, in bytes: longer is refused
/// before it is parsed.
pub const MAX_SQL_BYTES: usize = 64 << 10;

pub use crate::answer::{MAX_ANSWER_BYTES, MAX_VALUE_BYTES};
pub use crate::embedded::MAX_COLUMNS;

pub const GRPC_SERVICE: &str = proto::methods::warehouse_service::SERVICE;

/// The longest history or window the warehouse answers, in days.
pub const MAX_DAYS: i32 = 3650;

/// Serves [`WarehouseService`] from any [`SalesSource`].
#[derive(Debug)]
pub struct Warehouse<S> {
    source: S,
}

impl<S> Warehouse<S> {
    pub fn new(source: S) -> Self {
        Self { source }
    }
}

/// Returns `days`, or `default` for 0, refusing values outside 1..=[`MAX_DAYS`].
pub fn days_in_range(name: &str, days: i32, default: u32) -> Result<u32, Status> {
    match days {
        0 => Ok(default),
        1..=MAX_DAYS => Ok(days as u32),
        _ => Err(Status::invalid_argument(format!(
            "{name} must be between 1 and {MAX_DAYS}, got {days}"
        ))),
    }
}

#[tonic::async_trait]
impl<S: SalesSource> WarehouseService for Warehouse<S> {
    async fn get_kpis(
        &self,
        request: Request<GetKpisRequest>,
    ) -> Result<Response<GetKpisResponse>, Status> {
        let window = Window::latest(days_in_range(
            "window_days",
            request.get_ref().window_days,
            30,
        )?);
        let (kpis, previous) = self.source.kpis_and_previous(window).await?;
        let change = kpi_change(&kpis, &previous);
        Ok(Response::new(GetKpisResponse {
            kpis: Some(kpis),
            previous: Some(previous),
            change: Some(change),
        }))
    }

    async fn get_item_sales(
        &self,
        request: Request<GetItemSalesRequest>,
    ) -> Result<Response<GetItemSalesResponse>, Status> {
        let window = Window::latest(days_in_range(
            "window_days",
            request.get_ref().window_days,
            30,
        )?);
        Ok(Response::new(GetItemSalesResponse {
            items: self.source.item_sales(window).await?,
        }))
    }

    async fn get_customer_sales(
        &self,
        request: Request<GetCustomerSalesRequest>,
    ) -> Result<Response<GetCustomerSalesResponse>, Status> {
        let window = Window::latest(days_in_range(
            "window_days",
            request.get_ref().window_days,
            30,
        )?);
        Ok(Response::new(GetCustomerSalesResponse {
            customers: self.source.customer_sales(window).await?,
        }))
    }

    async fn get_stock_levels(
        &self,
        _: Request<GetStockLevelsRequest>,
    ) -> Result<Response<GetStockLevelsResponse>, Status> {
        Ok(Response::new(GetStockLevelsResponse {
            items: self.source.stock_levels().await?,
        }))
    }

    async fn get_daily_sales(
        &self,
        request: Request<GetDailySalesRequest>,
    ) -> Result<Response<GetDailySalesResponse>, Status> {
        let days_back = days_in_range("days_back", request.get_ref().days_back, 365)?;
        let subject = match request.get_ref().subject {
            None => Subject::All,
            Some(proto::warehouse::get_daily_sales_request::Subject::StockItemId(id)) => {
                Subject::StockItem(id)
            }
            Some(proto::warehouse::get_daily_sales_request::Subject::CustomerId(id)) => {
                Subject::Customer(id)
            }
        };
        let days = self.source.daily_sales(days_back, subject).await?;
        Ok(Response::new(GetDailySalesResponse { days }))
    }

    async fn run_query(
        &self,
        request: Request<RunQueryRequest>,
    ) -> Result<Response<RunQueryResponse>, Status> {
        let deadline = request.extensions().get::<Deadline>().copied();
        let RunQueryRequest {
            sql,
            max_rows,
            timeout_ms,
        } = request.into_inner();
        // First: parsing is the expensive part of a refusal.
        if sql.len() > MAX_SQL_BYTES {
            return Err(Status::invalid_argument(format!(
                "sql is {} bytes; the SQL text limit is {MAX_SQL_BYTES} bytes",
                sql.len()
            )));
        }
        let max_rows = match max_rows {
            0 => DEFAULT_QUERY_ROWS,
            1..=MAX_QUERY_ROWS => max_rows as u32,
            _ => {
                return Err(Status::invalid_argument(format!(
                    "max_rows must be between 1 and {MAX_QUERY_ROWS}"
                )));
            }
        };
        let timeout = match timeout_ms {
            0 => Duration::from_millis(DEFAULT_QUERY_MS),
            1..=MAX_QUERY_MS => Duration::from_millis(timeout_ms as u64),
            _ => {
                return Err(Status::invalid_argument(format!(
                    "timeout_ms must be between 1 and {MAX_QUERY_MS}"
                )));
            }
        };
        // The caller's deadline, carried to the database: the query stops
        // when the caller stops waiting, not only at its own timeout.
        let timeout = deadline.map_or(timeout, |deadline| timeout.min(deadline.remaining()));
        sql_guard::admit(&sql).map_err(|refused| Status::invalid_argument(refused.to_string()))?;
        Ok(Response::new(
            self.source.run_query(sql, max_rows, timeout).await?,
        ))
    }
}

/// Returns the relative change of each figure; none where the previous
/// figure is zero.
pub fn kpi_change(current: &Kpis, previous: &Kpis) -> KpiChange {
    let change = |now: f64, before: f64| (before != 0.0).then(|| (now - before) / before);
    KpiChange {
        revenue: change(current.revenue, previous.revenue),
        orders: change(current.orders as f64, previous.orders as f64),
        customers: change(current.customers as f64, previous.customers as f64),
        average_order_value: change(current.average_order_value, previous.average_order_value),
        units: change(current.units as f64, previous.units as f64),
    }
}

#[cfg(test)]
mod tests;
