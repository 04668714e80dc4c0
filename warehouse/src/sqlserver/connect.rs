//! Connections to SQL Server: settings, and the pool's manager.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, RecycleError, RecycleResult};
use secrecy::{ExposeSecret, SecretString};
use tiberius::{Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::WarehouseError;

/// A tiberius client on a tokio TCP stream.
pub(crate) type Client = tiberius::Client<Compat<TcpStream>>;

/// How to reach SQL Server.
#[derive(Clone, Debug)]
pub struct SqlServerSettings {
    /// ADO.NET style: `Server=tcp:host,1433;Database=WideWorldImporters;User Id=...;Password=...`.
    /// May hold a password.
    pub connection_string: SecretString,
    /// Accepts any server certificate. An explicit, logged opt-in.
    pub trust_any_certificate: bool,
    /// Sends everything in plaintext. An explicit, logged opt-in for test
    /// peers and nothing else.
    pub danger_plaintext: bool,
    pub pool_max_size: usize,
    pub connect_timeout: Duration,
    /// Longest a fixed query may take before its connection is dropped.
    pub query_timeout: Duration,
}

impl SqlServerSettings {
    /// Settings for `connection_string` with safe defaults.
    pub fn new(connection_string: SecretString) -> Self {
        Self {
            connection_string,
            trust_any_certificate: false,
            danger_plaintext: false,
            pool_max_size: 8,
            connect_timeout: Duration::from_secs(5),
            query_timeout: Duration::from_secs(30),
        }
    }

    /// Builds the tiberius configuration. Whatever the connection string says,
    /// the intent is read-only, encryption is required and the certificate is
    /// checked, except where this struct's opt-ins say otherwise.
    pub fn config(&self) -> Result<Config, WarehouseError> {
        let invalid = |reason: String| {
            WarehouseError::InvalidArgument(format!("sql server connection string: {reason}"))
        };
        let ado = self.connection_string.expose_secret();
        let lower = ado.to_ascii_lowercase().replace(' ', "");
        if lower.contains("trustservercertificate=true")
            || lower.contains("trustservercertificate=yes")
        {
            return Err(invalid(
                "TrustServerCertificate is not taken from the string; set WAREHOUSE_SQLSERVER_TRUST_ANY_CERTIFICATE".into(),
            ));
        }
        let mut config = Config::from_ado_string(ado).map_err(|e| invalid(e.to_string()))?;
        config.readonly(true);
        config.application_name("forecast-mesh-warehouse");
        config.handshake_timeout(Some(self.connect_timeout));
        if self.danger_plaintext {
            tracing::warn!(
                "sql server connections are NOT ENCRYPTED (WAREHOUSE_SQLSERVER_DANGER_PLAINTEXT)"
            );
            config.encryption(EncryptionLevel::NotSupported);
        } else {
            config.encryption(EncryptionLevel::Required);
        }
        if self.trust_any_certificate {
            tracing::warn!(
                "sql server certificates are NOT CHECKED (WAREHOUSE_SQLSERVER_TRUST_ANY_CERTIFICATE)"
            );
            config.trust_cert();
        }
        Ok(config)
    }
}

/// Makes and checks pooled connections.
#[derive(Debug)]
pub struct Connections {
    config: Config,
}

impl Connections {
    pub fn new(settings: &SqlServerSettings) -> Result<Self, WarehouseError> {
        Ok(Self {
            config: settings.config()?,
        })
    }
}

impl Manager for Connections {
    type Type = Client;
    type Error = tiberius::error::Error;

    async fn create(&self) -> Result<Client, tiberius::error::Error> {
        let tcp = TcpStream::connect(self.config.get_addr()).await?;
        tcp.set_nodelay(true)?;
        tiberius::Client::connect(self.config.clone(), tcp.compat_write()).await
    }

    async fn recycle(
        &self,
        client: &mut Client,
        _: &Metrics,
    ) -> RecycleResult<tiberius::error::Error> {
        client
            .simple_query("SELECT 1")
            .await
            .map_err(RecycleError::Backend)?
            .into_results()
            .await
            .map_err(RecycleError::Backend)?;
        Ok(())
    }
}
