//! The Theta method (Assimakopoulos and Nikolopoulos, 2000), in the form
//! Hyndman and Billah (2003) showed equivalent: simple exponential smoothing
//! with a drift of half the series' linear slope, on the seasonally adjusted
//! series, re-seasonalized. No crate here offers it; it is short.

use super::{Interval, SeriesForecast, decompose::seasonal_indices};

/// Forecasts `horizon` steps after removing the seasonal indices of
/// `period`: multiplicative for a positive series, as the M4 competition's
/// Theta benchmark does, additive otherwise.
pub(crate) fn forecast(
    history: &[f64],
    period: usize,
    horizon: usize,
    levels: &[f64],
    model: String,
) -> SeriesForecast {
    let multiplicative = history.iter().all(|v| *v > 0.0);
    let indices = seasonal_indices(history, period, multiplicative);
    let neutral = if multiplicative { 1.0 } else { 0.0 };
    let season = |t: usize| indices.as_ref().map_or(neutral, |i| i[t % i.len()]);
    let adjust = |t: usize, y: f64| {
        if multiplicative {
            y / season(t)
        } else {
            y - season(t)
        }
    };
    let restore = |t: usize, y: f64| {
        if multiplicative {
            y * season(t)
        } else {
            y + season(t)
        }
    };
    let adjusted: Vec<f64> = history
        .iter()
        .enumerate()
        .map(|(t, y)| adjust(t, *y))
        .collect();

    let (alpha, level, sigma) = fit_ses(&adjusted);
    let slope = ols_slope(&adjusted);
    let n = adjusted.len() as f64;
    let adjusted_points: Vec<f64> = (1..=horizon)
        .map(|h| {
            let drift =
                slope / 2.0 * (h as f64 - 1.0 + 1.0 / alpha - (1.0 - alpha).powf(n) / alpha);
            level + drift
        })
        .collect();
    let at = |i: usize, y: f64| restore(history.len() + i, y);
    let points: Vec<f64> = adjusted_points
        .iter()
        .enumerate()
        .map(|(i, p)| at(i, *p))
        .collect();
    let intervals = levels
        .iter()
        .map(|&level| {
            let z = distrs::Normal::ppf(0.5 + level / 2.0, 0.0, 1.0);
            let width = |h: usize| z * sigma * (1.0 + (h as f64 - 1.0) * alpha * alpha).sqrt();
            Interval {
                level,
                lower: adjusted_points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| at(i, p - width(i + 1)))
                    .collect(),
                upper: adjusted_points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| at(i, p + width(i + 1)))
                    .collect(),
            }
        })
        .collect();
    let parameters = format!("alpha {alpha:.2}, drift {:.4}/step", slope / 2.0);
    SeriesForecast {
        model,
        parameters,
        points,
        intervals,
    }
}

/// Fits simple exponential smoothing by the one-step squared error, over a
/// grid of smoothing weights; returns the weight, the final level and the
/// residuals' standard deviation.
fn fit_ses(series: &[f64]) -> (f64, f64, f64) {
    let run = |alpha: f64| {
        let mut level = series[0];
        let mut squared = 0.0;
        for y in &series[1..] {
            let error = y - level;
            squared += error * error;
            level += alpha * error;
        }
        (squared, level)
    };
    let (alpha, (squared, level)) = (1..100)
        .map(|i| i as f64 / 100.0)
        .map(|alpha| (alpha, run(alpha)))
        .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .unwrap_or((0.5, run(0.5)));
    (
        alpha,
        level,
        (squared / (series.len() - 1).max(1) as f64).sqrt(),
    )
}

fn ols_slope(series: &[f64]) -> f64 {
    let n = series.len() as f64;
    let mean_t = (n - 1.0) / 2.0;
    let mean_y = series.iter().sum::<f64>() / n;
    let (covariance, variance) = series
        .iter()
        .enumerate()
        .fold((0.0, 0.0), |(c, v), (t, y)| {
            let dt = t as f64 - mean_t;
            (c + dt * (y - mean_y), v + dt * dt)
        });
    if variance == 0.0 {
        0.0
    } else {
        covariance / variance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_continued_with_half_its_slope_plus_the_smoothed_level() {
        let line: Vec<f64> = (0..50).map(|t| 10.0 + 2.0 * t as f64).collect();
        let forecast = forecast(&line, 1, 3, &[0.8], "Theta".into());
        // SES on a line tracks it with alpha near 1; half the slope is added per step.
        assert!(
            (forecast.points[0] - 109.0).abs() < 1.5,
            "{:?}",
            forecast.points
        );
        assert!(
            (forecast.points[2] - forecast.points[0] - 2.0).abs() < 0.1,
            "drift of 1 per step"
        );
    }

    #[test]
    fn a_weekly_pattern_is_put_back_after_adjusting() {
        let pattern = [10.0, 12.0, 11.0, 10.0, 14.0, 5.0, 3.0];
        let series: Vec<f64> = (0..70).map(|t| 100.0 + pattern[t % 7]).collect();
        let forecast = forecast(&series, 7, 7, &[0.9], "Theta".into());
        for (h, point) in forecast.points.iter().enumerate() {
            assert!(
                (point - (100.0 + pattern[(70 + h) % 7])).abs() < 0.5,
                "step {h}: {point}"
            );
        }
    }
}
