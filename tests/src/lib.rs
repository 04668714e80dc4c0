//! The end-to-end harness: the whole mesh on ephemeral loopback ports with
//! real mTLS, and the clients and tools the tests call it with.
//!
//! # Layout
//! - [`TestMesh`]: starts all four services in a temporary directory, waits
//!   on their health, hands out clients, tokens and certificates.
//! - [`tools`]: the real third-party clients (grpcurl, buf, schemathesis) the tests run.
//! - [`audit_trail`]: calls with a trace id each, and the audit read back by it.
//! - [`http1`]: a minimal HTTP/1.1 client, for REST and raw gRPC-web.
//! - [`otlp_receiver`]: an OTLP collector of the test's own, keeping spans and metrics.
//! - [`postgres_server`]: a PostgreSQL server of the test's own, to stop and start.
//! - [`sidecar_proxy`]: HAProxy as a service's Istio-style sidecar, for mesh mode.

#![forbid(unsafe_code)]

pub mod audit_trail;
pub mod http1;
pub mod otlp_receiver;
pub mod postgres_server;
pub mod sidecar_proxy;
pub mod tools;

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use anyhow::Context;
use gateway::oidc::dev_issuer::DevClaims;
use mesh::{
    dev::{DevState, NAMESPACE, TRUST_DOMAIN},
    local::{Addresses, Edge, LocalMesh, Options, Ports, WarehouseSidecar},
};
use mesh_core::{
    capability::{Capability, CapabilityMinter, Right, RootKey},
    identity::SpiffeId,
    metrics::OtlpSettings,
    sidecar::SidecarProvider,
    tls::{MeshTls, MtlsConnector},
};
use proto::gateway::gateway_service_client::GatewayServiceClient;
use sidecar_proxy::SidecarProxy;
use tonic::transport::{Channel, Endpoint};

/// How long services get to report SERVING: a cold debug build on a busy
/// two-core machine generates the warehouse dataset first.
const STARTUP: Duration = Duration::from_secs(120);

/// A running mesh and everything a test needs to call it.
#[derive(Debug)]
pub struct TestMesh {
    pub dir: tempfile::TempDir,
    pub state: DevState,
    pub addresses: Addresses,
    /// The warehouse's sidecar, when it runs in mesh mode.
    pub warehouse_proxy: Option<SidecarProxy>,
    local: LocalMesh,
}

impl TestMesh {
    /// Starts the mesh with fast certificate reloads and waits on health.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with_store(None).await
    }

    /// Starts the mesh with the store on `store` (`None`: the embedded one).
    pub async fn start_with_store(store: Option<store::Backend>) -> anyhow::Result<Self> {
        Self::start_inner(store, 0, Edge::dev, None, false, None).await
    }

    /// Starts the mesh with the warehouse in mesh mode behind HAProxy
    /// ([`SidecarProxy`]), believing Istio's header only from the proxy's
    /// source address; the gateway and the forecaster dial the proxy.
    pub async fn start_with_warehouse_sidecar() -> anyhow::Result<Self> {
        Self::start_inner(None, 0, Edge::dev, None, true, None).await
    }

    /// Starts the mesh with every service's `/metrics` asking for `token`.
    pub async fn start_with_metrics_token(token: &str) -> anyhow::Result<Self> {
        Self::start_inner(None, 0, Edge::dev, Some(token.to_owned()), false, None).await
    }

    /// Starts the mesh with every service pushing its metrics as `otlp` says.
    pub async fn start_with_otlp_metrics(otlp: OtlpSettings) -> anyhow::Result<Self> {
        Self::start_inner(None, 0, Edge::dev, None, false, Some(otlp)).await
    }

    /// Starts the mesh with the gateway on `port` (0: any free one),
    /// signing users in as `edge` says.
    pub async fn start_with_edge(
        port: u16,
        edge: impl FnOnce(&DevState) -> Edge,
    ) -> anyhow::Result<Self> {
        Self::start_inner(None, port, edge, None, false, None).await
    }

    async fn start_inner(
        store: Option<store::Backend>,
        port: u16,
        edge: impl FnOnce(&DevState) -> Edge,
        metrics_token: Option<String>,
        warehouse_sidecar: bool,
        otlp_metrics: Option<OtlpSettings>,
    ) -> anyhow::Result<Self> {
        init_test_logs();
        let dir = tempfile::tempdir()?;
        let state = DevState::load_or_create(dir.path())?;
        let mut options = Options {
            ports: Ports { gateway: port },
            tls_reload: Duration::from_secs(1),
            data_dir: dir.path().join("data"),
            cors_origins: vec!["http://dashboard.test".into()],
            store,
            warehouse_sidecar: None,
            metrics_token,
            rate_limits: Default::default(),
            otlp_metrics,
        };
        let proxy_address = if warehouse_sidecar {
            // A free port for the proxy, which can only start once the
            // warehouse's port is known.
            let address = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
            options.warehouse_sidecar = Some(WarehouseSidecar {
                provider: SidecarProvider::Istio,
                proxy_addresses: Some(sidecar_proxy::PROXY_SOURCE.into()),
                proxy: address,
            });
            Some(address)
        } else {
            None
        };
        let edge = edge(&state);
        let local = LocalMesh::start_with_edge(&state, options, edge).await?;
        let addresses = local.addresses.clone();
        let warehouse_proxy = match proxy_address {
            Some(address) => Some(SidecarProxy::start(
                address,
                addresses.warehouse,
                &SpiffeId::workload(TRUST_DOMAIN, NAMESPACE, "warehouse"),
                &state.tls_files("warehouse"),
            )?),
            None => None,
        };
        local.wait_serving(STARTUP).await?;
        Ok(Self {
            dir,
            state,
            addresses,
            warehouse_proxy,
            local,
        })
    }

    /// Stops every service and waits for them.
    pub async fn stop(self) {
        self.local.stop().await;
    }

    /// Returns a dev bearer token with every scope.
    pub fn bearer(&self) -> anyhow::Result<String> {
        Ok(self
            .state
            .issuer
            .token("test-user", Duration::from_secs(600))?)
    }

    /// Returns a dev bearer token with every scope for `subject`: a principal
    /// of its own, with rate limits of its own.
    pub fn bearer_of(&self, subject: &str) -> anyhow::Result<String> {
        Ok(self.state.issuer.token(subject, Duration::from_secs(600))?)
    }

    /// Returns valid claims to forge bad tokens from.
    pub fn claims(&self) -> DevClaims {
        self.state
            .issuer
            .claims("test-user", gateway::scopes::ALL, Duration::from_secs(600))
    }

    /// Returns a plaintext gRPC client of the gateway's public port.
    pub async fn gateway(&self) -> anyhow::Result<GatewayServiceClient<Channel>> {
        let channel = Endpoint::from_shared(format!("http://{}", self.addresses.gateway))?
            .connect()
            .await?;
        Ok(GatewayServiceClient::new(channel))
    }

    /// Returns the SPIFFE id of `workload` in the test mesh.
    pub fn id(&self, workload: &str) -> SpiffeId {
        SpiffeId::workload(TRUST_DOMAIN, NAMESPACE, workload)
    }

    /// Loads the TLS material of a dev workload (`gateway`, `operator`, ...).
    pub fn tls_of(&self, workload: &str) -> anyhow::Result<Arc<MeshTls>> {
        Ok(MeshTls::load(self.state.tls_files(workload))?)
    }

    /// Returns an mTLS channel to `address` presenting `tls`, with no token
    /// handling: tests set `authorization` themselves.
    pub fn mtls_channel(
        &self,
        address: std::net::SocketAddr,
        tls: Arc<MeshTls>,
    ) -> anyhow::Result<Channel> {
        let endpoint = Endpoint::from_shared(format!("http://localhost:{}", address.port()))?
            .connect_timeout(Duration::from_secs(5));
        Ok(endpoint.connect_with_connector_lazy(MtlsConnector::new(tls)))
    }

    /// Returns the admin port (`/ready`, `/metrics`) of `service`.
    pub fn admin_of(&self, service: &str) -> anyhow::Result<std::net::SocketAddr> {
        self.addresses
            .admin
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, address)| *address)
            .with_context(|| format!("the {service}'s admin port"))
    }

    /// Returns TLS material naming `workload` (and `localhost`) that trusts
    /// the mesh CA but was signed by another CA, as an impostor would hold;
    /// the files live as long as the returned directory.
    pub fn foreign_tls(&self, workload: &str) -> anyhow::Result<(Arc<MeshTls>, tempfile::TempDir)> {
        let dir = tempfile::tempdir()?;
        let files = mesh_core::tls::TlsFiles {
            ca: self.state.tls_files(workload).ca,
            cert: dir.path().join("foreign.pem"),
            key: dir.path().join("foreign.key.pem"),
        };
        mesh_core::certs::DevCa::generate("another CA")?
            .issue(&self.id(workload), &["localhost"])?
            .write(&files)?;
        Ok((MeshTls::load(files)?, dir))
    }

    /// Starts a second warehouse on this mesh's dataset and certificates,
    /// and waits until it serves.
    pub async fn warehouse_replica(&self) -> anyhow::Result<mesh::local::WarehouseReplica> {
        let options = Options {
            ports: Ports { gateway: 0 },
            tls_reload: Duration::from_secs(1),
            data_dir: self.dir.path().join("data"),
            cors_origins: Vec::new(),
            store: None,
            warehouse_sidecar: None,
            metrics_token: None,
            rate_limits: Default::default(),
            otlp_metrics: None,
        };
        let replica =
            mesh::local::WarehouseReplica::start(&self.state, &options, self.addresses.store)
                .await?;
        mesh_core::server::wait_until_serving(replica.health, STARTUP).await?;
        Ok(replica)
    }

    /// Narrows `capability` for `caller` calling `method` on `callee`, as
    /// the caller's channel would; returns the token as it travels.
    pub fn narrowed(
        &self,
        capability: &Capability,
        caller: &str,
        callee: &str,
        method: &str,
        now: SystemTime,
    ) -> anyhow::Result<String> {
        let (caller, callee) = (self.id(caller), self.id(callee));
        let hop = mesh_core::capability::Hop {
            caller: &caller,
            callee: &callee,
            service: callee.service(),
            method,
            ttl: Duration::from_secs(30),
            delegated: proto::policy::call_plan(method).unwrap_or_default(),
        };
        Ok(mesh_core::capability::narrow(capability, &hop, now)?.to_base64()?)
    }

    /// Mints a capability with the mesh's root key, as the gateway would.
    pub fn mint(&self, rights: &[Right], now: SystemTime) -> anyhow::Result<Capability> {
        let root = RootKey::from_hex(
            self.state.root_key.key_id(),
            &self.state.root_key.private_hex(),
        )?;
        Ok(CapabilityMinter::new(root, Duration::from_secs(60)).mint(
            "test-principal",
            rights,
            now,
        )?)
    }
}

/// Returns the sum of the samples on the `/metrics` page at `admin` (read
/// with `token`, if the page asks for one) whose line `counts`.
pub async fn metric_sum(
    admin: std::net::SocketAddr,
    token: Option<&str>,
    counts: impl Fn(&str) -> bool,
) -> anyhow::Result<f64> {
    let page = http1::get(admin, "/metrics", token).await?;
    anyhow::ensure!(page.status == 200, "{}", page.body);
    Ok(page
        .body
        .lines()
        .filter(|line| !line.starts_with('#') && counts(line))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum())
}

/// Adds `authorization: Bearer <token>` to a request.
pub fn with_bearer<T>(token: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().context("bearer header")?,
    );
    Ok(request)
}

/// Asserts that a call was refused at the TLS handshake: a transport error,
/// never an answer from the service. Which transport error the client reads
/// is a race in TLS 1.3, where the server checks the client certificate
/// after the client considers the handshake done: the server's alert
/// (`UnknownCA`, …), a broken pipe, a reset or a closed connection.
pub fn assert_refused_at_handshake(refused: &tonic::Status) {
    assert!(
        matches!(
            refused.code(),
            tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled
        ),
        "{refused:?}"
    );
    assert!(
        format!("{refused:?}").contains("tonic::transport::Error"),
        "not refused by the transport: {refused:?}"
    );
}

/// Installs telemetry so spans carry trace ids; logs go to the test output
/// only when `TEST_LOG` is set. A test that installed its own keeps it.
fn init_test_logs() {
    let logs = std::env::var_os("TEST_LOG").is_some();
    // Each test runs in its own process under nextest; the telemetry lives as
    // long as the process does.
    if let Ok(telemetry) = mesh_core::telemetry::install("forecast-mesh-tests", None, logs) {
        std::mem::forget(telemetry);
    }
}
