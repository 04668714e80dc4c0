//! Forecasting any series through the gateway: one stock item, one customer,
//! or points the caller sends, with bad input refused in words.

use mesh_tests::{TestMesh, with_bearer};
use proto::gateway::{
    ForecastSeriesRequest, InlineSeries, SeriesPoint, forecast_series_request::Series,
};
use tonic::Code;

fn asking(series: Option<Series>) -> ForecastSeriesRequest {
    ForecastSeriesRequest {
        days: 7,
        levels: vec![0.9],
        series,
        ..Default::default()
    }
}

fn inline(points: &[(&str, f64)]) -> Option<Series> {
    let points = points
        .iter()
        .map(|(date, value)| SeriesPoint {
            date: date.to_string(),
            value: *value,
            ..Default::default()
        })
        .collect();
    Some(Series::Inline(InlineSeries {
        points,
        ..Default::default()
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_series_is_forecast_and_bad_ones_are_refused_in_words() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;

    for (series, label) in [
        (Series::StockItemId(1), "stock item 1"),
        (Series::CustomerId(1), "customer 1"),
    ] {
        let forecast = gateway
            .forecast_series(with_bearer(&token, asking(Some(series)))?)
            .await?
            .into_inner()
            .forecast;
        let forecast = forecast.ok_or_else(|| anyhow::anyhow!("no forecast"))?;
        assert_eq!(forecast.series, label);
        assert_eq!(forecast.points.len(), 7);
        assert_eq!(forecast.points[0].date, "2026-01-01");
        assert!(!forecast.run_id.is_empty(), "recorded");
    }

    // Eight weeks of a weekly pattern, with three days missing.
    let pattern = [10.0, 12.0, 11.0, 10.0, 14.0, 5.0, 3.0];
    let start =
        chrono::NaiveDate::from_ymd_opt(2025, 1, 6).ok_or_else(|| anyhow::anyhow!("date"))?;
    let days: Vec<(String, f64)> = (0..56)
        .filter(|d| ![20, 21, 22].contains(d))
        .map(|d| {
            (
                (start + chrono::Duration::days(d)).to_string(),
                100.0 + pattern[d as usize % 7],
            )
        })
        .collect();
    let points: Vec<(&str, f64)> = days
        .iter()
        .map(|(date, value)| (date.as_str(), *value))
        .collect();
    let forecast = gateway
        .forecast_series(with_bearer(&token, asking(inline(&points)))?)
        .await?
        .into_inner()
        .forecast
        .unwrap_or_default();
    assert_eq!(forecast.history_points, 56, "the gaps were filled");
    assert_eq!(
        forecast.notes,
        ["3 missing days were filled by linear interpolation"]
    );
    assert_eq!(forecast.points[0].date, "2025-03-03");
    assert!(
        (forecast.points[0].value - 110.0).abs() < 3.0,
        "a Monday-like day: {:?}",
        forecast.points[0]
    );

    let refusals = [
        (
            inline(&[("2025-01-01", 1.0), ("2025-01-01", 2.0)]),
            "appears twice",
        ),
        (
            // Unordered points are sorted, then found too few: the message
            // states the true requirement.
            inline(&[("2025-01-02", 1.0), ("2025-01-01", 2.0)]),
            "needs at least",
        ),
        (
            inline(&[
                ("2025-01-01", 1.0),
                ("2025-01-09", 2.0),
                ("2025-01-10", 2.0),
            ]),
            "days",
        ),
        (
            Some(Series::StockItemId(999_999)),
            "unknown stock item 999999",
        ),
        (None, "choose a series"),
    ];
    for (series, words) in refusals {
        let refused = gateway
            .forecast_series(with_bearer(&token, asking(series))?)
            .await
            .expect_err(words);
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{words}: {refused:?}"
        );
        assert!(refused.message().contains(words), "{words}: {refused:?}");
    }
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_series_sent_with_its_real_dates_is_forecast_in_months() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;
    // Four years of monthly figures with a yearly season and a trend, dated
    // the first of each month, as a finance export would be.
    let season = [
        0.0, -5.0, 3.0, 8.0, 12.0, 20.0, 25.0, 22.0, 10.0, 4.0, -2.0, 15.0,
    ];
    let months: Vec<(String, f64)> = (0..48)
        .map(|m| {
            (
                format!("{}-{:02}-01", 2021 + m / 12, m % 12 + 1),
                200.0 + 2.0 * m as f64 + season[(m % 12) as usize],
            )
        })
        .collect();
    let points: Vec<(&str, f64)> = months.iter().map(|(d, v)| (d.as_str(), *v)).collect();
    let request = ForecastSeriesRequest {
        horizon: 18,
        levels: vec![0.95],
        series: inline(&points),
        ..Default::default()
    };
    let forecast = gateway
        .forecast_series(with_bearer(&token, request)?)
        .await?
        .into_inner()
        .forecast
        .unwrap_or_default();
    assert_eq!(forecast.points.len(), 18, "eighteen months");
    assert_eq!(forecast.points[0].date, "2025-01-01");
    assert_eq!(forecast.points[17].date, "2026-06-01");
    assert!(
        forecast.seasonal_periods.contains(&12),
        "a yearly season in months: {:?}",
        forecast.seasonal_periods
    );
    mesh.stop().await;
    Ok(())
}
