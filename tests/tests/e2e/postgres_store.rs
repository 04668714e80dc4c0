//! The mesh with its store on PostgreSQL: gateway audits and forecast runs
//! land in real tables, and read back through the public API.

use std::time::Duration;

use mesh_tests::{TestMesh, with_bearer};
use proto::gateway::{GetForecastRequest, ListAuditLogsRequest};
use store::testing::TestDatabase;
use tokio_postgres::NoTls;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audits_and_forecast_runs_land_in_postgresql() -> anyhow::Result<()> {
    let database = TestDatabase::create()
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let mesh = TestMesh::start_with_store(Some(database.backend())).await?;
    let token = mesh.bearer()?;
    let mut gateway = mesh.gateway().await?;
    let forecast = gateway
        .get_forecast(with_bearer(
            &token,
            GetForecastRequest {
                days: 3,
                levels: vec![],
            },
        )?)
        .await?;
    let run_id = forecast
        .into_inner()
        .forecast
        .map(|f| f.run_id)
        .unwrap_or_default();

    let (client, connection) = tokio_postgres::connect(database.url(), NoTls).await?;
    tokio::spawn(connection);
    let stored: String = client
        .query_one("SELECT id FROM forecast_runs", &[])
        .await?
        .get(0);
    assert_eq!(
        stored, run_id,
        "the run the caller got is the one in the table"
    );

    // The audit entry is written just after the answer.
    let mut audited = 0;
    for _ in 0..100 {
        audited = client
            .query_one("SELECT count(*) FROM audit_logs", &[])
            .await?
            .get::<_, i64>(0);
        if audited >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(audited >= 1, "the forecast call was audited");
    let listed = gateway
        .list_audit_logs(with_bearer(&token, ListAuditLogsRequest::default())?)
        .await?
        .into_inner();
    assert!(
        listed
            .entries
            .iter()
            .any(|e| e.method.ends_with("/GetForecast") && e.status_code == "OK"),
        "{listed:?}"
    );
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_mesh_loses_no_queued_audit_entry() -> anyhow::Result<()> {
    use proto::gateway::GetTelemetryStatusRequest;
    let database = TestDatabase::create()
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let mesh = TestMesh::start_with_store(Some(database.backend())).await?;
    let mut gateway = mesh.gateway().await?;
    const CALLS: i64 = 50;
    for call in 0..CALLS {
        // Five principals, each inside its rate limit's burst.
        let token = mesh.bearer_of(&format!("user-{}", call % 5))?;
        gateway
            .get_telemetry_status(with_bearer(&token, GetTelemetryStatusRequest {})?)
            .await?;
    }
    // Stop at once: entries still queued in the gateway must reach the store.
    mesh.stop().await;
    let (client, connection) = tokio_postgres::connect(database.url(), NoTls).await?;
    tokio::spawn(connection);
    let audited: i64 = client
        .query_one("SELECT count(*) FROM audit_logs", &[])
        .await?
        .get(0);
    assert_eq!(audited, CALLS, "every call is in the audit log");
    Ok(())
}
