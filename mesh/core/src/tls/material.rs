//! Loads PEM files into rustls server and client configs.

use std::{fs, path::Path, sync::Arc};

use rustls::{
    ClientConfig, RootCertStore, ServerConfig, crypto::CryptoProvider,
    server::WebPkiClientVerifier, sign::CertifiedKey,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use super::TlsFiles;

/// Why TLS material could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} holds no usable pem: {reason}")]
    Pem { path: String, reason: String },
    #[error("tls configuration rejected: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client verifier could not be built: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// The rustls configs built from one consistent set of files.
#[derive(Debug)]
pub(crate) struct Material {
    pub(crate) server: Arc<ServerConfig>,
    pub(crate) client: Arc<ClientConfig>,
}

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Loads the files and builds both configs. Fails, rather than building a
/// config that would fail handshakes, when the key does not match the
/// certificate (as happens while a rotation has written one file of the pair).
pub(crate) fn load(files: &TlsFiles) -> Result<Material, TlsError> {
    let provider = provider();
    let roots = Arc::new(roots(&files.ca)?);
    let chain = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider)?;

    let verifier =
        WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone()).build()?;
    let mut server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain.clone(), key.clone_key())?;
    server.alpn_protocols = vec![b"h2".to_vec()];

    let mut client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    client.alpn_protocols = vec![b"h2".to_vec()];

    Ok(Material {
        server: Arc::new(server),
        client: Arc::new(client),
    })
}

fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots.add(cert)?;
    }
    Ok(roots)
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_error(path, "no certificate".into()));
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(&read(path)?).map_err(|e| pem_error(path, e.to_string()))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| TlsError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn pem_error(path: &Path, reason: String) -> TlsError {
    TlsError::Pem {
        path: path.display().to_string(),
        reason,
    }
}
