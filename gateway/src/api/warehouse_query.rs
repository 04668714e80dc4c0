//! `RunWarehouseQuery`: an operator's read-only ad-hoc query.

use proto::{
    gateway::{RunWarehouseQueryRequest, RunWarehouseQueryResponse},
    warehouse::RunQueryRequest,
};

use super::{Call, Gateway, public::IntoPublic};
use crate::error::ApiError;

pub async fn run_warehouse_query(
    gateway: &Gateway,
    call: &Call,
    input: RunWarehouseQueryRequest,
) -> Result<RunWarehouseQueryResponse, ApiError> {
    let RunWarehouseQueryRequest {
        sql,
        max_rows,
        timeout_ms,
    } = input;
    let answer = gateway
        .upstreams
        .warehouse
        .clone()
        .run_query(call.request(RunQueryRequest {
            sql,
            max_rows,
            timeout_ms,
        }))
        .await
        .map_err(ApiError::from_upstream("warehouse"))?
        .into_inner();
    Ok(RunWarehouseQueryResponse {
        columns: answer.columns.into_public()?,
        rows: answer.rows.into_public()?,
        truncated: answer.truncated,
    })
}
