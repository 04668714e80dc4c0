//! `GetRankings`: the top stock items and customers, recorded as a run.

use proto::{
    forecaster::RankSalesRequest,
    gateway::{GetRankingsRequest, GetRankingsResponse},
};

use super::{Call, Gateway, idempotency_key, public::IntoPublic};
use crate::error::ApiError;

pub async fn get_rankings(
    gateway: &Gateway,
    call: &Call,
    input: GetRankingsRequest,
) -> Result<GetRankingsResponse, ApiError> {
    let message = RankSalesRequest {
        window_days: input.window_days,
        top_n: input.top_n,
        idempotency_key: idempotency_key(),
    };
    let ranking = gateway
        .upstreams
        .forecaster
        .clone()
        .rank_sales(call.request(message))
        .await
        .map_err(ApiError::from_upstream("forecaster"))?
        .into_inner()
        .ranking;
    Ok(GetRankingsResponse {
        ranking: ranking.into_public()?,
    })
}
