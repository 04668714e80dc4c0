//! The warehouse: read-only sales analytics.
//!
//! # Layout
//! - [`config`]: settings from `WAREHOUSE_*`.
//! - [`source`]: the [`SalesSource`] trait the service reads through, and its errors.
//! - [`embedded`]: the default source, a generated WideWorldImporters-shaped
//!   dataset in a SQLite file opened read-only.
//! - [`service`]: the gRPC service and the right each method needs.

#![forbid(unsafe_code)]

pub mod config;
pub mod embedded;
pub mod service;
pub mod source;
pub mod sql_guard;

use mesh_core::{
    CancellationToken,
    server::{Listeners, serve},
};
use proto::warehouse::warehouse_service_server::WarehouseServiceServer;

pub use config::Config;
pub use source::{SalesSource, WarehouseError, Window};

/// The callers allowed on the warehouse.
pub const ALLOWED_CALLERS: &[&str] = &["gateway", "forecaster"];

/// Runs the warehouse on `listeners` until `shutdown` is cancelled.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let setup = config.mesh.serve_setup(
        "warehouse",
        service::GRPC_SERVICE,
        ALLOWED_CALLERS,
        service::required_operation,
    )?;
    let source = embedded::EmbeddedWarehouse::open_or_generate(&config.data_path).await?;
    let routes =
        tonic::service::Routes::new(WarehouseServiceServer::new(service::Warehouse::new(source)));
    serve(setup, routes, listeners, shutdown).await?;
    Ok(())
}
