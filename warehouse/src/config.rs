//! Warehouse settings, from `WAREHOUSE_*` environment variables.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use mesh_core::config::{ConfigError, MeshSettings, field_names, refuse_unknown};
use secrecy::SecretString;
use serde::Deserialize;

use crate::sqlserver::SqlServerSettings;

/// Everything the warehouse needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub mesh: MeshSettings,
    pub backend: Backend,
    /// `host:port` of the store's mTLS gRPC port, for the revocation list.
    pub store_address: String,
}

/// Where the sales data comes from.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The generated sample warehouse in a local file: the default.
    Embedded { path: PathBuf },
    /// SQL Server, when `WAREHOUSE_SQLSERVER_CONNECTION_STRING` is set.
    SqlServer(SqlServerSettings),
}

#[derive(Deserialize)]
struct Own {
    /// Where data lives unless `data_path` names the file itself.
    #[serde(default = "default_data_dir")]
    data_dir: PathBuf,
    data_path: Option<PathBuf>,
    sqlserver_connection_string: Option<SecretString>,
    #[serde(default)]
    sqlserver_trust_any_certificate: bool,
    #[serde(default)]
    sqlserver_danger_plaintext: bool,
    sqlserver_pool_max_size: Option<usize>,
    sqlserver_connect_timeout_ms: Option<u64>,
    sqlserver_query_timeout_ms: Option<u64>,
    #[serde(default = "default_store")]
    store_address: String,
}

fn default_store() -> String {
    "store:50054".into()
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(".mesh")
}

impl Config {
    pub const PREFIX: &'static str = "WAREHOUSE_";

    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        refuse_unknown(Self::PREFIX, env, field_names::<Own>())?;
        let own: Own = envy::prefixed(Self::PREFIX).from_iter(env.clone())?;
        let backend = match own.sqlserver_connection_string {
            None => Backend::Embedded {
                path: own
                    .data_path
                    .unwrap_or_else(|| own.data_dir.join("warehouse.sqlite")),
            },
            Some(connection_string) => {
                let mut settings = SqlServerSettings::new(connection_string);
                settings.trust_any_certificate = own.sqlserver_trust_any_certificate;
                settings.danger_plaintext = own.sqlserver_danger_plaintext;
                settings.pool_max_size = own
                    .sqlserver_pool_max_size
                    .unwrap_or(settings.pool_max_size)
                    .max(1);
                let millis = Duration::from_millis;
                settings.connect_timeout = own
                    .sqlserver_connect_timeout_ms
                    .map_or(settings.connect_timeout, millis);
                settings.query_timeout = own
                    .sqlserver_query_timeout_ms
                    .map_or(settings.query_timeout, millis);
                Backend::SqlServer(settings)
            }
        };
        Ok(Self {
            mesh: MeshSettings::from_env(Self::PREFIX, env)?,
            backend,
            store_address: own.store_address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        [
            ("WAREHOUSE_TLS_CA", "ca.pem"),
            ("WAREHOUSE_TLS_CERT", "w.pem"),
            ("WAREHOUSE_TLS_KEY", "w.key.pem"),
        ]
        .iter()
        .chain(pairs)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn the_embedded_warehouse_is_the_default() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[]))?;
        assert!(
            matches!(config.backend, Backend::Embedded { ref path } if path.ends_with("warehouse.sqlite"))
        );
        Ok(())
    }

    #[test]
    fn a_connection_string_selects_sql_server_with_checks_on() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[(
            "WAREHOUSE_SQLSERVER_CONNECTION_STRING",
            "Server=tcp:db,1433",
        )]))?;
        let Backend::SqlServer(settings) = config.backend else {
            panic!("sql server expected")
        };
        assert!(
            !settings.trust_any_certificate && !settings.danger_plaintext,
            "both checks on by default"
        );
        assert!(
            !format!("{settings:?}").contains("db,1433"),
            "the connection string is redacted"
        );

        let opted = Config::from_env(&env(&[
            (
                "WAREHOUSE_SQLSERVER_CONNECTION_STRING",
                "Server=tcp:db,1433",
            ),
            ("WAREHOUSE_SQLSERVER_TRUST_ANY_CERTIFICATE", "true"),
            ("WAREHOUSE_SQLSERVER_QUERY_TIMEOUT_MS", "1500"),
        ]))?;
        let Backend::SqlServer(settings) = opted.backend else {
            panic!("sql server expected")
        };
        assert!(settings.trust_any_certificate);
        assert_eq!(settings.query_timeout, Duration::from_millis(1500));
        Ok(())
    }

    #[test]
    fn a_misspelt_setting_is_refused() {
        let refused = Config::from_env(&env(&[(
            "WAREHOUSE_SQLSERVER_CONECTION_STRING",
            "Server=tcp:db,1433",
        )]))
        .expect_err("a typo");
        assert!(
            refused
                .to_string()
                .contains("did you mean WAREHOUSE_SQLSERVER_CONNECTION_STRING?"),
            "{refused}"
        );
    }
}
