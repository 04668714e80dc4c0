//! A development certificate authority: issues the mesh CA and one certificate
//! per workload, each with a SPIFFE URI SAN. Production clusters get theirs
//! from cert-manager or SPIRE; `mesh certs` and the tests use this.

use std::{fs, net::IpAddr, path::Path};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use crate::{identity::SpiffeId, tls::TlsFiles};

/// Why a certificate could not be issued or written.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("could not write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("could not read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// A PEM certificate and its PEM private key.
#[derive(Clone, Debug)]
pub struct PemPair {
    pub cert: String,
    pub key: String,
}

/// A certificate authority able to sign workload certificates.
#[derive(Debug)]
pub struct DevCa {
    issuer: Issuer<'static, KeyPair>,
    pem: PemPair,
}

impl DevCa {
    /// Generates a new CA named `common_name`.
    pub fn generate(common_name: &str) -> Result<Self, CertError> {
        let key = KeyPair::generate()?;
        let params = ca_params(common_name);
        let cert = params.self_signed(&key)?;
        let pem = PemPair {
            cert: cert.pem(),
            key: key.serialize_pem(),
        };
        Ok(Self {
            issuer: Issuer::new(params, key),
            pem,
        })
    }

    /// Loads a CA written by [`DevCa::write`] under `dir`.
    pub fn load(dir: &Path, common_name: &str) -> Result<Self, CertError> {
        let cert = read(&dir.join("ca.pem"))?;
        let key_pem = read(&dir.join("ca.key.pem"))?;
        let key = KeyPair::from_pem(&key_pem)?;
        // Signing needs only the CA's name and key, so the parameters are rebuilt
        // rather than parsed back out of the certificate.
        let issuer = Issuer::new(ca_params(common_name), key);
        Ok(Self {
            issuer,
            pem: PemPair { cert, key: key_pem },
        })
    }

    /// Returns the CA certificate and key.
    pub fn pem(&self) -> &PemPair {
        &self.pem
    }

    /// Issues a server-and-client certificate for `id`, valid for `dns_names`,
    /// `localhost` and 127.0.0.1.
    pub fn issue(&self, id: &SpiffeId, dns_names: &[&str]) -> Result<PemPair, CertError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, id.service());
        let mut sans = vec![
            SanType::URI(id.as_str().try_into()?),
            SanType::DnsName("localhost".try_into()?),
            SanType::IpAddress(IpAddr::from([127, 0, 0, 1])),
        ];
        for name in dns_names {
            sans.push(SanType::DnsName((*name).try_into()?));
        }
        params.subject_alt_names = sans;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = rcgen::date_time_ymd(2035, 1, 1);
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(PemPair {
            cert: cert.pem(),
            key: key.serialize_pem(),
        })
    }

    /// Writes `ca.pem` and `ca.key.pem` under `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), CertError> {
        fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
        write(&dir.join("ca.pem"), &self.pem.cert)?;
        write_private(&dir.join("ca.key.pem"), self.pem.key.as_bytes())
            .map_err(|source| write_error(&dir.join("ca.key.pem"), source))
    }
}

impl PemPair {
    /// Writes the pair where `files` says, atomically per file.
    pub fn write(&self, files: &TlsFiles) -> Result<(), CertError> {
        if let Some(dir) = files.cert.parent() {
            fs::create_dir_all(dir).map_err(|source| write_error(dir, source))?;
        }
        write(&files.cert, &self.cert)?;
        write_private(&files.key, self.key.as_bytes())
            .map_err(|source| write_error(&files.key, source))
    }
}

/// Returns the TLS files of `service` in a directory laid out by [`issue_all`].
pub fn files_in(dir: &Path, service: &str) -> TlsFiles {
    TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join(format!("{service}.pem")),
        key: dir.join(format!("{service}.key.pem")),
    }
}

/// Issues a CA and a certificate for each of `services` under `dir`, unless
/// the CA is already there. Returns whether anything was issued.
pub fn issue_all(
    dir: &Path,
    trust_domain: &str,
    namespace: &str,
    services: &[&str],
) -> Result<bool, CertError> {
    if dir.join("ca.pem").exists() {
        return Ok(false);
    }
    let ca = DevCa::generate(&dev_ca_name(trust_domain))?;
    for service in services {
        let id = SpiffeId::workload(trust_domain, namespace, service);
        ca.issue(&id, &[service])?.write(&files_in(dir, service))?;
    }
    // The CA goes last so that a run interrupted half-way issues everything anew.
    ca.write(dir)?;
    Ok(true)
}

/// Returns the common name of the dev CA of `trust_domain`.
pub fn dev_ca_name(trust_domain: &str) -> String {
    format!("forecast-mesh dev CA ({trust_domain})")
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2035, 1, 1);
    params
}

fn read(path: &Path) -> Result<String, CertError> {
    fs::read_to_string(path).map_err(|source| CertError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write(path: &Path, contents: &str) -> Result<(), CertError> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, contents).map_err(|source| write_error(&tmp, source))?;
    fs::rename(&tmp, path).map_err(|source| write_error(path, source))
}

/// Writes a secret (a private key) readable by its owner only: created
/// with mode 0600 from the first byte, through a temporary file and a
/// rename, so that neither another user nor a reader of half a file ever
/// sees it.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

fn write_error(path: &Path, source: std::io::Error) -> CertError {
    CertError::Write {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }

    #[test]
    fn private_keys_are_owner_only_and_certificates_readable() -> Result<(), CertError> {
        let dir = tempfile::tempdir().map_err(|source| write_error(Path::new("tmp"), source))?;
        issue_all(dir.path(), "forecast-mesh.local", "test", &["warehouse"])?;
        let files = files_in(dir.path(), "warehouse");
        assert_eq!(mode(&files.key), 0o600, "workload key");
        assert_eq!(mode(&dir.path().join("ca.key.pem")), 0o600, "CA key");
        assert_eq!(
            mode(&files.cert) & 0o044,
            0o044,
            "certificates stay readable"
        );
        Ok(())
    }
}
