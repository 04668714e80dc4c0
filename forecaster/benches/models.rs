//! Speed and accuracy of every model, measured in one run: on the generated
//! warehouse's daily revenue and on synthetic series whose structure is known.
//! For each series it prints each model's fits per second (a 28-day forecast
//! with 80% and 95% intervals) and its rolling-origin backtest scores, with
//! MASE as a ratio to the seasonal naive baseline measured alongside.
//!
//! `cargo bench -p forecaster --bench models`

use std::{f64::consts::TAU, time::Instant};

use forecaster::{
    calendar::Frequency,
    model::{Candidate, Problem, choose_and_forecast, detect_seasonality},
};
use warehouse::{SalesSource, embedded::EmbeddedWarehouse};

const HORIZON: usize = 28;
const LEVELS: [f64; 2] = [0.8, 0.95];
const FITS: usize = 5;

/// Deterministic noise in [-1, 1].
fn noise(day: usize) -> f64 {
    let x = (day as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

fn synthetic() -> Vec<(&'static str, Vec<f64>)> {
    let weekly = [1.05, 1.15, 1.1, 1.05, 1.2, 0.8, 0.65];
    vec![
        (
            "weekly + trend",
            (0..730)
                .map(|d| (200.0 + 0.3 * d as f64) * weekly[d % 7] + 10.0 * noise(d))
                .collect(),
        ),
        (
            "weekly + yearly",
            (0..1095)
                .map(|d| {
                    300.0 * weekly[d % 7] * (1.0 + 0.25 * (TAU * d as f64 / 365.25).sin())
                        + 12.0 * noise(d)
                })
                .collect(),
        ),
        (
            "random walk",
            (0..730)
                .scan(500.0, |level, d| {
                    *level += 8.0 * noise(d);
                    Some(*level)
                })
                .collect(),
        ),
        (
            "flat + noise",
            (0..365).map(|d| 100.0 + 15.0 * noise(d)).collect(),
        ),
    ]
}

async fn warehouse_revenue() -> Result<Vec<f64>, Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let warehouse =
        EmbeddedWarehouse::open_or_generate(&dir.path().join("warehouse.sqlite")).await?;
    Ok(warehouse
        .daily_sales(1095, warehouse::Subject::All)
        .await?
        .iter()
        .map(|day| day.revenue)
        .collect())
}

fn measure(name: &str, series: &[f64]) {
    let seasons = detect_seasonality(series, Frequency::Daily);
    println!(
        "\n{name}: {} days, seasonal periods {:?}",
        series.len(),
        seasons.all()
    );
    let observed = vec![true; series.len()];
    let choice = match choose_and_forecast(Problem {
        history: series,
        observed: &observed,
        frequency: Frequency::Daily,
        horizon: HORIZON,
        levels: &LEVELS,
    }) {
        Ok(choice) => choice,
        Err(error) => {
            println!("  no forecast: {error}");
            return;
        }
    };
    let baseline = choice
        .scores
        .iter()
        .find(|s| s.model.starts_with("SeasonalNaive"))
        .map(|s| s.mase);
    println!(
        "  {:<22} {:>9} {:>7} {:>7} {:>8} {:>7} {:>7} {:>10}",
        "model", "fits/s", "MASE", "vs naive", "sMAPE", "cov80", "cov95", ""
    );
    for candidate in Candidate::all(&seasons) {
        let started = Instant::now();
        let mut fitted = 0;
        for _ in 0..FITS {
            if candidate.forecast(series, HORIZON, &LEVELS).is_ok() {
                fitted += 1;
            }
        }
        let fits_per_second = fitted as f64 / started.elapsed().as_secs_f64();
        // A combination is scored under the members the backtest could fit.
        let family = |name: &str| name.split('(').next().unwrap_or_default().to_owned();
        let Some(score) = choice
            .scores
            .iter()
            .find(|s| family(&s.model) == family(&candidate.name()))
        else {
            println!(
                "  {:<22} {fits_per_second:>9.1}   (could not be backtested on this series)",
                candidate.name()
            );
            continue;
        };
        let coverage = |level: f64| {
            score
                .coverage
                .iter()
                .find(|(l, _)| *l == level)
                .map_or(f64::NAN, |(_, c)| *c)
        };
        let ratio = baseline.map_or(f64::NAN, |b| score.mase / b);
        let chosen = if score.model == choice.chosen.model {
            "<- chosen"
        } else {
            ""
        };
        println!(
            "  {:<22} {fits_per_second:>9.1} {:>7.3} {ratio:>8.2} {:>7.3} {:>7.2} {:>7.2} {chosen:>10}",
            score.model,
            score.mase,
            score.smape,
            coverage(0.8),
            coverage(0.95)
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    println!(
        "{HORIZON}-day horizon, backtests from 3 rolling origins, {FITS} fits per model for speed"
    );
    measure(
        "generated warehouse, total daily revenue",
        &warehouse_revenue().await?,
    );
    for (name, series) in synthetic() {
        measure(name, &series);
    }
    Ok(())
}
