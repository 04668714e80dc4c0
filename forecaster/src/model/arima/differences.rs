//! How many differences a series needs: the KPSS test (Kwiatkowski et al.,
//! 1992) at 5% for the first differences, as R's `ndiffs` applies it, and
//! the seasonal strength of Wang, Smith and Hyndman (2006) above 0.64 for a
//! seasonal difference, as R's `nsdiffs` does by default.

use crate::model::decompose::seasonal_indices;

/// The KPSS statistic's 5% critical value for level stationarity.
const KPSS_5_PERCENT: f64 = 0.463;

/// Returns the KPSS statistic of `x` for level stationarity, with the
/// long-run variance from Bartlett weights over trunc(3·√n/13) lags.
pub(super) fn kpss(x: &[f64]) -> f64 {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let e: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let mut partial = 0.0;
    let numerator: f64 = e
        .iter()
        .map(|v| {
            partial += v;
            partial * partial
        })
        .sum();
    let lags = (3.0 * (n as f64).sqrt() / 13.0) as usize;
    let mut variance = e.iter().map(|v| v * v).sum::<f64>() / n as f64;
    for s in 1..=lags.min(n.saturating_sub(1)) {
        let weight = 1.0 - s as f64 / (lags + 1) as f64;
        let covariance: f64 = (s..n).map(|t| e[t] * e[t - s]).sum::<f64>() / n as f64;
        variance += 2.0 * weight * covariance;
    }
    if variance <= 0.0 {
        return 0.0;
    }
    numerator / (n as f64 * n as f64 * variance)
}

/// Returns how many first differences (0 to 2) make `x` level stationary.
pub(super) fn ndiffs(x: &[f64]) -> usize {
    let mut w = x.to_vec();
    let mut d = 0;
    while d < 2 && w.len() > 10 && kpss(&w) > KPSS_5_PERCENT {
        w = w.windows(2).map(|p| p[1] - p[0]).collect();
        d += 1;
    }
    d
}

/// Returns the seasonal strength of `y` at `period`: 1 − Var(remainder) /
/// Var(season + remainder) of a classical additive decomposition, 0 when
/// there is no room for one.
pub(super) fn seasonal_strength(y: &[f64], period: usize) -> f64 {
    let Some(indices) = seasonal_indices(y, period, false) else {
        return 0.0;
    };
    let half = period / 2;
    let mut detrended = Vec::new();
    let mut remainder = Vec::new();
    for t in half..y.len() - half {
        let w = &y[t - half..=t + half];
        let trend = if period.is_multiple_of(2) {
            (w.iter().sum::<f64>() - (w[0] + w[period]) / 2.0) / period as f64
        } else {
            w.iter().sum::<f64>() / period as f64
        };
        detrended.push(y[t] - trend);
        remainder.push(y[t] - trend - indices[t % period]);
    }
    let variance = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len().max(1) as f64
    };
    let total = variance(&detrended);
    if total <= 0.0 {
        return 0.0;
    }
    (1.0 - variance(&remainder) / total).max(0.0)
}
