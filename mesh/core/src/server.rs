//! Serves one service the way every service in the mesh is served: mTLS on
//! the gRPC port with the caller's identity and token checked, trace context
//! extracted, health and reflection beside the service's own routes, and a
//! plaintext port that serves only health for kubelet probes.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tower::ServiceBuilder;

use crate::{
    capability::AuthorizeLayer,
    health::{self, Readiness},
    tls::{self, MeshTls},
    trace::server_trace_layer,
};

/// The two listeners every service binds before it runs.
#[derive(Debug)]
pub struct Listeners {
    /// mTLS gRPC.
    pub grpc: TcpListener,
    /// Plaintext, `grpc.health.v1` only.
    pub health: TcpListener,
}

/// Why a server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reflection could not be built: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("transport failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// How one service is served.
pub struct ServeSetup {
    /// The full protobuf name of the service, e.g.
    /// `forecastmesh.warehouse.v1.WarehouseService`, for health and reflection.
    pub grpc_service: &'static str,
    pub tls: Arc<MeshTls>,
    pub tls_reload: std::time::Duration,
    pub authorize: AuthorizeLayer,
    /// What health reports depends on.
    pub readiness: Readiness,
    /// How often readiness is checked.
    pub health_period: std::time::Duration,
}

impl std::fmt::Debug for ServeSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeSetup")
            .field("grpc_service", &self.grpc_service)
            .field("health_period", &self.health_period)
            .finish_non_exhaustive()
    }
}

/// Serves `routes` until `shutdown` is cancelled. Health reports SERVING while
/// the setup's readiness check passes.
pub async fn serve(
    setup: ServeSetup,
    routes: Routes,
    listeners: Listeners,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let (reflection_v1, reflection_v1alpha) = reflection(&[setup.grpc_service])?;

    setup.tls.watch(setup.tls_reload, shutdown.clone());
    let routes = routes
        .add_service(health.clone())
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    let layers = ServiceBuilder::new()
        .layer(server_trace_layer())
        .layer(setup.authorize);
    let grpc = tonic::transport::Server::builder()
        .layer(layers)
        .add_routes(routes)
        .serve_with_incoming_shutdown(
            tls::incoming(listeners.grpc, setup.tls.clone(), shutdown.clone()),
            shutdown.clone().cancelled_owned(),
        );
    let probes = probe_server(health)?.serve_with_incoming_shutdown(
        TcpListenerStream::new(listeners.health),
        shutdown.clone().cancelled_owned(),
    );
    tokio::spawn(health::watch(
        reporter,
        setup.grpc_service,
        setup.readiness,
        setup.health_period,
        shutdown.clone(),
    ));
    tokio::try_join!(grpc, probes)?;
    Ok(())
}

const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// Returns the plaintext probe server: health, and reflection of health only
/// so grpcurl can call it without a schema.
pub fn probe_server(
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> Result<tonic::transport::server::Router, ServeError> {
    let (reflection_v1, reflection_v1alpha) = reflection(&[])?;
    Ok(tonic::transport::Server::builder()
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

/// Returns reflection v1 and v1alpha (grpcurl 1.8 speaks v1alpha) listing
/// `services` and health, with every contract's descriptors.
pub fn reflection(
    services: &[&'static str],
) -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    ServeError,
> {
    let builder = || {
        let builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(HEALTH_SERVICE);
        services.iter().fold(builder, |builder, service| {
            builder.with_service_name(*service)
        })
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM, for binaries.
pub async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    shutdown.cancel();
}

/// Why a service did not become healthy.
#[derive(Debug, thiserror::Error)]
#[error("{address} did not report SERVING within {within:?}: {last}")]
pub struct NotServing {
    address: std::net::SocketAddr,
    within: std::time::Duration,
    last: String,
}

/// Polls the plaintext health port at `address` until it reports SERVING.
pub async fn wait_until_serving(
    address: std::net::SocketAddr,
    within: std::time::Duration,
) -> Result<(), NotServing> {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let deadline = tokio::time::Instant::now() + within;
    let mut last = String::from("not polled");
    while tokio::time::Instant::now() < deadline {
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| NotServing {
                address,
                within,
                last: e.to_string(),
            })?;
        match endpoint.connect().await.map(HealthClient::new) {
            Ok(mut client) => match client
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
            {
                Ok(response) if response.get_ref().status == ServingStatus::Serving as i32 => {
                    return Ok(());
                }
                Ok(response) => last = format!("status {}", response.get_ref().status),
                Err(status) => last = status.to_string(),
            },
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(NotServing {
        address,
        within,
        last,
    })
}
