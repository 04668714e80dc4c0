//! How a workload's hops are secured: by itself (mTLS with its own
//! certificate, [`Link::Native`]), or by its pod's proxy ([`Link::Sidecar`]:
//! plaintext h2 to the proxy both ways). One value decides both the server's
//! transport and the clients' channels.

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;

use crate::{server::Transport, sidecar::Sidecar, tls::MeshTls};

/// A workload's way of securing its hops.
#[derive(Clone, Debug)]
pub enum Link {
    /// Native mTLS: the material serves and dials, reloading from disk.
    Native(Arc<MeshTls>),
    /// Mesh mode: the proxy beside the service does the mTLS.
    Sidecar(Sidecar),
}

impl From<Arc<MeshTls>> for Link {
    fn from(tls: Arc<MeshTls>) -> Self {
        Self::Native(tls)
    }
}

impl Link {
    /// Returns the server transport, checking for rotated material every
    /// `reload` in native mode.
    pub fn server_transport(&self, reload: Duration) -> Transport {
        match self {
            Self::Native(tls) => Transport::Mtls {
                tls: tls.clone(),
                reload,
            },
            Self::Sidecar(sidecar) => Transport::Sidecar(sidecar.clone()),
        }
    }

    /// Keeps the material current until `shutdown`, for a workload that only
    /// dials with it (a server over [`Transport::Mtls`] already does). In
    /// mesh mode the proxy holds the certificates: nothing to do.
    pub fn watch(&self, period: Duration, shutdown: CancellationToken) {
        if let Self::Native(tls) = self {
            tls.watch(period, shutdown);
        }
    }
}
