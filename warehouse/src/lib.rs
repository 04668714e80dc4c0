//! The warehouse: read-only sales analytics.
//!
//! # Layout
//! - [`config`]: settings from `WAREHOUSE_*`.
//! - [`source`]: the [`SalesSource`] trait the service reads through, and its errors.
//! - [`embedded`]: the default source, a generated WideWorldImporters-shaped
//!   dataset in a SQLite file opened read-only.
//! - [`sqlserver`]: WideWorldImporters on SQL Server, through tiberius.
//! - [`cache`]: answers kept per question and data version, in front of either source.
//! - [`sql_guard`]: what an operator's ad-hoc query may be.
//! - [`service`]: the gRPC service and the right each method needs.

#![forbid(unsafe_code)]

mod answer;
pub mod cache;
pub mod config;
pub mod embedded;
pub mod service;
pub mod source;
pub mod sql_guard;
pub mod sqlserver;

use mesh_core::{CancellationToken, server::Listeners};
use proto::warehouse::warehouse_service_server::WarehouseServiceServer;

pub use config::{Backend, Config};
pub use source::{SalesSource, Subject, WarehouseError, Window};

/// The callers allowed on the warehouse.
pub const ALLOWED_CALLERS: &[&str] = &["gateway", "forecaster", "operator"];

/// Runs the warehouse on `listeners` until `shutdown` is cancelled.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let link = config.mesh.link()?;
    let server = config.mesh.internal_server(
        "warehouse",
        service::GRPC_SERVICE,
        ALLOWED_CALLERS,
        proto::policy::required_right,
        link.clone(),
    )?;
    // The warehouse calls the store for one thing: the revocation list.
    let store = mesh_core::client::channel(
        &config.store_address,
        link,
        config.mesh.id_of("warehouse"),
        config.mesh.id_of("store"),
        proto::policy::call_plan,
    )?;
    config
        .mesh
        .follow_revocations(&server, store, shutdown.clone());
    match &config.backend {
        Backend::Embedded { path } => {
            let source = embedded::EmbeddedWarehouse::open_or_generate(path).await?;
            server.serve(routes(source), listeners, shutdown).await?;
        }
        Backend::SqlServer(settings) => {
            let source = sqlserver::SqlServerWarehouse::connect(settings).await?;
            let checked = source.clone();
            let readiness: mesh_core::health::Readiness = std::sync::Arc::new(move || {
                let source = checked.clone();
                Box::pin(async move { source.check().await.map_err(|e| e.to_string()) })
            });
            server
                .readiness(readiness, config.mesh.health_period())
                .serve(routes(source), listeners, shutdown)
                .await?;
        }
    }
    Ok(())
}

fn routes(source: impl SalesSource) -> tonic::service::Routes {
    let source = cache::Cached::new(source);
    tonic::service::Routes::new(WarehouseServiceServer::new(service::Warehouse::new(source)))
}
