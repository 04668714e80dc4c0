//! Operators with grpcurl, a client nobody here wrote: reflection lists each
//! service, health answers with and without a client certificate where it
//! should, and a capability from `mesh capability` calls exactly its one
//! internal method.

use std::time::{Duration, SystemTime};

use mesh_tests::{TestMesh, tools};

fn operator_flags(mesh: &TestMesh) -> Vec<String> {
    let files = mesh.state.tls_files("operator");
    vec![
        "-cacert".into(),
        files.ca.display().to_string(),
        "-cert".into(),
        files.cert.display().to_string(),
        "-key".into(),
        files.key.display().to_string(),
    ]
}

async fn grpcurl(args: Vec<String>) -> anyhow::Result<String> {
    let output = tools::run("grpcurl", args.clone()).await?;
    anyhow::ensure!(output.success, "grpcurl {args:?} failed: {}", output.stderr);
    Ok(output.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_lists_every_service_by_reflection_and_checks_health() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let a = &mesh.addresses;

    let listed = grpcurl(vec![
        "-plaintext".into(),
        a.gateway.to_string(),
        "list".into(),
    ])
    .await?;
    assert!(
        listed.contains("forecastmesh.gateway.v1.GatewayService"),
        "{listed}"
    );
    assert!(listed.contains("grpc.health.v1.Health"), "{listed}");
    let described = grpcurl(vec![
        "-plaintext".into(),
        a.gateway.to_string(),
        "describe".into(),
        "forecastmesh.gateway.v1.GatewayService.GetForecast".into(),
    ])
    .await?;
    assert!(described.contains("GetForecastRequest"), "{described}");

    for (address, health, service) in [
        (
            a.warehouse,
            a.warehouse_health,
            "forecastmesh.warehouse.v1.WarehouseService",
        ),
        (
            a.forecaster,
            a.forecaster_health,
            "forecastmesh.forecaster.v1.ForecasterService",
        ),
        (
            a.store,
            a.store_health,
            "forecastmesh.store.v1.StoreService",
        ),
    ] {
        // The dev certificates name `localhost`, as a cluster's name the service.
        let target = format!("localhost:{}", address.port());
        let mut args = operator_flags(&mesh);
        args.extend([target.clone(), "list".into()]);
        let listed = grpcurl(args).await?;
        assert!(listed.contains(service), "{service}: {listed}");
        assert!(
            !listed.contains("GatewayService"),
            "each service lists only itself: {listed}"
        );

        let mut args = operator_flags(&mesh);
        args.extend([target.clone(), "grpc.health.v1.Health/Check".into()]);
        assert!(grpcurl(args).await?.contains("SERVING"));

        let probe = grpcurl(vec![
            "-plaintext".into(),
            health.to_string(),
            "grpc.health.v1.Health/Check".into(),
        ])
        .await?;
        assert!(probe.contains("SERVING"), "{probe}");

        // Without a client certificate the handshake is refused.
        let files = mesh.state.tls_files("operator");
        let refused = tools::run(
            "grpcurl",
            vec![
                "-connect-timeout".into(),
                "3".into(),
                "-cacert".into(),
                files.ca.display().to_string(),
                target,
                "list".into(),
            ],
        )
        .await?;
        assert!(
            !refused.success,
            "{service} accepted a client without a certificate"
        );
    }
    mesh.stop().await;
    Ok(())
}

/// Mints a capability the way `mesh capability` does, base64-encoded.
fn operator_capability(
    mesh: &TestMesh,
    service: &str,
    method: &str,
    ttl: Duration,
    now: SystemTime,
) -> anyhow::Result<String> {
    let (_, capability) =
        mesh::operator::capability(&mesh.state.root_key, service, method, ttl, now)?;
    Ok(capability.to_base64()?)
}

/// grpcurl with the operator's certificate and `capability`, calling `method` on `target`.
fn call_args(
    mesh: &TestMesh,
    capability: &str,
    target: &str,
    method: &str,
    body: &str,
) -> Vec<String> {
    let mut args = operator_flags(mesh);
    args.extend([
        "-H".into(),
        format!("authorization: Bearer {capability}"),
        "-d".into(),
        body.into(),
        target.into(),
        method.into(),
    ]);
    args
}

/// Runs a call that must be refused; returns grpcurl's error output.
async fn refused(args: Vec<String>) -> anyhow::Result<String> {
    let output = tools::run("grpcurl", args.clone()).await?;
    anyhow::ensure!(
        !output.success,
        "grpcurl {args:?} succeeded: {}",
        output.stdout
    );
    Ok(output.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_capabilities_call_exactly_their_one_internal_method() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let warehouse = format!("localhost:{}", mesh.addresses.warehouse.port());
    let store = format!("localhost:{}", mesh.addresses.store.port());
    let now = SystemTime::now();
    let get_kpis = "forecastmesh.warehouse.v1.WarehouseService/GetKpis";
    let capability =
        operator_capability(&mesh, "warehouse", "GetKpis", Duration::from_secs(60), now)?;

    // The operator calls the warehouse directly and gets figures.
    let answer = grpcurl(call_args(
        &mesh,
        &capability,
        &warehouse,
        get_kpis,
        r#"{"window_days": 30}"#,
    ))
    .await?;
    let answer: serde_json::Value = serde_json::from_str(&answer)?;
    let revenue = answer["kpis"]["revenue"].as_f64().unwrap_or_default();
    let orders: i64 = answer["kpis"]["orders"]
        .as_str()
        .and_then(|o| o.parse().ok())
        .unwrap_or_default();
    assert!(revenue > 0.0 && orders > 0, "{answer}");

    // The same capability on another method of the warehouse: its narrowing
    // names GetKpis only, and its authority block grants no `query`.
    let stderr = refused(call_args(
        &mesh,
        &capability,
        &warehouse,
        "forecastmesh.warehouse.v1.WarehouseService/RunQuery",
        r#"{"sql": "SELECT 1"}"#,
    ))
    .await?;
    assert!(stderr.contains("Code: PermissionDenied"), "{stderr}");

    // The same capability on the store.
    let stderr = refused(call_args(
        &mesh,
        &capability,
        &store,
        "forecastmesh.store.v1.StoreService/ListAuditEntries",
        "{}",
    ))
    .await?;
    assert!(stderr.contains("Code: PermissionDenied"), "{stderr}");

    // An expired one.
    let stale = operator_capability(
        &mesh,
        "warehouse",
        get_kpis,
        Duration::from_secs(60),
        now - Duration::from_secs(120),
    )?;
    let stderr = refused(call_args(
        &mesh,
        &stale,
        &warehouse,
        get_kpis,
        r#"{"window_days": 30}"#,
    ))
    .await?;
    assert!(stderr.contains("Code: Unauthenticated"), "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");

    // No capability at all.
    let mut args = operator_flags(&mesh);
    args.extend([warehouse.clone(), get_kpis.into()]);
    let stderr = refused(args).await?;
    assert!(stderr.contains("Code: Unauthenticated"), "{stderr}");

    // A capability for the store's method works on the store: the operator is
    // admitted there too, for what its capability carries.
    let store_capability = operator_capability(
        &mesh,
        "store",
        "ListAuditEntries",
        Duration::from_secs(60),
        now,
    )?;
    grpcurl(call_args(
        &mesh,
        &store_capability,
        &store,
        "forecastmesh.store.v1.StoreService/ListAuditEntries",
        r#"{"page_size": 5}"#,
    ))
    .await?;

    // The operator's capability is confined to the operator: the gateway's
    // certificate presenting it is refused.
    let files = mesh.state.tls_files("gateway");
    let stderr = refused(vec![
        "-cacert".into(),
        files.ca.display().to_string(),
        "-cert".into(),
        files.cert.display().to_string(),
        "-key".into(),
        files.key.display().to_string(),
        "-H".into(),
        format!("authorization: Bearer {capability}"),
        "-d".into(),
        "{}".into(),
        warehouse.clone(),
        get_kpis.into(),
    ])
    .await?;
    assert!(stderr.contains("Code: PermissionDenied"), "{stderr}");

    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_capabilities_reach_the_forecaster_and_its_call_plan() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let forecaster = format!("localhost:{}", mesh.addresses.forecaster.port());
    let capability = operator_capability(
        &mesh,
        "forecaster",
        "ForecastRevenue",
        Duration::from_secs(120),
        SystemTime::now(),
    )?;
    // The forecaster reads the warehouse and records the run in the store on
    // the operator's behalf, with the token narrowed again for each hop.
    let answer = grpcurl(call_args(
        &mesh,
        &capability,
        &forecaster,
        "forecastmesh.forecaster.v1.ForecasterService/ForecastRevenue",
        r#"{"horizon_days": 7, "history_days": 120}"#,
    ))
    .await?;
    let answer: serde_json::Value = serde_json::from_str(&answer)?;
    let forecast = &answer["forecast"];
    assert_eq!(
        forecast["points"].as_array().map(Vec::len),
        Some(7),
        "{answer}"
    );
    assert!(
        forecast["runId"].as_str().is_some_and(|id| !id.is_empty()),
        "the run is recorded in the store: {answer}"
    );
    mesh.stop().await;
    Ok(())
}
