//! `GetForecast`: daily revenue forecast, recorded as a run.

use proto::{
    forecaster::ForecastRevenueRequest,
    gateway::{GetForecastRequest, GetForecastResponse},
};

use super::{Call, Gateway, idempotency_key, in_range, public::IntoPublic};
use crate::error::ApiError;

/// Days forecast when the caller says 0, and the most.
pub const DEFAULT_DAYS: i32 = 30;
pub const MAX_DAYS: i32 = 365;

/// Returns the forecaster's request for `days` (the caller's field `field`).
pub fn revenue_request(
    field: &'static str,
    days: i32,
    levels: Vec<f64>,
) -> Result<ForecastRevenueRequest, ApiError> {
    Ok(ForecastRevenueRequest {
        horizon_days: in_range(field, days, DEFAULT_DAYS, MAX_DAYS)?,
        history_days: 0,
        levels,
        idempotency_key: idempotency_key(),
        // Daily, counted in days: the dashboard's API.
        ..Default::default()
    })
}

pub async fn get_forecast(
    gateway: &Gateway,
    call: &Call,
    input: GetForecastRequest,
) -> Result<GetForecastResponse, ApiError> {
    let message = revenue_request("days", input.days, input.levels)?;
    let forecast = gateway
        .upstreams
        .forecaster
        .clone()
        .forecast_revenue(call.request(message))
        .await
        .map_err(ApiError::from_upstream("forecaster"))?
        .into_inner()
        .forecast;
    Ok(GetForecastResponse {
        forecast: forecast.into_public()?,
    })
}
