//! `ListAuditLogs`: the audit trail, newest first, paged; without the
//! idempotency keys and revocation ids the store keeps.

use proto::{
    gateway::{ListAuditLogsRequest, ListAuditLogsResponse},
    store::ListAuditEntriesRequest,
};

use super::{Call, Gateway, page_size, public::IntoPublic};
use crate::error::ApiError;

pub async fn list_audit_logs(
    gateway: &Gateway,
    call: &Call,
    input: ListAuditLogsRequest,
) -> Result<ListAuditLogsResponse, ApiError> {
    let message = ListAuditEntriesRequest {
        page_size: page_size(input.page_size)?,
        page_token: input.page_token,
    };
    let page = gateway
        .upstreams
        .store
        .clone()
        .list_audit_entries(call.request(message))
        .await
        .map_err(ApiError::from_upstream("store"))?
        .into_inner();
    Ok(ListAuditLogsResponse {
        entries: page.entries.into_public()?,
        next_page_token: page.next_page_token,
    })
}
