//! The Theta method (Assimakopoulos and Nikolopoulos, 2000), in the form
//! Hyndman and Billah (2003) showed equivalent: simple exponential smoothing
//! with a drift of half the series' linear slope, on the seasonally adjusted
//! series, re-seasonalized. No crate here offers it; it is short.

use super::{Interval, SeriesForecast};

/// Forecasts `horizon` steps after removing additive seasonal indices of `period`.
pub(crate) fn forecast(
    history: &[f64],
    period: usize,
    horizon: usize,
    levels: &[f64],
    model: String,
) -> SeriesForecast {
    let indices = seasonal_indices(history, period);
    let season = |t: usize| indices.as_ref().map_or(0.0, |i| i[t % i.len()]);
    let adjusted: Vec<f64> = history
        .iter()
        .enumerate()
        .map(|(t, y)| y - season(t))
        .collect();

    let (alpha, level, sigma) = fit_ses(&adjusted);
    let slope = ols_slope(&adjusted);
    let n = adjusted.len() as f64;
    let points: Vec<f64> = (1..=horizon)
        .map(|h| {
            let drift =
                slope / 2.0 * (h as f64 - 1.0 + 1.0 / alpha - (1.0 - alpha).powf(n) / alpha);
            level + drift + season(history.len() + h - 1)
        })
        .collect();
    let intervals = levels
        .iter()
        .map(|&level| {
            let z = distrs::Normal::ppf(0.5 + level / 2.0, 0.0, 1.0);
            let width = |h: usize| z * sigma * (1.0 + (h as f64 - 1.0) * alpha * alpha).sqrt();
            Interval {
                level,
                lower: points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| p - width(i + 1))
                    .collect(),
                upper: points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| p + width(i + 1))
                    .collect(),
            }
        })
        .collect();
    let parameters = format!("alpha {alpha:.2}, drift {:.4}/day", slope / 2.0);
    SeriesForecast {
        model,
        parameters,
        points,
        intervals,
    }
}

/// Additive seasonal indices from a centred moving average, summing to zero;
/// none without a season or two full cycles of it.
fn seasonal_indices(history: &[f64], period: usize) -> Option<Vec<f64>> {
    if period < 2 || history.len() < 2 * period {
        return None;
    }
    let half = period / 2;
    let mut sums = vec![0.0; period];
    let mut counts = vec![0usize; period];
    for t in half..history.len() - half {
        let window = &history[t - half..=t + half];
        // An even period averages period + 1 points with half weight at the ends.
        let average = if period.is_multiple_of(2) {
            (window.iter().sum::<f64>() - (window[0] + window[period]) / 2.0) / period as f64
        } else {
            window.iter().sum::<f64>() / period as f64
        };
        sums[t % period] += history[t] - average;
        counts[t % period] += 1;
    }
    let raw: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| s / (*c).max(1) as f64)
        .collect();
    let mean = raw.iter().sum::<f64>() / period as f64;
    Some(raw.iter().map(|r| r - mean).collect())
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
        let indices = seasonal_indices(&series, 7).unwrap_or_default();
        assert!(
            indices.iter().sum::<f64>().abs() < 1e-9,
            "indices sum to zero"
        );
    }
}
