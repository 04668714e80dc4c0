//! Minting: the capability a call tree carries. It states the principal and
//! only the rights both granted by the caller's scopes and needed by the
//! method's call plan, so a `GetKpis` call cannot write to the store even
//! when its caller could.

use std::sync::Arc;

use http::Request;
use mesh_core::capability::Right;
use tonic::body::Body;

use super::{Principal, PublicCall, audit::AuditNotes, gate::Gate};
use crate::{error::ApiError, minted::MintedCapabilities, scopes};

/// The minting gate; runs after the scope check.
#[derive(Debug)]
pub struct Mint {
    minted: Arc<MintedCapabilities>,
}

impl Mint {
    /// Mints with `minted`, which reuses blocks for a while.
    pub(crate) fn new(minted: Arc<MintedCapabilities>) -> Self {
        Self { minted }
    }
}

/// Returns the rights a call to `method` by `principal` carries.
pub fn rights_for(method: &str, principal: &Principal) -> Vec<Right> {
    proto::policy::rights_for_call_tree(method)
        .into_iter()
        .filter(|right| {
            principal
                .scopes
                .iter()
                .any(|scope| scopes::rights_of(scope).contains(right))
        })
        .collect()
}

impl Gate for Mint {
    fn admit(&self, call: PublicCall, request: &mut Request<Body>) -> Result<(), ApiError> {
        let principal = request
            .extensions()
            .get::<Principal>()
            .ok_or_else(|| ApiError::Internal("minting before authentication".into()))?;
        let rights = rights_for(call.method, principal);
        let capability = self.minted.get(&principal.id, &rights)?;
        if let Some(notes) = request.extensions().get::<AuditNotes>() {
            notes.revocation_ids(capability.revocation_ids());
        }
        request.extensions_mut().insert(capability);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use mesh_core::capability::rights::{FORECASTER_RUN, STORE_WRITE, WAREHOUSE_READ};
    use proto::methods::gateway_service;

    use super::*;

    fn principal(scopes: &[&str]) -> Principal {
        Principal {
            id: "p".into(),
            scopes: Arc::new(scopes.iter().map(|s| s.to_string()).collect::<HashSet<_>>()),
        }
    }

    #[test]
    fn capabilities_carry_only_what_the_call_plan_needs() {
        let everything = principal(scopes::ALL);
        assert_eq!(
            rights_for(gateway_service::GET_KPIS, &everything),
            vec![WAREHOUSE_READ]
        );
        assert_eq!(
            rights_for(gateway_service::GET_FORECAST, &everything),
            vec![FORECASTER_RUN, STORE_WRITE, WAREHOUSE_READ]
        );
        assert!(rights_for(gateway_service::GET_TELEMETRY_STATUS, &everything).is_empty());
    }

    #[test]
    fn capabilities_never_exceed_the_scopes() {
        let auditor = principal(&[scopes::AUDIT_READ]);
        assert!(rights_for(gateway_service::GET_KPIS, &auditor).is_empty());
    }
}
