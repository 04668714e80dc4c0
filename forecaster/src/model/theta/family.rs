//! The Theta family in state space form (Fiorucci, Pellegrini, Louzada,
//! Petropoulos and Koehler, "Models for optimising the theta method and
//! their relationship to state space models", IJF 2016): the standard (STM,
//! θ = 2) and optimised (OTM) models, each static (the trend line fitted to
//! the whole series) or dynamic (DSTM, DOTM: the line refitted as each value
//! arrives). Each is fitted by one-step squared error over the initial
//! level, α and (optimised) θ; the lowest error wins, as statsforecast's
//! AutoTheta chooses.

use crate::model::optimize::minimise;

/// One member of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Standard,
    Optimised,
    DynamicStandard,
    DynamicOptimised,
}

impl Kind {
    const ALL: [Self; 4] = [
        Self::Standard,
        Self::Optimised,
        Self::DynamicStandard,
        Self::DynamicOptimised,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Standard => "STM",
            Self::Optimised => "OTM",
            Self::DynamicStandard => "DSTM",
            Self::DynamicOptimised => "DOTM",
        }
    }

    fn dynamic(self) -> bool {
        matches!(self, Self::DynamicStandard | Self::DynamicOptimised)
    }

    fn optimised(self) -> bool {
        matches!(self, Self::Optimised | Self::DynamicOptimised)
    }
}

/// A fitted model, ready to forecast.
#[derive(Clone, Debug)]
pub(crate) struct Fitted {
    pub(crate) kind: Kind,
    pub(crate) alpha: f64,
    pub(crate) theta: f64,
    level: f64,
    /// The trend line's intercept and slope over t = 1..n.
    line: (f64, f64),
    n: usize,
    /// The one-step errors' mean square.
    pub(crate) mse: f64,
}

impl Fitted {
    /// Returns the h-step-ahead forecast (Fiorucci et al., equation 8).
    pub(crate) fn forecast(&self, h: usize) -> f64 {
        let (a, b) = self.line;
        let decay = (1.0 - self.alpha).powi(self.n as i32);
        self.level
            + (1.0 - 1.0 / self.theta)
                * (decay * a
                    + ((h as f64 - 1.0) + (1.0 - decay * (1.0 - self.alpha)) / self.alpha) * b)
    }
}

/// The intercept and slope of the least-squares line through `y` at
/// t = 1..n; a flat line through one point.
fn line(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n.max(1.0);
    if y.len() < 2 {
        return (mean, 0.0);
    }
    let weighted: f64 = y.iter().enumerate().map(|(t, v)| (t + 1) as f64 * v).sum();
    let slope = 6.0 / (n * n - 1.0) * (2.0 / n * weighted - (1.0 + n) * mean);
    (mean - slope * (n + 1.0) / 2.0, slope)
}

/// Runs model `kind` over `y`; returns the mean squared one-step error, the
/// final level and the final line. None when the weights are out of bounds.
fn run(
    y: &[f64],
    kind: Kind,
    level0: f64,
    alpha: f64,
    theta: f64,
) -> Option<(f64, f64, (f64, f64))> {
    if !(0.1..=0.99).contains(&alpha) || theta < 1.0 || !level0.is_finite() {
        return None;
    }
    let whole = line(y);
    let weight = 1.0 - 1.0 / theta;
    let mut level = level0;
    let (mut sum, mut weighted, mut squared) = (0.0, 0.0, 0.0);
    let mut current = (y[0], 0.0);
    for (i, value) in y.iter().enumerate() {
        let t = (i + 1) as f64;
        let (a, b) = if kind.dynamic() { current } else { whole };
        let decay = (1.0 - alpha).powi(i as i32);
        let mu = level + weight * (decay * a + (1.0 - decay * (1.0 - alpha)) / alpha * b);
        squared += (value - mu).powi(2);
        level = alpha * value + (1.0 - alpha) * level;
        // The line through the values so far, updated in constant time.
        sum += value;
        weighted += t * value;
        let mean = sum / t;
        let slope = if t > 1.0 {
            6.0 / (t * t - 1.0) * (2.0 / t * weighted - (1.0 + t) * mean)
        } else {
            0.0
        };
        current = (mean - slope * (t + 1.0) / 2.0, slope);
    }
    let end = if kind.dynamic() { current } else { whole };
    Some((squared / y.len() as f64, level, end))
}

/// Fits `kind` to `y` (at least three values).
fn fit(y: &[f64], kind: Kind) -> Option<Fitted> {
    let scale = y.iter().map(|v| v.abs()).sum::<f64>() / y.len() as f64;
    let scale = if scale > 0.0 { scale } else { 1.0 };
    // The search runs over the level in units of the series' scale.
    let unpack = |x: &[f64]| {
        let theta = if kind.optimised() { x[2] } else { 2.0 };
        (x[0] * scale, x[1], theta)
    };
    let objective = |x: &[f64]| {
        let (level0, alpha, theta) = unpack(x);
        run(y, kind, level0, alpha, theta).map_or(f64::INFINITY, |r| r.0)
    };
    let mut start = vec![y[0] / 2.0 / scale, 0.5];
    let mut steps = vec![0.1, 0.1];
    if kind.optimised() {
        start.push(2.0);
        steps.push(0.5);
    }
    let (best, value) = minimise(objective, &start, &steps, 200 * start.len(), 1e-10);
    if !value.is_finite() {
        return None;
    }
    let (level0, alpha, theta) = unpack(&best);
    let (mse, level, line) = run(y, kind, level0, alpha, theta)?;
    Some(Fitted {
        kind,
        alpha,
        theta,
        level,
        line,
        n: y.len(),
        mse,
    })
}

/// Fits every member to `y` and returns the one with the lowest one-step
/// mean squared error; None for fewer than four values.
pub(crate) fn auto(y: &[f64]) -> Option<Fitted> {
    if y.len() < 4 {
        return None;
    }
    Kind::ALL
        .into_iter()
        .filter_map(|kind| fit(y, kind))
        .min_by(|a, b| a.mse.total_cmp(&b.mse))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_the_least_squares_line() {
        let (a, b) = line(&[3.0, 5.0, 7.0, 9.0]);
        assert!(
            (a - 1.0).abs() < 1e-12 && (b - 2.0).abs() < 1e-12,
            "{a} {b}"
        );
    }

    #[test]
    fn the_standard_model_on_a_line_forecasts_half_its_slope_ahead() {
        // With θ = 2 the line's slope enters at half weight: a series rising
        // by 2 a step is forecast rising by about 1 a step.
        let y: Vec<f64> = (0..60).map(|t| 10.0 + 2.0 * t as f64).collect();
        let fitted = fit(&y, Kind::Standard).expect("fits");
        let step = fitted.forecast(5) - fitted.forecast(4);
        assert!((step - 1.0).abs() < 1e-9, "{step}");
        // The optimised θ follows the line more closely than the standard one.
        let optimised = fit(&y, Kind::Optimised).expect("fits");
        assert!(optimised.theta > 2.0, "{}", optimised.theta);
        assert!(optimised.mse <= fitted.mse);
    }

    #[test]
    fn the_dynamic_line_is_refitted_as_values_arrive() {
        // A level shift halfway: the dynamic line at the end is the whole
        // series' line, and its error is no worse than the static model's.
        let y: Vec<f64> = (0..40).map(|t| if t < 20 { 10.0 } else { 30.0 }).collect();
        let (_, _, end) = run(&y, Kind::DynamicStandard, 10.0, 0.5, 2.0).expect("runs");
        let whole = line(&y);
        assert!((end.0 - whole.0).abs() < 1e-9 && (end.1 - whole.1).abs() < 1e-9);
        let chosen = auto(&y).expect("fits");
        assert!(Kind::ALL.contains(&chosen.kind));
    }
}
