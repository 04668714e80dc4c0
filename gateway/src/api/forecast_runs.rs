//! `ListForecastRuns`: recorded forecasts, newest first, paged; without the
//! idempotency keys the store keeps.

use proto::{
    gateway::{ListForecastRunsRequest, ListForecastRunsResponse},
    store,
};

use super::{Call, Gateway, page_size, public::IntoPublic};
use crate::error::ApiError;

pub async fn list_forecast_runs(
    gateway: &Gateway,
    call: &Call,
    input: ListForecastRunsRequest,
) -> Result<ListForecastRunsResponse, ApiError> {
    let message = store::ListForecastRunsRequest {
        page_size: page_size(input.page_size)?,
        page_token: input.page_token,
    };
    let page = gateway
        .upstreams
        .store
        .clone()
        .list_forecast_runs(call.request(message))
        .await
        .map_err(ApiError::from_upstream("store"))?
        .into_inner();
    Ok(ListForecastRunsResponse {
        runs: page.runs.into_public()?,
        next_page_token: page.next_page_token,
    })
}
