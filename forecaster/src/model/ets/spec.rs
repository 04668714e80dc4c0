//! One model's components, its weights and states, and the one-step
//! recursion every fit and forecast runs (the equations of Hyndman et al.
//! 2008, table 2.1, written as R's `etscalc` does).

/// How errors enter: in units of the series, or relative to the forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Error {
    Additive,
    Multiplicative,
}

/// The trend: none, additive, or additive and damped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trend {
    None,
    Additive,
    Damped,
}

/// The season: none, added to the level, or a factor of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Season {
    None,
    Additive,
    Multiplicative,
}

/// A model's structure, e.g. ETS(M,Ad,M) with a season of 12.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) error: Error,
    pub(crate) trend: Trend,
    pub(crate) season: Season,
    /// The season's length; 1 without a season.
    pub(crate) period: usize,
}

/// The smoothing weights; those a model lacks are unused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Weights {
    pub(crate) alpha: f64,
    pub(crate) beta: f64,
    pub(crate) gamma: f64,
    pub(crate) phi: f64,
}

/// The states after the last observation seen.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct State {
    pub(crate) level: f64,
    pub(crate) trend: f64,
    /// The seasonal state of each phase: `season[t % period]` is time t's.
    pub(crate) season: Vec<f64>,
    /// The time index of the next observation.
    pub(crate) next: usize,
}

/// One pass of the recursion over a series.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// Minus twice the log likelihood, less a constant shared by all models
    /// fitted to the same series.
    pub(crate) minus_two_log: f64,
    /// The sum of squared errors (relative ones for multiplicative errors).
    pub(crate) squared_errors: f64,
    pub(crate) last: State,
}

const LOWER: f64 = 1e-4;
const UPPER: f64 = 0.9999;
const PHI_RANGE: (f64, f64) = (0.8, 0.98);

impl Weights {
    /// Returns R's starting weights: a slow level, slower trend and season.
    pub(crate) fn initial(spec: Spec) -> Self {
        let alpha = LOWER + 0.2 * (UPPER - LOWER) / spec.period.max(1) as f64;
        Self {
            alpha,
            beta: LOWER + 0.1 * (alpha - LOWER),
            gamma: LOWER + 0.05 * (1.0 - alpha - LOWER),
            phi: LOWER.max(PHI_RANGE.0 + 0.99 * (PHI_RANGE.1 - PHI_RANGE.0)),
        }
    }

    /// Returns the weights `spec` estimates, in a fixed order.
    pub(crate) fn to_vec(self, spec: Spec) -> Vec<f64> {
        let mut v = vec![self.alpha];
        if spec.trend != Trend::None {
            v.push(self.beta);
        }
        if spec.season != Season::None {
            v.push(self.gamma);
        }
        if spec.trend == Trend::Damped {
            v.push(self.phi);
        }
        v
    }

    /// The inverse of [`Weights::to_vec`].
    pub(crate) fn from_slice(spec: Spec, x: &[f64]) -> Self {
        let mut it = x.iter().copied();
        let mut w = Self {
            alpha: it.next().unwrap_or(0.5),
            beta: 0.0,
            gamma: 0.0,
            phi: 1.0,
        };
        if spec.trend != Trend::None {
            w.beta = it.next().unwrap_or(0.0);
        }
        if spec.season != Season::None {
            w.gamma = it.next().unwrap_or(0.0);
        }
        if spec.trend == Trend::Damped {
            w.phi = it.next().unwrap_or(1.0);
        }
        w
    }

    /// Whether the weights lie within R's "usual" bounds.
    pub(crate) fn admissible(&self, spec: Spec) -> bool {
        let inside = |x: f64, low: f64, high: f64| x >= low && x <= high;
        inside(self.alpha, LOWER, UPPER)
            && (spec.trend == Trend::None || inside(self.beta, LOWER, self.alpha))
            && (spec.season == Season::None || inside(self.gamma, LOWER, 1.0 - self.alpha))
            && (spec.trend != Trend::Damped || inside(self.phi, PHI_RANGE.0, PHI_RANGE.1))
    }
}

impl Spec {
    /// Returns the estimated parameters: weights, initial level and trend,
    /// and the free initial seasonal states.
    pub(crate) fn parameter_count(&self) -> usize {
        let weights = Weights::initial(*self).to_vec(*self).len();
        let trend = usize::from(self.trend != Trend::None);
        let season = if self.season == Season::None {
            0
        } else {
            self.period - 1
        };
        weights + 1 + trend + season
    }

    /// Returns the name R gives the model, e.g. `ETS(M,Ad,M)`.
    pub(crate) fn name(&self) -> String {
        let error = match self.error {
            Error::Additive => "A",
            Error::Multiplicative => "M",
        };
        let trend = match self.trend {
            Trend::None => "N",
            Trend::Additive => "A",
            Trend::Damped => "Ad",
        };
        let season = match self.season {
            Season::None => "N",
            Season::Additive => "A",
            Season::Multiplicative => "M",
        };
        format!("ETS({error},{trend},{season})")
    }

    fn phi(&self, weights: &Weights) -> f64 {
        if self.trend == Trend::Damped {
            weights.phi
        } else {
            1.0
        }
    }

    fn season_of(&self, state: &State, t: usize) -> f64 {
        match self.season {
            Season::None => 0.0,
            _ => state.season[t % self.period],
        }
    }

    /// Returns the h-step-ahead point forecast from `state`.
    pub(crate) fn forecast(&self, state: &State, weights: &Weights, h: usize) -> f64 {
        let phi = self.phi(weights);
        let damped: f64 = match self.trend {
            Trend::None => 0.0,
            Trend::Additive => h as f64,
            Trend::Damped => (1..=h).map(|i| phi.powi(i as i32)).sum(),
        };
        let q = state.level + damped * state.trend;
        let s = self.season_of(state, state.next + h - 1);
        match self.season {
            Season::None => q,
            Season::Additive => q + s,
            Season::Multiplicative => q * s,
        }
    }

    /// Runs the recursion over `y` from `state`; None when a forecast or
    /// state a multiplicative part divides by is not positive.
    pub(crate) fn likelihood(&self, y: &[f64], weights: &Weights, state: State) -> Option<Run> {
        let phi = self.phi(weights);
        let mut state = state;
        let (mut squared, mut log_forecasts) = (0.0, LogSum::new());
        for &value in y {
            let t = state.next;
            let q = state.level + phi * state.trend;
            let s = self.season_of(&state, t);
            let forecast = match self.season {
                Season::None => q,
                Season::Additive => q + s,
                Season::Multiplicative => q * s,
            };
            let error = match self.error {
                Error::Additive => value - forecast,
                Error::Multiplicative => {
                    if forecast <= 0.0 {
                        return None;
                    }
                    log_forecasts.add(forecast);
                    (value - forecast) / forecast
                }
            };
            squared += error * error;
            let adjusted = match self.season {
                Season::None => value,
                Season::Additive => value - s,
                Season::Multiplicative => {
                    if s <= 0.0 || q <= 0.0 {
                        return None;
                    }
                    value / s
                }
            };
            let level = q + weights.alpha * (adjusted - q);
            if self.trend != Trend::None {
                state.trend = phi * state.trend + weights.beta * (adjusted - q);
            }
            match self.season {
                Season::None => {}
                Season::Additive => {
                    state.season[t % self.period] = s + weights.gamma * (value - q - s);
                }
                Season::Multiplicative => {
                    state.season[t % self.period] = s + weights.gamma * (value / q - s);
                }
            }
            state.level = level;
            state.next += 1;
            if !level.is_finite() {
                return None;
            }
        }
        let n = y.len() as f64;
        if squared <= 0.0 {
            // An exact fit: keep it finite so that it still ranks first.
            squared = f64::MIN_POSITIVE;
        }
        Some(Run {
            minus_two_log: n * squared.ln() + 2.0 * log_forecasts.total(),
            squared_errors: squared,
            last: state,
        })
    }
}

/// The sum of the logarithms of positive values, taken as the logarithm of
/// their running product: one logarithm per run of values instead of one
/// per value, which was the largest part of a multiplicative model's
/// likelihood. The product is folded into the sum before it could leave
/// the range where it is exact to rounding, and a value too large or too
/// small to multiply in safely is taken on its own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogSum {
    logs: f64,
    product: f64,
}

impl LogSum {
    pub(crate) fn new() -> Self {
        Self {
            logs: 0.0,
            product: 1.0,
        }
    }

    /// Adds ln `x`, for a positive `x`.
    pub(crate) fn add(&mut self, x: f64) {
        if (1e-100..=1e100).contains(&x) {
            // Within 1e±150 before, so within 1e±250 after: no overflow.
            self.product *= x;
            if !(1e-150..=1e150).contains(&self.product) {
                self.logs += self.product.ln();
                self.product = 1.0;
            }
        } else {
            self.logs += x.ln();
        }
    }

    pub(crate) fn total(self) -> f64 {
        self.logs + self.product.ln()
    }
}
