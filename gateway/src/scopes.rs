//! What a user's OIDC scopes let them do, and who they are to the mesh.

use mesh_core::capability::{
    Right,
    rights::{self, FORECASTER_RUN, STORE_READ, STORE_WRITE, WAREHOUSE_READ},
};
use sha2::{Digest, Sha256};

/// Reading dashboards and running forecasts (which records the run).
pub const FORECASTS_READ: &str = "forecasts:read";
/// Reading the audit log.
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

/// Returns the scope a public method needs; `None` for methods any
/// authenticated user may call.
pub fn required_scope(method: &str) -> Option<&'static str> {
    let name = method.rsplit('/').next().unwrap_or_default();
    match name {
        "GetKpis" | "GetHistory" | "GetForecast" | "ForecastSeries" | "GetDashboard"
        | "GetRankings" | "GetRecommendations" => Some(FORECASTS_READ),
        "ListAuditLogs" => Some(AUDIT_READ),
        "RunWarehouseQuery" => Some(WAREHOUSE_QUERY),
        _ => None,
    }
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
    fn methods_need_the_scope_that_grants_their_rights() {
        assert_eq!(
            required_scope("/forecastmesh.gateway.v1.GatewayService/GetKpis"),
            Some(FORECASTS_READ)
        );
        assert_eq!(
            required_scope("/forecastmesh.gateway.v1.GatewayService/ListAuditLogs"),
            Some(AUDIT_READ)
        );
        assert_eq!(
            required_scope("/forecastmesh.gateway.v1.GatewayService/GetTelemetryStatus"),
            None
        );
        assert!(rights_of("something:else").is_empty());
    }
}
