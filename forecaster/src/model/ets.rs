//! Exponential smoothing in Hyndman's state space framework (Hyndman,
//! Koehler, Ord and Snyder, "Forecasting with Exponential Smoothing", 2008):
//! additive or multiplicative error, no, additive or damped trend, no,
//! additive or multiplicative season; each fitted by maximum likelihood and
//! the one with the lowest AICc kept, as R's `forecast::ets` and
//! statsforecast's AutoETS do (multiplicative trends left out, as both do by
//! default). augurs' AutoETS has no seasonal models, hence this module.
//!
//! - [`spec`](self::spec): a model's components and its one-step recursion.
//! - [`init`](self::init): starting states from the first seasons.
//! - [`mstl_trend`](self::mstl_trend): the non-seasonal models as the trend
//!   model of augurs' MSTL.

mod init;
mod mstl_trend;
mod spec;

use super::{Interval, optimize::minimise};

pub(crate) use mstl_trend::EtsTrend;
pub(crate) use spec::{Error, Season, Spec, Trend};

/// The longest season fitted: R's `ets` and statsforecast stop at 24 too.
pub(crate) const MAX_SEASON: usize = 24;

/// A fitted model: its structure, weights, final states and residual spread.
#[derive(Clone, Debug)]
pub(crate) struct FittedEts {
    pub(crate) spec: Spec,
    pub(crate) weights: spec::Weights,
    pub(crate) state: spec::State,
    /// The residuals' standard deviation: absolute for additive errors,
    /// relative for multiplicative ones.
    pub(crate) sigma: f64,
    pub(crate) aicc: f64,
}

/// Fits every admissible model with season `period` to `y` and returns the
/// one with the lowest AICc; None when no model could be fitted.
pub(crate) fn auto(y: &[f64], period: usize) -> Option<FittedEts> {
    let positive = y.iter().all(|v| *v > 0.0);
    let seasonal = (2..=MAX_SEASON).contains(&period) && y.len() >= 2 * period + 2;
    let errors: &[Error] = if positive {
        &[Error::Additive, Error::Multiplicative]
    } else {
        &[Error::Additive]
    };
    let seasons: &[Season] = match (seasonal, positive) {
        (false, _) => &[Season::None],
        (true, false) => &[Season::None, Season::Additive],
        (true, true) => &[Season::None, Season::Additive, Season::Multiplicative],
    };
    let mut best: Option<FittedEts> = None;
    for &error in errors {
        for &trend in &[Trend::None, Trend::Additive, Trend::Damped] {
            for &season in seasons {
                // Additive errors with a multiplicative season are unstable
                // (R's `ets` restricts them too).
                if error == Error::Additive && season == Season::Multiplicative {
                    continue;
                }
                let spec = Spec {
                    error,
                    trend,
                    season,
                    period: if season == Season::None { 1 } else { period },
                };
                if let Some(fitted) = fit(y, spec)
                    && best.as_ref().is_none_or(|b| fitted.aicc < b.aicc)
                {
                    best = Some(fitted);
                }
            }
        }
    }
    best
}

/// Fits `spec` to `y` by maximum likelihood over the smoothing weights and
/// the initial level and trend; the initial season comes from a classical
/// decomposition of the first seasons. None when too short or no weights
/// keep the model feasible.
pub(crate) fn fit(y: &[f64], spec: Spec) -> Option<FittedEts> {
    let start = init::states(y, spec)?;
    let parameters = spec.parameter_count();
    if y.len() <= parameters + 4 {
        return None;
    }
    let scale = y.iter().map(|v| v.abs()).sum::<f64>() / y.len() as f64;
    let scale = if scale > 0.0 { scale } else { 1.0 };
    let initial = spec::Weights::initial(spec);
    // The search runs over weights and over the initial level and trend in
    // units of the series' scale, so that every coordinate steps alike.
    let mut x0 = initial.to_vec(spec);
    let weight_dims = x0.len();
    x0.push(start.level / scale);
    if spec.trend != Trend::None {
        x0.push(start.trend / scale);
    }
    let mut steps: Vec<f64> = vec![0.05; weight_dims];
    steps.push(0.05);
    if spec.trend != Trend::None {
        steps.push(0.01);
    }
    let unpack = |x: &[f64]| {
        let weights = spec::Weights::from_slice(spec, &x[..weight_dims]);
        let mut state = start.clone();
        state.level = x[weight_dims] * scale;
        if spec.trend != Trend::None {
            state.trend = x[weight_dims + 1] * scale;
        }
        (weights, state)
    };
    let objective = |x: &[f64]| {
        let (weights, state) = unpack(x);
        if !weights.admissible(spec) {
            return f64::INFINITY;
        }
        spec.likelihood(y, &weights, state)
            .map_or(f64::INFINITY, |l| l.minus_two_log)
    };
    let (best, value) = minimise(objective, &x0, &steps, 150 * x0.len(), 1e-8);
    if !value.is_finite() {
        return None;
    }
    let (weights, state) = unpack(&best);
    let run = spec.likelihood(y, &weights, state)?;
    let n = y.len() as f64;
    let k = parameters as f64 + 1.0;
    let aic = run.minus_two_log + 2.0 * k;
    let aicc = aic + 2.0 * k * (k + 1.0) / (n - k - 1.0).max(1.0);
    Some(FittedEts {
        spec,
        weights,
        sigma: (run.squared_errors / (n - k).max(1.0)).sqrt(),
        state: run.last,
        aicc,
    })
}

impl FittedEts {
    /// Returns `horizon` point forecasts.
    pub(crate) fn points(&self, horizon: usize) -> Vec<f64> {
        (1..=horizon)
            .map(|h| self.spec.forecast(&self.state, &self.weights, h))
            .collect()
    }

    /// Returns prediction intervals at `levels` around `points`, from the
    /// variance of the linear (additive error) models, Hyndman et al. (2008)
    /// table 6.1 class 1, taken relative to the point for multiplicative
    /// errors: exact for the linear models, an approximation for the others
    /// that the backtest's calibration corrects.
    pub(crate) fn intervals(&self, points: &[f64], levels: &[f64]) -> Vec<Interval> {
        let w = &self.weights;
        let period = self.spec.period.max(1);
        let mut cumulative: f64 = 0.0;
        let spread: Vec<f64> = (1..=points.len())
            .map(|h| {
                let ratio = (1.0 + cumulative).sqrt();
                let j = h as f64;
                let trend_part = match self.spec.trend {
                    Trend::None => 0.0,
                    Trend::Additive => w.beta * j,
                    Trend::Damped => w.beta * (1..=h).map(|i| w.phi.powi(i as i32)).sum::<f64>(),
                };
                let season_part = if self.spec.season != Season::None && h % period == 0 {
                    w.gamma
                } else {
                    0.0
                };
                let c = w.alpha + trend_part + season_part;
                cumulative += c * c;
                ratio
            })
            .collect();
        levels
            .iter()
            .map(|&level| {
                let z = distrs::Normal::ppf(0.5 + level / 2.0, 0.0, 1.0);
                let half = |i: usize| {
                    let base = match self.spec.error {
                        Error::Additive => self.sigma,
                        Error::Multiplicative => self.sigma * points[i].abs(),
                    };
                    z * base * spread[i]
                };
                Interval {
                    level,
                    lower: (0..points.len()).map(|i| points[i] - half(i)).collect(),
                    upper: (0..points.len()).map(|i| points[i] + half(i)).collect(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
