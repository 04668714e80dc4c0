//! What a user's OIDC scopes let them do, and who they are to the mesh.
//! Access is keyed by the generated method table: every public method has
//! an entry, and a test proves it.

use mesh_core::capability::{
    Right,
    rights::{self, FORECASTER_RUN, STORE_READ, STORE_WRITE, WAREHOUSE_READ},
};
use proto::methods::gateway_service as gateway;
use sha2::{Digest, Sha256};

/// Reading dashboards and running forecasts (which records the run).
pub const FORECASTS_READ: &str = "forecasts:read";
/// Reading the audit log and run history.
pub const AUDIT_READ: &str = "audit:read";
/// Running ad-hoc read-only queries on the warehouse: for operators.
pub const WAREHOUSE_QUERY: &str = "warehouse:query";
/// Every scope, for dev tokens.
pub const ALL: &[&str] = &[FORECASTS_READ, AUDIT_READ, WAREHOUSE_QUERY];

/// Returns the rights a scope grants in the capability token.
pub fn rights_of(scope: &str) -> &'static [Right] {
    match scope {
        FORECASTS_READ => &[WAREHOUSE_READ, FORECASTER_RUN, STORE_WRITE],
        AUDIT_READ => &[STORE_READ],
        WAREHOUSE_QUERY => &[rights::WAREHOUSE_QUERY],
        _ => &[],
    }
}

/// Who may call a public method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Callers whose token grants this scope.
    Scope(&'static str),
    /// Any authenticated caller.
    AnyUser,
}

/// Returns who may call `method`; `None` for a method with no rule, which
/// is refused.
pub fn access(method: &str) -> Option<Access> {
    Some(match method {
        gateway::GET_KPIS
        | gateway::GET_HISTORY
        | gateway::GET_FORECAST
        | gateway::FORECAST_SERIES
        | gateway::GET_DASHBOARD
        | gateway::WATCH_DASHBOARD
        | gateway::GET_RANKINGS
        | gateway::GET_RECOMMENDATIONS => Access::Scope(FORECASTS_READ),
        // Run history is the audit side: who ran what, and when.
        gateway::LIST_AUDIT_LOGS
        | gateway::LIST_FORECAST_RUNS
        | gateway::LIST_RANKING_RUNS
        | gateway::LIST_RECOMMENDATION_RUNS => Access::Scope(AUDIT_READ),
        gateway::RUN_WAREHOUSE_QUERY => Access::Scope(WAREHOUSE_QUERY),
        gateway::GET_TELEMETRY_STATUS => Access::AnyUser,
        _ => return None,
    })
}

/// Returns the principal the mesh knows a user by: a hash of issuer and
/// subject, so no service downstream sees the raw subject.
pub fn principal(issuer: &str, subject: &str) -> String {
    let digest = Sha256::new()
        .chain_update(issuer)
        .chain_update([0])
        .chain_update(subject)
        .finalize();
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_hide_the_subject_and_tell_issuers_apart() {
        let alice = principal("https://a", "alice");
        assert_eq!(alice.len(), 32);
        assert!(!alice.contains("alice"));
        assert_ne!(alice, principal("https://b", "alice"));
        assert_eq!(alice, principal("https://a", "alice"));
    }

    #[test]
    fn every_public_method_has_an_access_rule() {
        for method in gateway::ALL {
            assert!(access(method).is_some(), "{method} has no access rule");
        }
        assert_eq!(access("/forecastmesh.gateway.v1.GatewayService/Nope"), None);
    }

    #[test]
    fn scoped_methods_can_get_the_rights_their_call_plan_needs() {
        for method in gateway::ALL {
            if let Some(Access::Scope(scope)) = access(method) {
                for right in proto::policy::rights_for_call_tree(method) {
                    assert!(
                        rights_of(scope).contains(&right),
                        "{method}: {scope} does not grant {right:?}"
                    );
                }
            }
        }
        assert!(rights_of("something:else").is_empty());
    }
}
