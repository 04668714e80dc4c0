//! `ForecastSeries`: one stock item's or customer's revenue, or a series the
//! caller sends, recorded as a run.

use proto::{
    forecaster::{self, forecast_series_request::Series},
    gateway::{
        ForecastSeriesRequest, ForecastSeriesResponse, forecast_series_request::Series as Asked,
    },
};

use super::{
    Call, Gateway,
    forecast::{DEFAULT_DAYS, MAX_DAYS},
    idempotency_key, in_range,
    public::{IntoPublic, twins::inline_series},
};
use crate::error::ApiError;

pub async fn forecast_series(
    gateway: &Gateway,
    call: &Call,
    input: ForecastSeriesRequest,
) -> Result<ForecastSeriesResponse, ApiError> {
    let ForecastSeriesRequest {
        days,
        levels,
        series,
        horizon,
        frequency,
    } = input;
    // A horizon in periods replaces the legacy days; both is ambiguous.
    let horizon_days = match (days, horizon) {
        (0, 0) => DEFAULT_DAYS,
        (days, 0) => in_range("days", days, DEFAULT_DAYS, MAX_DAYS)?,
        (0, _) => 0,
        _ => {
            return Err(ApiError::invalid(
                "horizon",
                "send days or horizon, not both",
            ));
        }
    };
    let series = match series {
        Some(Asked::StockItemId(id)) => Some(Series::StockItemId(id)),
        Some(Asked::CustomerId(id)) => Some(Series::CustomerId(id)),
        Some(Asked::Inline(inline)) => Some(Series::Inline(inline_series(&inline)?)),
        None => None,
    };
    let message = forecaster::ForecastSeriesRequest {
        horizon_days,
        horizon,
        frequency,
        levels,
        history_days: 0,
        idempotency_key: idempotency_key(),
        series,
    };
    let forecast = gateway
        .upstreams
        .forecaster
        .clone()
        .forecast_series(call.request(message))
        .await
        .map_err(ApiError::from_upstream("forecaster"))?
        .into_inner()
        .forecast;
    Ok(ForecastSeriesResponse {
        forecast: forecast.into_public()?,
    })
}
