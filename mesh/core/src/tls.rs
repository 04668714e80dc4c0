//! Mutual TLS for every internal hop.
//!
//! - [`material`]: loads a CA, certificate and key from PEM files into rustls configs.
//! - [`reload`]: keeps the configs current as the files rotate on disk.
//! - [`acceptor`]: turns a TCP listener into a stream of mTLS connections for tonic.
//! - [`peer_stream`]: an accepted connection that read its peer's SPIFFE id once.
//! - [`connector`]: dials an mTLS connection for a tonic channel.

mod acceptor;
mod connector;
mod material;
mod peer_stream;
mod reload;

use std::path::PathBuf;

pub use acceptor::incoming;
pub use connector::MtlsConnector;
pub use material::TlsError;
pub use peer_stream::{PeerInfo, PeerStream};
pub use reload::MeshTls;

/// Where a workload's TLS material lives: the mesh CA it trusts, and its own
/// certificate chain and private key, all PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}
