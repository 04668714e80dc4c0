//! Forecaster settings, from `FORECASTER_*` environment variables.

use std::collections::HashMap;

use mesh_core::config::{ConfigError, MeshSettings, field_names, refuse_unknown};
use serde::Deserialize;

/// Everything the forecaster needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub mesh: MeshSettings,
    /// `host:port` of the warehouse's mTLS gRPC port.
    pub warehouse_address: String,
    /// `host:port` of the store's mTLS gRPC port.
    pub store_address: String,
}

#[derive(Deserialize)]
struct Own {
    #[serde(default = "default_warehouse")]
    warehouse_address: String,
    #[serde(default = "default_store")]
    store_address: String,
}

fn default_warehouse() -> String {
    "warehouse:50052".into()
}

fn default_store() -> String {
    "store:50054".into()
}

impl Config {
    pub const PREFIX: &'static str = "FORECASTER_";

    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        refuse_unknown(Self::PREFIX, env, field_names::<Own>())?;
        let own: Own = envy::prefixed(Self::PREFIX).from_iter(env.clone())?;
        Ok(Self {
            mesh: MeshSettings::from_env(Self::PREFIX, env)?,
            warehouse_address: own.warehouse_address,
            store_address: own.store_address,
        })
    }
}
