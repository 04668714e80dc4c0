//! `GetRecommendations`: restock, promote and review, each with its reason,
//! recorded as a run.

use proto::{
    forecaster::RecommendRequest,
    gateway::{GetRecommendationsRequest, GetRecommendationsResponse},
};

use super::{Call, Gateway, idempotency_key, public::IntoPublic};
use crate::error::ApiError;

pub async fn get_recommendations(
    gateway: &Gateway,
    call: &Call,
    input: GetRecommendationsRequest,
) -> Result<GetRecommendationsResponse, ApiError> {
    let message = RecommendRequest {
        window_days: input.window_days,
        idempotency_key: idempotency_key(),
    };
    let run = gateway
        .upstreams
        .forecaster
        .clone()
        .recommend(call.request(message))
        .await
        .map_err(ApiError::from_upstream("forecaster"))?
        .into_inner()
        .run;
    Ok(GetRecommendationsResponse {
        run: run.into_public()?,
    })
}
