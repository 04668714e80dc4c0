//! Store settings, from `STORE_*` environment variables.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use mesh_core::config::{ConfigError, MeshSettings, field_names, refuse_unknown};
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
    /// Where data lives unless `data_path` names the file itself.
    #[serde(default = "default_data_dir")]
    data_dir: PathBuf,
    data_path: Option<PathBuf>,
    database_url: Option<SecretString>,
    pool_max_size: Option<usize>,
    pool_wait_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    statement_timeout_ms: Option<u64>,
    database_ca_file: Option<PathBuf>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(".mesh")
}

impl Config {
    pub const PREFIX: &'static str = "STORE_";

    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        refuse_unknown(Self::PREFIX, env, field_names::<Own>())?;
        let own: Own = envy::prefixed(Self::PREFIX).from_iter(env.clone())?;
        let backend = match own.database_url {
            None => Backend::Embedded {
                path: own
                    .data_path
                    .unwrap_or_else(|| own.data_dir.join("store.sqlite")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        [
            ("STORE_TLS_CA", "ca.pem"),
            ("STORE_TLS_CERT", "s.pem"),
            ("STORE_TLS_KEY", "s.key.pem"),
        ]
        .iter()
        .chain(pairs)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn a_misspelt_database_url_is_refused_not_taken_for_the_embedded_store() {
        let refused = Config::from_env(&env(&[(
            "STORE_DATABSE_URL",
            "postgres://store@db:5432/store",
        )]))
        .expect_err("a typo must not fall back to the embedded store");
        assert!(
            refused
                .to_string()
                .contains("STORE_DATABSE_URL (did you mean STORE_DATABASE_URL?)"),
            "{refused}"
        );
        assert!(
            !refused.to_string().contains("postgres://"),
            "the value is never echoed: {refused}"
        );
    }

    #[test]
    fn every_documented_setting_is_known() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[
            ("STORE_DATABASE_URL", "postgres://store@db:5432/store"),
            ("STORE_POOL_MAX_SIZE", "4"),
            ("STORE_POOL_WAIT_MS", "100"),
            ("STORE_CONNECT_TIMEOUT_MS", "100"),
            ("STORE_STATEMENT_TIMEOUT_MS", "100"),
            ("STORE_LISTEN", "0.0.0.0:50054"),
            ("STORE_HEALTH_LISTEN", "0.0.0.0:51054"),
            ("STORE_ADMIN_LISTEN", "0.0.0.0:9090"),
            ("STORE_TRUST_DOMAIN", "cluster.local"),
            ("STORE_NAMESPACE", "forecast"),
            ("STORE_CAPABILITY_PUBLIC_KEYS", "1:00"),
        ]))?;
        assert!(matches!(config.backend, Backend::Postgres(_)));
        Ok(())
    }

    #[test]
    fn the_embedded_store_lives_under_the_data_directory() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[("STORE_DATA_DIR", "/var/lib/forecast-mesh")]))?;
        assert!(
            matches!(config.backend, Backend::Embedded { ref path } if path == std::path::Path::new("/var/lib/forecast-mesh/store.sqlite"))
        );
        let config = Config::from_env(&env(&[
            ("STORE_DATA_DIR", "/var/lib/forecast-mesh"),
            ("STORE_DATA_PATH", "/data/records.sqlite"),
        ]))?;
        assert!(
            matches!(config.backend, Backend::Embedded { ref path } if path == std::path::Path::new("/data/records.sqlite"))
        );
        Ok(())
    }
}
