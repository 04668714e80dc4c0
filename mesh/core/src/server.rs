//! One server assembly for every service in the mesh, the gateway included.
//!
//! A [`Server`] is a [`ServiceSpec`] (name, who may call, which right each
//! method needs) served over a [`Transport`] on [`Listeners`], with the
//! shared layer stack, outermost first:
//!
//! 1. trace: a server span per call, parented on the caller's context,
//!    whose `traceparent` every response carries back (health and
//!    reflection make none);
//! 2. admission: at most so many calls in flight, the rest shed at once
//!    with `UNAVAILABLE` ([`Limits`], with the HTTP/2 limits);
//! 3. deadline: a call whose `grpc-timeout` runs out answers
//!    `DEADLINE_EXCEEDED`, and its deadline goes into request extensions;
//! 4. peer identity: the caller's identity into request extensions;
//! 5. the service's own layers (the gateway's edge: CORS, gRPC-web,
//!    RED metrics, authentication, minting, audit), or else RED metrics
//!    ([`crate::metrics::rpc`]);
//! 6. authorization: the caller on the allow-list, its capability checked
//!    and none of its blocks revoked;
//!
//! then health, reflection and the service's routes. A plaintext port serves
//! only health for kubelet probes, and an optional admin port serves
//! readiness and, when enabled, metrics; with a collector configured, the
//! metrics are pushed over OTLP as well ([`crate::metrics::otlp`]).
//!
//! - [`spec`]: what a service is and who may call it.
//! - [`transport`]: how connections arrive and who vouches for the peer.
//! - [`deadline`]: the caller's deadline, answered as one.
//! - [`limits`]: HTTP/2 limits and admission control.
//! - [`peer_identity`]: the layer that puts the peer's identity in extensions.
//! - [`listeners`]: the sockets a service serves on.
//! - [`probe`]: health and reflection, and the plaintext probe server.
//! - [`admin`]: the admin port.
//! - [`lifecycle`]: signals, and waiting until a server is serving.

mod admin;
mod deadline;
mod lifecycle;
mod limits;
mod listeners;
mod peer_identity;
mod probe;
mod spec;
mod transport;

use std::{convert::Infallible, sync::Arc, time::Duration};

use http::{Request, Response};
use tokio_util::sync::CancellationToken;
use tonic::{body::Body, service::Routes};
use tower::{ServiceBuilder, ServiceExt, util::BoxCloneSyncService};

pub use deadline::{Deadline, DeadlineLayer, grpc_timeout};
pub use lifecycle::{NotServing, cancel_on_signal, wait_until_serving};
pub use limits::{AdmissionLayer, Limits};
pub use listeners::Listeners;
use listeners::unbuffered;
pub use probe::{probe_server, reflection};
pub use spec::{Access, ServiceSpec};
pub use transport::Transport;

use crate::{
    capability::Authorize,
    health::{self, Readiness},
    metrics::{Metrics, MetricsSettings, RpcMetrics, RpcMetricsLayer},
    revocation::RevocationList,
    tls,
    trace::{ReturnTraceContextLayer, server_trace_layer},
};

/// Any error a layer may end a call with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A service over HTTP, as the layers between the shared ones and the
/// routes see it.
pub type HttpService = BoxCloneSyncService<Request<Body>, Response<Body>, BoxError>;

/// A service's own layers: wraps what is below them (authorization and the
/// routes) and returns the wrapped service.
pub type OwnLayers = Arc<dyn Fn(HttpService) -> HttpService + Send + Sync>;

/// Why a server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("reflection could not be built: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("transport failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// How one service is served. Build it with [`Server::new`], add what the
/// service needs, then [`Server::serve`].
pub struct Server {
    spec: ServiceSpec,
    transport: Transport,
    own_layers: Option<OwnLayers>,
    readiness: Readiness,
    health_period: Duration,
    limits: Limits,
    /// Whether the service reports SERVING, for those who ask over HTTP.
    ready: tokio::sync::watch::Sender<bool>,
    metrics: Metrics,
    rpc_metrics: RpcMetrics,
    metrics_settings: MetricsSettings,
    revoked: RevocationList,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("spec", &self.spec)
            .field("transport", &self.transport)
            .field("health_period", &self.health_period)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Serves `spec` over `transport`, always ready until told otherwise.
    pub fn new(spec: ServiceSpec, transport: Transport) -> Self {
        let metrics = Metrics::new();
        Self {
            spec,
            transport,
            own_layers: None,
            readiness: health::always_ready(),
            health_period: Duration::from_secs(5),
            limits: Limits::default(),
            ready: tokio::sync::watch::Sender::new(false),
            rpc_metrics: RpcMetrics::register(&metrics),
            metrics,
            metrics_settings: MetricsSettings::default(),
            revoked: RevocationList::default(),
        }
    }

    /// Returns the revocations authorization refuses: empty until the
    /// service follows the store's list into it
    /// ([`crate::revocation::follow`]).
    pub fn revocations(&self) -> &RevocationList {
        &self.revoked
    }

    /// Returns the service's metrics, for its parts to register their
    /// instruments in.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Returns the layer counting RED per gRPC method. The server puts it
    /// around the routes; a service with its own layers puts it among them
    /// (the gateway: after gRPC-web translation, before authentication).
    pub fn rpc_metrics_layer(&self) -> RpcMetricsLayer {
        RpcMetricsLayer::new(self.rpc_metrics.clone())
    }

    /// Serves `/metrics` on the admin port as `settings` say (off by default).
    pub fn metrics_settings(mut self, settings: MetricsSettings) -> Self {
        self.metrics_settings = settings;
        self
    }

    /// Returns whether the service reports SERVING, kept current while it
    /// serves: for a REST health path, say.
    pub fn ready(&self) -> tokio::sync::watch::Receiver<bool> {
        self.ready.subscribe()
    }

    /// Puts the service's own layers between the shared ones and the routes.
    pub fn own_layers(mut self, layers: OwnLayers) -> Self {
        self.own_layers = Some(layers);
        self
    }

    /// Reports SERVING while `readiness` passes, checked every `period`.
    pub fn readiness(mut self, readiness: Readiness, period: Duration) -> Self {
        self.readiness = readiness;
        self.health_period = period;
        self
    }

    /// Serves within `limits` instead of the defaults.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Returns the spec being served.
    pub fn spec(&self) -> &ServiceSpec {
        &self.spec
    }

    /// Serves `routes`, with health and reflection beside them, until
    /// `shutdown` is cancelled.
    pub async fn serve(
        self,
        routes: Routes,
        listeners: Listeners,
        shutdown: CancellationToken,
    ) -> Result<(), ServeError> {
        let Self {
            spec,
            transport,
            own_layers,
            readiness,
            health_period,
            limits,
            ready: ready_sender,
            metrics,
            rpc_metrics,
            metrics_settings,
            revoked,
        } = self;
        let (reporter, health) = tonic_health::server::health_reporter();
        let (reflection_v1, reflection_v1alpha) = reflection(&[spec.grpc_service])?;
        let routes = routes
            .add_service(health.clone())
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .prepare();

        let authorize = match spec.access {
            Access::Capabilities {
                allowed_callers,
                rights,
                verifier,
            } => Some(Authorize::layer(
                spec.name,
                allowed_callers,
                verifier,
                rights,
                revoked,
                &metrics,
            )),
            Access::Public => None,
        };
        let inner: HttpService =
            BoxCloneSyncService::new(ServiceBuilder::new().option_layer(authorize).service(
                ServiceExt::<Request<Body>>::map_err(routes, |never: Infallible| -> BoxError {
                    match never {}
                }),
            ));
        let inner = match own_layers {
            Some(layers) => layers(inner),
            None => BoxCloneSyncService::new(
                ServiceBuilder::new()
                    .layer(RpcMetricsLayer::new(rpc_metrics))
                    .service(inner),
            ),
        };
        let service = ServiceBuilder::new()
            .layer(server_trace_layer())
            .layer(ReturnTraceContextLayer)
            .layer(limits.admission())
            .layer(DeadlineLayer)
            .map_request(peer_identity::peer_identity(transport.peer_source()))
            .service(inner);

        let ready = ready_sender.subscribe();
        tokio::spawn(health::watch(
            reporter,
            spec.grpc_service,
            readiness,
            health_period,
            ready_sender,
            shutdown.clone(),
        ));
        let builder = limits.apply(tonic::transport::Server::builder());
        let stop = shutdown.clone().cancelled_owned();
        let main = async {
            match transport {
                Transport::Mtls { tls, reload } => {
                    tls.watch(reload, shutdown.clone());
                    let incoming = tls::incoming(listeners.grpc, tls, shutdown.clone());
                    builder
                        .serve_with_incoming_shutdown(service, incoming, stop)
                        .await
                }
                Transport::Sidecar(_) => {
                    builder
                        .serve_with_incoming_shutdown(service, unbuffered(listeners.grpc), stop)
                        .await
                }
                Transport::Public => {
                    builder
                        .accept_http1(true)
                        .serve_with_incoming_shutdown(service, unbuffered(listeners.grpc), stop)
                        .await
                }
            }
        };
        let probes = probe_server(health)?.serve_with_incoming_shutdown(
            unbuffered(listeners.health),
            shutdown.clone().cancelled_owned(),
        );
        // On a task of its own, so no export ever holds up serving; it
        // ends after one last export once `shutdown` is cancelled.
        let push = metrics_settings.otlp.clone().map(|otlp| {
            tokio::spawn(crate::metrics::otlp::push(
                metrics.clone(),
                spec.name,
                otlp,
                shutdown.clone(),
            ))
        });
        let admin = admin::serve(
            listeners.admin,
            ready,
            crate::metrics::endpoint::router(metrics, metrics_settings),
            shutdown.clone(),
        );
        tokio::try_join!(main, probes, admin)?;
        if let Some(push) = push {
            // A push that panicked has already said so; serving went well.
            let _ = push.await;
        }
        Ok(())
    }
}
