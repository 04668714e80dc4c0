use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use mesh_core::metrics::Metrics;

use super::*;
use crate::{calendar::Frequency, fit::FitLimits};

/// Three years of daily sales: a week's pattern, a year's wave and a
/// little deterministic noise, so every candidate has something to fit.
fn sales(days: usize) -> Vec<f64> {
    let week = [10.0, 12.0, 11.0, 10.0, 14.0, 5.0, 3.0];
    (0..days)
        .map(|day| {
            let year = (day as f64 * std::f64::consts::TAU / 365.25).sin();
            100.0 + week[day % 7] + 8.0 * year + (day * 7919 % 13) as f64 * 0.3
        })
        .collect()
}

/// A series, its flags and its levels, owned so a test can change one.
#[derive(Clone)]
struct Asked {
    history: Vec<f64>,
    observed: Vec<bool>,
    horizon: usize,
    levels: Vec<f64>,
}

impl Asked {
    fn daily(days: usize, horizon: usize) -> Self {
        Self {
            history: sales(days),
            observed: vec![true; days],
            horizon,
            levels: vec![0.8, 0.95],
        }
    }

    fn problem(&self) -> Problem<'_> {
        Problem {
            history: &self.history,
            observed: &self.observed,
            frequency: Frequency::Daily,
            horizon: self.horizon,
            levels: &self.levels,
        }
    }
}

/// Memoized fits on a pool of their own, counted in a registry of their own.
fn counted_fits(limits: FitLimits) -> (MemoizedFits, FitPool, Metrics) {
    let metrics = Metrics::new();
    let pool = FitPool::new(limits);
    let fits = MemoizedFits::new(pool.clone()).counted_in(FitMetrics::register(&metrics));
    (fits, pool, metrics)
}

fn default_fits() -> (MemoizedFits, Metrics) {
    let (fits, _, metrics) = counted_fits(FitLimits::default());
    (fits, metrics)
}

/// Returns the sum of the samples of `name` (every label set) in `metrics`.
fn sum_of(metrics: &Metrics, name: &str) -> f64 {
    metrics
        .encode()
        .lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

fn fits_run(metrics: &Metrics) -> f64 {
    sum_of(metrics, "forecast_mesh_forecast_fits_total")
}

fn lookups(metrics: &Metrics, outcome: &str) -> f64 {
    sum_of(
        metrics,
        &format!("forecast_mesh_forecast_fit_cache_lookups_total{{outcome=\"{outcome}\"}}"),
    )
}

#[tokio::test]
async fn the_same_input_twice_fits_once() -> Result<(), Status> {
    let (fits, metrics) = default_fits();
    let asked = Asked::daily(1095, 30);
    let started = Instant::now();
    let first = fits.choose(asked.problem(), None).await?;
    let cold = started.elapsed();
    let started = Instant::now();
    let second = fits.choose(asked.problem(), None).await?;
    let warm = started.elapsed();
    eprintln!("1095 days, 30 ahead: fitted in {cold:?}, remembered in {warm:?}");
    assert_eq!(fits_run(&metrics), 1.0);
    assert_eq!(
        (lookups(&metrics, "miss"), lookups(&metrics, "hit")),
        (1.0, 1.0)
    );
    assert!(Arc::ptr_eq(&first, &second), "the same answer, shared");
    assert_eq!(second.forecast.points.len(), 30);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_identical_calls_at_once_share_one_fit() -> Result<(), Status> {
    let (fits, metrics) = default_fits();
    let asked = Asked::daily(365, 14);
    // Joined in one task: all eight are polled, and so have looked the
    // input up, before the first fit (milliseconds on a blocking thread)
    // can end. Without single flight each would miss and fit.
    let calls = (0..8).map(|_| fits.choose(asked.problem(), None));
    let answers = futures::future::try_join_all(calls).await?;
    assert_eq!(fits_run(&metrics), 1.0);
    assert_eq!(
        (lookups(&metrics, "miss"), lookups(&metrics, "hit")),
        (1.0, 7.0)
    );
    assert!(
        answers
            .iter()
            .all(|answer| Arc::ptr_eq(answer, &answers[0]))
    );
    Ok(())
}

#[tokio::test]
async fn a_changed_value_flag_horizon_or_level_fits_again() -> Result<(), Status> {
    let (fits, metrics) = default_fits();
    let asked = Asked::daily(120, 14);
    let mut value = asked.clone();
    value.history[119] += 1.0;
    let mut flag = asked.clone();
    flag.observed[60] = false;
    let horizon = Asked {
        horizon: 7,
        ..asked.clone()
    };
    let level = Asked {
        levels: vec![0.8, 0.9],
        ..asked.clone()
    };
    for changed in [&asked, &value, &flag, &horizon, &level] {
        fits.choose(changed.problem(), None).await?;
    }
    assert_eq!(fits_run(&metrics), 5.0);
    // The control: asked again, each is remembered.
    for again in [&asked, &value, &flag, &horizon, &level] {
        fits.choose(again.problem(), None).await?;
    }
    assert_eq!(fits_run(&metrics), 5.0);
    assert_eq!(lookups(&metrics, "hit"), 5.0);
    Ok(())
}

#[tokio::test]
async fn a_failed_fit_is_not_remembered() -> Result<(), Status> {
    let (fits, metrics) = default_fits();
    let asked = Asked::daily(120, 14);
    let past = Some(Instant::now());
    let failed = fits
        .choose(asked.problem(), past)
        .await
        .expect_err("the deadline has passed");
    assert_eq!(failed.code(), tonic::Code::DeadlineExceeded, "{failed:?}");
    let answer = fits.choose(asked.problem(), None).await?;
    assert_eq!(answer.forecast.points.len(), 14);
    assert_eq!(fits_run(&metrics), 1.0);
    assert_eq!(
        (lookups(&metrics, "miss"), lookups(&metrics, "hit")),
        (2.0, 0.0)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_leaves_mid_fit_hands_the_fit_to_the_next() -> Result<(), Status> {
    let (fits, pool, metrics) = counted_fits(FitLimits {
        threads: 1,
        queue: 4,
        budget: Duration::from_secs(30),
    });
    // The pool's only thread is held, so the first caller takes the key and
    // then waits for a thread.
    let released = Arc::new(AtomicBool::new(false));
    let (running, started) = tokio::sync::oneshot::channel();
    let held = released.clone();
    let blocker = tokio::spawn(async move {
        pool.run(None, move |_, _| {
            let _ = running.send(());
            while !held.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
        })
        .await
    });
    let _ = started.await;
    let asked = Asked::daily(120, 14);
    let call = |fits: MemoizedFits, asked: Asked| {
        tokio::spawn(async move { fits.choose(asked.problem(), None).await })
    };
    let first = call(fits.clone(), asked.clone());
    while lookups(&metrics, "miss") < 1.0 {
        tokio::task::yield_now().await;
    }
    let second = call(fits.clone(), asked);
    // Time for the second to wait on the first's fit.
    tokio::time::sleep(Duration::from_millis(50)).await;
    first.abort();
    let _ = first.await;
    released.store(true, Ordering::Relaxed);
    let answer = tokio::time::timeout(Duration::from_secs(20), second).await;
    let answer = answer
        .map_err(|_| Status::internal("the second caller was left waiting"))?
        .map_err(|error| Status::internal(error.to_string()))??;
    assert_eq!(answer.forecast.points.len(), 14);
    assert_eq!(fits_run(&metrics), 1.0);
    assert_eq!(
        (lookups(&metrics, "miss"), lookups(&metrics, "hit")),
        (2.0, 0.0)
    );
    let _ = blocker.await;
    Ok(())
}
