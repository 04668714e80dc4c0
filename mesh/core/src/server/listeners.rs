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

/// Accepts plaintext connections with Nagle's algorithm off, as the mTLS
/// acceptor does: a gRPC answer is several small writes (headers, message,
/// trailers), and with Nagle on each one after the first waits for the
/// client's delayed ACK, 40 ms on Linux. (tonic's own `tcp_nodelay` applies
/// only to listeners it binds itself.)
pub(crate) fn unbuffered(
    listener: TcpListener,
) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use futures::StreamExt;
    tokio_stream::wrappers::TcpListenerStream::new(listener).map(|accepted| {
        accepted.inspect(|tcp| {
            // Only a socket already closed refuses: its first read says so.
            let _ = tcp.set_nodelay(true);
        })
    })
}
