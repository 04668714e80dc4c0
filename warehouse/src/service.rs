//! The gRPC face of the warehouse.

use mesh_core::capability::call_plan::methods::{WAREHOUSE_GET_DAILY_SALES, WAREHOUSE_GET_KPIS};
use proto::warehouse::{
    GetDailySalesRequest, GetDailySalesResponse, GetKpisRequest, GetKpisResponse,
    warehouse_service_server::WarehouseService,
};
use tonic::{Request, Response, Status};

use crate::SalesSource;

pub const GRPC_SERVICE: &str = "forecastmesh.warehouse.v1.WarehouseService";

/// The longest history or window the warehouse answers, in days.
pub const MAX_DAYS: i32 = 3650;

/// Returns the right each method needs: every method only reads.
pub fn required_operation(method: &str) -> Option<&'static str> {
    matches!(method, WAREHOUSE_GET_KPIS | WAREHOUSE_GET_DAILY_SALES).then_some("read")
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
}
