//! Dials mTLS connections for tonic channels, presenting the workload's
//! current certificate and checking the server's against the mesh CA.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::Uri;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, client::TlsStream};

use super::MeshTls;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A tower service from a URI to an mTLS connection, for
/// `Endpoint::connect_with_connector`.
#[derive(Clone, Debug)]
pub struct MtlsConnector {
    tls: Arc<MeshTls>,
    server_name: Option<String>,
}

impl MtlsConnector {
    /// Returns a connector that checks the server's certificate against the
    /// host of the URI it dials.
    pub fn new(tls: Arc<MeshTls>) -> Self {
        Self {
            tls,
            server_name: None,
        }
    }

    /// Returns a connector that checks the server's certificate against
    /// `name` whatever the URI's host: one replica's address is dialed, the
    /// service's name is verified.
    pub fn with_server_name(self, name: impl Into<String>) -> Self {
        Self {
            server_name: Some(name.into()),
            ..self
        }
    }
}

impl tower::Service<Uri> for MtlsConnector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let config = self.tls.client_config();
        let server_name = self.server_name.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or("uri has no host")?
                .trim_matches(['[', ']'])
                .to_owned();
            let port = uri.port_u16().unwrap_or(443);
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            tcp.set_nodelay(true)?;
            let name = ServerName::try_from(server_name.unwrap_or(host))?;
            let stream = TlsConnector::from(config).connect(name, tcp).await?;
            Ok(TokioIo::new(stream))
        })
    }
}
