//! The store: the app's writable data, audit entries and forecast runs.
//!
//! # Layout
//! - [`config`]: settings from `STORE_*`.
//! - [`records`]: the [`RecordStore`] trait, paging and the store's errors.
//! - [`embedded`]: the default backend, a SQLite file that survives restarts.
//! - [`service`]: the gRPC service and the right each method needs.

#![forbid(unsafe_code)]

pub mod config;
pub mod embedded;
pub mod records;
pub mod service;

use mesh_core::{
    CancellationToken,
    server::{Listeners, serve},
};
use proto::store::store_service_server::StoreServiceServer;

pub use config::Config;
pub use records::{RecordStore, StoreError};

/// The callers allowed on the store.
pub const ALLOWED_CALLERS: &[&str] = &["gateway", "forecaster"];

/// Runs the store on `listeners` until `shutdown` is cancelled.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let setup = config.mesh.serve_setup(
        "store",
        service::GRPC_SERVICE,
        ALLOWED_CALLERS,
        service::required_operation,
    )?;
    let records = embedded::EmbeddedStore::open(&config.data_path).await?;
    let routes = tonic::service::Routes::new(StoreServiceServer::new(service::Store::new(records)));
    serve(setup, routes, listeners, shutdown).await?;
    Ok(())
}
