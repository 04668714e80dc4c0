//! Intervals calibrated on the backtests, by split conformal prediction
//! normalised by the model's own interval (Lei et al. 2018; Papadopoulos et
//! al. 2002): each backtest error is measured in units of the interval's
//! half width at its step, and the half widths of the final forecast are
//! scaled by the conformal quantile of those ratios. A model whose intervals
//! cover as they claim keeps a factor of 1; one that under-covers is
//! widened. Over-covering intervals are kept: on the corpus, the held-out
//! horizon missed more often than the backtests just before it. The model's own widening with the horizon is
//! kept: with three origins there are too few errors per step to calibrate
//! each step on its own.

use super::SeriesForecast;

/// One backtest window of the chosen model.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window<'a> {
    pub(crate) actual: &'a [f64],
    pub(crate) observed: &'a [bool],
    pub(crate) forecast: &'a SeriesForecast,
}

/// Returns each scored actual's error in units of the interval's half width
/// at level `index`, on the side the actual fell.
fn ratios(window: &Window<'_>, index: usize) -> Vec<f64> {
    let Some(interval) = window.forecast.intervals.get(index) else {
        return Vec::new();
    };
    (0..window.actual.len().min(window.forecast.points.len()))
        .filter(|t| window.observed.get(*t).copied().unwrap_or(false))
        .map(|t| {
            let (actual, point) = (window.actual[t], window.forecast.points[t]);
            let half = if actual >= point {
                interval.upper[t] - point
            } else {
                point - interval.lower[t]
            };
            let error = (actual - point).abs();
            if half > 0.0 {
                error / half
            } else if error == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        })
        .collect()
}

/// Returns the conformal factor at `level` from `ratios`: the
/// ⌈(n+1)·level⌉-th smallest. None when there are too few ratios for the
/// level or the factor is not finite.
fn factor(mut ratios: Vec<f64>, level: f64) -> Option<f64> {
    let n = ratios.len();
    let rank = ((n + 1) as f64 * level).ceil() as usize;
    if rank == 0 || rank > n {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let factor = ratios[rank - 1];
    (factor.is_finite() && factor > 0.0).then_some(factor)
}

/// Returns the factor half widths at `level` are scaled by. The backtest
/// windows follow one another and share their errors, so the quantile is
/// taken at a level halfway to 1 (97.5% for a 95% interval); and a model's
/// own interval is never narrowed, only widened: the backtests measured
/// that the holdout misses more often than they do, never less.
fn scale(ratios: Vec<f64>, level: f64) -> f64 {
    factor(ratios, level + (1.0 - level) / 2.0)
        .unwrap_or(1.0)
        .max(1.0)
}

/// Returns, per level of the forecasts, the factor its half widths are
/// scaled by (1 where the backtests cannot tell).
pub(crate) fn factors(windows: &[Window<'_>], levels: &[f64]) -> Vec<f64> {
    levels
        .iter()
        .enumerate()
        .map(|(index, level)| {
            let all: Vec<f64> = windows.iter().flat_map(|w| ratios(w, index)).collect();
            scale(all, *level)
        })
        .collect()
}

/// Returns, per level, the coverage the calibrated intervals had: each
/// window scored with factors from the other windows only, so that no
/// window calibrates its own intervals.
pub(crate) fn held_out_coverage(windows: &[Window<'_>], levels: &[f64]) -> Vec<(f64, f64)> {
    levels
        .iter()
        .enumerate()
        .map(|(index, level)| {
            let (mut inside, mut scored) = (0usize, 0usize);
            for (held, window) in windows.iter().enumerate() {
                let others: Vec<f64> = windows
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != held)
                    .flat_map(|(_, w)| ratios(w, index))
                    .collect();
                let scale = scale(others, *level);
                let own = ratios(window, index);
                scored += own.len();
                inside += own.iter().filter(|r| **r <= scale).count();
            }
            (*level, inside as f64 / scored.max(1) as f64)
        })
        .collect()
}

/// Scales each interval's half widths around the points by its factor.
pub(crate) fn apply(forecast: &mut SeriesForecast, factors: &[f64]) {
    for (interval, scale) in forecast.intervals.iter_mut().zip(factors) {
        for (t, point) in forecast.points.iter().enumerate() {
            interval.lower[t] = point - scale * (point - interval.lower[t]);
            interval.upper[t] = point + scale * (interval.upper[t] - point);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interval;

    fn window_forecast(half: f64, points: usize) -> SeriesForecast {
        SeriesForecast {
            model: "m".into(),
            parameters: String::new(),
            points: vec![0.0; points],
            intervals: vec![Interval {
                level: 0.9,
                lower: vec![-half; points],
                upper: vec![half; points],
            }],
        }
    }

    #[test]
    fn intervals_too_narrow_are_widened_to_cover() {
        // Errors of 1..=40 against intervals of half width 10: most fall outside.
        let actual: Vec<f64> = (1..=40)
            .map(|e| if e % 2 == 0 { e as f64 } else { -(e as f64) })
            .collect();
        let observed = vec![true; 40];
        let forecast = window_forecast(10.0, 40);
        let windows = [Window {
            actual: &actual,
            observed: &observed,
            forecast: &forecast,
        }];
        let factors = factors(&windows, &[0.9]);
        // At 95%, halfway from 90% to 1, the 39th smallest of 0.1, 0.2, ..., 4.0.
        assert!((factors[0] - 3.9).abs() < 1e-12, "{factors:?}");
        let mut widened = forecast.clone();
        apply(&mut widened, &factors);
        let inside = actual
            .iter()
            .zip(&widened.intervals[0].upper)
            .filter(|(a, u)| a.abs() <= **u)
            .count();
        assert_eq!(inside, 39);
    }

    #[test]
    fn intervals_wide_enough_are_never_narrowed() {
        let actual = vec![0.1; 40];
        let forecast = window_forecast(10.0, 40);
        let windows = [Window {
            actual: &actual,
            observed: &[true; 40],
            forecast: &forecast,
        }];
        assert_eq!(factors(&windows, &[0.95]), [1.0]);
    }

    #[test]
    fn too_few_errors_leave_the_intervals_alone() {
        let actual = [5.0, -5.0];
        let forecast = window_forecast(1.0, 2);
        let windows = [Window {
            actual: &actual,
            observed: &[true, true],
            forecast: &forecast,
        }];
        assert_eq!(factors(&windows, &[0.95]), [1.0]);
    }

    #[test]
    fn held_out_coverage_never_uses_a_window_on_itself() {
        // The second window's errors are far larger: calibrated on the first
        // alone, its intervals cover none of them.
        let small = [0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5];
        let large = [50.0; 10];
        let observed = [true; 10];
        let forecast = window_forecast(1.0, 10);
        let windows = [
            Window {
                actual: &small,
                observed: &observed,
                forecast: &forecast,
            },
            Window {
                actual: &large,
                observed: &observed,
                forecast: &forecast,
            },
        ];
        let coverage = held_out_coverage(&windows, &[0.8]);
        assert_eq!(coverage, [(0.8, 0.5)]);
    }
}
