//! Metrics pushed over OTLP: with a collector of the test's own, every
//! service pushes the instruments `/metrics` shows (RED per method after a
//! few calls, under its own `service.name`); with no collector at all, the
//! mesh serves as usual and counts the failed pushes.

use std::time::{Duration, Instant};

use mesh_core::metrics::OtlpSettings;
use mesh_tests::{
    TestMesh, metric_sum,
    otlp_receiver::{OtlpReceiver, attribute},
    with_bearer,
};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, ResourceMetrics, metric::Data, number_data_point::Value,
};
use proto::{gateway::GetKpisRequest, methods::gateway_service, methods::warehouse_service};

fn every_200_ms(endpoint: String) -> OtlpSettings {
    OtlpSettings {
        endpoint,
        interval: Duration::from_millis(200),
        timeout: Duration::from_secs(5),
    }
}

/// A cumulative point of one export, as the collector got it.
#[derive(Debug, PartialEq)]
struct Red {
    requests: f64,
    durations: u64,
}

/// Returns, from the latest export of `service`, the calls of `method`
/// answered OK and the durations recorded for it; `None` before the first
/// export that has both.
fn red(exports: &[ResourceMetrics], service: &str, method: &str) -> Option<Red> {
    let export = exports.iter().rev().find(|export| {
        export
            .resource
            .as_ref()
            .and_then(|r| attribute(&r.attributes, "service.name"))
            .as_deref()
            == Some(service)
    })?;
    let metrics: Vec<_> = export
        .scope_metrics
        .iter()
        .flat_map(|scope| &scope.metrics)
        .collect();
    let requests = metrics
        .iter()
        .find(|m| m.name == "forecast_mesh_rpc_requests_total")
        .and_then(|m| match &m.data {
            Some(Data::Sum(sum))
                if sum.is_monotonic
                    && sum.aggregation_temporality
                        == i32::from(AggregationTemporality::Cumulative) =>
            {
                sum.data_points.iter().find(|p| {
                    attribute(&p.attributes, "method").as_deref() == Some(method)
                        && attribute(&p.attributes, "code").as_deref() == Some("OK")
                        && p.start_time_unix_nano > 0
                        && p.start_time_unix_nano <= p.time_unix_nano
                })
            }
            _ => None,
        })
        .and_then(|p| match p.value {
            Some(Value::AsDouble(value)) => Some(value),
            _ => None,
        })?;
    let durations = metrics
        .iter()
        .find(|m| m.name == "forecast_mesh_rpc_request_duration_seconds")
        .and_then(|m| match &m.data {
            Some(Data::Histogram(histogram)) => histogram
                .data_points
                .iter()
                .find(|p| attribute(&p.attributes, "method").as_deref() == Some(method)),
            _ => None,
        })
        .map(|p| {
            // Each bucket counted alone: they add up to the count.
            assert_eq!(p.bucket_counts.iter().sum::<u64>(), p.count, "{p:?}");
            assert_eq!(p.bucket_counts.len(), p.explicit_bounds.len() + 1, "{p:?}");
            p.count
        })?;
    Some(Red {
        requests,
        durations,
    })
}

/// Asks the gateway for the KPIs `calls` times, as a signed-in user.
async fn kpis(mesh: &TestMesh, calls: usize) -> anyhow::Result<()> {
    let token = mesh.bearer()?;
    let mut gateway = mesh.gateway().await?;
    for _ in 0..calls {
        let request = with_bearer(&token, GetKpisRequest { window_days: 30 })?;
        gateway.get_kpis(request).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_pushes_red_per_method_to_the_collector() -> anyhow::Result<()> {
    let (receiver, endpoint) = OtlpReceiver::start().await?;
    let mesh = TestMesh::start_with_otlp_metrics(every_200_ms(endpoint)).await?;
    kpis(&mesh, 3).await?;

    // Each KPI call is one gateway call and one warehouse call, each
    // pushed by its own service.
    let expected = Some(Red {
        requests: 3.0,
        durations: 3,
    });
    let started = Instant::now();
    loop {
        let exports = receiver.metrics();
        let gateway = red(&exports, "gateway", gateway_service::GET_KPIS);
        let warehouse = red(&exports, "warehouse", warehouse_service::GET_KPIS);
        if gateway == expected && warehouse == expected {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "gateway {gateway:?}, warehouse {warehouse:?}, not {expected:?}, after {} exports",
            exports.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let services: std::collections::BTreeSet<String> = receiver
        .metrics()
        .iter()
        .filter_map(|e| attribute(&e.resource.as_ref()?.attributes, "service.name"))
        .collect();
    assert_eq!(
        services,
        ["forecaster", "gateway", "store", "warehouse"]
            .map(String::from)
            .into(),
        "every service pushes"
    );
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_collector_the_mesh_serves_and_counts_failed_pushes() -> anyhow::Result<()> {
    // A port nobody listens on: bound, read, released.
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mesh = TestMesh::start_with_otlp_metrics(every_200_ms(format!("http://{nobody}"))).await?;
    kpis(&mesh, 1).await?;

    let admin = mesh.admin_of("gateway")?;
    let started = Instant::now();
    let failed =
        |line: &str| line.starts_with("forecast_mesh_otlp_exports_total{result=\"failed\"}");
    while metric_sum(admin, None, failed).await? < 2.0 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "no failed push counted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Still serving after the failures.
    kpis(&mesh, 1).await?;
    let ok = |line: &str| line.starts_with("forecast_mesh_otlp_exports_total{result=\"ok\"}");
    assert_eq!(metric_sum(admin, None, ok).await?, 0.0);
    mesh.stop().await;
    Ok(())
}
