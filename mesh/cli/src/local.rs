//! The whole mesh in one process on loopback: every listener bound on an
//! ephemeral or chosen port first, each service's config built from the
//! bound addresses, each `run` spawned. Every hop still crosses a real socket
//! with real mTLS. `mesh up` and the end-to-end tests both use this.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use gateway::oidc::dev_issuer::{DEV_AUDIENCE, DEV_ISSUER};
use mesh_core::{
    CancellationToken,
    config::{MeshSettings, TransportMode},
    metrics::OtlpSettings,
    server::Listeners,
    sidecar::SidecarProvider,
};
use tokio::{net::TcpListener, task::JoinSet};

use crate::dev::{DevState, NAMESPACE, TRUST_DOMAIN};

/// Ports to bind; 0 picks a free one.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ports {
    pub gateway: u16,
}

/// The addresses a running local mesh listens on.
#[derive(Clone, Debug)]
pub struct Addresses {
    pub gateway: SocketAddr,
    pub gateway_health: SocketAddr,
    pub warehouse: SocketAddr,
    pub warehouse_health: SocketAddr,
    pub forecaster: SocketAddr,
    pub forecaster_health: SocketAddr,
    pub store: SocketAddr,
    pub store_health: SocketAddr,
    /// Admin ports (`/ready`, `/metrics`), in the order
    /// warehouse, store, forecaster, gateway.
    pub admin: [(&'static str, SocketAddr); 4],
}

/// Settings a test may change.
#[derive(Clone, Debug)]
pub struct Options {
    pub ports: Ports,
    /// How often services look for rotated certificates.
    pub tls_reload: Duration,
    /// Where the warehouse and store keep their files.
    pub data_dir: PathBuf,
    pub cors_origins: Vec<String>,
    /// The store's backend; `None` is the embedded one under `data_dir`.
    pub store: Option<store::Backend>,
    /// The warehouse in mesh mode behind a proxy the caller runs; `None`:
    /// native mTLS like the rest.
    pub warehouse_sidecar: Option<WarehouseSidecar>,
    /// The bearer token every service's `/metrics` asks for; `None`: open.
    pub metrics_token: Option<String>,
    /// The gateway's rates per principal.
    pub rate_limits: gateway::edge::rate_limit::RateLimitSettings,
    /// The collector every service pushes its metrics to; `None`: none.
    pub otlp_metrics: Option<OtlpSettings>,
}

/// The warehouse serving plaintext h2 behind a sidecar proxy that terminates
/// the mTLS and names the caller in its header.
#[derive(Clone, Debug)]
pub struct WarehouseSidecar {
    pub provider: SidecarProvider,
    /// The addresses the proxy connects from (`WAREHOUSE_SIDECAR_PROXY_ADDRESSES`).
    pub proxy_addresses: Option<String>,
    /// The proxy's mTLS port, which the gateway and the forecaster dial
    /// instead of the warehouse's own.
    pub proxy: SocketAddr,
}

/// How the gateway signs users in.
#[derive(Clone, Debug)]
pub struct Edge {
    pub oidc: gateway::config::OidcSettings,
    pub web: gateway::web::WebSettings,
}

impl Edge {
    /// The dev issuer's tokens, and the dashboard's dev sign-in: what
    /// `mesh up` runs with.
    pub fn dev(state: &DevState) -> Self {
        Self {
            oidc: gateway::config::OidcSettings {
                issuer: DEV_ISSUER.into(),
                audience: DEV_AUDIENCE.into(),
                jwks: gateway::oidc::JwksSource::File(state.jwks_path()),
                jwks_refresh: gateway::oidc::Refresh::default(),
                algorithms: vec![jsonwebtoken::Algorithm::EdDSA],
            },
            web: gateway::web::WebSettings::new(gateway::web::SignIn::Dev),
        }
    }
}

/// A running local mesh.
#[derive(Debug)]
pub struct LocalMesh {
    pub addresses: Addresses,
    /// Stops the internal services.
    pub shutdown: CancellationToken,
    /// Stops the gateway, which goes first so its audit queue reaches the store.
    edge_shutdown: CancellationToken,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

async fn bind(port: u16) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding port {port}"))?;
    let address = listener.local_addr()?;
    Ok((listener, address))
}

async fn listeners(port: u16) -> anyhow::Result<(Listeners, SocketAddr, SocketAddr, SocketAddr)> {
    let (grpc, grpc_address) = bind(port).await?;
    let (health, health_address) = bind(0).await?;
    let (admin, admin_address) = bind(0).await?;
    Ok((
        Listeners {
            grpc,
            health,
            admin: Some(admin),
        },
        grpc_address,
        health_address,
        admin_address,
    ))
}

/// The mesh settings of `workload` in a local mesh: native mTLS with the
/// dev certificates, the dev root key's public half, metrics on (and
/// pushed where `options` say).
fn mesh_settings(state: &DevState, workload: &str, options: &Options) -> MeshSettings {
    let files = state.tls_files(workload);
    MeshSettings {
        trust_domain: TRUST_DOMAIN.into(),
        namespace: NAMESPACE.into(),
        transport: TransportMode::Native,
        sidecar_provider: None,
        sidecar_proxy_addresses: None,
        tls_ca: Some(files.ca),
        tls_cert: Some(files.cert),
        tls_key: Some(files.key),
        tls_reload_secs: options.tls_reload.as_secs().max(1),
        // Tests reload, check health and read revocations at the same quick pace.
        health_check_secs: options.tls_reload.as_secs().max(1),
        revocation_refresh_secs: options.tls_reload.as_secs().max(1),
        capability_public_keys: state.root_key.public_key_set().to_config_string(),
        metrics_enabled: true,
        metrics_token: options.metrics_token.clone().map(Into::into),
        otlp_metrics: options.otlp_metrics.clone(),
    }
}

/// A second warehouse beside a local mesh's, on the same dataset: for
/// showing callers spread their calls over replicas.
#[derive(Debug)]
pub struct WarehouseReplica {
    pub address: SocketAddr,
    pub health: SocketAddr,
    pub admin: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl WarehouseReplica {
    /// Starts a warehouse on free ports reading `options.data_dir`'s
    /// dataset, reading revocations from the store at `store`.
    pub async fn start(
        state: &DevState,
        options: &Options,
        store: SocketAddr,
    ) -> anyhow::Result<Self> {
        let (listeners, address, health, admin) = listeners(0).await?;
        let config = warehouse::Config {
            mesh: mesh_settings(state, "warehouse", options),
            backend: warehouse::Backend::Embedded {
                path: options.data_dir.join("warehouse.sqlite"),
            },
            store_address: format!("localhost:{}", store.port()),
        };
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(warehouse::run(config, listeners, shutdown.clone()));
        Ok(Self {
            address,
            health,
            admin,
            shutdown,
            task,
        })
    }

    /// Stops it and waits until it has.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await?
    }
}

impl LocalMesh {
    /// Starts all four services from `state`. Returns once every listener is
    /// bound; callers wait on health before calling.
    pub async fn start(state: &DevState, options: Options) -> anyhow::Result<Self> {
        Self::start_with_edge(state, options, Edge::dev(state)).await
    }

    /// Starts all four services, the gateway signing users in as `edge` says.
    pub async fn start_with_edge(
        state: &DevState,
        options: Options,
        edge: Edge,
    ) -> anyhow::Result<Self> {
        let (warehouse_listeners, warehouse, warehouse_health, warehouse_admin) =
            listeners(0).await?;
        let (store_listeners, store, store_health, store_admin) = listeners(0).await?;
        let (forecaster_listeners, forecaster, forecaster_health, forecaster_admin) =
            listeners(0).await?;
        let (gateway_listeners, gateway, gateway_health, gateway_admin) =
            listeners(options.ports.gateway).await?;
        let addresses = Addresses {
            gateway,
            gateway_health,
            warehouse,
            warehouse_health,
            forecaster,
            forecaster_health,
            store,
            store_health,
            admin: [
                ("warehouse", warehouse_admin),
                ("store", store_admin),
                ("forecaster", forecaster_admin),
                ("gateway", gateway_admin),
            ],
        };

        let mesh = |workload: &str| mesh_settings(state, workload, &options);
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();

        let mut warehouse_mesh = mesh("warehouse");
        let mut warehouse_address = format!("localhost:{}", warehouse.port());
        if let Some(behind) = &options.warehouse_sidecar {
            warehouse_mesh = MeshSettings {
                transport: TransportMode::Sidecar,
                sidecar_provider: Some(behind.provider),
                sidecar_proxy_addresses: behind.proxy_addresses.clone(),
                tls_ca: None,
                tls_cert: None,
                tls_key: None,
                ..warehouse_mesh
            };
            warehouse_address = format!("localhost:{}", behind.proxy.port());
        }
        let config = warehouse::Config {
            mesh: warehouse_mesh,
            backend: warehouse::Backend::Embedded {
                path: options.data_dir.join("warehouse.sqlite"),
            },
            store_address: format!("localhost:{}", store.port()),
        };
        let stop = shutdown.clone();
        tasks.spawn(async move {
            (
                "warehouse",
                warehouse::run(config, warehouse_listeners, stop).await,
            )
        });

        let config = store::Config {
            mesh: mesh("store"),
            backend: options
                .store
                .clone()
                .unwrap_or_else(|| store::Backend::Embedded {
                    path: options.data_dir.join("store.sqlite"),
                }),
        };
        let stop = shutdown.clone();
        tasks.spawn(async move { ("store", store::run(config, store_listeners, stop).await) });

        let config = forecaster::Config {
            mesh: mesh("forecaster"),
            warehouse_address: warehouse_address.clone(),
            store_address: format!("localhost:{}", store.port()),
            fits: forecaster::fit::FitLimits::default(),
            upstream_timeout: forecaster::config::DEFAULT_UPSTREAM_TIMEOUT,
        };
        let stop = shutdown.clone();
        tasks.spawn(async move {
            (
                "forecaster",
                forecaster::run(config, forecaster_listeners, stop).await,
            )
        });

        let config = gateway::Config {
            mesh: mesh("gateway"),
            root_key: state.root_key.private_hex(),
            root_key_id: state.root_key.key_id(),
            capability_ttl: Duration::from_secs(60),
            oidc: edge.oidc,
            warehouse_address,
            forecaster_address: format!("localhost:{}", forecaster.port()),
            store_address: format!("localhost:{}", store.port()),
            cors_origins: options.cors_origins.clone(),
            audit_spool: gateway::audit::SpoolSettings {
                dir: options.data_dir.join("audit-spool"),
                max_bytes: 256 * 1024 * 1024,
            },
            rate_limits: options.rate_limits.clone(),
            web: edge.web,
        };
        let edge_shutdown = CancellationToken::new();
        let stop = edge_shutdown.clone();
        tasks.spawn(async move {
            (
                "gateway",
                gateway::run(config, gateway_listeners, stop).await,
            )
        });

        Ok(Self {
            addresses,
            shutdown,
            edge_shutdown,
            tasks,
        })
    }

    /// Waits until every service reports SERVING on its health port.
    pub async fn wait_serving(
        &self,
        within: Duration,
    ) -> Result<(), mesh_core::server::NotServing> {
        let a = &self.addresses;
        for health in [
            a.warehouse_health,
            a.store_health,
            a.forecaster_health,
            a.gateway_health,
        ] {
            mesh_core::server::wait_until_serving(health, within).await?;
        }
        Ok(())
    }

    /// Waits until a service stops; returns its name and result. A healthy
    /// mesh only stops on shutdown.
    pub async fn wait_any(&mut self) -> Option<(&'static str, anyhow::Result<()>)> {
        match self.tasks.join_next().await? {
            Ok(outcome) => Some(outcome),
            Err(error) => Some(("unknown", Err(error.into()))),
        }
    }

    /// Stops the gateway (which flushes its audit queue to the store), then
    /// the internal services, and waits for all of them.
    pub async fn stop(mut self) {
        self.edge_shutdown.cancel();
        while let Some(stopped) = self.tasks.join_next().await {
            if matches!(stopped, Ok(("gateway", _)) | Err(_)) {
                break;
            }
        }
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}
