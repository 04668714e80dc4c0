//! The gateway: the public edge the dashboard calls.
//!
//! # Layout
//! - [`config`]: settings from `GATEWAY_*`.
//! - [`oidc`]: validating the browser's bearer token; a dev issuer.
//! - [`scopes`]: who may call each public method, what scopes grant, the
//!   hashed principal.
//! - [`edge`]: the edge's layers: CORS, gRPC-web, authentication, audit,
//!   scope, minting.
//! - [`error`]: the one error policy: every failure to a gRPC status or a
//!   REST answer.
//! - [`audit`]: writing audit entries to the store, in batches, retried
//!   idempotently.
//! - `minted`: capabilities minted once and reused for a while, by the
//!   edge and the audit drainer.
//! - [`api`]: the public operations, one file each, over typed input.
//! - [`dashboards`]: live dashboards, one shared refresh per feed.
//! - [`grpc`]: the gRPC and gRPC-web adapter of the operations.
//! - [`rest`]: the JSON REST adapter, for the paths of the replaced system.
//! - [`web`]: the dashboard (embedded) at `/` and its sign-in settings.
//!
//! One plaintext port serves gRPC, gRPC-web (binary and text), REST and
//! CORS preflights; TLS for browsers is the ingress's job. A second port
//! serves only health for probes.

#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod config;
pub mod dashboards;
pub mod edge;
pub mod error;
pub mod grpc;
mod minted;
pub mod oidc;
pub mod rest;
pub mod scopes;
pub mod web;

use std::{sync::Arc, time::Duration};

use http::{HeaderName, HeaderValue, Method};
use mesh_core::{
    CancellationToken,
    capability::{CapabilityMinter, RootKey},
    client::channel,
    server::{Access, Listeners, Server, ServiceSpec, Transport},
};
use proto::{
    forecaster::forecaster_service_client::ForecasterServiceClient,
    gateway::gateway_service_server::GatewayServiceServer,
    store::store_service_client::StoreServiceClient,
    warehouse::warehouse_service_client::WarehouseServiceClient,
};
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
    "retry-after",
];

/// Runs the gateway on `listeners` (`grpc` is the public port) until `shutdown`.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // The public port is plaintext; the internal calls are mTLS (the
    // gateway's own, or its sidecar's).
    let link = config.mesh.link()?;
    link.watch(config.mesh.tls_reload_period(), shutdown.clone());
    let me = config.mesh.id_of("gateway");
    let connect = |address: &str, service: &str| {
        channel(
            address,
            link.clone(),
            me.clone(),
            config.mesh.id_of(service),
            proto::policy::call_plan,
        )
    };
    let warehouse_channel = connect(&config.warehouse_address, "warehouse")?;
    let forecaster_channel = connect(&config.forecaster_address, "forecaster")?;
    let store_channel = connect(&config.store_address, "store")?;
    let upstreams = api::Upstreams {
        warehouse: WarehouseServiceClient::new(warehouse_channel.clone()),
        forecaster: ForecasterServiceClient::new(forecaster_channel.clone()),
        store: StoreServiceClient::new(store_channel.clone()),
    };
    let root = RootKey::from_hex(config.root_key_id, &config.root_key)?;
    let minter = Arc::new(CapabilityMinter::new(root, config.capability_ttl));
    let validator = oidc::JwtValidator::from_settings(&config.oidc, shutdown.clone()).await?;
    let dashboards = dashboards::DashboardHub::new(
        Arc::new(dashboards::UpstreamSource::new(
            upstreams.clone(),
            minter.clone(),
        )),
        shutdown.clone(),
    );
    let spec = ServiceSpec {
        name: "gateway",
        grpc_service: proto::methods::gateway_service::SERVICE,
        access: Access::Public,
    };
    let server = Server::new(spec, Transport::Public).metrics_settings(config.mesh.metrics());
    config
        .mesh
        .follow_revocations(&server, store_channel.clone(), shutdown.clone());
    // One set of reused blocks for the edge's calls and the audit's batches,
    // each never reused once revoked.
    let minted = Arc::new(minted::MintedCapabilities::new(
        minter.clone(),
        server.revocations().clone(),
    ));
    let (auditor, audit_drain) = audit::Auditor::start(
        &config.audit_spool,
        audit::AuditStore {
            client: upstreams.store.clone(),
            capabilities: minted.clone(),
        },
    )?;
    let spool_room = auditor.clone();
    if let Some(spool) = auditor.spool_metrics(&audit_drain) {
        server.metrics().register_collector(spool);
    }
    let rate_limit = edge::RateLimit::new(&config.rate_limits);
    rate_limit.sweep_every_minute(shutdown.clone());
    let edge = edge::layers(
        cors(&config.cors_origins)?,
        &server,
        validator,
        minted,
        auditor,
        rate_limit,
        config.rate_limits.failed_auth_per_minute,
    );
    // Ready while the figures can be read and calls audited. Neither the
    // store nor the forecaster (which needs the store) is a condition: while
    // they are down the spool keeps the audit and KPIs and history still
    // answer, and taking the edge out of rotation would fail those too. A
    // full spool refuses every call.
    let upstreams_ready = mesh_core::health::upstreams(vec![("warehouse", warehouse_channel)]);
    drop((forecaster_channel, store_channel));
    let readiness: mesh_core::health::Readiness = Arc::new(move || {
        let upstreams = upstreams_ready();
        let room = spool_room.has_room();
        Box::pin(async move {
            if !room {
                return Err("the audit spool is full".to_owned());
            }
            upstreams.await
        })
    });
    let gateway = Arc::new(api::Gateway {
        upstreams,
        dashboards,
    });
    let server = server
        .own_layers(edge)
        .readiness(readiness, config.mesh.health_period());
    let mut routes = tonic::service::Routes::new(GatewayServiceServer::new(
        grpc::GrpcAdapter::new(gateway.clone()),
    ));
    let rest = rest::router(gateway, server.ready())?;
    let grpc = std::mem::take(routes.axum_router_mut());
    *routes.axum_router_mut() = grpc.merge(rest).merge(web::router(&config.web));
    let served = server.serve(routes, listeners, shutdown).await;
    // Every answered call's entry is on disk; hand the store what it can
    // take in a few seconds, and leave the rest for the next start.
    audit_drain.finish(Duration::from_secs(10)).await;
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
