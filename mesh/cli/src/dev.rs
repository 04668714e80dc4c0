//! The development state `mesh up` makes on first run and reuses after:
//! a CA and workload certificates, the capability root key, and a dev OIDC
//! issuer with its JWKS. Everything lives under one directory (`.mesh/`).

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::Context;
use gateway::oidc::dev_issuer::DevIssuer;
use mesh_core::{capability::RootKey, certs, tls::TlsFiles};
use secrecy::{ExposeSecret, SecretString};

/// Every workload that gets a certificate; `operator` is for grpcurl.
pub const WORKLOADS: &[&str] = &["gateway", "warehouse", "forecaster", "store", "operator"];
pub const TRUST_DOMAIN: &str = "forecast-mesh.local";
pub const NAMESPACE: &str = "default";
const ROOT_KEY_ID: u32 = 1;

/// The dev state, loaded.
#[derive(Debug)]
pub struct DevState {
    pub dir: PathBuf,
    pub root_key: RootKey,
    pub issuer: DevIssuer,
}

impl DevState {
    /// Loads the state under `dir`, making whatever is missing.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let certs_dir = dir.join("certs");
        if certs::issue_all(&certs_dir, TRUST_DOMAIN, NAMESPACE, WORKLOADS)? {
            tracing::info!(dir = %certs_dir.display(), "issued dev certificates");
        }
        let key_path = dir.join("capability-root.key");
        let root_key = match fs::read_to_string(&key_path) {
            Ok(hex) => RootKey::from_hex(ROOT_KEY_ID, &SecretString::from(hex))?,
            Err(_) => {
                let key = RootKey::generate(ROOT_KEY_ID);
                write_secret(&key_path, key.private_hex().expose_secret())?;
                key
            }
        };
        let issuer = DevIssuer::load_or_generate(&dir.join("oidc"))?;
        Ok(Self {
            dir: dir.to_owned(),
            root_key,
            issuer,
        })
    }

    pub fn certs_dir(&self) -> PathBuf {
        self.dir.join("certs")
    }

    pub fn tls_files(&self, workload: &str) -> TlsFiles {
        certs::files_in(&self.certs_dir(), workload)
    }

    pub fn jwks_path(&self) -> PathBuf {
        self.dir.join("oidc").join("jwks.json")
    }
}

/// Writes a secret readable by its owner only.
fn write_secret(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    mesh_core::certs::write_private(path, contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
