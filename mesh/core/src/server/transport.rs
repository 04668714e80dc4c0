//! How connections reach a service, and who vouches for the peer's identity.

use std::{sync::Arc, time::Duration};

use crate::tls::MeshTls;

/// The transport a service listens with.
#[derive(Debug)]
pub enum Transport {
    /// Mutual TLS with the mesh CA: the peer is the SPIFFE id of its client
    /// certificate. The material reloads from disk every `reload`.
    Mtls { tls: Arc<MeshTls>, reload: Duration },
    /// Plaintext HTTP/1.1 and HTTP/2 for the public edge: no peer identity;
    /// TLS for browsers is the ingress's job.
    Public,
}

impl Transport {
    /// True when connections carry a peer identity the transport verified.
    pub fn vouches_for_peers(&self) -> bool {
        matches!(self, Self::Mtls { .. })
    }
}
