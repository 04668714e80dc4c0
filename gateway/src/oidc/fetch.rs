//! One HTTP GET of a JSON document (a discovery document or a JWKS) over
//! HTTP/1.1, with TLS verified against the system's roots for `https`.
//! Bounded: a deadline for the whole exchange and a cap on the body.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A JWKS or discovery document is a few kilobytes.
const MAX_BODY: usize = 1 << 20;

/// Why a document could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url} is not an http or https url")]
    Url { url: String },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url} is not the expected json: {source}")]
    Json {
        url: String,
        source: serde_json::Error,
    },
}

/// Fetches `url` and parses its body as `T`, within `timeout`.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    url: &str,
    timeout: Duration,
) -> Result<T, FetchError> {
    let body = tokio::time::timeout(timeout, get(url))
        .await
        .map_err(|_| FetchError::Timeout {
            url: url.into(),
            secs: timeout.as_secs(),
        })??;
    serde_json::from_slice(&body).map_err(|source| FetchError::Json {
        url: url.into(),
        source,
    })
}

async fn get(url: &str) -> Result<Bytes, FetchError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| FetchError::Url { url: url.into() })?;
    let transport = |reason: String| FetchError::Transport {
        url: url.into(),
        reason,
    };
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(FetchError::Url { url: url.into() }),
    };
    let host = uri
        .host()
        .ok_or_else(|| FetchError::Url { url: url.into() })?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| transport(e.to_string()))?;
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_else(|| host.clone());
    let request = Request::get(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(header::HOST, authority)
        .header(header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())
        .map_err(|e| transport(e.to_string()))?;
    let response = if https {
        let tls = tokio_rustls::TlsConnector::from(client_config()?)
            .connect(
                rustls_pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| transport(e.to_string()))?,
                tcp,
            )
            .await
            .map_err(|e| transport(e.to_string()))?;
        send(TokioIo::new(tls), request).await
    } else {
        send(TokioIo::new(tcp), request).await
    }
    .map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            url: url.into(),
            status: status.as_u16(),
        });
    }
    Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|e| transport(e.to_string()))
}

async fn send<I>(
    io: I,
    request: Request<Empty<Bytes>>,
) -> Result<http::Response<hyper::body::Incoming>, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "jwks connection ended");
        }
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())
}

fn client_config() -> Result<Arc<rustls::ClientConfig>, FetchError> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the store cannot parse is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Transport {
            url: "tls".into(),
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
