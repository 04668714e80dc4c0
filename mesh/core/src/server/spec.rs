//! What a service is and who may call it.

use crate::{
    capability::{CapabilityVerifier, MethodRights},
    identity::SpiffeId,
};

/// One service of the mesh.
#[derive(Debug)]
pub struct ServiceSpec {
    /// The name capabilities and SPIFFE ids use, e.g. `warehouse`.
    pub name: &'static str,
    /// The full protobuf service name, for health and reflection, e.g.
    /// `forecastmesh.warehouse.v1.WarehouseService`.
    pub grpc_service: &'static str,
    pub access: Access,
}

/// Who may call a service.
#[derive(Debug)]
pub enum Access {
    /// An internal service: only these workloads, and each call only with a
    /// capability granting the right `rights` names for its method.
    Capabilities {
        allowed_callers: Vec<SpiffeId>,
        rights: MethodRights,
        verifier: CapabilityVerifier,
    },
    /// The edge: anyone may connect; the service's own layers authenticate.
    Public,
}
