//! The gRPC face of the warehouse.

use std::time::Duration;

use mesh_core::capability::call_plan::methods::{
    WAREHOUSE_GET_DAILY_SALES, WAREHOUSE_GET_KPIS, WAREHOUSE_RUN_QUERY,
};
use proto::warehouse::{
    GetDailySalesRequest, GetDailySalesResponse, GetKpisRequest, GetKpisResponse, RunQueryRequest,
    RunQueryResponse, warehouse_service_server::WarehouseService,
};
use tonic::{Request, Response, Status};

use crate::{SalesSource, sql_guard};

/// The most rows an ad-hoc query returns, and the default.
pub const MAX_QUERY_ROWS: i32 = 10_000;
const DEFAULT_QUERY_ROWS: u32 = 1000;
/// The longest an ad-hoc query may run, and the default, in milliseconds.
pub const MAX_QUERY_MS: i32 = 30_000;
const DEFAULT_QUERY_MS: u64 = 5000;

pub const GRPC_SERVICE: &str = "forecastmesh.warehouse.v1.WarehouseService";

/// The longest history or window the warehouse answers, in days.
pub const MAX_DAYS: i32 = 3650;

/// Returns the right each method needs: the fixed queries read; the
/// operator's ad-hoc query needs its own right.
pub fn required_operation(method: &str) -> Option<&'static str> {
    match method {
        WAREHOUSE_GET_KPIS | WAREHOUSE_GET_DAILY_SALES => Some("read"),
        WAREHOUSE_RUN_QUERY => Some("query"),
        _ => None,
    }
}

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
        let window_days = days_in_range("window_days", request.get_ref().window_days, 30)?;
        let kpis = self.source.kpis(window_days).await?;
        Ok(Response::new(GetKpisResponse { kpis: Some(kpis) }))
    }

    async fn get_daily_sales(
        &self,
        request: Request<GetDailySalesRequest>,
    ) -> Result<Response<GetDailySalesResponse>, Status> {
        let days_back = days_in_range("days_back", request.get_ref().days_back, 365)?;
        let days = self.source.daily_sales(days_back).await?;
        Ok(Response::new(GetDailySalesResponse { days }))
    }

    async fn run_query(
        &self,
        request: Request<RunQueryRequest>,
    ) -> Result<Response<RunQueryResponse>, Status> {
        let RunQueryRequest {
            sql,
            max_rows,
            timeout_ms,
        } = request.into_inner();
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
        sql_guard::admit(&sql).map_err(|refused| Status::invalid_argument(refused.to_string()))?;
        Ok(Response::new(
            self.source.run_query(sql, max_rows, timeout).await?,
        ))
    }
}

#[cfg(test)]
mod tests;
