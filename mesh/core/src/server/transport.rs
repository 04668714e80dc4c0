//! How connections reach a service, and who vouches for the peer's identity.

use std::{sync::Arc, time::Duration};

use crate::{sidecar::Sidecar, tls::MeshTls};

/// The transport a service listens with.
#[derive(Debug)]
pub enum Transport {
    /// Mutual TLS with the mesh CA: the peer is the SPIFFE id of its client
    /// certificate. The material reloads from disk every `reload`.
    Mtls { tls: Arc<MeshTls>, reload: Duration },
    /// Plaintext h2 behind the pod's proxy, which did the mTLS: the peer is
    /// the identity the proxy's header names, believed only on connections
    /// the proxy made.
    Sidecar(Sidecar),
    /// Plaintext HTTP/1.1 and HTTP/2 for the public edge: no peer identity;
    /// TLS for browsers is the ingress's job.
    Public,
}

impl Transport {
    /// Returns where the peer's identity comes from.
    pub(crate) fn peer_source(&self) -> PeerSource {
        match self {
            Self::Mtls { .. } => PeerSource::Certificate,
            Self::Sidecar(sidecar) => PeerSource::Proxy(Arc::new(sidecar.clone())),
            Self::Public => PeerSource::Nobody,
        }
    }
}

/// Who vouches for the peer of a connection.
#[derive(Clone, Debug)]
pub(crate) enum PeerSource {
    /// The client certificate the mTLS handshake verified.
    Certificate,
    /// The local proxy's header.
    Proxy(Arc<Sidecar>),
    /// No one: the public edge authenticates for itself.
    Nobody,
}
