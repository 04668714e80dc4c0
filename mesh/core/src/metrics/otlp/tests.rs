use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect()
}

#[test]
fn no_endpoint_or_exporter_none_exports_nothing() -> Result<(), ConfigError> {
    assert_eq!(OtlpSettings::from_env(&env(&[]))?, None);
    assert_eq!(OtlpSettings::from_env(&env(&[(ENDPOINT, "")]))?, None);
    assert_eq!(
        OtlpSettings::from_env(&env(&[(ENDPOINT, "http://c:4317"), (EXPORTER, "none")]))?,
        None
    );
    Ok(())
}

#[test]
fn the_generic_endpoint_with_defaults_or_the_metrics_one_and_its_timings() -> Result<(), ConfigError>
{
    assert_eq!(
        OtlpSettings::from_env(&env(&[(ENDPOINT, "http://collector:4317")]))?,
        Some(OtlpSettings {
            endpoint: "http://collector:4317".into(),
            interval: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        })
    );
    assert_eq!(
        OtlpSettings::from_env(&env(&[
            (ENDPOINT, "http://collector:4317"),
            (METRICS_ENDPOINT, "http://metrics:4317"),
            (INTERVAL, "500"),
            (TIMEOUT, "3000"),
            (METRICS_TIMEOUT, "200"),
        ]))?,
        Some(OtlpSettings {
            endpoint: "http://metrics:4317".into(),
            interval: Duration::from_millis(500),
            timeout: Duration::from_millis(200),
        })
    );
    Ok(())
}

#[test]
fn what_could_never_export_is_refused_by_name() {
    for (pairs, refused) in [
        (vec![(ENDPOINT, "https://collector:4317")], ENDPOINT),
        (vec![(ENDPOINT, "collector:4317")], ENDPOINT),
        (vec![(METRICS_ENDPOINT, "not a uri")], METRICS_ENDPOINT),
        (vec![(ENDPOINT, "http://c:4317"), (INTERVAL, "0")], INTERVAL),
        (vec![(ENDPOINT, "http://c:4317"), (TIMEOUT, "10s")], TIMEOUT),
        (
            vec![(ENDPOINT, "http://c:4317"), (EXPORTER, "prometheus")],
            EXPORTER,
        ),
    ] {
        match OtlpSettings::from_env(&env(&pairs)) {
            Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, refused, "{pairs:?}"),
            other => panic!("{pairs:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn no_collector_is_counted_and_the_push_ends_at_shutdown() {
    // A port nobody listens on: bound, read, released.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let metrics = Metrics::new();
    let shutdown = CancellationToken::new();
    let push = tokio::spawn(push(
        metrics.clone(),
        "test",
        OtlpSettings {
            endpoint: format!("http://{address}"),
            interval: Duration::from_millis(20),
            timeout: Duration::from_millis(500),
        },
        shutdown.clone(),
    ));
    let failed = "forecast_mesh_otlp_exports_total{result=\"failed\"}";
    let started = std::time::Instant::now();
    while !metrics
        .encode()
        .lines()
        .any(|l| l.starts_with(failed) && !l.ends_with(" 0"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}",
            metrics.encode()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), push)
        .await
        .expect("the push ends at shutdown")
        .expect("the push does not panic");
    assert!(
        metrics
            .encode()
            .contains("forecast_mesh_otlp_exports_total{result=\"ok\"} 0"),
        "{}",
        metrics.encode()
    );
}
