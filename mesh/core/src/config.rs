//! Settings every service shares. Each service reads them, and its own, from
//! environment variables with its own prefix (`WAREHOUSE_TLS_CERT`, ...).
//! Loaders take the environment as a map so tests never touch the process's.

use std::{collections::HashMap, path::PathBuf, sync::Arc, time::Duration};

use serde::Deserialize;

use crate::{
    capability::{CapabilityVerifier, KeyError, MethodRights, PublicKeySet},
    identity::SpiffeId,
    server::{Access, Server, ServiceSpec, Transport},
    tls::{MeshTls, TlsError, TlsFiles},
};

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid environment: {0}")]
    Env(#[from] envy::Error),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Identity, TLS and token settings shared by every service.
#[derive(Clone, Debug, Deserialize)]
pub struct MeshSettings {
    /// SPIFFE trust domain of the mesh.
    #[serde(default = "default_trust_domain")]
    pub trust_domain: String,
    /// Kubernetes namespace the workloads run in, part of their SPIFFE ids.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// PEM file of the mesh CA.
    pub tls_ca: PathBuf,
    /// PEM file of this workload's certificate chain.
    pub tls_cert: PathBuf,
    /// PEM file of this workload's private key.
    pub tls_key: PathBuf,
    /// How often the TLS files are checked for rotation, in seconds.
    #[serde(default = "default_reload_secs")]
    pub tls_reload_secs: u64,
    /// How often readiness (database, upstreams) is checked, in seconds.
    #[serde(default = "default_health_check_secs")]
    pub health_check_secs: u64,
    /// Root public keys accepted on capability tokens: `<id>:<hex>,...`.
    #[serde(default)]
    pub capability_public_keys: String,
}

impl MeshSettings {
    /// Reads the settings from `env` under `prefix` (e.g. `WAREHOUSE_`).
    pub fn from_env(prefix: &str, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(envy::prefixed(prefix).from_iter(env.clone())?)
    }

    pub fn tls_files(&self) -> TlsFiles {
        TlsFiles {
            ca: self.tls_ca.clone(),
            cert: self.tls_cert.clone(),
            key: self.tls_key.clone(),
        }
    }

    /// Loads the TLS material, failing when it does not make a usable pair.
    pub fn load_tls(&self) -> Result<Arc<MeshTls>, ConfigError> {
        Ok(MeshTls::load(self.tls_files())?)
    }

    pub fn health_period(&self) -> Duration {
        Duration::from_secs(self.health_check_secs.max(1))
    }

    pub fn tls_reload_period(&self) -> Duration {
        Duration::from_secs(self.tls_reload_secs.max(1))
    }

    /// Builds the capability verifier; an empty key set is a configuration error.
    pub fn verifier(&self) -> Result<CapabilityVerifier, ConfigError> {
        let keys = PublicKeySet::parse(&self.capability_public_keys)?;
        if self.capability_public_keys.trim().is_empty() {
            return Err(ConfigError::Invalid {
                name: "CAPABILITY_PUBLIC_KEYS",
                reason: "no root public key: every call would be refused".into(),
            });
        }
        Ok(CapabilityVerifier::new(keys))
    }

    /// Returns the SPIFFE id of `service` in this mesh.
    pub fn id_of(&self, service: &str) -> SpiffeId {
        SpiffeId::workload(&self.trust_domain, &self.namespace, service)
    }
}

impl MeshSettings {
    /// Builds the server of internal service `name`: mTLS with `tls` (which
    /// the server keeps reloading; the service's clients may share it), only
    /// `allowed_callers` (service names) get in, each call with a capability
    /// granting the right `rights` names for its method.
    pub fn internal_server(
        &self,
        name: &'static str,
        grpc_service: &'static str,
        allowed_callers: &[&str],
        rights: MethodRights,
        tls: Arc<MeshTls>,
    ) -> Result<Server, ConfigError> {
        let spec = ServiceSpec {
            name,
            grpc_service,
            access: Access::Capabilities {
                allowed_callers: allowed_callers
                    .iter()
                    .map(|caller| self.id_of(caller))
                    .collect(),
                rights,
                verifier: self.verifier()?,
            },
        };
        let transport = Transport::Mtls {
            tls,
            reload: self.tls_reload_period(),
        };
        Ok(Server::new(spec, transport))
    }
}

fn default_trust_domain() -> String {
    "forecast-mesh.local".into()
}

fn default_namespace() -> String {
    "default".into()
}

fn default_health_check_secs() -> u64 {
    5
}

fn default_reload_secs() -> u64 {
    5
}
