//! The gateway: the public edge the dashboard calls.
//!
//! # Layout
//! - [`config`]: settings from `GATEWAY_*`.
//! - [`oidc`]: validating the browser's bearer token; a dev issuer.
//! - [`scopes`]: what scopes grant, and the hashed principal.
//! - [`edge`]: the guard that authenticates, mints the capability and audits.
//! - [`audit`]: writing audit entries to the store, retried idempotently.
//! - [`service`]: the public gRPC API, calling the internal services.
//!
//! One plaintext port serves gRPC, gRPC-web (binary and text) and CORS
//! preflights; TLS for browsers is the ingress's job. A second port serves
//! only health for probes.

#![forbid(unsafe_code)]

pub mod audit;
pub mod config;
pub mod edge;
pub mod oidc;
pub mod scopes;
pub mod service;

use std::{sync::Arc, time::Duration};

use http::{HeaderName, HeaderValue, Method};
use mesh_core::{
    CancellationToken,
    capability::{CapabilityMinter, RootKey},
    client::channel,
    server::Listeners,
    trace::server_trace_layer,
};
use proto::{
    forecaster::forecaster_service_client::ForecasterServiceClient,
    gateway::gateway_service_server::GatewayServiceServer,
    store::store_service_client::StoreServiceClient,
    warehouse::warehouse_service_client::WarehouseServiceClient,
};
use tokio_stream::wrappers::TcpListenerStream;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use config::Config;

/// Request headers a gRPC-web browser client sends.
const ALLOWED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "x-grpc-web",
    "x-user-agent",
    "grpc-timeout",
    "traceparent",
    "tracestate",
    "baggage",
];
/// Response headers a browser script may read.
const EXPOSED_HEADERS: &[&str] = &[
    "grpc-status",
    "grpc-message",
    "grpc-status-details-bin",
    "traceparent",
    "tracestate",
];

/// Runs the gateway on `listeners` (`grpc` is the public port) until `shutdown`.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let tls = config.mesh.load_tls()?;
    tls.watch(config.mesh.tls_reload_period(), shutdown.clone());
    let me = config.mesh.id_of("gateway");
    let connect = |address: &str, service: &str| {
        channel(address, tls.clone(), me.clone(), config.mesh.id_of(service))
    };
    let warehouse_channel = connect(&config.warehouse_address, "warehouse")?;
    let forecaster_channel = connect(&config.forecaster_address, "forecaster")?;
    let store_channel = connect(&config.store_address, "store")?;
    let upstreams = service::Upstreams {
        warehouse: WarehouseServiceClient::new(warehouse_channel.clone()),
        forecaster: ForecasterServiceClient::new(forecaster_channel.clone()),
        store: StoreServiceClient::new(store_channel.clone()),
    };
    let root = RootKey::from_hex(config.root_key_id, &config.root_key)?;
    let minter = Arc::new(CapabilityMinter::new(root, config.capability_ttl));
    let validator = oidc::JwtValidator::from_jwks_file(
        config.oidc.issuer.clone(),
        config.oidc.audience.clone(),
        &config.oidc.jwks_path,
        config.oidc.algorithms.clone(),
    )?;
    let (auditor, audit_writer) = audit::Auditor::start(upstreams.store.clone(), minter.clone());
    let edge = edge::Edge::layer(validator, minter, auditor);

    let (reporter, health) = tonic_health::server::health_reporter();
    let (reflection_v1, reflection_v1alpha) =
        mesh_core::server::reflection(&[service::GRPC_SERVICE])?;
    let layers = ServiceBuilder::new()
        .layer(server_trace_layer())
        .layer(cors(&config.cors_origins)?)
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(edge);
    let public = tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(layers)
        .add_service(GatewayServiceServer::new(service::Gateway::new(upstreams)))
        .add_service(health.clone())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(
            TcpListenerStream::new(listeners.grpc),
            shutdown.clone().cancelled_owned(),
        );
    let probes = mesh_core::server::probe_server(health)?.serve_with_incoming_shutdown(
        TcpListenerStream::new(listeners.health),
        shutdown.clone().cancelled_owned(),
    );
    let readiness = mesh_core::health::upstreams(vec![
        ("warehouse", warehouse_channel),
        ("forecaster", forecaster_channel),
        ("store", store_channel),
    ]);
    tokio::spawn(mesh_core::health::watch(
        reporter,
        service::GRPC_SERVICE,
        readiness,
        config.mesh.health_period(),
        shutdown.clone(),
    ));
    let served = tokio::try_join!(public, probes);
    // The servers, and with them every auditor, are gone: the writer flushes
    // what is queued and ends.
    if tokio::time::timeout(std::time::Duration::from_secs(10), audit_writer)
        .await
        .is_err()
    {
        tracing::error!("audit writer did not finish flushing within 10 s");
    }
    served?;
    Ok(())
}

fn cors(origins: &[String]) -> anyhow::Result<CorsLayer> {
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        tracing::warn!("CORS allows every origin (GATEWAY_CORS_ORIGINS=*)");
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .map(|o| HeaderValue::from_str(o))
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let names = |names: &[&'static str]| {
        names
            .iter()
            .map(|n| HeaderName::from_static(n))
            .collect::<Vec<_>>()
    };
    Ok(CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers(names(ALLOWED_HEADERS))
        .expose_headers(names(EXPOSED_HEADERS))
        .max_age(Duration::from_secs(600)))
}
