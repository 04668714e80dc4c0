//! The internal methods an operator may be given a capability for: each
//! internal service, its methods (read from the embedded descriptor set) and
//! the right each method needs (from the service's own policy function).

use mesh_core::capability::Right;
use proto::methods;

use super::OperatorError;

/// An internal service an operator can call directly.
#[derive(Clone, Copy, Debug)]
pub struct InternalService {
    /// The service name its authorizer states, and its workload name.
    pub name: &'static str,
    /// The gRPC service, `package.Service`.
    pub grpc: &'static str,
}

/// Every internal service; the gateway is not one (it takes bearer tokens).
pub const INTERNAL_SERVICES: &[InternalService] = &[
    InternalService {
        name: "warehouse",
        grpc: methods::warehouse_service::SERVICE,
    },
    InternalService {
        name: "forecaster",
        grpc: methods::forecaster_service::SERVICE,
    },
    InternalService {
        name: "store",
        grpc: methods::store_service::SERVICE,
    },
];

/// One method of an internal service, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The service name, e.g. `warehouse`.
    pub service: &'static str,
    /// The full method name as it appears in the HTTP/2 `:path`, with its
    /// leading slash: `/forecastmesh.warehouse.v1.WarehouseService/GetKpis`.
    pub path: &'static str,
    /// The right the method needs, from the mesh's policy.
    pub right: Right,
}

impl Target {
    /// Returns the method as grpcurl takes it: `package.Service/Method`.
    pub fn grpcurl_method(&self) -> &str {
        self.path.trim_start_matches('/')
    }
}

/// Returns the internal service named `name`.
pub fn service(name: &str) -> Result<&'static InternalService, OperatorError> {
    INTERNAL_SERVICES
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| OperatorError::UnknownService {
            given: name.to_owned(),
            known: INTERNAL_SERVICES.iter().map(|s| s.name).collect(),
        })
}

/// Returns `service`'s methods from the generated method table, in contract order.
pub fn methods(service: &InternalService) -> Vec<&'static methods::Method> {
    methods::ALL
        .iter()
        .filter(|method| method.service == service.grpc)
        .collect()
}

/// Resolves `method` on the service named `service`. The method is a short
/// name (`GetKpis`) or a full one, with or without its leading slash
/// (`forecastmesh.warehouse.v1.WarehouseService/GetKpis`).
pub fn resolve(service_name: &str, method: &str) -> Result<Target, OperatorError> {
    let service = service(service_name)?;
    let known = methods(service);
    let trimmed = method.trim().trim_start_matches('/');
    let short = match trimmed.split_once('/') {
        Some((grpc, short)) if grpc == service.grpc => Some(short),
        Some(_) => None,
        None => Some(trimmed),
    };
    let unknown = || OperatorError::UnknownMethod {
        service: service.name,
        given: method.to_owned(),
        known: known.iter().map(|m| m.name.to_owned()).collect(),
    };
    let found = short
        .and_then(|short| known.iter().find(|m| m.name == short))
        .ok_or_else(unknown)?;
    if proto::policy::needs_identity_only(found.path) {
        return Err(OperatorError::NeedsNoCapability { method: found.path });
    }
    let right = proto::policy::required_right(found.path).ok_or_else(unknown)?;
    Ok(Target {
        service: service.name,
        path: found.path,
        right,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_full_names_resolve_to_the_same_method() -> anyhow::Result<()> {
        let short = resolve("warehouse", "GetKpis")?;
        assert_eq!(
            short.path,
            "/forecastmesh.warehouse.v1.WarehouseService/GetKpis"
        );
        assert_eq!(short.right.operation, "read");
        assert_eq!(
            resolve(
                "warehouse",
                "forecastmesh.warehouse.v1.WarehouseService/GetKpis"
            )?,
            short
        );
        assert_eq!(
            resolve(
                "warehouse",
                "/forecastmesh.warehouse.v1.WarehouseService/GetKpis"
            )?,
            short
        );
        assert_eq!(resolve("warehouse", "RunQuery")?.right.operation, "query");
        assert_eq!(
            resolve("store", "AppendAuditEntry")?.right.operation,
            "write"
        );
        assert_eq!(
            resolve("forecaster", "ForecastRevenue")?.right.operation,
            "run"
        );
        Ok(())
    }

    #[test]
    fn unknown_services_and_methods_list_the_valid_ones() {
        let error = resolve("gateway", "GetKpis").expect_err("gateway is not internal");
        let text = error.to_string();
        assert!(text.contains("warehouse, forecaster, store"), "{text}");

        let error = resolve("warehouse", "DropTables").expect_err("no such method");
        let text = error.to_string();
        assert!(
            text.contains("GetKpis") && text.contains("RunQuery"),
            "{text}"
        );

        // A method of another service, named in full, is not this service's.
        let error = resolve(
            "store",
            "forecastmesh.warehouse.v1.WarehouseService/GetKpis",
        )
        .expect_err("wrong service");
        assert!(error.to_string().contains("ListAuditEntries"), "{error}");
    }

    #[test]
    fn every_method_of_every_internal_service_needs_a_right_or_no_capability() -> anyhow::Result<()>
    {
        for service in INTERNAL_SERVICES {
            let methods = methods(service);
            assert!(!methods.is_empty(), "{}", service.name);
            for method in methods {
                match resolve(service.name, method.name) {
                    Err(OperatorError::NeedsNoCapability { .. }) => {
                        assert!(proto::policy::needs_identity_only(method.path))
                    }
                    resolved => {
                        resolved?;
                    }
                }
            }
        }
        let error = resolve("store", "ListRevocations").expect_err("no capability needed");
        assert!(error.to_string().contains("certificate alone"), "{error}");
        Ok(())
    }
}
