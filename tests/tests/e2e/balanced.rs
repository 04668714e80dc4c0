//! Balanced upstreams: two warehouse replicas behind one name, called
//! through the same mesh channel the gateway and the forecaster use (real
//! mTLS, a capability narrowed per call): the calls spread over both, and
//! a replica the name no longer resolves to gets no more. Each replica
//! counts what it answered in its own `/metrics`.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use mesh_core::{
    capability::Right,
    client::{Resolver, channel_resolved_by, with_capability},
};
use mesh_tests::{TestMesh, metric_sum};
use proto::warehouse::{GetKpisRequest, warehouse_service_client::WarehouseServiceClient};

const WAREHOUSE_READ: Right = Right {
    service: "warehouse",
    operation: "read",
};

/// How many `GetKpis` calls the warehouse with admin port `admin` answered.
async fn answered(admin: SocketAddr) -> anyhow::Result<u64> {
    let sum = metric_sum(admin, None, |line| {
        line.starts_with("forecast_mesh_rpc_requests_total{")
            && line.contains("WarehouseService/GetKpis")
            && line.contains("code=\"OK\"")
    })
    .await?;
    Ok(sum as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_spread_over_two_warehouse_replicas_and_follow_the_name() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let replica = mesh.warehouse_replica().await?;
    let (first, second) = (mesh.addresses.warehouse, replica.address);
    let first_admin = mesh.admin_of("warehouse")?;

    // The name resolves to both replicas, until the test says otherwise.
    let resolved = Arc::new(Mutex::new(vec![first, second]));
    let answer = Arc::clone(&resolved);
    let resolver = Resolver::new(Duration::from_millis(100), move |_| {
        let addresses = answer.lock().map(|a| a.clone()).unwrap_or_default();
        async move { Ok(addresses) }
    });
    let channel = channel_resolved_by(
        &format!("localhost:{}", first.port()),
        mesh.tls_of("operator")?,
        mesh.id("operator"),
        mesh.id("warehouse"),
        proto::policy::call_plan,
        resolver,
    )?;
    let mut warehouse = WarehouseServiceClient::new(channel);
    let capability = mesh.mint(&[WAREHOUSE_READ], SystemTime::now())?;
    let call = async |warehouse: &mut WarehouseServiceClient<_>| {
        warehouse
            .get_kpis(with_capability(
                &capability,
                GetKpisRequest { window_days: 7 },
            ))
            .await
    };

    // Eight callers at once, so the balancer sees both busy and idle replicas.
    for _ in 0..8 {
        let calls = (0..8).map(|_| {
            let mut warehouse = warehouse.clone();
            async move { call(&mut warehouse).await }
        });
        for kpis in futures::future::join_all(calls).await {
            assert!(kpis?.get_ref().kpis.is_some());
        }
    }
    let (on_first, on_second) = (answered(first_admin).await?, answered(replica.admin).await?);
    println!("64 calls: {on_first} on the first replica, {on_second} on the second");
    assert_eq!(on_first + on_second, 64);
    assert!(on_first >= 8 && on_second >= 8, "{on_first} / {on_second}");

    // The second replica leaves the name: once the resolver has said so,
    // every call goes to the first.
    *resolved.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = vec![first];
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..20 {
        call(&mut warehouse).await?;
    }
    assert_eq!(
        answered(replica.admin).await?,
        on_second,
        "the gone replica was called"
    );
    assert_eq!(answered(first_admin).await?, on_first + 20);

    replica.stop().await?;
    mesh.stop().await;
    Ok(())
}
