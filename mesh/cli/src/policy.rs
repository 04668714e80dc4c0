//! The mesh's authorization policy as the Helm chart reads it
//! (`helm/forecast-mesh/files/policy.yaml`): for each internal service, the
//! callers its allow-list admits and, for each of its methods, the callers
//! that may reach it. Built from the generated method table, the call plans
//! and own calls of `proto::policy` and the services' `ALLOWED_CALLERS`, so
//! the chart's NetworkPolicies and the mesh's authorization policies
//! (Linkerd, Istio) say what the services themselves enforce.

use std::{collections::BTreeMap, fmt::Write as _};

use proto::methods::{self, Method};

/// One workload of the mesh: its name (its service account, the last part
/// of its SPIFFE id), its gRPC service and who may call it.
#[derive(Clone, Copy, Debug)]
struct Workload {
    name: &'static str,
    grpc: &'static str,
    /// `None` for the public edge, which anyone may call.
    allowed_callers: Option<&'static [&'static str]>,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "gateway",
        grpc: methods::gateway_service::SERVICE,
        allowed_callers: None,
    },
    Workload {
        name: "warehouse",
        grpc: methods::warehouse_service::SERVICE,
        allowed_callers: Some(warehouse::ALLOWED_CALLERS),
    },
    Workload {
        name: "forecaster",
        grpc: methods::forecaster_service::SERVICE,
        allowed_callers: Some(forecaster::ALLOWED_CALLERS),
    },
    Workload {
        name: "store",
        grpc: methods::store_service::SERVICE,
        allowed_callers: Some(store::ALLOWED_CALLERS),
    },
];

/// Why the policy could not be built: the table and the allow-lists disagree.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{caller} calls {method} but is not on {service}'s allow-list")]
    NotAllowed {
        caller: &'static str,
        method: &'static str,
        service: &'static str,
    },
    #[error("{caller} calls {method}, which no internal service serves")]
    UnknownMethod {
        caller: &'static str,
        method: &'static str,
    },
}

/// An internal service's policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePolicy {
    /// `package.Service`.
    pub grpc_service: &'static str,
    /// Its allow-list: every caller that may present a capability.
    pub callers: Vec<&'static str>,
    /// For each method (full path), the callers that may reach it.
    pub methods: BTreeMap<&'static str, Vec<&'static str>>,
}

/// The whole mesh's policy, internal services by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeshPolicy {
    /// Paths every admitted peer may call: health and reflection.
    pub open_path_prefixes: &'static [&'static str],
    pub services: BTreeMap<&'static str, ServicePolicy>,
}

fn methods_of(grpc: &str) -> impl Iterator<Item = &'static Method> + '_ {
    methods::ALL.iter().filter(move |m| m.service == grpc)
}

/// Returns every internal method `workload` calls: what the call plans of
/// its own methods name, and what it calls on its own behalf.
fn calls_of(workload: &Workload) -> Vec<&'static str> {
    let mut calls: Vec<&'static str> = methods_of(workload.grpc)
        .flat_map(|m| proto::policy::call_plan(m.path).unwrap_or_default())
        .chain(proto::policy::own_calls(workload.name))
        .copied()
        .collect();
    calls.sort_unstable();
    calls.dedup();
    calls
}

/// Builds the policy from the method table and the allow-lists.
pub fn mesh_policy() -> Result<MeshPolicy, PolicyError> {
    let mut services = BTreeMap::new();
    for service in WORKLOADS {
        let Some(allowed) = service.allowed_callers else {
            continue;
        };
        let mut callers = allowed.to_vec();
        callers.sort_unstable();
        // An allowed caller that is no workload of the mesh (the operator)
        // has no call plan: the capability it presents decides what it
        // calls, so the mesh lets it reach every method.
        let planless: Vec<&'static str> = callers
            .iter()
            .copied()
            .filter(|caller| WORKLOADS.iter().all(|w| w.name != *caller))
            .collect();
        let methods = methods_of(service.grpc)
            .map(|m| (m.path, planless.clone()))
            .collect();
        services.insert(
            service.name,
            ServicePolicy {
                grpc_service: service.grpc,
                callers,
                methods,
            },
        );
    }
    for caller in WORKLOADS {
        for method in calls_of(caller) {
            let (name, policy) = services
                .iter_mut()
                .find(|(_, policy)| policy.methods.contains_key(method))
                .ok_or(PolicyError::UnknownMethod {
                    caller: caller.name,
                    method,
                })?;
            if !policy.callers.contains(&caller.name) {
                return Err(PolicyError::NotAllowed {
                    caller: caller.name,
                    method,
                    service: name,
                });
            }
            if let Some(callers) = policy.methods.get_mut(method) {
                callers.push(caller.name);
                callers.sort_unstable();
            }
        }
    }
    Ok(MeshPolicy {
        open_path_prefixes: mesh_core::guard::OPEN_PREFIXES,
        services,
    })
}

/// A YAML scalar: a JSON string is a valid YAML double-quoted one.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn list(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|item| quoted(item)).collect();
    format!("[{}]", items.join(", "))
}

impl MeshPolicy {
    /// Renders the policy as the chart's `files/policy.yaml`.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from(
            "# Generated by `mesh policy` from the method table, the call plans and the\n\
             # services' allow-lists (mesh/cli/src/policy.rs). Do not edit: run\n\
             #   cargo run -p mesh -- policy > helm/forecast-mesh/files/policy.yaml\n\
             # A test fails when this file differs from what the table says.\n",
        );
        // Writing to a String cannot fail.
        let _ = writeln!(out, "openPathPrefixes:");
        for prefix in self.open_path_prefixes {
            let _ = writeln!(out, "  - {}", quoted(prefix));
        }
        let _ = writeln!(out, "services:");
        for (name, policy) in &self.services {
            let _ = writeln!(out, "  {name}:");
            let _ = writeln!(out, "    grpcService: {}", quoted(policy.grpc_service));
            let _ = writeln!(out, "    callers: {}", list(&policy.callers));
            let _ = writeln!(out, "    methods:");
            for (method, callers) in &policy.methods {
                let _ = writeln!(out, "      {}: {}", quoted(method), list(callers));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::methods::{forecaster_service, gateway_service, store_service, warehouse_service};

    const COMMITTED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../helm/forecast-mesh/files/policy.yaml"
    );

    #[test]
    fn the_charts_policy_file_is_what_the_table_says() -> anyhow::Result<()> {
        let committed = std::fs::read_to_string(COMMITTED)?;
        let generated = mesh_policy()?.to_yaml();
        assert!(
            committed == generated,
            "helm/forecast-mesh/files/policy.yaml is stale: run \
             `cargo run -p mesh -- policy > helm/forecast-mesh/files/policy.yaml`\n\
             generated:\n{generated}"
        );
        Ok(())
    }

    #[test]
    fn every_internal_method_is_listed_and_the_gateway_is_not() -> anyhow::Result<()> {
        let policy = mesh_policy()?;
        assert!(!policy.services.contains_key("gateway"));
        for method in methods::ALL
            .iter()
            .filter(|m| m.service != gateway_service::SERVICE)
        {
            assert!(
                policy
                    .services
                    .values()
                    .any(|s| s.methods.contains_key(method.path)),
                "{}",
                method.path
            );
        }
        Ok(())
    }

    #[test]
    fn callers_reach_only_what_their_plans_name() -> anyhow::Result<()> {
        let policy = mesh_policy()?;
        let warehouse = &policy.services["warehouse"];
        assert_eq!(warehouse.callers, ["forecaster", "gateway", "operator"]);
        // The gateway reads KPIs itself; the forecaster never does.
        assert_eq!(
            warehouse.methods[warehouse_service::GET_KPIS],
            ["gateway", "operator"]
        );
        // Stock levels are read by the forecaster's recommendations only.
        assert_eq!(
            warehouse.methods[warehouse_service::GET_STOCK_LEVELS],
            ["forecaster", "operator"]
        );
        // The gateway's audit writes are its own calls, beside the plans.
        let store = &policy.services["store"];
        assert_eq!(
            store.methods[store_service::APPEND_AUDIT_ENTRIES],
            ["gateway", "operator"]
        );
        assert_eq!(
            store.methods[store_service::APPEND_FORECAST_RUN],
            ["forecaster", "operator"]
        );
        // Nobody but an operator calls the single-entry append.
        assert_eq!(
            store.methods[store_service::APPEND_AUDIT_ENTRY],
            ["operator"]
        );
        let forecaster = &policy.services["forecaster"];
        assert_eq!(forecaster.callers, ["gateway", "operator"]);
        assert_eq!(
            forecaster.methods[forecaster_service::FORECAST_REVENUE],
            ["gateway", "operator"]
        );
        Ok(())
    }

    #[test]
    fn the_yaml_names_every_method_once() -> anyhow::Result<()> {
        let yaml = mesh_policy()?.to_yaml();
        for method in methods::ALL
            .iter()
            .filter(|m| m.service != gateway_service::SERVICE)
        {
            assert_eq!(
                yaml.matches(&format!("\"{}\":", method.path)).count(),
                1,
                "{}",
                method.path
            );
        }
        assert!(yaml.contains("\"/grpc.health.v1.Health/\""));
        Ok(())
    }
}
