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
    capability::AuthorizeLayer,
    server::{Listeners, ServeSetup, serve},
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
    let tls = config.mesh.load_tls()?;
    let records = embedded::EmbeddedStore::open(&config.data_path).await?;
    let authorize = AuthorizeLayer::new(
        "store",
        ALLOWED_CALLERS
            .iter()
            .map(|caller| config.mesh.id_of(caller)),
        config.mesh.verifier()?,
        service::required_operation,
    );
    let setup = ServeSetup {
        grpc_service: service::GRPC_SERVICE,
        tls,
        tls_reload: config.mesh.tls_reload_period(),
        authorize,
    };
    let routes = tonic::service::Routes::new(StoreServiceServer::new(service::Store::new(records)));
    serve(setup, routes, listeners, shutdown).await?;
    Ok(())
}
