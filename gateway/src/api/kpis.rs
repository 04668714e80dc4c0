//! `GetKpis`: the KPIs of a window against the window before it.

use proto::{
    gateway::{GetKpisRequest, GetKpisResponse},
    warehouse,
};

use super::{Call, Gateway, public::IntoPublic};
use crate::error::ApiError;

pub async fn get_kpis(
    gateway: &Gateway,
    call: &Call,
    input: GetKpisRequest,
) -> Result<GetKpisResponse, ApiError> {
    let message = warehouse::GetKpisRequest {
        window_days: input.window_days,
    };
    let kpis = gateway
        .upstreams
        .warehouse
        .clone()
        .get_kpis(call.request(message))
        .await
        .map_err(ApiError::from_upstream("warehouse"))?
        .into_inner();
    Ok(GetKpisResponse {
        kpis: kpis.kpis.into_public()?,
        previous: kpis.previous.into_public()?,
        change: kpis.change.into_public()?,
    })
}
