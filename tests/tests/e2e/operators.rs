//! Operators with grpcurl, a client nobody here wrote: reflection lists each
//! service, health answers with and without a client certificate where it should.

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
