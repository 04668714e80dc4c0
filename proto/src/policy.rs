//! The mesh's authorization policy, keyed by the generated method table: the
//! right each internal method needs, and the calls each method may make on
//! its caller's behalf (its call plan). Deny by default: a method missing
//! here needs no right anyone holds and may delegate nothing, and a test
//! proves every method of every contract is here.

use crate::methods::{
    forecaster_service as forecaster, gateway_service as gateway, store_service as store,
    warehouse_service as warehouse,
};

/// A right as capability tokens state it: `right(<service>, <operation>)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Right {
    pub service: &'static str,
    pub operation: &'static str,
}

/// The rights the internal services check, one constant each.
pub mod rights {
    use super::Right;

    pub const WAREHOUSE_READ: Right = Right {
        service: "warehouse",
        operation: "read",
    };
    pub const WAREHOUSE_QUERY: Right = Right {
        service: "warehouse",
        operation: "query",
    };
    pub const FORECASTER_RUN: Right = Right {
        service: "forecaster",
        operation: "run",
    };
    pub const STORE_READ: Right = Right {
        service: "store",
        operation: "read",
    };
    pub const STORE_WRITE: Right = Right {
        service: "store",
        operation: "write",
    };
    /// Revoking credentials: no workload holds it; operators do.
    pub const STORE_REVOKE: Right = Right {
        service: "store",
        operation: "revoke",
    };
}

use rights::*;

/// Returns the right an internal method needs; `None` for a gateway method
/// (the gateway checks scopes instead) or a method the mesh does not know.
pub fn required_right(method: &str) -> Option<Right> {
    Some(match method {
        warehouse::GET_KPIS
        | warehouse::GET_DAILY_SALES
        | warehouse::GET_ITEM_SALES
        | warehouse::GET_CUSTOMER_SALES
        | warehouse::GET_STOCK_LEVELS => WAREHOUSE_READ,
        warehouse::RUN_QUERY => WAREHOUSE_QUERY,
        forecaster::FORECAST_REVENUE
        | forecaster::FORECAST_SERIES
        | forecaster::RANK_SALES
        | forecaster::RECOMMEND => FORECASTER_RUN,
        store::APPEND_AUDIT_ENTRY
        | store::APPEND_AUDIT_ENTRIES
        | store::APPEND_FORECAST_RUN
        | store::APPEND_RANKING_RUN
        | store::APPEND_RECOMMENDATION_RUN => STORE_WRITE,
        store::LIST_AUDIT_ENTRIES
        | store::LIST_FORECAST_RUNS
        | store::LIST_RANKING_RUNS
        | store::LIST_RECOMMENDATION_RUNS => STORE_READ,
        store::REVOKE => STORE_REVOKE,
        _ => return None,
    })
}

/// Returns true for an internal method that any caller on its service's
/// allow-list may call with its transport identity alone, no capability:
/// the revocation list, which holds no secret and which every service reads
/// on its own behalf to refuse what is revoked.
pub fn needs_identity_only(method: &str) -> bool {
    method == store::LIST_REVOCATIONS
}

/// Returns the methods `method` may call on its caller's behalf: a caller
/// narrowing a token for `method` grants the callee exactly these. `None`
/// for a method the mesh does not know.
pub fn call_plan(method: &str) -> Option<&'static [&'static str]> {
    Some(match method {
        // The public API: what each gateway method calls.
        gateway::GET_KPIS => &[warehouse::GET_KPIS],
        gateway::GET_HISTORY => &[warehouse::GET_DAILY_SALES],
        gateway::GET_FORECAST => &[forecaster::FORECAST_REVENUE],
        gateway::FORECAST_SERIES => &[forecaster::FORECAST_SERIES],
        gateway::GET_DASHBOARD => &[
            warehouse::GET_KPIS,
            warehouse::GET_DAILY_SALES,
            forecaster::FORECAST_REVENUE,
        ],
        // Every viewer's stream shares one refresh, which fetches what
        // GetDashboard fetches.
        gateway::WATCH_DASHBOARD => &[
            warehouse::GET_KPIS,
            warehouse::GET_DAILY_SALES,
            forecaster::FORECAST_REVENUE,
        ],
        gateway::GET_TELEMETRY_STATUS => &[],
        gateway::GET_RANKINGS => &[forecaster::RANK_SALES],
        gateway::GET_RECOMMENDATIONS => &[forecaster::RECOMMEND],
        gateway::LIST_AUDIT_LOGS => &[store::LIST_AUDIT_ENTRIES],
        gateway::LIST_FORECAST_RUNS => &[store::LIST_FORECAST_RUNS],
        gateway::LIST_RANKING_RUNS => &[store::LIST_RANKING_RUNS],
        gateway::LIST_RECOMMENDATION_RUNS => &[store::LIST_RECOMMENDATION_RUNS],
        gateway::RUN_WAREHOUSE_QUERY => &[warehouse::RUN_QUERY],
        // The forecaster reads history and records its runs.
        forecaster::FORECAST_REVENUE | forecaster::FORECAST_SERIES => {
            &[warehouse::GET_DAILY_SALES, store::APPEND_FORECAST_RUN]
        }
        forecaster::RANK_SALES => &[
            warehouse::GET_ITEM_SALES,
            warehouse::GET_CUSTOMER_SALES,
            warehouse::GET_DAILY_SALES,
            store::APPEND_RANKING_RUN,
        ],
        forecaster::RECOMMEND => &[
            warehouse::GET_ITEM_SALES,
            warehouse::GET_STOCK_LEVELS,
            warehouse::GET_DAILY_SALES,
            store::APPEND_RECOMMENDATION_RUN,
        ],
        // Leaves: the warehouse and the store call no one.
        warehouse::GET_KPIS
        | warehouse::GET_DAILY_SALES
        | warehouse::GET_ITEM_SALES
        | warehouse::GET_CUSTOMER_SALES
        | warehouse::GET_STOCK_LEVELS
        | warehouse::RUN_QUERY
        | store::APPEND_AUDIT_ENTRY
        | store::APPEND_AUDIT_ENTRIES
        | store::LIST_AUDIT_ENTRIES
        | store::APPEND_FORECAST_RUN
        | store::LIST_FORECAST_RUNS
        | store::APPEND_RANKING_RUN
        | store::LIST_RANKING_RUNS
        | store::APPEND_RECOMMENDATION_RUN
        | store::LIST_RECOMMENDATION_RUNS
        | store::REVOKE
        | store::LIST_REVOCATIONS => &[],
        _ => return None,
    })
}

/// Returns the internal methods workload `workload` calls on its own behalf,
/// under a capability it mints for itself rather than under one of its
/// methods' call plans (the gateway's audit writes), or with its identity
/// alone (reading the revocation list). The mesh's own
/// authorization policy (the Helm chart's) admits these beside the plans.
pub fn own_calls(workload: &str) -> &'static [&'static str] {
    match workload {
        "gateway" => &[store::APPEND_AUDIT_ENTRIES, store::LIST_REVOCATIONS],
        "warehouse" | "forecaster" => &[store::LIST_REVOCATIONS],
        _ => &[],
    }
}

/// Returns every right the call tree under `method` needs: the rights of the
/// methods its plan calls, and theirs in turn. The gateway mints no more.
pub fn rights_for_call_tree(method: &str) -> Vec<Right> {
    let mut rights = Vec::new();
    let mut pending: Vec<&str> = call_plan(method).unwrap_or_default().to_vec();
    while let Some(callee) = pending.pop() {
        if let Some(right) = required_right(callee)
            && !rights.contains(&right)
        {
            rights.push(right);
        }
        pending.extend(call_plan(callee).unwrap_or_default());
    }
    rights.sort();
    rights
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::{ALL, Method};

    fn is_public(method: &Method) -> bool {
        method.service == gateway::SERVICE
    }

    #[test]
    fn every_internal_method_needs_a_right_or_only_an_identity_and_has_a_call_plan() {
        for method in ALL.iter().filter(|m| !is_public(m)) {
            assert!(
                required_right(method.path).is_some() != needs_identity_only(method.path),
                "{}",
                method.path
            );
            assert!(call_plan(method.path).is_some(), "{}", method.path);
        }
    }

    #[test]
    fn every_public_method_has_a_call_plan_and_no_internal_right() {
        for method in ALL.iter().filter(|m| is_public(m)) {
            assert!(call_plan(method.path).is_some(), "{}", method.path);
            assert_eq!(required_right(method.path), None, "{}", method.path);
        }
    }

    #[test]
    fn call_plans_name_only_internal_methods_of_the_table() {
        for method in ALL {
            for callee in call_plan(method.path).unwrap_or_default() {
                assert!(
                    ALL.iter().any(|m| m.path == *callee && !is_public(m)),
                    "{} plans a call to {callee}",
                    method.path
                );
            }
        }
    }

    #[test]
    fn own_calls_name_internal_methods_that_need_a_right_or_an_identity() {
        for workload in ["gateway", "warehouse", "forecaster"] {
            for method in own_calls(workload) {
                assert!(
                    required_right(method).is_some() || needs_identity_only(method),
                    "{workload}: {method}"
                );
            }
        }
        assert_eq!(own_calls("warehouse"), &[store::LIST_REVOCATIONS]);
        assert!(
            own_calls("store").is_empty(),
            "the store reads its own list"
        );
    }

    #[test]
    fn unknown_methods_are_denied() {
        assert_eq!(required_right("/x.v1.Nope/Get"), None);
        assert_eq!(call_plan("/x.v1.Nope/Get"), None);
        assert!(rights_for_call_tree("/x.v1.Nope/Get").is_empty());
    }

    #[test]
    fn call_trees_need_the_rights_of_every_hop() {
        assert_eq!(
            rights_for_call_tree(gateway::GET_KPIS),
            vec![WAREHOUSE_READ]
        );
        assert_eq!(
            rights_for_call_tree(gateway::GET_FORECAST),
            vec![FORECASTER_RUN, STORE_WRITE, WAREHOUSE_READ]
        );
        assert_eq!(
            rights_for_call_tree(gateway::LIST_AUDIT_LOGS),
            vec![STORE_READ]
        );
        assert!(rights_for_call_tree(gateway::GET_TELEMETRY_STATUS).is_empty());
    }

    #[test]
    fn run_history_only_reads_the_store_and_watching_needs_what_the_dashboard_needs() {
        for method in [
            gateway::LIST_FORECAST_RUNS,
            gateway::LIST_RANKING_RUNS,
            gateway::LIST_RECOMMENDATION_RUNS,
        ] {
            assert_eq!(rights_for_call_tree(method), vec![STORE_READ], "{method}");
        }
        assert_eq!(
            rights_for_call_tree(gateway::WATCH_DASHBOARD),
            rights_for_call_tree(gateway::GET_DASHBOARD)
        );
    }
}
