//! Metrics scraped by a real Prometheus (Debian's `prometheus`, run on
//! loopback with a config and a storage directory of the test's own): every
//! service's `/metrics` behind a bearer token, RED counts per method after
//! a few calls, read back through Prometheus's HTTP API.

use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context;
use mesh_tests::{TestMesh, http1, with_bearer};
use proto::gateway::{GetForecastRequest, GetKpisRequest, GetTelemetryStatusRequest};

const TOKEN: &str = "scrape-token-for-the-test";

/// A Prometheus server of the test's own; killed when dropped.
struct Prometheus {
    address: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts Prometheus scraping each `(service, admin address)` every
    /// second with the bearer token; returns once it answers ready.
    async fn start(targets: &[(&str, SocketAddr)]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, TOKEN)?;
        let mut config =
            String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
        for (service, address) in targets {
            config.push_str(&format!(
                "  - job_name: {service}\n    authorization:\n      credentials_file: {}\n    static_configs:\n      - targets: ['{address}']\n        labels: {{service: {service}}}\n",
                token_file.display()
            ));
        }
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config)?;
        // A free port: bound, read, released for Prometheus to take.
        let address = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new(binary())
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .context("starting prometheus (Debian package `prometheus`)")?;
        let prometheus = Self {
            address,
            child,
            _dir: dir,
        };
        let started = Instant::now();
        loop {
            if let Ok(response) = http1::get(address, "/-/ready", None).await
                && response.status == 200
            {
                return Ok(prometheus);
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60),
                "prometheus did not get ready"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Returns the instant vector `query` as (labels, value) pairs.
    async fn query(&self, query: &str) -> anyhow::Result<Vec<(serde_json::Value, f64)>> {
        let path = format!("/api/v1/query?query={}", percent_encode(query));
        let response = http1::get(self.address, &path, None).await?;
        let json = response.json()?;
        anyhow::ensure!(json["status"] == "success", "{json}");
        let result = json["data"]["result"]
            .as_array()
            .with_context(|| format!("no result: {json}"))?;
        result
            .iter()
            .map(|sample| {
                let value = sample["value"][1]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .with_context(|| format!("no value: {sample}"))?;
                Ok((sample["metric"].clone(), value))
            })
            .collect()
    }

    /// Returns the one value of `query`, or `None` while it has none.
    async fn value(&self, query: &str) -> anyhow::Result<Option<f64>> {
        Ok(self.query(query).await?.first().map(|(_, value)| *value))
    }

    /// Waits until `query` has the value `expected`.
    async fn wait_for(&self, query: &str, expected: f64) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let value = self.value(query).await?;
            if value == Some(expected) {
                return Ok(());
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60),
                "{query} is {value:?}, not {expected}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

fn binary() -> String {
    std::env::var("PROMETHEUS").unwrap_or_else(|_| "prometheus".into())
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_red_per_method() -> anyhow::Result<()> {
    let mesh = TestMesh::start_with_metrics_token(TOKEN).await?;
    let gateway_admin = mesh.admin_of("gateway")?;

    // The token guards every service's page; with it, OpenMetrics text.
    let refused = http1::get(gateway_admin, "/metrics", None).await?;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let refused = http1::get(gateway_admin, "/metrics", Some("not-the-token")).await?;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let page = http1::get(gateway_admin, "/metrics", Some(TOKEN)).await?;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{:?}",
        page.headers
    );
    assert!(!page.body.contains(TOKEN));

    let prometheus = Prometheus::start(&mesh.addresses.admin).await?;
    prometheus
        .wait_for("count(up == 1)", mesh.addresses.admin.len() as f64)
        .await?;

    let token = mesh.bearer()?;
    let mut gateway = mesh.gateway().await?;
    for _ in 0..3 {
        gateway
            .get_kpis(with_bearer(&token, GetKpisRequest { window_days: 30 })?)
            .await?;
    }
    gateway
        .get_telemetry_status(with_bearer(&token, GetTelemetryStatusRequest {})?)
        .await?;
    let refused = gateway
        .get_kpis(with_bearer("garbage", GetKpisRequest { window_days: 30 })?)
        .await
        .expect_err("a garbage token is refused");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    let red = |service: &str, method: &str, code: &str| {
        format!(
            "sum(forecast_mesh_rpc_requests_total{{service=\"{service}\",method=\"{method}\",code=\"{code}\"}})"
        )
    };
    use proto::methods::{gateway_service, warehouse_service};
    prometheus
        .wait_for(&red("gateway", gateway_service::GET_KPIS, "OK"), 3.0)
        .await?;
    prometheus
        .wait_for(
            &red("gateway", gateway_service::GET_KPIS, "UNAUTHENTICATED"),
            1.0,
        )
        .await?;
    prometheus
        .wait_for(
            &red("gateway", gateway_service::GET_TELEMETRY_STATUS, "OK"),
            1.0,
        )
        .await?;
    // Each KPI call reads the warehouse once, under the gateway's capability.
    prometheus
        .wait_for(&red("warehouse", warehouse_service::GET_KPIS, "OK"), 3.0)
        .await?;
    // Durations: one observation per answered call.
    prometheus
        .wait_for(
            &format!(
                "sum(forecast_mesh_rpc_request_duration_seconds_count{{service=\"gateway\",method=\"{}\"}})",
                gateway_service::GET_KPIS
            ),
            4.0,
        )
        .await?;
    // REST per route, refusals by reason.
    let answered = http1::get(
        mesh.addresses.gateway,
        "/api/kpis?window_days=30",
        Some(&token),
    )
    .await?;
    assert_eq!(answered.status, 200, "{}", answered.body);
    prometheus
        .wait_for(
            "sum(forecast_mesh_http_requests_total{service=\"gateway\",route=\"/api/kpis\",status=\"200\"})",
            1.0,
        )
        .await?;
    prometheus
        .wait_for(
            "sum(forecast_mesh_jwt_refusals_total{service=\"gateway\"})",
            1.0,
        )
        .await?;
    // A forecast: fitted, timed and scored by its model's family.
    gateway
        .get_forecast(with_bearer(
            &token,
            GetForecastRequest {
                days: 14,
                ..Default::default()
            },
        )?)
        .await?;
    prometheus
        .wait_for(
            "sum(forecast_mesh_forecast_fits_total{service=\"forecaster\"})",
            1.0,
        )
        .await?;
    prometheus
        .wait_for(
            "sum(forecast_mesh_forecast_backtest_mase_count{service=\"forecaster\"})",
            1.0,
        )
        .await?;
    // The audit spool's backlog is served (drained to nothing by now).
    prometheus
        .wait_for(
            "count(forecast_mesh_audit_spool_depth_bytes{service=\"gateway\"})",
            1.0,
        )
        .await?;
    // Every capability refusal reason (11, `revoked` included) is served from zero.
    prometheus
        .wait_for(
            "count(forecast_mesh_capability_refusals_total{service=\"warehouse\"} == 0)",
            11.0,
        )
        .await?;
    // Labels come from the method table only: no caller's path, no principal.
    for (labels, _) in prometheus
        .query("count by (method) (forecast_mesh_rpc_requests_total)")
        .await?
    {
        let method = labels["method"].as_str().unwrap_or_default();
        assert!(
            method == "unknown"
                || method.starts_with("/grpc.")
                || proto::methods::find(method).is_some(),
            "{labels}"
        );
    }
    mesh.stop().await;
    Ok(())
}
