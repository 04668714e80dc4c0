//! The Theta method (Assimakopoulos and Nikolopoulos, 2000), in the form
//! Hyndman and Billah (2003) showed equivalent: simple exponential smoothing
//! with a drift of half the series' linear slope, on the seasonally adjusted
//! series, re-seasonalized; and the family of Fiorucci et al. (2016) in
//! [`family`], the way statsforecast's AutoTheta chooses among it. No crate
//! here offers either.

mod family;

use super::{Interval, SeriesForecast, decompose::seasonal_indices};

/// A series' seasonal indices of `period`: multiplicative for a positive
/// series, as the M4 competition's Theta benchmark uses them, additive
/// otherwise; none without two full seasons.
struct Seasonal {
    indices: Option<Vec<f64>>,
    multiplicative: bool,
}

impl Seasonal {
    fn of(history: &[f64], period: usize) -> Self {
        let multiplicative = history.iter().all(|v| *v > 0.0);
        Self {
            indices: seasonal_indices(history, period, multiplicative),
            multiplicative,
        }
    }

    fn index(&self, t: usize) -> f64 {
        let neutral = if self.multiplicative { 1.0 } else { 0.0 };
        self.indices.as_ref().map_or(neutral, |i| i[t % i.len()])
    }

    fn adjust(&self, t: usize, y: f64) -> f64 {
        if self.multiplicative {
            y / self.index(t)
        } else {
            y - self.index(t)
        }
    }

    fn restore(&self, t: usize, y: f64) -> f64 {
        if self.multiplicative {
            y * self.index(t)
        } else {
            y + self.index(t)
        }
    }
}

/// Puts the season back on forecasts of the adjusted series, with intervals
/// from simple exponential smoothing's variance, σ²(1 + (h − 1)α²).
fn reseasonalised(
    season: &Seasonal,
    start: usize,
    adjusted_points: &[f64],
    (alpha, sigma): (f64, f64),
    levels: &[f64],
) -> (Vec<f64>, Vec<Interval>) {
    let at = |i: usize, y: f64| season.restore(start + i, y);
    let points = adjusted_points
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
    (points, intervals)
}

/// Forecasts `horizon` steps with the standard Theta method after removing
/// the seasonal indices of `period`: fast enough for thousands of series.
pub(crate) fn forecast(
    history: &[f64],
    period: usize,
    horizon: usize,
    levels: &[f64],
    model: String,
) -> SeriesForecast {
    let season = Seasonal::of(history, period);
    let adjusted: Vec<f64> = history
        .iter()
        .enumerate()
        .map(|(t, y)| season.adjust(t, *y))
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
    let (points, intervals) = reseasonalised(
        &season,
        history.len(),
        &adjusted_points,
        (alpha, sigma),
        levels,
    );
    SeriesForecast {
        model,
        parameters: format!("alpha {alpha:.2}, drift {:.4}/step", slope / 2.0),
        points,
        intervals,
    }
}

/// Forecasts `horizon` steps with the member of the Theta family (standard
/// or optimised θ, static or dynamic) that fits the seasonally adjusted
/// series best; None for a series too short for any.
pub(crate) fn auto_forecast(
    history: &[f64],
    period: usize,
    horizon: usize,
    levels: &[f64],
    model: String,
) -> Option<SeriesForecast> {
    let season = Seasonal::of(history, period);
    let adjusted: Vec<f64> = history
        .iter()
        .enumerate()
        .map(|(t, y)| season.adjust(t, *y))
        .collect();
    let fitted = family::auto(&adjusted)?;
    let adjusted_points: Vec<f64> = (1..=horizon).map(|h| fitted.forecast(h)).collect();
    let (points, intervals) = reseasonalised(
        &season,
        history.len(),
        &adjusted_points,
        (fitted.alpha, fitted.mse.sqrt()),
        levels,
    );
    Some(SeriesForecast {
        model,
        parameters: format!(
            "{}, alpha {:.2}, theta {:.2}",
            fitted.kind.name(),
            fitted.alpha,
            fitted.theta
        ),
        points,
        intervals,
    })
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
