//! One trace spans every hop: spans received by an OTLP receiver in the test
//! share the caller's trace id across gateway, forecaster, warehouse and store.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use mesh_tests::{TestMesh, with_bearer};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
    trace::v1::Span,
};
use proto::gateway::{GetForecastRequest, GetTelemetryStatusRequest};
use tokio_stream::wrappers::TcpListenerStream;

/// Collects every span exported to it.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans);
        self.spans
            .lock()
            .map_err(|_| tonic::Status::internal("poisoned"))?
            .extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| {
        match a.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            Value::IntValue(i) => Some(i.to_string()),
            _ => None,
        }
    })
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_spans_gateway_forecaster_warehouse_and_store() -> anyhow::Result<()> {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    let telemetry = mesh_core::telemetry::install("forecast-mesh-tests", Some(&endpoint), false)?;
    let mesh = TestMesh::start().await?;

    let mut request = with_bearer(
        &mesh.bearer()?,
        GetForecastRequest {
            days: 7,
            levels: vec![],
        },
    )?;
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-00f067aa0ba902b7-01").parse()?,
    );
    mesh.gateway().await?.get_forecast(request).await?;

    let telemetry = Arc::new(telemetry);
    let mut services = BTreeSet::new();
    for _ in 0..50 {
        let flusher = telemetry.clone();
        tokio::task::spawn_blocking(move || flusher.flush()).await?;
        let spans = receiver
            .spans
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone();
        services = spans
            .iter()
            .filter(|span| {
                hex_of(&span.trace_id) == TRACE_ID
                    && attribute(span, "rpc.system").as_deref() == Some("grpc")
            })
            .filter_map(|span| attribute(span, "rpc.service"))
            .collect();
        if services.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected: BTreeSet<String> = [
        "forecastmesh.gateway.v1.GatewayService",
        "forecastmesh.forecaster.v1.ForecasterService",
        "forecastmesh.warehouse.v1.WarehouseService",
        "forecastmesh.store.v1.StoreService",
    ]
    .map(String::from)
    .into();
    assert_eq!(services, expected, "server spans in trace {TRACE_ID}");
    let spans = receiver
        .spans
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let in_trace: Vec<&Span> = spans
        .iter()
        .filter(|s| hex_of(&s.trace_id) == TRACE_ID)
        .collect();
    assert!(
        in_trace.iter().all(|s| !s.parent_span_id.is_empty()),
        "every span has a parent: the caller's"
    );
    let warehouse = in_trace
        .iter()
        .find(|s| {
            attribute(s, "rpc.service").as_deref()
                == Some("forecastmesh.warehouse.v1.WarehouseService")
        })
        .ok_or_else(|| anyhow::anyhow!("no warehouse span"))?;
    assert_eq!(
        attribute(warehouse, "rpc.method").as_deref(),
        Some("GetDailySales")
    );
    assert_eq!(
        attribute(warehouse, "rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    mesh.stop().await;
    Ok(())
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_trace_is_kept_and_a_malformed_one_starts_a_new_trace() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;

    let mut request = with_bearer(&token, GetTelemetryStatusRequest {})?;
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-00f067aa0ba902b7-01").parse()?,
    );
    let status = gateway.get_telemetry_status(request).await?.into_inner();
    assert_eq!(status.trace_id, TRACE_ID);
    assert_ne!(
        status.span_id, "00f067aa0ba902b7",
        "the gateway's own span, a child of the caller's"
    );

    let mut request = with_bearer(&token, GetTelemetryStatusRequest {})?;
    request
        .metadata_mut()
        .insert("traceparent", "00-not-a-trace-01".parse()?);
    let fresh = gateway.get_telemetry_status(request).await?.into_inner();
    assert_eq!(fresh.trace_id.len(), 32);
    assert_ne!(fresh.trace_id, "0".repeat(32));
    assert_ne!(fresh.trace_id, TRACE_ID);
    mesh.stop().await;
    Ok(())
}
