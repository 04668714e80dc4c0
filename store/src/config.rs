//! Store settings, from `STORE_*` environment variables.

use std::{collections::HashMap, path::PathBuf};

use mesh_core::config::{ConfigError, MeshSettings};
use serde::Deserialize;

/// Everything the store needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub mesh: MeshSettings,
    /// The embedded store's file; created on first start.
    pub data_path: PathBuf,
}

#[derive(Deserialize)]
struct Own {
    #[serde(default = "default_data_path")]
    data_path: PathBuf,
}

fn default_data_path() -> PathBuf {
    PathBuf::from(".mesh/store.sqlite")
}

impl Config {
    pub const PREFIX: &'static str = "STORE_";

    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let own: Own = envy::prefixed(Self::PREFIX).from_iter(env.clone())?;
        Ok(Self {
            mesh: MeshSettings::from_env(Self::PREFIX, env)?,
            data_path: own.data_path,
        })
    }
}
