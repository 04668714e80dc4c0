//! `ListAuditLogs`: the audit trail, newest first, paged, filtered by
//! method, status and trace in the store; without the idempotency keys and
//! revocation ids the store keeps. The store checks the status and the
//! trace id; the method is the gateway's to name, so it is checked here.

use proto::{
    gateway::{ListAuditLogsRequest, ListAuditLogsResponse},
    methods::{self, gateway_service},
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
        method: gateway_method(&input.method)?,
        status_code: input.status_code,
        trace_id: input.trace_id.to_ascii_lowercase(),
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

/// Returns the full name of the gateway method `name` names, by its own
/// name (`GetKpis`) or its full one; empty stays empty (every method).
fn gateway_method(name: &str) -> Result<String, ApiError> {
    if name.is_empty() {
        return Ok(String::new());
    }
    methods::ALL
        .iter()
        .filter(|method| method.service == gateway_service::SERVICE)
        .find(|method| method.name == name || method.path == name)
        .map(|method| method.path.to_owned())
        .ok_or_else(|| {
            ApiError::invalid(
                "method",
                format!("{name:?} is not a method of the gateway, e.g. GetKpis"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_is_named_short_or_full_and_must_be_the_gateways() {
        assert_eq!(gateway_method("").ok().as_deref(), Some(""));
        assert_eq!(
            gateway_method("GetKpis").ok().as_deref(),
            Some(gateway_service::GET_KPIS)
        );
        assert_eq!(
            gateway_method(gateway_service::GET_KPIS).ok().as_deref(),
            Some(gateway_service::GET_KPIS)
        );
        for foreign in [
            "GetKpis ",
            "Nope",
            proto::methods::warehouse_service::GET_KPIS,
        ] {
            let error = gateway_method(foreign).map_err(|e| e.to_string());
            assert!(
                matches!(&error, Err(words) if words.starts_with("method: ")),
                "{foreign}: {error:?}"
            );
        }
    }
}
