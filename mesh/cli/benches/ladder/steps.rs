//! The rungs of the ladder: each a way to ask for an answer, from a bare
//! plaintext health check to the gateway's REST path.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI32, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, bail, ensure};
use mesh_core::tls::{MeshTls, MtlsConnector};
use prost::Message;
use proto::{
    gateway::{
        GetDashboardRequest, GetForecastRequest, GetKpisRequest as PublicGetKpis,
        GetTelemetryStatusRequest, gateway_service_client::GatewayServiceClient,
    },
    warehouse::{GetKpisRequest, warehouse_service_client::WarehouseServiceClient},
};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use mesh::process::MeshProcess;

use crate::http1::Http1;

/// Which rung.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    PlaintextHealth,
    MtlsHealth,
    DirectGetKpis,
    GatewayGrpc,
    GatewayGrpcWeb,
    GatewayRest,
    GatewayEdgeOnly,
    GatewayForecastWarm,
    GatewayDashboardWarm,
    GatewayDashboardCold,
}

impl Step {
    pub(crate) const ALL: [Step; 10] = [
        Step::PlaintextHealth,
        Step::MtlsHealth,
        Step::DirectGetKpis,
        Step::GatewayGrpc,
        Step::GatewayGrpcWeb,
        Step::GatewayRest,
        Step::GatewayEdgeOnly,
        Step::GatewayForecastWarm,
        Step::GatewayDashboardWarm,
        Step::GatewayDashboardCold,
    ];

    /// Whether the step is measured with 32 and 128 callers too. A cold
    /// dashboard fits models on every call: many at once fill the
    /// forecaster's fit queue, which sheds them (`RESOURCE_EXHAUSTED`), as
    /// it should.
    pub(crate) fn in_crowds(self) -> bool {
        self != Step::GatewayDashboardCold
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Step::PlaintextHealth => "plaintext health Check (probe port)",
            Step::MtlsHealth => "mTLS health Check (warehouse)",
            Step::DirectGetKpis => "mTLS + capability: warehouse GetKpis",
            Step::GatewayGrpc => "gateway gRPC GetKpis",
            Step::GatewayGrpcWeb => "gateway gRPC-web GetKpis (HTTP/1.1)",
            Step::GatewayRest => "gateway REST GET /api/kpis",
            Step::GatewayEdgeOnly => "gateway GetTelemetryStatus (edge only)",
            Step::GatewayForecastWarm => "gateway GetForecast, same request",
            Step::GatewayDashboardWarm => "gateway GetDashboard, same request",
            Step::GatewayDashboardCold => "gateway GetDashboard, new horizon",
        }
    }
}

/// What the clients share: channels (one HTTP/2 connection each, as a
/// gRPC client keeps) and the credentials.
pub(crate) struct Shared {
    probe: Channel,
    warehouse: Channel,
    gateway: Channel,
    gateway_address: std::net::SocketAddr,
    capability: String,
    bearer: String,
    /// The next cold dashboard's horizon: each call asks for one not yet
    /// asked, so nothing computed for an earlier call can answer it.
    cold_horizon: Arc<AtomicI32>,
}

const PATH: &str = "/forecastmesh.gateway.v1.GatewayService/GetKpis";
const WINDOW_DAYS: i32 = 30;

impl Shared {
    pub(crate) async fn connect(
        mesh: &MeshProcess,
        operator_tls: Arc<MeshTls>,
        capability: String,
        bearer: String,
    ) -> anyhow::Result<Self> {
        let probe = Endpoint::from_shared(format!("http://{}", mesh.warehouse_probe))?
            .tcp_nodelay(true)
            .connect()
            .await?;
        // The dev certificates name `localhost`.
        let warehouse =
            Endpoint::from_shared(format!("http://localhost:{}", mesh.warehouse.port()))?
                .tcp_nodelay(true)
                .connect_with_connector(MtlsConnector::new(operator_tls))
                .await?;
        let gateway = Endpoint::from_shared(format!("http://{}", mesh.gateway))?
            .tcp_nodelay(true)
            .connect()
            .await?;
        Ok(Self {
            probe,
            warehouse,
            gateway,
            gateway_address: mesh.gateway,
            capability: format!("Bearer {capability}"),
            bearer: format!("Bearer {bearer}"),
            cold_horizon: Arc::new(AtomicI32::new(1)),
        })
    }
}

/// One worker's client for one step: gRPC clients share their step's
/// channel; HTTP/1.1 clients hold a connection each, as a browser's tabs do.
pub(crate) enum Client {
    Health(HealthClient<Channel>),
    Warehouse(WarehouseServiceClient<Channel>, String),
    Gateway(GatewayServiceClient<Channel>, String),
    GatewayMethod(GatewayServiceClient<Channel>, String, Step, Arc<AtomicI32>),
    GrpcWeb(Http1, String, Vec<u8>),
    Rest(Http1, String),
}

impl Client {
    pub(crate) async fn new(step: Step, shared: &Shared) -> anyhow::Result<Self> {
        Ok(match step {
            Step::PlaintextHealth => Client::Health(HealthClient::new(shared.probe.clone())),
            Step::MtlsHealth => Client::Health(HealthClient::new(shared.warehouse.clone())),
            Step::DirectGetKpis => Client::Warehouse(
                WarehouseServiceClient::new(shared.warehouse.clone()),
                shared.capability.clone(),
            ),
            Step::GatewayGrpc => Client::Gateway(
                GatewayServiceClient::new(shared.gateway.clone()),
                shared.bearer.clone(),
            ),
            Step::GatewayGrpcWeb => {
                let message = PublicGetKpis {
                    window_days: WINDOW_DAYS,
                }
                .encode_to_vec();
                // A gRPC-web data frame: flag 0, big-endian length, message.
                let mut frame = vec![0];
                frame.extend_from_slice(&u32::try_from(message.len())?.to_be_bytes());
                frame.extend_from_slice(&message);
                Client::GrpcWeb(
                    Http1::connect(shared.gateway_address).await?,
                    shared.bearer.clone(),
                    frame,
                )
            }
            Step::GatewayRest => Client::Rest(
                Http1::connect(shared.gateway_address).await?,
                shared.bearer.clone(),
            ),
            Step::GatewayEdgeOnly
            | Step::GatewayForecastWarm
            | Step::GatewayDashboardWarm
            | Step::GatewayDashboardCold => Client::GatewayMethod(
                GatewayServiceClient::new(shared.gateway.clone()),
                shared.bearer.clone(),
                step,
                Arc::clone(&shared.cold_horizon),
            ),
        })
    }

    /// Makes one call; an error is any answer but a successful one.
    pub(crate) async fn call(&mut self) -> anyhow::Result<()> {
        match self {
            Client::Health(client) => {
                client
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await?;
            }
            Client::Warehouse(client, capability) => {
                let mut request = tonic::Request::new(GetKpisRequest {
                    window_days: WINDOW_DAYS,
                });
                request
                    .metadata_mut()
                    .insert("authorization", capability.parse()?);
                let kpis = client.get_kpis(request).await?.into_inner();
                ensure!(kpis.kpis.is_some_and(|k| k.orders > 0), "no figures");
            }
            Client::Gateway(client, bearer) => {
                let mut request = tonic::Request::new(PublicGetKpis {
                    window_days: WINDOW_DAYS,
                });
                request
                    .metadata_mut()
                    .insert("authorization", bearer.parse()?);
                let kpis = client.get_kpis(request).await?.into_inner();
                ensure!(kpis.kpis.is_some_and(|k| k.orders > 0), "no figures");
            }
            Client::GatewayMethod(client, bearer, step, cold_horizon) => {
                call_gateway(client, bearer, *step, cold_horizon).await?;
            }
            Client::GrpcWeb(connection, bearer, frame) => {
                let response = connection
                    .send(
                        "POST",
                        PATH,
                        &[
                            ("Content-Type", "application/grpc-web+proto"),
                            ("Accept", "application/grpc-web+proto"),
                            ("X-Grpc-Web", "1"),
                            ("X-User-Agent", "grpc-web-javascript/0.1"),
                            ("Authorization", bearer),
                        ],
                        frame,
                    )
                    .await?;
                ensure!(response.status == 200, "HTTP {}", response.status);
                grpc_web_ok(&response.body, response.header("grpc-status"))?;
            }
            Client::Rest(connection, bearer) => {
                let response = connection
                    .send(
                        "GET",
                        "/api/kpis",
                        &[("Accept", "application/json"), ("Authorization", bearer)],
                        &[],
                    )
                    .await?;
                if response.status != 200 {
                    bail!(NotServed(response.status));
                }
                ensure!(!response.body.is_empty(), "empty body");
            }
        }
        Ok(())
    }
}

/// Calls the gateway method of `step` and checks its answer has figures.
async fn call_gateway(
    client: &mut GatewayServiceClient<Channel>,
    bearer: &str,
    step: Step,
    cold_horizon: &AtomicI32,
) -> anyhow::Result<()> {
    fn with_bearer<T>(bearer: &str, message: T) -> anyhow::Result<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", bearer.parse()?);
        Ok(request)
    }
    match step {
        Step::GatewayEdgeOnly => {
            let status = client
                .get_telemetry_status(with_bearer(bearer, GetTelemetryStatusRequest {})?)
                .await?
                .into_inner();
            ensure!(status.trace_id.len() == 32, "no trace id");
        }
        Step::GatewayForecastWarm => {
            let forecast = client
                .get_forecast(with_bearer(
                    bearer,
                    GetForecastRequest {
                        days: 30,
                        levels: Vec::new(),
                    },
                )?)
                .await?
                .into_inner();
            ensure!(
                forecast.forecast.is_some_and(|f| f.points.len() == 30),
                "no forecast"
            );
        }
        Step::GatewayDashboardWarm | Step::GatewayDashboardCold => {
            let days = if step == Step::GatewayDashboardCold {
                // 1..=365 and round again: more horizons than any cache keeps.
                cold_horizon.fetch_add(1, Ordering::Relaxed) % 365 + 1
            } else {
                30
            };
            let dashboard = client
                .get_dashboard(with_bearer(
                    bearer,
                    GetDashboardRequest {
                        forecast_days: days,
                    },
                )?)
                .await?
                .into_inner();
            ensure!(
                dashboard.kpis.is_some() && dashboard.forecast.is_some(),
                "no dashboard"
            );
        }
        other => bail!("{other:?} is not a gateway method step"),
    }
    Ok(())
}

/// The gateway does not serve this step (yet): its HTTP status.
#[derive(Debug)]
pub(crate) struct NotServed(pub u16);

impl std::fmt::Display for NotServed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not served ({})", self.0)
    }
}

impl std::error::Error for NotServed {}

/// Checks a gRPC-web body: a data frame, then trailers saying `grpc-status: 0`
/// (or a trailers-only answer whose status came in the headers).
fn grpc_web_ok(body: &[u8], header_status: Option<&str>) -> anyhow::Result<()> {
    if let Some(status) = header_status {
        ensure!(status == "0", "grpc-status {status}");
    }
    let mut rest = body;
    let mut data = false;
    let mut trailers_ok = header_status == Some("0");
    while rest.len() >= 5 {
        let flag = rest[0];
        let length = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let frame = rest.get(5..5 + length).context("truncated frame")?;
        if flag & 0x80 == 0 {
            data = true;
        } else {
            let trailers = String::from_utf8_lossy(frame).to_ascii_lowercase();
            ensure!(
                trailers.contains("grpc-status:0") || trailers.contains("grpc-status: 0"),
                "trailers {trailers:?}"
            );
            trailers_ok = true;
        }
        rest = &rest[5 + length..];
    }
    ensure!(data && trailers_ok, "incomplete gRPC-web answer");
    Ok(())
}

/// How long a single call may take before the step fails.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);
