//! `forecaster`: serves forecasts over mTLS gRPC.

use std::{collections::HashMap, net::SocketAddr};

use mesh_core::{CancellationToken, server::Listeners, telemetry};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let telemetry = telemetry::init(
        "forecaster",
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT").map(String::as_str),
    )?;
    let config = forecaster::Config::from_env(&env)?;
    let grpc: SocketAddr = env
        .get("FORECASTER_LISTEN")
        .map_or("0.0.0.0:50053", String::as_str)
        .parse()?;
    let health: SocketAddr = env
        .get("FORECASTER_HEALTH_LISTEN")
        .map_or("0.0.0.0:51053", String::as_str)
        .parse()?;
    let listeners = Listeners {
        grpc: TcpListener::bind(grpc).await?,
        health: TcpListener::bind(health).await?,
    };
    tracing::info!(%grpc, %health, "forecaster listening");
    let shutdown = CancellationToken::new();
    tokio::spawn(mesh_core::server::cancel_on_signal(shutdown.clone()));
    let result = forecaster::run(config, listeners, shutdown).await;
    tokio::task::spawn_blocking(move || telemetry.shutdown()).await?;
    result
}
