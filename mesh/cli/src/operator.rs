//! Operators calling internal methods directly with grpcurl: a short-lived
//! capability for the `operator` workload, minted from the local dev root key
//! and confined to one method of one service. A dev tool: in production the
//! root key never leaves the gateway.
//!
//! - [`targets`]: the internal services, their methods and the right each needs.

pub mod targets;

use std::time::{Duration, SystemTime};

use mesh_core::{
    capability::{
        Capability, CapabilityError, CapabilityMinter, Hop, KeyError, Right, RootKey, narrow,
    },
    identity::SpiffeId,
};

use crate::dev::{NAMESPACE, TRUST_DOMAIN};
pub use targets::{INTERNAL_SERVICES, Target, resolve};

/// The workload operators' certificates name.
pub const OPERATOR: &str = "operator";
/// How long an operator's capability lives unless asked otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The longest an operator's capability may live.
pub const MAX_TTL: Duration = Duration::from_secs(3600);

/// Why no capability was minted.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("unknown service {given:?}: the internal services are {}", known.join(", "))]
    UnknownService {
        given: String,
        known: Vec<&'static str>,
    },
    #[error("unknown method {given:?} on {service}: its methods are {}", known.join(", "))]
    UnknownMethod {
        service: &'static str,
        given: String,
        known: Vec<String>,
    },
    #[error("{method} needs no capability: call it with the operator's certificate alone")]
    NeedsNoCapability { method: &'static str },
    #[error("ttl must be between 1 and {} seconds", MAX_TTL.as_secs())]
    Ttl,
    #[error("the root key could not be copied: {0}")]
    Key(#[from] KeyError),
    #[error(transparent)]
    Capability(#[from] CapabilityError),
}

/// Returns the operator's SPIFFE id in the dev mesh.
pub fn operator_id() -> SpiffeId {
    SpiffeId::workload(TRUST_DOMAIN, NAMESPACE, OPERATOR)
}

/// Returns the rights `target` needs: its own, and those of the calls its
/// service makes on the caller's behalf (its call plan), so a forecaster
/// method can read the warehouse and record its run.
pub fn rights_for(target: &Target) -> Vec<Right> {
    let mut rights = vec![target.right];
    for right in proto::policy::rights_for_call_tree(target.path) {
        if !rights.contains(&right) {
            rights.push(right);
        }
    }
    rights
}

/// Mints a capability for the operator workload to call `method` of
/// `service` directly, valid from `now` for `ttl`: an authority block with
/// the rights that method needs, and a block confining it to that service,
/// that method and the operator's SPIFFE id as caller.
pub fn capability(
    root: &RootKey,
    service: &str,
    method: &str,
    ttl: Duration,
    now: SystemTime,
) -> Result<(Target, Capability), OperatorError> {
    if ttl.is_zero() || ttl > MAX_TTL {
        return Err(OperatorError::Ttl);
    }
    let target = resolve(service, method)?;
    let rights = rights_for(&target);
    // The minter takes its key by value; a copy keeps the caller's.
    let key = RootKey::from_hex(root.key_id(), &root.private_hex())?;
    let operator = operator_id();
    let minted = CapabilityMinter::new(key, ttl).mint(operator.as_str(), &rights, now)?;
    let callee = SpiffeId::workload(TRUST_DOMAIN, NAMESPACE, target.service);
    let hop = Hop {
        caller: &operator,
        callee: &callee,
        service: target.service,
        method: target.path,
        ttl,
        delegated: proto::policy::call_plan(target.path).unwrap_or_default(),
    };
    let narrowed = narrow(&minted, &hop, now)?;
    Ok((target, narrowed))
}

#[cfg(test)]
mod tests {
    use mesh_core::capability::rights;

    use super::*;

    #[test]
    fn a_capability_holds_exactly_the_right_its_method_needs() -> anyhow::Result<()> {
        let root = RootKey::generate(1);
        let (target, capability) = capability(
            &root,
            "warehouse",
            "GetKpis",
            DEFAULT_TTL,
            SystemTime::now(),
        )?;
        assert_eq!(
            target.grpcurl_method(),
            "forecastmesh.warehouse.v1.WarehouseService/GetKpis"
        );
        let token = capability.token();
        assert_eq!(token.block_count(), 2);
        let authority = token.print_block_source(0)?;
        assert!(
            authority.contains(r#"right("warehouse", "read")"#),
            "{authority}"
        );
        assert_eq!(authority.matches("right(").count(), 1, "{authority}");
        let narrowing = token.print_block_source(1)?;
        for fact in [
            r#"service("warehouse")"#,
            r#"method("/forecastmesh.warehouse.v1.WarehouseService/GetKpis")"#,
            r#"caller("spiffe://forecast-mesh.local/ns/default/sa/operator")"#,
        ] {
            assert!(narrowing.contains(fact), "{fact} in {narrowing}");
        }
        Ok(())
    }

    #[test]
    fn forecaster_methods_carry_the_rights_of_their_call_plan() -> anyhow::Result<()> {
        let target = resolve("forecaster", "ForecastRevenue")?;
        assert_eq!(
            rights_for(&target),
            vec![
                rights::FORECASTER_RUN,
                rights::STORE_WRITE,
                rights::WAREHOUSE_READ
            ]
        );
        let target = resolve("store", "ListAuditEntries")?;
        assert_eq!(rights_for(&target), vec![rights::STORE_READ]);
        Ok(())
    }

    #[test]
    fn lifetimes_are_bounded() {
        let root = RootKey::generate(1);
        for ttl in [Duration::ZERO, MAX_TTL + Duration::from_secs(1)] {
            let refused = capability(&root, "warehouse", "GetKpis", ttl, SystemTime::now());
            assert!(matches!(refused, Err(OperatorError::Ttl)), "{ttl:?}");
        }
    }
}
