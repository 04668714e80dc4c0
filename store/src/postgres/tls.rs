//! TLS to the database, verifying its certificate against configured roots.

use std::{path::Path, sync::Arc};

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, pem::PemObject};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::StoreError;

/// Returns a connector trusting the PEM certificates in `ca_file`.
pub(super) fn verifying(ca_file: &Path) -> Result<MakeRustlsConnect, StoreError> {
    let invalid = |reason: String| {
        StoreError::InvalidArgument(format!("database ca file {}: {reason}", ca_file.display()))
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file).map_err(|e| invalid(e.to_string()))? {
        roots
            .add(cert.map_err(|e| invalid(e.to_string()))?)
            .map_err(|e| invalid(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(invalid("holds no certificate".into()));
    }
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
