//! Starting states, as R's `ets` finds them: the season from a classical
//! decomposition of the first (up to three) seasons, the level and trend from
//! a straight line through the first seasonally adjusted points.

use super::{Season, Spec, Trend, spec::State};
use crate::model::decompose::seasonal_indices;

/// Returns the states before the first observation; None when the series
/// holds fewer than two full seasons or a multiplicative season meets a
/// value that is not positive.
pub(super) fn states(y: &[f64], spec: Spec) -> Option<State> {
    let m = spec.period.max(1);
    let season = match spec.season {
        Season::None => Vec::new(),
        kind => {
            let first = &y[..y.len().min(3 * m)];
            seasonal_indices(first, m, kind == Season::Multiplicative)?
        }
    };
    let count = y.len().min(10.max(2 * m));
    if count < 2 {
        return None;
    }
    let adjusted: Vec<f64> = y[..count]
        .iter()
        .enumerate()
        .map(|(t, v)| match spec.season {
            Season::None => *v,
            Season::Additive => v - season[t % m],
            Season::Multiplicative => v / season[t % m],
        })
        .collect();
    let (level, trend) = if spec.trend == Trend::None {
        (adjusted.iter().sum::<f64>() / count as f64, 0.0)
    } else {
        // Least squares on t = 1..count; the intercept is the level at t = 0.
        let n = count as f64;
        let mean_t = (n + 1.0) / 2.0;
        let mean_y = adjusted.iter().sum::<f64>() / n;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (i, v) in adjusted.iter().enumerate() {
            let dt = (i + 1) as f64 - mean_t;
            sxy += dt * (v - mean_y);
            sxx += dt * dt;
        }
        let slope = sxy / sxx;
        (mean_y - slope * mean_t, slope)
    };
    Some(State {
        level,
        trend,
        season,
        next: 0,
    })
}
