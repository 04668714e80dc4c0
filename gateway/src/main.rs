//! `gateway`: the public edge, serving gRPC and gRPC-web to browsers.

use std::{collections::HashMap, net::SocketAddr};

use mesh_core::{CancellationToken, server::Listeners, telemetry};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let telemetry = telemetry::init(
        "gateway",
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT").map(String::as_str),
    )?;
    let config = gateway::Config::from_env(&env)?;
    let public: SocketAddr = env
        .get("GATEWAY_LISTEN")
        .map_or("0.0.0.0:8080", String::as_str)
        .parse()?;
    let health: SocketAddr = env
        .get("GATEWAY_HEALTH_LISTEN")
        .map_or("0.0.0.0:51051", String::as_str)
        .parse()?;
    let listeners = Listeners {
        grpc: TcpListener::bind(public).await?,
        health: TcpListener::bind(health).await?,
    };
    tracing::info!(%public, %health, "gateway listening");
    let shutdown = CancellationToken::new();
    tokio::spawn(mesh_core::server::cancel_on_signal(shutdown.clone()));
    let result = gateway::run(config, listeners, shutdown).await;
    tokio::task::spawn_blocking(move || telemetry.shutdown()).await?;
    result
}
