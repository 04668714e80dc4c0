//! Health reflects what a service depends on: when the store's database goes
//! away, the store and the forecaster that writes to it stop reporting
//! SERVING, on the probe ports kubelet reads; the gateway stays SERVING (its
//! audit spool covers the store, and KPIs still answer).

use std::{net::SocketAddr, time::Duration};

use mesh_tests::TestMesh;
use store::testing::TestDatabase;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

async fn status(probe: SocketAddr) -> anyhow::Result<i32> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{probe}"))?
        .connect()
        .await?;
    let answer = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await?;
    Ok(answer.into_inner().status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_database_takes_the_dependent_services_out_of_rotation() -> anyhow::Result<()> {
    let database = TestDatabase::create()
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let mesh = TestMesh::start_with_store(Some(database.backend())).await?;
    let a = mesh.addresses.clone();
    for probe in [
        a.store_health,
        a.forecaster_health,
        a.gateway_health,
        a.warehouse_health,
    ] {
        assert_eq!(status(probe).await?, ServingStatus::Serving as i32);
    }

    drop(database); // DROP DATABASE ... WITH (FORCE): connections cut, database gone.

    let dependents = [
        ("store", a.store_health),
        ("forecaster", a.forecaster_health),
    ];
    for (name, probe) in dependents {
        let mut seen = ServingStatus::Serving as i32;
        for _ in 0..100 {
            seen = status(probe).await?;
            if seen == ServingStatus::NotServing as i32 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            seen,
            ServingStatus::NotServing as i32,
            "{name} still reports SERVING"
        );
    }
    assert_eq!(
        status(a.warehouse_health).await?,
        ServingStatus::Serving as i32,
        "the warehouse does not need the store"
    );
    assert_eq!(
        status(a.gateway_health).await?,
        ServingStatus::Serving as i32,
        "the gateway's spool covers the store"
    );
    mesh.stop().await;
    Ok(())
}
