//! Every way in that must be refused, each with the right outcome, beside a
//! control call that succeeds so no refusal passes by accident.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use gateway::oidc::dev_issuer::{DevClaims, DevIssuer};
use hyper_util::rt::TokioIo;
use mesh_core::{capability::Right, tls::MeshTls};
use mesh_tests::{TestMesh, assert_refused_at_handshake, with_bearer};
use proto::methods::warehouse_service;
use proto::{
    gateway::{GetKpisRequest as PublicGetKpis, ListAuditLogsRequest},
    store::{ListAuditEntriesRequest, store_service_client::StoreServiceClient},
    warehouse::{GetKpisRequest, warehouse_service_client::WarehouseServiceClient},
};
use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};
use tonic::{Code, transport::Channel};

const WAREHOUSE_READ: Right = Right {
    service: "warehouse",
    operation: "read",
};
const STORE_READ: Right = Right {
    service: "store",
    operation: "read",
};

fn warehouse_as(
    mesh: &TestMesh,
    tls: Arc<MeshTls>,
) -> anyhow::Result<WarehouseServiceClient<Channel>> {
    Ok(WarehouseServiceClient::new(
        mesh.mtls_channel(mesh.addresses.warehouse, tls)?,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_calls_need_mtls_an_allowed_caller_and_a_narrowed_live_token() -> anyhow::Result<()>
{
    let mesh = TestMesh::start().await?;
    let now = SystemTime::now();
    let capability = mesh.mint(&[WAREHOUSE_READ, STORE_READ], now)?;
    let gateway_tls = mesh.tls_of("gateway")?;

    // Control: the gateway's certificate and a token narrowed for the call.
    let token = mesh.narrowed(
        &capability,
        "gateway",
        "warehouse",
        warehouse_service::GET_KPIS,
        now,
    )?;
    let mut warehouse = warehouse_as(&mesh, gateway_tls.clone())?;
    let kpis = warehouse
        .get_kpis(with_bearer(&token, GetKpisRequest { window_days: 7 })?)
        .await?;
    assert_eq!(
        kpis.get_ref().kpis.as_ref().map(|k| k.window_end.as_str()),
        Some("2025-12-31")
    );

    // No token.
    let refused = warehouse
        .get_kpis(GetKpisRequest { window_days: 7 })
        .await
        .expect_err("no token");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");

    // A garbage token.
    let refused = warehouse
        .get_kpis(with_bearer("Zm9v", GetKpisRequest::default())?)
        .await
        .expect_err("garbage");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");

    // An expired token: minted and narrowed two minutes ago.
    let then = now - Duration::from_secs(120);
    let stale = mesh.narrowed(
        &mesh.mint(&[WAREHOUSE_READ], then)?,
        "gateway",
        "warehouse",
        warehouse_service::GET_KPIS,
        then,
    )?;
    let refused = warehouse
        .get_kpis(with_bearer(&stale, GetKpisRequest::default())?)
        .await
        .expect_err("expired");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    assert!(refused.message().contains("expired"), "{refused:?}");

    // A token narrowed for the warehouse, presented to the store.
    let mut store =
        StoreServiceClient::new(mesh.mtls_channel(mesh.addresses.store, gateway_tls.clone())?);
    let refused = store
        .list_audit_entries(with_bearer(&token, ListAuditEntriesRequest::default())?)
        .await
        .expect_err("wrong service");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    // A valid token over a connection from a workload not on the allow-list
    // (the store never calls the warehouse; the operator now may).
    let outsider_token = mesh.narrowed(
        &capability,
        "store",
        "warehouse",
        warehouse_service::GET_KPIS,
        now,
    )?;
    let mut as_outsider = warehouse_as(&mesh, mesh.tls_of("store")?)?;
    let refused = as_outsider
        .get_kpis(with_bearer(&outsider_token, GetKpisRequest::default())?)
        .await
        .expect_err("not allowed");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    // The gateway's token replayed by another workload is refused the same way.
    let refused = as_outsider
        .get_kpis(with_bearer(&token, GetKpisRequest::default())?)
        .await
        .expect_err("replayed");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    // A token from another root key.
    let foreign = mesh_core::capability::CapabilityMinter::new(
        mesh_core::capability::RootKey::generate(mesh.state.root_key.key_id()),
        Duration::from_secs(60),
    )
    .mint("intruder", &[WAREHOUSE_READ], now)?;
    let forged = mesh.narrowed(
        &foreign,
        "gateway",
        "warehouse",
        warehouse_service::GET_KPIS,
        now,
    )?;
    let refused = warehouse
        .get_kpis(with_bearer(&forged, GetKpisRequest::default())?)
        .await
        .expect_err("forged");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    mesh.stop().await;
    Ok(())
}

/// A channel whose TLS trusts the mesh CA but presents no client certificate.
fn without_client_certificate(mesh: &TestMesh) -> anyhow::Result<Channel> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(mesh.state.tls_files("operator").ca)? {
        roots.add(cert?)?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let config = Arc::new(config);
    let connector = tower::service_fn(move |uri: http::Uri| {
        let config = config.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", uri.port_u16().unwrap_or(443)))
                .await?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(ServerName::try_from("localhost")?, tcp)
                .await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(TokioIo::new(stream))
        }
    });
    let endpoint = tonic::transport::Endpoint::from_shared(format!(
        "http://localhost:{}",
        mesh.addresses.warehouse.port()
    ))?;
    Ok(endpoint.connect_with_connector_lazy(connector))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_without_a_mesh_certificate_are_refused() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let now = SystemTime::now();
    let capability = mesh.mint(&[WAREHOUSE_READ], now)?;
    let token = mesh.narrowed(
        &capability,
        "gateway",
        "warehouse",
        warehouse_service::GET_KPIS,
        now,
    )?;

    let mut anonymous = WarehouseServiceClient::new(without_client_certificate(&mesh)?);
    let refused = anonymous
        .get_kpis(with_bearer(&token, GetKpisRequest::default())?)
        .await
        .expect_err("no client cert");
    assert_refused_at_handshake(&refused);

    // A certificate naming the gateway, but signed by another CA.
    let (foreign, _files) = mesh.foreign_tls("gateway")?;
    let mut impostor = warehouse_as(&mesh, foreign)?;
    let refused = impostor
        .get_kpis(with_bearer(&token, GetKpisRequest::default())?)
        .await
        .expect_err("foreign CA");
    assert_refused_at_handshake(&refused);
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_refuses_missing_forged_foreign_and_expired_bearers() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let issuer = &mesh.state.issuer;
    let good = mesh.claims();

    let ok = gateway
        .get_kpis(with_bearer(&issuer.sign(&good)?, PublicGetKpis::default())?)
        .await?;
    assert!(ok.get_ref().kpis.is_some(), "control call succeeds");

    let refused = gateway
        .get_kpis(PublicGetKpis::default())
        .await
        .expect_err("no bearer");
    assert_eq!(
        (refused.code(), refused.message()),
        (Code::Unauthenticated, "missing bearer token")
    );

    let unsigned = {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        format!(
            "{header}.{}.",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&good)?)
        )
    };
    let cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned),
        (
            "wrong issuer",
            issuer.sign(&DevClaims {
                iss: "https://elsewhere.test".into(),
                ..good.clone()
            })?,
        ),
        (
            "wrong audience",
            issuer.sign(&DevClaims {
                aud: "another-app".into(),
                ..good.clone()
            })?,
        ),
        (
            "expired",
            issuer.sign(&DevClaims {
                iat: good.iat - 7200,
                exp: good.iat - 3600,
                ..good.clone()
            })?,
        ),
        ("another issuer's key", DevIssuer::generate()?.sign(&good)?),
        (
            "not valid for another hour (nbf)",
            issuer.sign(&DevClaims {
                nbf: Some(good.iat + 3600),
                ..good.clone()
            })?,
        ),
        (
            "issued an hour from now (iat)",
            issuer.sign(&DevClaims {
                iat: good.iat + 3600,
                exp: good.iat + 7200,
                ..good.clone()
            })?,
        ),
        (
            "living a week",
            issuer.sign(&DevClaims {
                exp: good.iat + 7 * 24 * 3600,
                ..good.clone()
            })?,
        ),
    ];
    for (case, token) in cases {
        let refused = gateway
            .get_kpis(with_bearer(&token, PublicGetKpis::default())?)
            .await
            .expect_err(case);
        assert_eq!(refused.code(), Code::Unauthenticated, "{case}: {refused:?}");
    }

    // Authenticated, but without the scope the method needs.
    let reader = issuer.sign(&DevClaims {
        scope: "forecasts:read".into(),
        ..good.clone()
    })?;
    let refused = gateway
        .list_audit_logs(with_bearer(&reader, ListAuditLogsRequest::default())?)
        .await
        .expect_err("scope");
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    // Bad arguments are the caller's fault, said plainly.
    let refused = gateway
        .get_kpis(with_bearer(
            &issuer.sign(&good)?,
            PublicGetKpis { window_days: -3 },
        )?)
        .await
        .expect_err("negative window");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_invalid_arguments_from_whichever_service_checks_them()
-> anyhow::Result<()> {
    use proto::gateway::{GetForecastRequest, GetHistoryRequest};
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;

    let history = gateway
        .get_history(with_bearer(&token, GetHistoryRequest { days_back: 5000 })?)
        .await;
    let forecast_days = gateway
        .get_forecast(with_bearer(
            &token,
            GetForecastRequest {
                days: 400,
                levels: vec![],
            },
        )?)
        .await;
    let forecast_level = gateway
        .get_forecast(with_bearer(
            &token,
            GetForecastRequest {
                days: 7,
                levels: vec![1.5],
            },
        )?)
        .await;
    let page_size = gateway
        .list_audit_logs(with_bearer(
            &token,
            ListAuditLogsRequest {
                page_size: 1000,
                page_token: String::new(),
                ..Default::default()
            },
        )?)
        .await;
    let page_token = gateway
        .list_audit_logs(with_bearer(
            &token,
            ListAuditLogsRequest {
                page_size: 10,
                page_token: "garbage".into(),
                ..Default::default()
            },
        )?)
        .await;
    for (case, outcome, words) in [
        (
            "days_back",
            history.map(drop),
            "days_back must be between 1 and 3650",
        ),
        (
            "horizon",
            forecast_days.map(drop),
            // The caller sent `days`: the message names `days`, not the
            // forecaster's `horizon_days`.
            "days: must be between 1 and 365, got",
        ),
        (
            "level",
            forecast_level.map(drop),
            "interval levels must be between 0 and 1",
        ),
        (
            "page size",
            page_size.map(drop),
            // The gateway checks page sizes itself, in its own words.
            "page_size: must be between 1 and 500, got",
        ),
        ("page token", page_token.map(drop), "invalid page_token"),
    ] {
        let status = outcome.expect_err(case);
        assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
        assert!(status.message().contains(words), "{case}: {status:?}");
    }
    mesh.stop().await;
    Ok(())
}
