//! The sockets a service serves on, bound before it runs so tests can pass
//! `127.0.0.1:0` and read the ports.

use tokio::net::TcpListener;

/// The listeners of one service.
#[derive(Debug)]
pub struct Listeners {
    /// The service's port: mTLS gRPC, or the gateway's public port.
    pub grpc: TcpListener,
    /// Plaintext, `grpc.health.v1` only.
    pub health: TcpListener,
    /// Plaintext HTTP for operators' tools (readiness; metrics later), when enabled.
    pub admin: Option<TcpListener>,
}
