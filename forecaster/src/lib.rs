//! The forecaster: forecasts over the warehouse's sales, recorded in the store.
//!
//! # Layout
//! - [`calendar`]: frequencies, the dates of periods, frequency inference.
//! - [`config`]: settings from `FORECASTER_*`.
//! - [`fit`]: the bounded pool fits run on, each cancellable and within a
//!   time budget.
//! - [`insights`]: rankings and recommendations, with their reasons.
//! - [`model`]: chooses a model for a series by backtest and forecasts with
//!   calibrated intervals.
//! - [`series`]: inline series checked and put on their calendar; the
//!   warehouse's daily totals summed into weeks or months.
//! - [`service`]: the gRPC service: history from the warehouse, each fit
//!   remembered per input, each call recorded in the store as a run.

#![forbid(unsafe_code)]

pub mod calendar;
pub mod config;
pub mod fit;
pub mod insights;
pub mod model;
pub mod series;
pub mod service;

use mesh_core::{CancellationToken, client::channel, health, server::Listeners};
use proto::{
    forecaster::forecaster_service_server::ForecasterServiceServer,
    store::store_service_client::StoreServiceClient,
    warehouse::warehouse_service_client::WarehouseServiceClient,
};

pub use config::Config;

/// The callers allowed on the forecaster.
pub const ALLOWED_CALLERS: &[&str] = &["gateway", "operator"];

/// Runs the forecaster on `listeners` until `shutdown` is cancelled.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let link = config.mesh.link()?;
    let server = config.mesh.internal_server(
        "forecaster",
        service::GRPC_SERVICE,
        ALLOWED_CALLERS,
        proto::policy::required_right,
        link.clone(),
    )?;
    let me = config.mesh.id_of("forecaster");
    let connect = |address: &str, callee: &str| {
        channel(
            address,
            link.clone(),
            me.clone(),
            config.mesh.id_of(callee),
            proto::policy::call_plan,
        )
    };
    let warehouse = connect(&config.warehouse_address, "warehouse")?;
    let store = connect(&config.store_address, "store")?;
    config
        .mesh
        .follow_revocations(&server, store.clone(), shutdown.clone());
    let readiness = health::upstreams(vec![
        ("warehouse", warehouse.clone()),
        ("store", store.clone()),
    ]);
    let service = service::Forecaster::with_limits(
        WarehouseServiceClient::new(warehouse),
        StoreServiceClient::new(store),
        config.fits,
        config.upstream_timeout,
    )
    .counted_in(server.metrics());
    server
        .readiness(readiness, config.mesh.health_period())
        .serve(
            tonic::service::Routes::new(ForecasterServiceServer::new(service)),
            listeners,
            shutdown,
        )
        .await?;
    Ok(())
}
