//! Store settings, from `STORE_*` environment variables.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use mesh_core::config::{ConfigError, MeshSettings};
use secrecy::SecretString;
use serde::Deserialize;

use crate::postgres::PostgresSettings;

/// Everything the store needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub mesh: MeshSettings,
    pub backend: Backend,
}

/// Where records live.
#[derive(Clone, Debug)]
pub enum Backend {
    /// A SQLite file, created on first start: the default.
    Embedded { path: PathBuf },
    /// PostgreSQL, when `STORE_DATABASE_URL` is set.
    Postgres(PostgresSettings),
}

#[derive(Deserialize)]
struct Own {
    #[serde(default = "default_data_path")]
    data_path: PathBuf,
    database_url: Option<SecretString>,
    pool_max_size: Option<usize>,
    pool_wait_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    statement_timeout_ms: Option<u64>,
    database_ca_file: Option<PathBuf>,
}

fn default_data_path() -> PathBuf {
    PathBuf::from(".mesh/store.sqlite")
}

impl Config {
    pub const PREFIX: &'static str = "STORE_";

    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let own: Own = envy::prefixed(Self::PREFIX).from_iter(env.clone())?;
        let backend = match own.database_url {
            None => Backend::Embedded {
                path: own.data_path,
            },
            Some(url) => {
                let mut settings = PostgresSettings::new(url);
                let millis = Duration::from_millis;
                settings.pool_max_size = own.pool_max_size.unwrap_or(settings.pool_max_size).max(1);
                settings.pool_wait = own.pool_wait_ms.map_or(settings.pool_wait, millis);
                settings.connect_timeout = own
                    .connect_timeout_ms
                    .map_or(settings.connect_timeout, millis);
                settings.statement_timeout = own
                    .statement_timeout_ms
                    .map_or(settings.statement_timeout, millis);
                settings.ca_file = own.database_ca_file;
                Backend::Postgres(settings)
            }
        };
        Ok(Self {
            mesh: MeshSettings::from_env(Self::PREFIX, env)?,
            backend,
        })
    }
}
