//! A caller's deadline: a call that cannot finish in its `grpc-timeout`
//! answers `DEADLINE_EXCEEDED` (not tonic's `CANCELLED`), and its audit
//! entry says the same, once. The call is sent as raw gRPC-web over
//! HTTP/1.1, whose client keeps no timer of its own: what comes back is the
//! server's answer (a tonic client gives up by itself at the deadline and
//! reports `CANCELLED` whatever the server says).

use std::time::Duration;

use mesh_tests::{TestMesh, http1, with_bearer};
use prost::Message;
use proto::gateway::{GetForecastRequest, ListAuditLogsRequest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_its_deadline_is_deadline_exceeded_and_audited_so() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let token = mesh.bearer()?;
    // A forecast fits and backtests every candidate: far more than 20 ms.
    let message = GetForecastRequest {
        days: 365,
        levels: Vec::new(),
    }
    .encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend(u32::try_from(message.len())?.to_be_bytes());
    frame.extend(message);
    let bearer = format!("Bearer {token}");
    let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let answer = http1::send(
        mesh.addresses.gateway,
        "POST",
        "/forecastmesh.gateway.v1.GatewayService/GetForecast",
        &[
            ("content-type", "application/grpc-web+proto"),
            ("x-grpc-web", "1"),
            ("grpc-timeout", "20m"),
            ("authorization", &bearer),
            ("traceparent", traceparent),
        ],
        &frame,
    )
    .await?;
    assert_eq!(
        answer.header("grpc-status"),
        Some("4"),
        "DEADLINE_EXCEEDED: {answer:?}"
    );

    let mut gateway = mesh.gateway().await?;
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let mut audited = Vec::new();
    for _ in 0..100 {
        let entries = gateway
            .list_audit_logs(with_bearer(
                &token,
                ListAuditLogsRequest {
                    page_size: 50,
                    page_token: String::new(),
                    ..Default::default()
                },
            )?)
            .await?
            .into_inner()
            .entries;
        audited = entries
            .into_iter()
            .filter(|e| e.trace_id == trace_id)
            .collect();
        if !audited.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(audited.len(), 1, "audited once: {audited:?}");
    assert_eq!(audited[0].status_code, "DEADLINE_EXCEEDED");
    mesh.stop().await;
    Ok(())
}
