//! The audit trail: one store entry per gateway call, written after the call
//! with its status and trace id. Writes retry with the same idempotency key,
//! so a retry never makes a second entry; an entry that still cannot be
//! written is logged in full rather than dropped silently.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use mesh_core::{
    capability::{CapabilityMinter, rights::STORE_WRITE},
    client::{MeshChannel, with_capability},
};
use proto::store::{AppendAuditEntryRequest, AuditEntry, store_service_client::StoreServiceClient};

const ATTEMPTS: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(200),
    Duration::from_secs(1),
];

/// Writes audit entries to the store on the gateway's own authority.
#[derive(Clone, Debug)]
pub struct Auditor {
    store: StoreServiceClient<MeshChannel>,
    minter: Arc<CapabilityMinter>,
}

impl Auditor {
    pub fn new(store: StoreServiceClient<MeshChannel>, minter: Arc<CapabilityMinter>) -> Self {
        Self { store, minter }
    }

    /// Records `entry` in the background; the caller's response does not wait.
    pub fn record(&self, mut entry: AuditEntry) {
        entry.idempotency_key = uuid::Uuid::new_v4().to_string();
        let auditor = self.clone();
        tokio::spawn(async move { auditor.write(entry).await });
    }

    async fn write(&self, entry: AuditEntry) {
        let mut last_error = String::new();
        for delay in ATTEMPTS {
            tokio::time::sleep(delay).await;
            let capability =
                match self
                    .minter
                    .mint(&entry.principal, &[STORE_WRITE], SystemTime::now())
                {
                    Ok(capability) => capability,
                    Err(error) => {
                        last_error = error.to_string();
                        continue;
                    }
                };
            let request = with_capability(
                &capability,
                AppendAuditEntryRequest {
                    entry: Some(entry.clone()),
                },
            );
            match self.store.clone().append_audit_entry(request).await {
                Ok(_) => return,
                Err(status) => last_error = status.to_string(),
            }
        }
        tracing::error!(
            error = %last_error,
            idempotency_key = %entry.idempotency_key,
            principal = %entry.principal,
            method = %entry.method,
            status_code = %entry.status_code,
            trace_id = %entry.trace_id,
            "audit entry could not be written",
        );
    }
}

/// Returns the canonical name of a gRPC status code, e.g. `INVALID_ARGUMENT`.
pub fn code_name(code: tonic::Code) -> String {
    let debug = format!("{code:?}");
    let mut name = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_are_canonical() {
        assert_eq!(code_name(tonic::Code::Ok), "OK");
        assert_eq!(code_name(tonic::Code::InvalidArgument), "INVALID_ARGUMENT");
        assert_eq!(code_name(tonic::Code::Unauthenticated), "UNAUTHENTICATED");
    }
}
