//! `GetDashboard`: KPIs, history and a forecast, fetched concurrently.

use proto::{
    gateway::{GetDashboardRequest, GetDashboardResponse},
    warehouse::{GetDailySalesRequest, GetKpisRequest},
};

use super::{Call, Gateway, Upstreams, forecast::revenue_request, public::IntoPublic};
use crate::error::ApiError;

pub async fn get_dashboard(
    gateway: &Gateway,
    call: &Call,
    input: GetDashboardRequest,
) -> Result<GetDashboardResponse, ApiError> {
    fetch(&gateway.upstreams, call, input.forecast_days).await
}

/// Returns the dashboard's figures for a `forecast_days` horizon (the
/// caller's field of that name), fetched concurrently with `call`'s
/// capability. The forecast is recorded as a run.
pub async fn fetch(
    upstreams: &Upstreams,
    call: &Call,
    forecast_days: i32,
) -> Result<GetDashboardResponse, ApiError> {
    let forecast_request = revenue_request("forecast_days", forecast_days, Vec::new())?;
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
        kpis: kpis.into_inner().kpis.into_public()?,
        history: history.into_inner().days.into_public()?,
        forecast: forecast.into_inner().forecast.into_public()?,
    })
}
