//! Linkerd's `l5d-client-id` header: the client's proxy identity,
//! `<service-account>.<namespace>.serviceaccount.identity.<control-plane-namespace>.<trust-domain>`,
//! which names the same workload as
//! `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`. A
//! workload with a SPIFFE identity of its own (mesh expansion) is sent as the
//! SPIFFE id itself.
//! <https://linkerd.io/2/reference/proxy-configuration/> (identity),
//! <https://linkerd.io/2/features/automatic-mtls/>

use crate::identity::SpiffeId;

use super::HeaderError;

pub(crate) const HEADER: &str = "l5d-client-id";

const MARK: &str = ".serviceaccount.identity.";

/// Returns the SPIFFE id of the workload `value` names.
pub(crate) fn client_id(value: &str) -> Result<SpiffeId, HeaderError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(HeaderError::Empty);
    }
    if value.starts_with("spiffe://") {
        return SpiffeId::parse(value).map_err(|e| HeaderError::Malformed(e.to_string()));
    }
    let malformed = || HeaderError::Malformed(format!("not a linkerd identity: {value:?}"));
    let (workload, control) = value.split_once(MARK).ok_or_else(malformed)?;
    // Namespaces are DNS labels (no dots); service account names may hold dots.
    let (account, namespace) = workload.rsplit_once('.').ok_or_else(malformed)?;
    let (_control_namespace, trust_domain) = control.split_once('.').ok_or_else(malformed)?;
    let label = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    if ![account, namespace, trust_domain].into_iter().all(label) {
        return Err(malformed());
    }
    Ok(SpiffeId::workload(trust_domain, namespace, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_proxy_identity_to_the_workloads_spiffe_id() -> Result<(), HeaderError> {
        let id = client_id("gateway.default.serviceaccount.identity.linkerd.cluster.local")?;
        assert_eq!(id.as_str(), "spiffe://cluster.local/ns/default/sa/gateway");
        let dotted = client_id("ci.runner.forecasts.serviceaccount.identity.linkerd.example.org")?;
        assert_eq!(
            dotted.as_str(),
            "spiffe://example.org/ns/forecasts/sa/ci.runner"
        );
        Ok(())
    }

    #[test]
    fn takes_a_spiffe_id_as_it_is() -> Result<(), HeaderError> {
        let id = client_id("spiffe://cluster.local/ns/default/sa/gateway")?;
        assert_eq!(id.service(), "gateway");
        Ok(())
    }

    #[test]
    fn refuses_other_names() {
        for value in [
            "",
            "gateway",
            "gateway.default.svc.cluster.local",
            "default.serviceaccount.identity.linkerd.cluster.local",
            "gateway.default.serviceaccount.identity.linkerd",
            "Gateway.default.serviceaccount.identity.linkerd.cluster.local",
            "gate/way.default.serviceaccount.identity.linkerd.cluster.local",
        ] {
            assert!(client_id(value).is_err(), "{value:?} was accepted");
        }
    }
}
