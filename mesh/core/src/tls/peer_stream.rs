//! An accepted mTLS connection that knows its peer: the client certificate's
//! SPIFFE id is read once, at the handshake, and every request on the
//! connection carries it in its extensions (as [`PeerInfo`]) instead of
//! parsing the certificate again per request.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::server::TlsStream;
use tonic::transport::server::Connected;

use crate::identity::SpiffeId;

/// What the transport knows about the peer of a connection.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    pub remote: Option<SocketAddr>,
    /// The SPIFFE id of the client certificate, if it had one.
    pub spiffe_id: Option<SpiffeId>,
}

/// An established mTLS connection and its peer.
#[derive(Debug)]
pub struct PeerStream {
    inner: TlsStream<TcpStream>,
    peer: PeerInfo,
}

impl PeerStream {
    pub(crate) fn new(inner: TlsStream<TcpStream>) -> Self {
        let (tcp, session) = inner.get_ref();
        let spiffe_id = session
            .peer_certificates()
            .and_then(|certs| certs.first())
            .and_then(|cert| SpiffeId::from_certificate(cert).ok());
        let peer = PeerInfo {
            remote: tcp.peer_addr().ok(),
            spiffe_id,
        };
        Self { inner, peer }
    }
}

impl Connected for PeerStream {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        self.peer.clone()
    }
}

// The wrapper only forwards I/O: `TlsStream<TcpStream>` is `Unpin`.
impl AsyncRead for PeerStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for PeerStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
