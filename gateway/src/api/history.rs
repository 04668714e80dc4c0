//! `GetHistory`: daily revenue and orders.

use proto::{
    gateway::{GetHistoryRequest, GetHistoryResponse},
    warehouse::GetDailySalesRequest,
};

use super::{Call, Gateway, public::IntoPublic};
use crate::error::ApiError;

pub async fn get_history(
    gateway: &Gateway,
    call: &Call,
    input: GetHistoryRequest,
) -> Result<GetHistoryResponse, ApiError> {
    let message = GetDailySalesRequest {
        days_back: input.days_back,
        subject: None,
    };
    let days = gateway
        .upstreams
        .warehouse
        .clone()
        .get_daily_sales(call.request(message))
        .await
        .map_err(ApiError::from_upstream("warehouse"))?
        .into_inner()
        .days;
    Ok(GetHistoryResponse {
        days: days.into_public()?,
    })
}
