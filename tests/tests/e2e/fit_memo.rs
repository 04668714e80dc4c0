//! Forecasts computed once per input: the dashboard asked twice fits its
//! forecast once, yet each call is recorded as a run of its own, and the
//! forecaster's metrics say which call was answered by a remembered fit.

use std::time::Instant;

use anyhow::Context;
use mesh_tests::{TestMesh, metric_sum, with_bearer};
use proto::gateway::{GetDashboardRequest, ListForecastRunsRequest};

const TOKEN: &str = "scrape-token-for-the-fit-memo";

/// Returns the sum of the samples of `name` on the forecaster's `/metrics`.
async fn forecaster_sum(mesh: &TestMesh, name: &str) -> anyhow::Result<f64> {
    metric_sum(mesh.admin_of("forecaster")?, Some(TOKEN), |line| {
        line.starts_with(name)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_asked_twice_fits_once_and_records_two_runs() -> anyhow::Result<()> {
    let mesh = TestMesh::start_with_metrics_token(TOKEN).await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;
    let mut forecasts = Vec::new();
    for call in ["cold", "warm"] {
        let started = Instant::now();
        let dashboard = gateway
            .get_dashboard(with_bearer(
                &token,
                GetDashboardRequest { forecast_days: 30 },
            )?)
            .await?
            .into_inner();
        eprintln!("GetDashboard {call}: {:?}", started.elapsed());
        forecasts.push(dashboard.forecast.context("no forecast")?);
    }
    assert_eq!(
        forecaster_sum(&mesh, "forecast_mesh_forecast_fits_total").await?,
        1.0
    );
    let lookups = "forecast_mesh_forecast_fit_cache_lookups_total";
    assert_eq!(
        forecaster_sum(&mesh, &format!("{lookups}{{outcome=\"hit\"}}")).await?,
        1.0
    );
    assert_eq!(
        forecaster_sum(&mesh, &format!("{lookups}{{outcome=\"miss\"}}")).await?,
        1.0
    );
    // The same answer, each call its own run.
    let (cold, warm) = (&forecasts[0], &forecasts[1]);
    assert_eq!((&cold.model, &cold.points), (&warm.model, &warm.points));
    assert_ne!(cold.run_id, warm.run_id);
    let runs = gateway
        .list_forecast_runs(with_bearer(
            &token,
            ListForecastRunsRequest {
                page_size: 50,
                page_token: String::new(),
            },
        )?)
        .await?
        .into_inner()
        .runs;
    for forecast in [cold, warm] {
        assert!(
            runs.iter().any(|run| run.id == forecast.run_id),
            "run {} recorded",
            forecast.run_id
        );
    }
    mesh.stop().await;
    Ok(())
}
