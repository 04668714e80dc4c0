//! The public API as a browser reaches it: gRPC-web from `buf curl`, raw
//! gRPC-web-text over HTTP/1.1, and CORS preflights.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use mesh_tests::{TestMesh, tools};
use prost::Message;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVICE: &str = "forecastmesh.gateway.v1.GatewayService";

async fn buf_curl(
    mesh: &TestMesh,
    token: Option<&str>,
    method: &str,
    body: &str,
) -> anyhow::Result<tools::Output> {
    let mut args: Vec<String> = ["curl", "--protocol", "grpcweb", "--schema", "proto"]
        .map(String::from)
        .to_vec();
    if let Some(token) = token {
        args.extend(["-H".into(), format!("authorization: Bearer {token}")]);
    }
    args.extend([
        "-d".into(),
        body.into(),
        format!("http://{}/{SERVICE}/{method}", mesh.addresses.gateway),
    ]);
    tools::run("buf", args).await
}

async fn call(mesh: &TestMesh, token: &str, method: &str, body: &str) -> anyhow::Result<Value> {
    let output = buf_curl(mesh, Some(token), method, body).await?;
    anyhow::ensure!(
        output.success,
        "buf curl {method} failed: {}",
        output.stderr
    );
    Ok(serde_json::from_str(&output.stdout)?)
}

/// Reads a forecast run back from the store, as the gateway would.
async fn recorded_run(mesh: &TestMesh, run_id: &str) -> anyhow::Result<proto::store::ForecastRun> {
    use mesh_core::capability::{Hop, narrow, rights::STORE_READ};
    use proto::store::{ListForecastRunsRequest, store_service_client::StoreServiceClient};
    let now = std::time::SystemTime::now();
    let (gateway, store) = (mesh.id("gateway"), mesh.id("store"));
    let hop = Hop {
        caller: &gateway,
        callee: &store,
        service: "store",
        method: proto::methods::store_service::LIST_FORECAST_RUNS,
        ttl: Duration::from_secs(30),
        delegated: &[],
    };
    let token = narrow(&mesh.mint(&[STORE_READ], now)?, &hop, now)?.to_base64()?;
    let mut client =
        StoreServiceClient::new(mesh.mtls_channel(mesh.addresses.store, mesh.tls_of("gateway")?)?);
    let runs = client
        .list_forecast_runs(mesh_tests::with_bearer(
            &token,
            ListForecastRunsRequest::default(),
        )?)
        .await?;
    runs.into_inner()
        .runs
        .into_iter()
        .find(|run| run.id == run_id)
        .ok_or_else(|| anyhow::anyhow!("run {run_id} not in the store"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buf_curl_calls_every_public_method_over_grpc_web() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let token = mesh.bearer()?;

    let kpis = call(&mesh, &token, "GetKpis", r#"{"window_days": 30}"#).await?;
    assert_eq!(kpis["kpis"]["windowEnd"], "2025-12-31");
    assert_eq!(
        kpis["previous"]["windowEnd"], "2025-12-01",
        "the 30 days before"
    );
    let (now, before) = (
        kpis["kpis"]["revenue"].as_f64().unwrap_or(0.0),
        kpis["previous"]["revenue"].as_f64().unwrap_or(0.0),
    );
    let change = kpis["change"]["revenue"].as_f64().unwrap_or(f64::NAN);
    assert!((change - (now - before) / before).abs() < 1e-9, "{kpis}");
    assert!(
        kpis["kpis"]["orders"]
            .as_str()
            .unwrap_or("0")
            .parse::<i64>()?
            > 100,
        "{kpis}"
    );
    assert!(kpis["kpis"]["revenue"].as_f64().unwrap_or(0.0) > 0.0);

    let history = call(&mesh, &token, "GetHistory", r#"{"days_back": 10}"#).await?;
    let days = history["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 10);
    assert_eq!(days[9]["date"], "2025-12-31");

    let forecast = call(
        &mesh,
        &token,
        "GetForecast",
        r#"{"days": 7, "levels": [0.9]}"#,
    )
    .await?;
    let points = forecast["forecast"]["points"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(points.len(), 7);
    assert_eq!(points[0]["date"], "2026-01-01");
    for point in &points {
        let interval = &point["intervals"][0];
        assert_eq!(interval["level"], 0.9);
        let (lower, value, upper) = (
            interval["lower"].as_f64(),
            point["value"].as_f64(),
            interval["upper"].as_f64(),
        );
        assert!(lower <= value && value <= upper, "{point}");
    }
    let run_id = forecast["forecast"]["runId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!run_id.is_empty());
    let run = recorded_run(&mesh, &run_id).await?;
    // The model was chosen by backtest, beat the seasonal naive baseline, and
    // the run records why.
    let candidates = forecast["forecast"]["candidates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mase_of = |name: &str| {
        candidates
            .iter()
            .find(|c| c["model"].as_str().is_some_and(|m| m.starts_with(name)))
            .and_then(|c| c["mase"].as_f64())
    };
    let chosen = forecast["forecast"]["accuracy"]["mase"]
        .as_f64()
        .unwrap_or(f64::NAN);
    assert!(
        chosen <= mase_of("SeasonalNaive").unwrap_or(f64::NAN),
        "{forecast}"
    );
    assert_eq!(
        forecast["forecast"]["seasonalPeriods"][0], 7,
        "weekly seasonality found in the data"
    );
    assert_eq!(run.candidates.len(), candidates.len());
    assert_eq!(
        run.accuracy.as_ref().map(|a| a.model.clone()),
        forecast["forecast"]["model"].as_str().map(String::from)
    );
    assert_eq!(run.horizon_days, 7);
    assert_eq!(run.points.len(), 7);
    assert_eq!(
        Some(run.model.as_str()),
        forecast["forecast"]["model"].as_str()
    );
    assert_eq!(
        run.principal.len(),
        32,
        "the run is recorded for the hashed user"
    );

    let dashboard = call(&mesh, &token, "GetDashboard", r#"{"forecast_days": 5}"#).await?;
    assert_eq!(dashboard["history"].as_array().map(Vec::len), Some(365));
    assert_eq!(
        dashboard["forecast"]["points"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(dashboard["kpis"]["windowEnd"], "2025-12-31");

    let telemetry = call(&mesh, &token, "GetTelemetryStatus", "{}").await?;
    let trace_id = telemetry["traceId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(trace_id.len(), 32);

    // Every call was audited with its trace id; the audit is written just
    // after the answer, so look until it is there.
    let mut audited = Value::Null;
    for _ in 0..100 {
        audited = call(&mesh, &token, "ListAuditLogs", r#"{"page_size": 100}"#).await?;
        let entries = audited["entries"].as_array().cloned().unwrap_or_default();
        if entries.iter().any(|e| e["traceId"] == trace_id.as_str()) && entries.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let entries = audited["entries"].as_array().cloned().unwrap_or_default();
    let entry = entries
        .iter()
        .find(|e| e["traceId"] == trace_id.as_str())
        .ok_or_else(|| anyhow::anyhow!("no audit entry: {audited}"))?;
    assert_eq!(entry["method"], format!("/{SERVICE}/GetTelemetryStatus"));
    assert_eq!(entry["statusCode"], "OK");
    assert_eq!(
        entry["principal"].as_str().map(str::len),
        Some(32),
        "a hash, not the subject"
    );
    // The store keeps an idempotency key and the capability's revocation
    // ids; neither is public API.
    for internal in ["idempotencyKey", "revocationIds"] {
        assert!(
            entries.iter().all(|e| e.get(internal).is_none()),
            "{internal} is not public: {audited}"
        );
    }
    for method in ["GetKpis", "GetHistory", "GetForecast", "GetDashboard"] {
        assert!(
            entries
                .iter()
                .any(|e| e["method"] == format!("/{SERVICE}/{method}")),
            "{method} audited"
        );
    }
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buf_curl_without_a_bearer_is_unauthenticated() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let output = buf_curl(&mesh, None, "GetKpis", "{}").await?;
    assert!(!output.success);
    assert!(
        output.stderr.contains("unauthenticated"),
        "{}",
        output.stderr
    );
    mesh.stop().await;
    Ok(())
}

/// Sends one HTTP/1.1 request and returns the whole response.
async fn http1(address: std::net::SocketAddr, request: String) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// Returns the body of an HTTP/1.1 response, de-chunked.
fn body_of(response: &str) -> anyhow::Result<String> {
    let (head, mut body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no body: {response}"))?;
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Ok(body.to_owned());
    }
    let mut out = String::new();
    loop {
        let (size, rest) = body
            .split_once("\r\n")
            .ok_or_else(|| anyhow::anyhow!("bad chunk: {body}"))?;
        let size = usize::from_str_radix(size.trim(), 16)?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// Calls `method` with gRPC-web-text over HTTP/1.1 and returns the raw
/// response and the decoded frames: the first message, then the trailers.
async fn grpc_web_text(
    mesh: &TestMesh,
    method: &str,
    message: Vec<u8>,
) -> anyhow::Result<(String, Vec<u8>, String)> {
    let mut frame = vec![0u8];
    frame.extend((message.len() as u32).to_be_bytes());
    frame.extend(message);
    let body = STANDARD.encode(frame);
    let request = format!(
        "POST /{SERVICE}/{method} HTTP/1.1\r\nHost: {0}\r\nContent-Type: application/grpc-web-text\r\nAccept: application/grpc-web-text\r\n\
         X-Grpc-Web: 1\r\nAuthorization: Bearer {1}\r\nContent-Length: {2}\r\nConnection: close\r\n\r\n{body}",
        mesh.addresses.gateway,
        mesh.bearer()?,
        body.len(),
    );
    let response = http1(mesh.addresses.gateway, request).await?;
    // Each chunk the server flushed is base64 on its own, padding included,
    // so decode four characters at a time.
    let payload = body_of(&response)?;
    let decoded: Vec<u8> = payload
        .as_bytes()
        .chunks(4)
        .map(|group| STANDARD.decode(group))
        .collect::<Result<Vec<_>, _>>()?
        .concat();
    anyhow::ensure!(
        decoded.len() > 5 && decoded[0] == 0,
        "a data frame comes first: {payload}"
    );
    let length = u32::from_be_bytes([decoded[1], decoded[2], decoded[3], decoded[4]]) as usize;
    anyhow::ensure!(
        decoded.get(5 + length) == Some(&0x80),
        "then a trailer frame: {payload}"
    );
    let trailers = String::from_utf8_lossy(&decoded[5 + length + 5..]).to_ascii_lowercase();
    Ok((response, decoded[5..5 + length].to_vec(), trailers))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_web_text_over_http1_answers_with_trailers_in_the_body() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let message = proto::gateway::GetKpisRequest { window_days: 7 }.encode_to_vec();
    let (response, kpis, trailers) = grpc_web_text(&mesh, "GetKpis", message).await?;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: application/grpc-web-text"),
        "{response}"
    );
    let kpis = proto::gateway::GetKpisResponse::decode(kpis.as_slice())?;
    assert_eq!(kpis.kpis.map(|k| k.window_end), Some("2025-12-31".into()));
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    mesh.stop().await;
    Ok(())
}

/// Returns the audit entries as the store holds them, internal fields included.
async fn stored_audit_entries(mesh: &TestMesh) -> anyhow::Result<Vec<proto::store::AuditEntry>> {
    use mesh_core::capability::{Hop, narrow, rights::STORE_READ};
    use proto::store::{ListAuditEntriesRequest, store_service_client::StoreServiceClient};
    let now = std::time::SystemTime::now();
    let (gateway, store) = (mesh.id("gateway"), mesh.id("store"));
    let hop = Hop {
        caller: &gateway,
        callee: &store,
        service: "store",
        method: proto::methods::store_service::LIST_AUDIT_ENTRIES,
        ttl: Duration::from_secs(30),
        delegated: &[],
    };
    let token = narrow(&mesh.mint(&[STORE_READ], now)?, &hop, now)?.to_base64()?;
    let mut client =
        StoreServiceClient::new(mesh.mtls_channel(mesh.addresses.store, mesh.tls_of("gateway")?)?);
    let page = client
        .list_audit_entries(mesh_tests::with_bearer(
            &token,
            ListAuditEntriesRequest {
                page_size: 500,
                page_token: String::new(),
                ..Default::default()
            },
        )?)
        .await?;
    Ok(page.into_inner().entries)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_entries_leave_the_gateway_without_internal_fields() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let token = mesh.bearer()?;
    call(&mesh, &token, "GetTelemetryStatus", "{}").await?;
    // The store holds idempotency keys and revocation ids; the audit is
    // written just after the answer, so look until it is there.
    let mut stored = Vec::new();
    for _ in 0..100 {
        stored = stored_audit_entries(&mesh).await?;
        if !stored.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(!stored.is_empty(), "nothing audited");
    assert!(
        stored
            .iter()
            .all(|e| !e.idempotency_key.is_empty() && !e.revocation_ids.is_empty()),
        "{stored:?}"
    );

    // Read the gateway's answer as if it were the store's message: any
    // internal field on the wire would decode into its old number.
    let message = proto::gateway::ListAuditLogsRequest {
        page_size: 100,
        page_token: String::new(),
        ..Default::default()
    }
    .encode_to_vec();
    let (_, answer, trailers) = grpc_web_text(&mesh, "ListAuditLogs", message).await?;
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let wire = proto::store::ListAuditEntriesResponse::decode(answer.as_slice())?;
    let first = &stored[stored.len() - 1];
    let listed = wire
        .entries
        .iter()
        .find(|e| e.id == first.id)
        .ok_or_else(|| anyhow::anyhow!("{} not listed: {wire:?}", first.id))?;
    assert_eq!(listed.trace_id, first.trace_id);
    assert_eq!(listed.status_code, first.status_code);
    for entry in &wire.entries {
        assert!(entry.idempotency_key.is_empty(), "{entry:?}");
        assert!(entry.revocation_ids.is_empty(), "{entry:?}");
    }
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflights_allow_grpc_web_and_trace_headers_for_known_origins_only()
-> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let preflight = |origin: &str| {
        format!(
            "OPTIONS /{SERVICE}/GetKpis HTTP/1.1\r\nHost: {0}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\n\
             Access-Control-Request-Headers: authorization,content-type,x-grpc-web,traceparent\r\nConnection: close\r\n\r\n",
            mesh.addresses.gateway
        )
    };
    let allowed = http1(mesh.addresses.gateway, preflight("http://dashboard.test"))
        .await?
        .to_ascii_lowercase();
    assert!(
        allowed.contains("access-control-allow-origin: http://dashboard.test"),
        "{allowed}"
    );
    let allow_headers = allowed
        .lines()
        .find(|l| l.starts_with("access-control-allow-headers"))
        .unwrap_or_default();
    for header in ["authorization", "x-grpc-web", "traceparent", "tracestate"] {
        assert!(
            allow_headers.contains(header),
            "{header} allowed: {allow_headers}"
        );
    }
    let foreign = http1(mesh.addresses.gateway, preflight("http://evil.test"))
        .await?
        .to_ascii_lowercase();
    assert!(
        !foreign.contains("access-control-allow-origin"),
        "{foreign}"
    );

    let request = format!(
        "POST /{SERVICE}/GetKpis HTTP/1.1\r\nHost: {0}\r\nOrigin: http://dashboard.test\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
        mesh.addresses.gateway
    );
    let mut raw = request.into_bytes();
    raw.extend([0u8, 0, 0, 0, 0]);
    let response = http1(mesh.addresses.gateway, String::from_utf8(raw)?)
        .await?
        .to_ascii_lowercase();
    let exposed = response
        .lines()
        .find(|l| l.starts_with("access-control-expose-headers"))
        .unwrap_or_default();
    for header in ["grpc-status", "grpc-message", "traceparent"] {
        assert!(exposed.contains(header), "{header} exposed: {response}");
    }
    assert!(
        response.contains("grpc-status: 16"),
        "no bearer: unauthenticated, in headers: {response}"
    );
    mesh.stop().await;
    Ok(())
}
