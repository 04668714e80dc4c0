//! `ListRankingRuns`: recorded rankings, newest first, paged; without the
//! idempotency keys the store keeps.

use proto::{
    gateway::{ListRankingRunsRequest, ListRankingRunsResponse},
    store,
};

use super::{Call, Gateway, page_size, public::IntoPublic};
use crate::error::ApiError;

pub async fn list_ranking_runs(
    gateway: &Gateway,
    call: &Call,
    input: ListRankingRunsRequest,
) -> Result<ListRankingRunsResponse, ApiError> {
    let message = store::ListRankingRunsRequest {
        page_size: page_size(input.page_size)?,
        page_token: input.page_token,
    };
    let page = gateway
        .upstreams
        .store
        .clone()
        .list_ranking_runs(call.request(message))
        .await
        .map_err(ApiError::from_upstream("store"))?
        .into_inner();
    Ok(ListRankingRunsResponse {
        runs: page.runs.into_public()?,
        next_page_token: page.next_page_token,
    })
}
