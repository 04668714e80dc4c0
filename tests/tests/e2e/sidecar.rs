//! Mesh mode behind a real proxy: the warehouse serves plaintext h2 behind
//! HAProxy, which terminates mTLS the way Istio's sidecar does and names the
//! caller in `x-forwarded-client-cert`. The header counts only from the
//! proxy; in native mode it counts not at all. Each refusal sits beside a
//! control call that succeeds.

use std::time::{Duration, SystemTime};

use anyhow::Context;
use mesh_core::capability::{Capability, Hop, Right, narrow};
use mesh_tests::{TestMesh, assert_refused_at_handshake, with_bearer};
use proto::{
    gateway::GetKpisRequest as PublicGetKpis,
    methods::warehouse_service,
    warehouse::{GetKpisRequest, warehouse_service_client::WarehouseServiceClient},
};
use tonic::{
    Code,
    transport::{Channel, Endpoint},
};

const WAREHOUSE_READ: Right = Right {
    service: "warehouse",
    operation: "read",
};

/// Returns a `GetKpis` call for `caller`, its capability narrowed to it,
/// carrying a mesh identity header that names `forged` instead.
fn kpis_call(
    mesh: &TestMesh,
    capability: &Capability,
    caller: &str,
    forged: Option<&str>,
) -> anyhow::Result<tonic::Request<GetKpisRequest>> {
    let now = SystemTime::now();
    let (caller, callee) = (mesh.id(caller), mesh.id("warehouse"));
    let hop = Hop {
        caller: &caller,
        callee: &callee,
        service: callee.service(),
        method: warehouse_service::GET_KPIS,
        ttl: Duration::from_secs(30),
        delegated: proto::policy::call_plan(warehouse_service::GET_KPIS).unwrap_or_default(),
    };
    let token = narrow(capability, &hop, now)?.to_base64()?;
    let mut request = with_bearer(&token, GetKpisRequest { window_days: 7 })?;
    if let Some(forged) = forged {
        let id = mesh.id(forged);
        let metadata = request.metadata_mut();
        metadata.insert(
            "x-forwarded-client-cert",
            format!("By={callee};URI={id}").parse()?,
        );
        metadata.insert(
            "l5d-client-id",
            format!("{forged}.default.serviceaccount.identity.linkerd.forecast-mesh.local")
                .parse()?,
        );
    }
    Ok(request)
}

fn answered(kpis: &tonic::Response<proto::warehouse::GetKpisResponse>) -> Option<&str> {
    kpis.get_ref().kpis.as_ref().map(|k| k.window_end.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_haproxy_the_caller_is_the_proxys_header_and_only_from_the_proxy()
-> anyhow::Result<()> {
    let mesh = TestMesh::start_with_warehouse_sidecar().await?;
    let proxy = mesh
        .warehouse_proxy
        .as_ref()
        .context("the warehouse's proxy")?;
    let capability = mesh.mint(&[WAREHOUSE_READ], SystemTime::now())?;
    let through_proxy = |workload: &str| -> anyhow::Result<WarehouseServiceClient<Channel>> {
        Ok(WarehouseServiceClient::new(
            mesh.mtls_channel(proxy.address, mesh.tls_of(workload)?)?,
        ))
    };

    // The gateway (native mTLS) reaches the meshed warehouse through the
    // proxy: the public KPIs answer, as the readiness that started the mesh did.
    let mut gateway = mesh.gateway().await?;
    let public = gateway
        .get_kpis(with_bearer(
            &mesh.bearer()?,
            PublicGetKpis { window_days: 7 },
        )?)
        .await
        .with_context(|| proxy.log())?;
    assert!(public.get_ref().kpis.is_some());

    // Control: an allowed workload's certificate through the proxy.
    let kpis = through_proxy("operator")?
        .get_kpis(kpis_call(&mesh, &capability, "operator", None)?)
        .await
        .with_context(|| proxy.log())?;
    assert_eq!(answered(&kpis), Some("2025-12-31"));
    // A header the caller forged is replaced by the proxy's: still the operator.
    let kpis = through_proxy("operator")?
        .get_kpis(kpis_call(&mesh, &capability, "operator", Some("store"))?)
        .await?;
    assert_eq!(answered(&kpis), Some("2025-12-31"));

    // A workload not on the warehouse's allow-list (the store), through the
    // proxy, forging the operator's identity: refused as the store.
    let refused = through_proxy("store")?
        .get_kpis(kpis_call(&mesh, &capability, "store", Some("operator"))?)
        .await
        .expect_err("the store may not call the warehouse");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("/sa/store"), "{refused:?}");

    // Straight to the warehouse's plaintext port, not from the proxy's
    // address: the forged header naming an allowed workload is refused.
    let direct = Endpoint::from_shared(format!("http://{}", mesh.addresses.warehouse))?
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy();
    let refused = WarehouseServiceClient::new(direct)
        .get_kpis(kpis_call(&mesh, &capability, "operator", Some("operator"))?)
        .await
        .expect_err("a forged header from a peer that is not the proxy");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");

    // A certificate the mesh CA did not issue never gets past the proxy.
    let (foreign, _files) = mesh.foreign_tls("operator")?;
    let refused = WarehouseServiceClient::new(mesh.mtls_channel(proxy.address, foreign)?)
        .get_kpis(kpis_call(&mesh, &capability, "operator", None)?)
        .await
        .expect_err("a certificate from another CA");
    assert_refused_at_handshake(&refused);

    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_native_mode_a_mesh_identity_header_is_ignored() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let capability = mesh.mint(&[WAREHOUSE_READ], SystemTime::now())?;
    let warehouse_as = |workload: &str| -> anyhow::Result<WarehouseServiceClient<Channel>> {
        Ok(WarehouseServiceClient::new(mesh.mtls_channel(
            mesh.addresses.warehouse,
            mesh.tls_of(workload)?,
        )?))
    };

    // Control: the operator's certificate, with headers naming the store.
    let kpis = warehouse_as("operator")?
        .get_kpis(kpis_call(&mesh, &capability, "operator", Some("store"))?)
        .await?;
    assert_eq!(answered(&kpis), Some("2025-12-31"));

    // The store's certificate with headers naming the operator: the
    // certificate is the caller, and the store is not on the allow-list.
    let refused = warehouse_as("store")?
        .get_kpis(kpis_call(&mesh, &capability, "store", Some("operator"))?)
        .await
        .expect_err("the store may not call the warehouse");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("/sa/store"), "{refused:?}");

    mesh.stop().await;
    Ok(())
}
