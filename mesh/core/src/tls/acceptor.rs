//! Accepts TCP connections and completes their mTLS handshakes concurrently,
//! handing tonic only connections whose client certificate chains to the
//! mesh CA.

use std::{sync::Arc, time::Duration};

use futures::Stream;
use tokio::{net::TcpListener, sync::mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use super::{MeshTls, PeerStream};

/// A handshake that has not finished by then is dropped, so a stalled client
/// cannot hold a task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Returns the stream of established mTLS connections on `listener`, each
/// handshake made with the configuration current when it was accepted.
pub fn incoming(
    listener: TcpListener,
    tls: Arc<MeshTls>,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<PeerStream, std::io::Error>> {
    let (sender, receiver) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = tokio::select! {
                _ = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = TlsAcceptor::from(tls.server_config());
            let sender = sender.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = sender.send(Ok(PeerStream::new(stream))).await;
                    }
                    Ok(Err(error)) => tracing::debug!(%peer, %error, "tls handshake refused"),
                    Err(_) => tracing::debug!(%peer, "tls handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(receiver)
}
