//! The audit trail under faults: nothing answered goes unaudited, and
//! nothing is audited twice, while the store's PostgreSQL is down for half
//! a minute under load. Beside it, the control: the same load with the
//! database up.

use std::time::Duration;

use mesh_tests::{
    TestMesh,
    audit_trail::{kpis_under_load, wait_audited},
    postgres_server::PostgresServer,
};
use secrecy::SecretString;
use store::postgres::PostgresSettings;

async fn mesh_on(server: &PostgresServer) -> anyhow::Result<TestMesh> {
    let settings = PostgresSettings::new(SecretString::from(server.url()));
    TestMesh::start_with_store(Some(store::Backend::Postgres(settings))).await
}

/// Checks that each answered call has exactly one entry; returns
/// (answered, lost, duplicated).
fn tally(
    answered: &[String],
    audited: &std::collections::HashMap<String, usize>,
) -> (usize, usize, usize) {
    let lost = answered
        .iter()
        .filter(|t| !audited.contains_key(*t))
        .count();
    let duplicated = answered
        .iter()
        .filter(|t| audited.get(*t).is_some_and(|&n| n > 1))
        .count();
    (answered.len(), lost, duplicated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_down_for_30_s_under_load_loses_and_duplicates_no_entry() -> anyhow::Result<()> {
    let server = PostgresServer::start()?;
    let mesh = mesh_on(&server).await?;
    let token = mesh.bearer()?;
    let mut gateway = mesh.gateway().await?;

    // Control: 5 s of load with the database up.
    let (control, failed) =
        kpis_under_load(gateway.clone(), token.clone(), 20, Duration::from_secs(5)).await?;
    assert_eq!(failed, 0, "control calls fail");
    let audited = wait_audited(&mut gateway, &token, &control, Duration::from_secs(30)).await?;
    assert_eq!(tally(&control, &audited), (control.len(), 0, 0), "control");

    // 20 calls a second for 45 s; the database is killed 5 s in and comes
    // back 30 s later.
    let load = tokio::spawn(kpis_under_load(
        gateway.clone(),
        token.clone(),
        20,
        Duration::from_secs(45),
    ));
    tokio::time::sleep(Duration::from_secs(5)).await;
    server.kill()?;
    tokio::time::sleep(Duration::from_secs(30)).await;
    server.resume()?;
    let (answered, failed) = load.await??;
    assert_eq!(failed, 0, "KPIs answer while the store's database is down");
    let audited = wait_audited(&mut gateway, &token, &answered, Duration::from_secs(60)).await?;
    let (calls, lost, duplicated) = tally(&answered, &audited);
    println!(
        "database down 30 s: {calls} calls answered, {lost} entries lost, {duplicated} duplicated"
    );
    assert_eq!((lost, duplicated), (0, 0), "of {calls} answered calls");
    mesh.stop().await;
    Ok(())
}
