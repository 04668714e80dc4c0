//! The audit trail under faults: nothing answered goes unaudited, and
//! nothing is audited twice, while the store's PostgreSQL is down for half
//! a minute under load. Beside it, the control: the same load with the
//! database up.

use std::time::Duration;

use mesh_tests::{
    TestMesh,
    audit_trail::{Tally, kpis_under_load, tally, wait_audited},
    postgres_server::PostgresServer,
};
use secrecy::SecretString;
use store::postgres::PostgresSettings;

async fn mesh_on(server: &PostgresServer) -> anyhow::Result<TestMesh> {
    let settings = PostgresSettings::new(SecretString::from(server.url()));
    TestMesh::start_with_store(Some(store::Backend::Postgres(settings))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_down_for_30_s_under_load_loses_and_duplicates_no_entry() -> anyhow::Result<()> {
    let server = PostgresServer::start()?;
    let mesh = mesh_on(&server).await?;
    let token = mesh.bearer()?;
    let callers = (0..16)
        .map(|n| mesh.bearer_of(&format!("caller-{n}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut gateway = mesh.gateway().await?;

    // Control: 5 s of load with the database up.
    let (control, failed) =
        kpis_under_load(gateway.clone(), callers.clone(), 20, Duration::from_secs(5)).await?;
    assert_eq!(failed, 0, "control calls fail");
    let audited = wait_audited(&mut gateway, &token, &control, Duration::from_secs(30)).await?;
    let expected = Tally {
        answered: control.len(),
        lost: 0,
        duplicated: 0,
    };
    assert_eq!(tally(&control, &audited), expected, "control");

    // 20 calls a second for 45 s; the database is killed 5 s in and comes
    // back 30 s later.
    let load = tokio::spawn(kpis_under_load(
        gateway.clone(),
        callers.clone(),
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
    let seen = tally(&answered, &audited);
    println!("database down 30 s: {seen:?}");
    assert_eq!((seen.lost, seen.duplicated), (0, 0), "{seen:?}");
    mesh.stop().await;
    Ok(())
}
