//! What every service binary does: telemetry, configuration from the
//! environment, binding its two ports, running until SIGTERM or Ctrl-C, and
//! flushing spans on the way out.

use std::{collections::HashMap, future::Future};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::{ConfigError, ListenSettings},
    server::{Listeners, cancel_on_signal},
    telemetry,
};

/// Any error a binary ends with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A service binary: its name, its environment prefix and default ports.
#[derive(Clone, Copy, Debug)]
pub struct Binary {
    pub name: &'static str,
    /// e.g. `WAREHOUSE_`: `<prefix>LISTEN` and `<prefix>HEALTH_LISTEN` override
    /// the ports; `<prefix>ADMIN_LISTEN` enables the admin port.
    pub prefix: &'static str,
    pub grpc_listen: &'static str,
    pub health_listen: &'static str,
}

impl Binary {
    /// Loads the configuration with `load`, binds, and runs `run` until a signal.
    pub async fn run<C, F, E>(
        self,
        load: impl FnOnce(&HashMap<String, String>) -> Result<C, ConfigError>,
        run: impl FnOnce(C, Listeners, CancellationToken) -> F,
    ) -> Result<(), BoxError>
    where
        F: Future<Output = Result<(), E>>,
        E: Into<BoxError>,
    {
        let env: HashMap<String, String> = std::env::vars().collect();
        let telemetry = telemetry::init(
            self.name,
            env.get("OTEL_EXPORTER_OTLP_ENDPOINT").map(String::as_str),
        )?;
        let config = load(&env)?;
        let listen = ListenSettings::from_env(self.prefix, &env)?;
        let grpc = match listen.listen {
            Some(address) => address,
            None => self.grpc_listen.parse()?,
        };
        let health = match listen.health_listen {
            Some(address) => address,
            None => self.health_listen.parse()?,
        };
        let admin = listen.admin_listen;
        let listeners = Listeners {
            grpc: TcpListener::bind(grpc).await?,
            health: TcpListener::bind(health).await?,
            admin: match admin {
                Some(admin) => Some(TcpListener::bind(admin).await?),
                None => None,
            },
        };
        tracing::info!(service = self.name, %grpc, %health, ?admin, "listening");
        let shutdown = CancellationToken::new();
        tokio::spawn(cancel_on_signal(shutdown.clone()));
        let result = run(config, listeners, shutdown).await.map_err(Into::into);
        tokio::task::spawn_blocking(move || telemetry.shutdown()).await?;
        result
    }
}
