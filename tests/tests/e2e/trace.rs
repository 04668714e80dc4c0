//! One trace spans every hop: spans received by an OTLP receiver in the test
//! share the caller's trace id across gateway, forecaster, warehouse and store.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use mesh_tests::{
    TestMesh,
    otlp_receiver::{OtlpReceiver, attribute},
    with_bearer,
};
use opentelemetry_proto::tonic::trace::v1::Span;
use proto::gateway::{GetForecastRequest, GetTelemetryStatusRequest};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_spans_gateway_forecaster_warehouse_and_store() -> anyhow::Result<()> {
    let (receiver, endpoint) = OtlpReceiver::start().await?;
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
        let spans = receiver.spans();
        services = spans
            .iter()
            .filter(|span| {
                hex_of(&span.trace_id) == TRACE_ID
                    && attribute(&span.attributes, "rpc.system").as_deref() == Some("grpc")
            })
            .filter_map(|span| attribute(&span.attributes, "rpc.service"))
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
    let spans = receiver.spans();
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
            attribute(&s.attributes, "rpc.service").as_deref()
                == Some("forecastmesh.warehouse.v1.WarehouseService")
        })
        .ok_or_else(|| anyhow::anyhow!("no warehouse span"))?;
    assert_eq!(
        attribute(&warehouse.attributes, "rpc.method").as_deref(),
        Some("GetDailySales")
    );
    assert_eq!(
        attribute(&warehouse.attributes, "rpc.grpc.status_code").as_deref(),
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
