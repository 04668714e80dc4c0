//! The store: the app's writable data, audit entries and forecast runs.
//!
//! # Layout
//! - [`config`]: settings from `STORE_*`.
//! - [`audit_filter`]: which audit entries a listing keeps, and its bound.
//! - [`records`]: the [`RecordStore`] trait, paging and the store's errors.
//! - [`record`]: what every record type has in common, for the backends.
//! - [`embedded`]: the default backend, a SQLite file that survives restarts.
//! - [`postgres`]: PostgreSQL through a deadpool pool, with versioned migrations.
//! - `testing` (feature `testing`): a PostgreSQL database per test.
//! - [`revocations`]: revoked credentials as the store takes and lists them.
//! - [`service`]: the gRPC service and the right each method needs.

#![forbid(unsafe_code)]

pub mod audit_filter;
pub mod config;
pub mod embedded;
pub mod postgres;
pub mod record;
pub mod records;
pub mod revocations;
pub mod service;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use mesh_core::{CancellationToken, server::Listeners};
use proto::store::store_service_server::StoreServiceServer;

pub use config::{Backend, Config};
pub use records::{RecordStore, StoreError};

/// The callers allowed on the store. The warehouse calls nothing but the
/// revocation list, with its identity alone; what else a caller may do here
/// its capability decides.
pub const ALLOWED_CALLERS: &[&str] = &["gateway", "forecaster", "warehouse", "operator"];

/// Runs the store on `listeners` until `shutdown` is cancelled.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let server = config.mesh.internal_server(
        "store",
        service::GRPC_SERVICE,
        ALLOWED_CALLERS,
        proto::policy::required_right,
        config.mesh.link()?,
    )?;
    let records: Arc<dyn RecordStore> = match &config.backend {
        Backend::Postgres(settings) => {
            let postgres = postgres::PostgresStore::connect(settings).await?;
            server.metrics().register_collector(postgres.pool_metrics());
            Arc::new(postgres)
        }
        embedded => open(embedded).await?,
    };
    mesh_core::revocation::follow(
        server.revocations().clone(),
        revocations::OwnRecords(records.clone()),
        config.mesh.revocation_refresh_period(),
        server.metrics(),
        shutdown.clone(),
    );
    let checked = records.clone();
    let readiness: mesh_core::health::Readiness = Arc::new(move || {
        let records = checked.clone();
        Box::pin(async move { records.check().await.map_err(|e| e.to_string()) })
    });
    let routes = tonic::service::Routes::new(StoreServiceServer::new(service::Store::new(records)));
    server
        .readiness(readiness, config.mesh.health_period())
        .serve(routes, listeners, shutdown)
        .await?;
    Ok(())
}

/// Opens the configured backend.
pub async fn open(backend: &Backend) -> Result<Arc<dyn RecordStore>, StoreError> {
    Ok(match backend {
        Backend::Embedded { path } => Arc::new(embedded::EmbeddedStore::open(path).await?),
        Backend::Postgres(settings) => Arc::new(postgres::PostgresStore::connect(settings).await?),
    })
}
