//! The harness itself: it starts a mesh that answers, and stops it cleanly.

use mesh_tests::TestMesh;
use proto::gateway::GetTelemetryStatusRequest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_starts_a_serving_mesh_and_stops_it() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let token = mesh.bearer()?;
    let status = mesh
        .gateway()
        .await?
        .get_telemetry_status(mesh_tests::with_bearer(
            &token,
            GetTelemetryStatusRequest {},
        )?)
        .await?;
    let trace_id = &status.get_ref().trace_id;
    assert_eq!(trace_id.len(), 32);
    // Every answer carries its own trace context back.
    let traceparent = status
        .metadata()
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert!(
        traceparent.starts_with(&format!("00-{trace_id}-")),
        "{traceparent} names trace {trace_id}"
    );
    assert_ne!(
        trace_id,
        &"0".repeat(32),
        "a real trace id, not the invalid all-zero one"
    );

    let gateway = mesh.addresses.gateway;
    mesh.stop().await;
    assert!(
        tokio::net::TcpStream::connect(gateway).await.is_err(),
        "the gateway port is closed after stop"
    );
    Ok(())
}
