//! Workload identity: SPIFFE ids, and reading them from X.509 certificates.

use std::fmt;

use x509_parser::{certificate::X509Certificate, extensions::GeneralName, prelude::FromDer};

/// A SPIFFE id of the form `spiffe://<trust-domain>/ns/<namespace>/sa/<service>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpiffeId(String);

/// Why a string or a certificate gave no SPIFFE id.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("not a spiffe id: {0}")]
    NotSpiffe(String),
    #[error("certificate could not be parsed: {0}")]
    BadCertificate(String),
    #[error("certificate has no spiffe uri san")]
    NoSpiffeSan,
}

impl SpiffeId {
    /// Returns the id of `service` in `namespace` of `trust_domain`.
    pub fn workload(trust_domain: &str, namespace: &str, service: &str) -> Self {
        Self(format!(
            "spiffe://{trust_domain}/ns/{namespace}/sa/{service}"
        ))
    }

    /// Parses an id, checking only the scheme and that a trust domain is present.
    pub fn parse(id: &str) -> Result<Self, IdentityError> {
        match id.strip_prefix("spiffe://") {
            Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(Self(id.to_owned())),
            _ => Err(IdentityError::NotSpiffe(id.to_owned())),
        }
    }

    /// Reads the SPIFFE URI SAN of a DER-encoded certificate.
    pub fn from_certificate(der: &[u8]) -> Result<Self, IdentityError> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| IdentityError::BadCertificate(e.to_string()))?;
        let san = cert
            .subject_alternative_name()
            .map_err(|e| IdentityError::BadCertificate(e.to_string()))?
            .ok_or(IdentityError::NoSpiffeSan)?;
        san.value
            .general_names
            .iter()
            .find_map(|name| match name {
                GeneralName::URI(uri) => Self::parse(uri).ok(),
                _ => None,
            })
            .ok_or(IdentityError::NoSpiffeSan)
    }

    /// Returns the workload's service account: the last path segment.
    pub fn service(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identity of the peer on the other end of an mTLS connection, placed in
/// request extensions by the server's authorization layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerIdentity(pub SpiffeId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_ids_have_the_spiffe_shape() {
        let id = SpiffeId::workload("mesh.local", "default", "warehouse");
        assert_eq!(id.as_str(), "spiffe://mesh.local/ns/default/sa/warehouse");
        assert_eq!(id.service(), "warehouse");
    }

    #[test]
    fn parse_refuses_other_schemes() {
        assert!(SpiffeId::parse("https://mesh.local/x").is_err());
        assert!(SpiffeId::parse("spiffe://").is_err());
        assert!(SpiffeId::parse("spiffe://td/ns/a/sa/b").is_ok());
    }
}
