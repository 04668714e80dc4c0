//! `WatchDashboard`: a live dashboard over gRPC-web (`buf curl`) and gRPC,
//! one shared refresh however many watch, stopped when the last viewer
//! leaves, ended cleanly when the mesh stops, each stream audited once.

use std::{
    collections::HashSet,
    io::Read,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use mesh_tests::{TestMesh, tools, with_bearer};
use proto::gateway::{
    ForecastRun, ListAuditLogsRequest, ListForecastRunsRequest, WatchDashboardRequest,
    WatchDashboardResponse, gateway_service_client::GatewayServiceClient,
};
use serde_json::Value;
use tonic::{Code, Streaming, transport::Channel};

const SERVICE: &str = "forecastmesh.gateway.v1.GatewayService";
/// The principal the shared refresh records its forecast runs under.
const REFRESHER: &str = "gateway-dashboard";

fn asking(interval_seconds: i32, forecast_days: i32) -> WatchDashboardRequest {
    WatchDashboardRequest {
        interval_seconds,
        forecast_days,
    }
}

/// Starts watching, with a `traceparent` naming `trace_id` when given.
async fn watch(
    client: &mut GatewayServiceClient<Channel>,
    token: &str,
    request: WatchDashboardRequest,
    trace_id: Option<&str>,
) -> Result<Streaming<WatchDashboardResponse>, tonic::Status> {
    let mut request =
        with_bearer(token, request).map_err(|e| tonic::Status::internal(e.to_string()))?;
    if let Some(trace_id) = trace_id {
        let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
        request.metadata_mut().insert(
            "traceparent",
            traceparent
                .parse()
                .map_err(|_| tonic::Status::internal("traceparent"))?,
        );
    }
    Ok(client.watch_dashboard(request).await?.into_inner())
}

/// Returns the next message, failing past `within`.
async fn next(
    stream: &mut Streaming<WatchDashboardResponse>,
    within: Duration,
) -> anyhow::Result<Option<WatchDashboardResponse>> {
    Ok(tokio::time::timeout(within, stream.message()).await??)
}

fn run_id(message: &WatchDashboardResponse) -> String {
    message
        .forecast
        .as_ref()
        .map(|f| f.run_id.clone())
        .unwrap_or_default()
}

/// Returns the forecast runs the shared refresh recorded.
async fn refresher_runs(mesh: &TestMesh) -> anyhow::Result<Vec<ForecastRun>> {
    let mut client = mesh.gateway().await?;
    let runs = client
        .list_forecast_runs(with_bearer(
            &mesh.bearer()?,
            ListForecastRunsRequest {
                page_size: 500,
                page_token: String::new(),
            },
        )?)
        .await?
        .into_inner()
        .runs;
    Ok(runs
        .into_iter()
        .filter(|r| r.principal == REFRESHER)
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buf_curl_streams_the_dashboard_over_grpc_web() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let args = [
        "curl".to_owned(),
        "--protocol".into(),
        "grpcweb".into(),
        "--schema".into(),
        "proto".into(),
        // A bound, should the stream never send two messages.
        "--timeout".into(),
        "120s".into(),
        "-H".into(),
        format!("authorization: Bearer {}", mesh.bearer()?),
        "-d".into(),
        r#"{"interval_seconds": 2, "forecast_days": 3}"#.into(),
        format!("http://{}/{SERVICE}/WatchDashboard", mesh.addresses.gateway),
    ];
    let mut child = Command::new(tools::tool("buf")?)
        .args(args)
        .current_dir(tools::workspace_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    // Read until buf has printed two messages, then stop it: the stream
    // itself never ends.
    let messages = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<Value>> {
        let mut printed = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            let read = stdout.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            printed.extend_from_slice(&buffer[..read]);
            let values: Vec<Value> = serde_json::Deserializer::from_slice(&printed)
                .into_iter::<Value>()
                .map_while(Result::ok)
                .collect();
            if values.len() >= 2 {
                return Ok(values);
            }
        }
        Ok(serde_json::Deserializer::from_slice(&printed)
            .into_iter::<Value>()
            .map_while(Result::ok)
            .collect())
    })
    .await??;
    child.kill()?;
    let output = child.wait_with_output()?;
    anyhow::ensure!(
        messages.len() >= 2,
        "two messages expected: {messages:?} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (first, second) = (&messages[0], &messages[1]);
    for message in [first, second] {
        assert_eq!(message["kpis"]["windowEnd"], "2025-12-31", "{message}");
        assert_eq!(message["history"].as_array().map(Vec::len), Some(365));
        assert_eq!(
            message["forecast"]["points"].as_array().map(Vec::len),
            Some(3)
        );
    }
    let at = |m: &Value| {
        m["refreshedAtUnixMs"]
            .as_str()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or_default()
    };
    assert!(at(second) > at(first), "{first} then {second}");
    assert_ne!(
        first["forecast"]["runId"], second["forecast"]["runId"],
        "a new refresh"
    );
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_viewers_share_one_refresh_per_interval() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut streams = Vec::new();
    for viewer in 0..50 {
        // Fifty people, each within the rate at which one may open streams.
        let token = mesh.bearer_of(&format!("viewer-{viewer}"))?;
        let mut client = mesh.gateway().await?;
        streams.push(watch(&mut client, &token, asking(2, 4), None).await?);
    }
    let viewers = streams.into_iter().map(|mut stream| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while seen.len() < 3 {
                let message = next(&mut stream, Duration::from_secs(120))
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("the stream ended"))?;
                seen.push(run_id(&message));
            }
            anyhow::Ok(seen)
        })
    });
    let mut seen = HashSet::new();
    for viewer in futures::future::join_all(viewers).await {
        seen.extend(viewer??);
    }
    // 150 messages from a handful of refreshes, each recorded once by the
    // shared refresher.
    assert!(
        (3..=6).contains(&seen.len()),
        "distinct forecasts: {seen:?}"
    );
    let runs = refresher_runs(&mesh).await?;
    let recorded: HashSet<_> = runs.iter().map(|r| r.id.clone()).collect();
    assert!(seen.is_subset(&recorded), "{seen:?} in {recorded:?}");
    // At most one refresh more may have been under way when the viewers left.
    assert!(runs.len() <= seen.len() + 1, "{} runs", runs.len());
    mesh.stop().await;
    Ok(())
}

/// Returns the audit entries of the call traced `trace_id`, waiting until
/// there are some.
async fn audited(mesh: &TestMesh, trace_id: &str) -> anyhow::Result<Vec<Value>> {
    let mut client = mesh.gateway().await?;
    for _ in 0..100 {
        let entries = client
            .list_audit_logs(with_bearer(
                &mesh.bearer()?,
                ListAuditLogsRequest {
                    page_size: 500,
                    page_token: String::new(),
                    ..Default::default()
                },
            )?)
            .await?
            .into_inner()
            .entries;
        let found: Vec<Value> = entries
            .into_iter()
            .filter(|e| e.trace_id == trace_id)
            .map(|e| serde_json::json!({"method": e.method, "status": e.status_code}))
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("no audit entry for trace {trace_id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_viewer_stops_the_refresher_and_each_stream_is_audited_once()
-> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let token = mesh.bearer()?;
    let mut client = mesh.gateway().await?;
    let (cancelled, refused) = (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "5bf92f3577b34da6a3ce929d0e0e4737",
    );

    let mut stream = watch(&mut client, &token, asking(1, 2), Some(cancelled)).await?;
    for _ in 0..2 {
        next(&mut stream, Duration::from_secs(120))
            .await?
            .ok_or_else(|| anyhow::anyhow!("the stream ended"))?;
    }
    drop(stream);

    let error = watch(&mut client, &token, asking(301, 2), Some(refused))
        .await
        .err()
        .ok_or_else(|| anyhow::anyhow!("301 s accepted"))?;
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(
        error.message().starts_with("interval_seconds:"),
        "{error:?}"
    );

    let method = format!("/{SERVICE}/WatchDashboard");
    for (trace_id, status) in [(cancelled, "CANCELLED"), (refused, "INVALID_ARGUMENT")] {
        let entries = audited(&mesh, trace_id).await?;
        assert_eq!(
            entries,
            vec![serde_json::json!({"method": method, "status": status})],
            "exactly one entry for {status}"
        );
    }

    // The viewer is gone (its audit entry says so): no more refreshes. An
    // absence takes watching: four intervals, allowing one refresh that was
    // under way when the viewer left.
    let before = refresher_runs(&mesh).await?.len();
    assert!(before >= 2, "{before} refreshes");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = refresher_runs(&mesh).await?.len();
    assert!(after <= before + 1, "{before} then {after} refreshes");
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_end_cleanly_when_the_mesh_stops() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut client = mesh.gateway().await?;
    // Five minutes between refreshes: the first message cannot wait for one.
    let mut stream = watch(&mut client, &mesh.bearer()?, asking(300, 5), None).await?;
    let started = Instant::now();
    let first = next(&mut stream, Duration::from_secs(120))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no first message"))?;
    assert!(started.elapsed() < Duration::from_secs(120));
    assert_eq!(first.forecast.map(|f| f.points.len()), Some(5));

    let stopping = tokio::spawn(mesh.stop());
    let end = next(&mut stream, Duration::from_secs(60)).await?;
    assert!(end.is_none(), "ended with OK, not an error: {end:?}");
    tokio::time::timeout(Duration::from_secs(60), stopping).await??;
    Ok(())
}
