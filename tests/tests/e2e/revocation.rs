//! Revocation: a bearer token revoked by its `jti`, and a capability block
//! by its revocation id, are refused by every service that sees them once
//! its list is refreshed, while every other token still passes. Only a
//! capability holding `store:revoke` may revoke, and a bad revocation is
//! refused naming its field.

use std::time::{Duration, SystemTime};

use mesh_core::capability::{
    Capability,
    rights::{STORE_READ, STORE_REVOKE, STORE_WRITE, WAREHOUSE_READ},
};
use mesh_tests::{TestMesh, metric_sum, with_bearer};
use proto::{
    gateway::GetKpisRequest as PublicGetKpis,
    methods::{store_service, warehouse_service},
    store::{
        ListAuditEntriesRequest, ListRevocationsRequest, Revocation, RevocationKind, RevokeRequest,
        RevokeResponse, store_service_client::StoreServiceClient,
    },
    warehouse::{GetKpisRequest, warehouse_service_client::WarehouseServiceClient},
};
use tonic::{Code, transport::Channel};

/// Services read the list every second in the test mesh; this is plenty.
const REFUSED_WITHIN: Duration = Duration::from_secs(15);

fn store_as_operator(mesh: &TestMesh) -> anyhow::Result<StoreServiceClient<Channel>> {
    Ok(StoreServiceClient::new(mesh.mtls_channel(
        mesh.addresses.store,
        mesh.tls_of("operator")?,
    )?))
}

/// Revokes `credential_id` as an operator holding `rights`.
async fn revoke(
    mesh: &TestMesh,
    rights: &[mesh_core::capability::Right],
    kind: RevocationKind,
    credential_id: &str,
) -> anyhow::Result<Result<RevokeResponse, tonic::Status>> {
    let now = SystemTime::now();
    let token = mesh.narrowed(
        &mesh.mint(rights, now)?,
        "operator",
        "store",
        store_service::REVOKE,
        now,
    )?;
    let request = RevokeRequest {
        revocation: Some(Revocation {
            kind: kind as i32,
            credential_id: credential_id.into(),
            reason: "test".into(),
            ..Default::default()
        }),
    };
    Ok(store_as_operator(mesh)?
        .revoke(with_bearer(&token, request)?)
        .await
        .map(tonic::Response::into_inner))
}

/// Waits until `call` is refused as revoked; fails if it is refused for
/// anything else or never.
async fn refused_as_revoked<F, Fut, T>(what: &str, mut call: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Result<T, tonic::Status>>>,
{
    let deadline = tokio::time::Instant::now() + REFUSED_WITHIN;
    loop {
        match call().await? {
            Ok(_) => anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "{what} still passes {REFUSED_WITHIN:?} after its revocation"
            ),
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
                assert!(status.message().contains("revoked"), "{what}: {status:?}");
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_bearer_token_is_refused_at_the_edge_and_others_are_not() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let claims = mesh.claims();
    let jti = claims.jti.clone().expect("dev tokens carry a jti");
    let token = mesh.state.issuer.sign(&claims)?;
    let gateway = mesh.gateway().await?;
    let kpis = |token: String| {
        let mut gateway = gateway.clone();
        async move {
            Ok(gateway
                .get_kpis(with_bearer(&token, PublicGetKpis { window_days: 7 })?)
                .await)
        }
    };
    // Control: the token works, and keeps working from the edge's cache.
    kpis(token.clone()).await??;
    kpis(token.clone()).await??;

    let revoked = revoke(&mesh, &[STORE_REVOKE], RevocationKind::TokenId, &jti).await??;
    assert!(revoked.created);
    refused_as_revoked("the revoked bearer token", || kpis(token.clone())).await?;

    // The same user with another token is not refused.
    kpis(mesh.bearer()?).await??;
    let refusals = metric_sum(mesh.admin_of("gateway")?, None, |line| {
        line.starts_with("forecast_mesh_jwt_refusals_total") && line.contains("\"revoked\"")
    })
    .await?;
    assert!(refusals >= 1.0, "{refusals} revoked refusals counted");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_block_is_refused_by_the_warehouse_and_the_store() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let warehouse = WarehouseServiceClient::new(
        mesh.mtls_channel(mesh.addresses.warehouse, mesh.tls_of("operator")?)?,
    );
    let now = SystemTime::now();
    let narrowed_kpis = |capability: &Capability| {
        mesh.narrowed(
            capability,
            "operator",
            "warehouse",
            warehouse_service::GET_KPIS,
            now,
        )
    };
    let leaked = mesh.mint(&[WAREHOUSE_READ], now)?;
    let leaked_token = narrowed_kpis(&leaked)?;
    let kpis = |token: String| {
        let mut warehouse = warehouse.clone();
        async move {
            Ok(warehouse
                .get_kpis(with_bearer(&token, GetKpisRequest { window_days: 7 })?)
                .await)
        }
    };
    kpis(leaked_token.clone()).await??;

    // The audit log shows revocation ids in hex: revoke the authority block.
    let block = leaked.revocation_ids()[0].to_uppercase();
    revoke(&mesh, &[STORE_REVOKE], RevocationKind::Capability, &block).await??;
    refused_as_revoked("the warehouse call with a revoked block", || {
        kpis(leaked_token.clone())
    })
    .await?;
    // Another capability is not refused.
    kpis(narrowed_kpis(&mesh.mint(&[WAREHOUSE_READ], now)?)?).await??;
    let refusals = metric_sum(mesh.admin_of("warehouse")?, None, |line| {
        line.starts_with("forecast_mesh_capability_refusals_total") && line.contains("\"revoked\"")
    })
    .await?;
    assert!(refusals >= 1.0, "{refusals} revoked refusals counted");

    // The store refuses what is revoked too: it reads its own list.
    let reader = mesh.mint(&[STORE_READ], now)?;
    let reader_token = mesh.narrowed(
        &reader,
        "operator",
        "store",
        store_service::LIST_AUDIT_ENTRIES,
        now,
    )?;
    let audit = |token: String| {
        let store = store_as_operator(&mesh);
        async move {
            Ok(store?
                .list_audit_entries(with_bearer(&token, ListAuditEntriesRequest::default())?)
                .await)
        }
    };
    audit(reader_token.clone()).await??;
    revoke(
        &mesh,
        &[STORE_REVOKE],
        RevocationKind::Capability,
        &reader.revocation_ids()[0],
    )
    .await??;
    refused_as_revoked("the store call with a revoked block", || {
        audit(reader_token.clone())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_revoke_right_revokes_and_bad_revocations_name_their_field() -> anyhow::Result<()>
{
    let mesh = TestMesh::start().await?;
    // Writing to the store is not revoking.
    let refused = revoke(&mesh, &[STORE_WRITE], RevocationKind::TokenId, "j").await?;
    let status = refused.expect_err("store:write cannot revoke");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    for (kind, id, field) in [
        (RevocationKind::Unspecified, "j", "kind"),
        (RevocationKind::TokenId, "", "credential_id"),
        (RevocationKind::Capability, "not hex", "credential_id"),
    ] {
        let status = revoke(&mesh, &[STORE_REVOKE], kind, id)
            .await?
            .expect_err("a bad revocation");
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(status.message().contains(field), "{field}: {status:?}");
    }
    // Control: a good one is taken, once.
    let first = revoke(&mesh, &[STORE_REVOKE], RevocationKind::TokenId, "j").await??;
    let again = revoke(&mesh, &[STORE_REVOKE], RevocationKind::TokenId, "j").await??;
    assert!(first.created && !again.created);

    // Any allowed workload reads the list with its certificate alone.
    let listed = StoreServiceClient::new(
        mesh.mtls_channel(mesh.addresses.store, mesh.tls_of("warehouse")?)?,
    )
    .list_revocations(ListRevocationsRequest::default())
    .await?
    .into_inner();
    assert_eq!(listed.revocations.len(), 1);
    assert_eq!(listed.revocations[0].credential_id, "j");
    Ok(())
}
