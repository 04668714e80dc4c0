//! `GetDashboard`: KPIs, history and a forecast, fetched concurrently.

use proto::{
    gateway::{GetDashboardRequest, GetDashboardResponse},
    warehouse::{GetDailySalesRequest, GetKpisRequest},
};

use super::{Call, Gateway, forecast::revenue_request};
use crate::error::ApiError;

pub async fn get_dashboard(
    gateway: &Gateway,
    call: &Call,
    input: GetDashboardRequest,
) -> Result<GetDashboardResponse, ApiError> {
    let forecast_request = revenue_request("forecast_days", input.forecast_days, Vec::new())?;
    let upstreams = &gateway.upstreams;
    let (mut warehouse_kpis, mut warehouse_history, mut forecaster) = (
        upstreams.warehouse.clone(),
        upstreams.warehouse.clone(),
        upstreams.forecaster.clone(),
    );
    let (kpis, history, forecast) = tokio::try_join!(
        async {
            warehouse_kpis
                .get_kpis(call.request(GetKpisRequest { window_days: 0 }))
                .await
                .map_err(ApiError::from_upstream("warehouse"))
        },
        async {
            warehouse_history
                .get_daily_sales(call.request(GetDailySalesRequest {
                    days_back: 0,
                    subject: None,
                }))
                .await
                .map_err(ApiError::from_upstream("warehouse"))
        },
        async {
            forecaster
                .forecast_revenue(call.request(forecast_request))
                .await
                .map_err(ApiError::from_upstream("forecaster"))
        },
    )?;
    Ok(GetDashboardResponse {
        kpis: kpis.into_inner().kpis,
        history: history.into_inner().days,
        forecast: forecast.into_inner().forecast,
    })
}
