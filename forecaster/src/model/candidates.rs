//! The models a forecast chooses among. All but the baseline come from augurs.

use augurs::{Fit, Predict, ets::AutoETS, mstl::MSTLModel};

use super::ModelError;

/// Days in a year, as the yearly season.
const YEAR: usize = 365;

/// A prediction interval at one level, per step.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    pub level: f64,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// A forecast of `horizon` steps by one model.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesForecast {
    /// The model, e.g. `MSTL(7,365)+AutoETS`.
    pub model: String,
    /// The fitted structure, e.g. `ETS(A,Ad,N)`.
    pub parameters: String,
    pub points: Vec<f64>,
    pub intervals: Vec<Interval>,
}

/// A model that can be fitted to a daily series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Candidate {
    /// Each day forecast as the same day one season earlier: the baseline.
    SeasonalNaive { period: usize },
    /// Exponential smoothing with an automatically chosen trend, no season.
    TrendEts,
    /// Seasonal-trend decomposition for each period, AutoETS on the trend.
    Mstl { periods: Vec<usize> },
    /// The Theta method on the seasonally adjusted series.
    Theta { period: usize },
}

impl Candidate {
    /// Returns the candidates for a series of `history_len` days with these
    /// seasonal periods. A yearly season is offered to MSTL whenever the
    /// history holds two full years before every backtest origin: the
    /// periodogram's power-of-two bins cannot report 365 itself, so the
    /// backtest decides whether the year matters.
    pub fn all(periods: &[usize], history_len: usize) -> Vec<Self> {
        let primary = periods.first().copied().unwrap_or(1);
        let mut candidates = vec![Self::SeasonalNaive { period: primary }, Self::TrendEts];
        if !periods.is_empty() {
            candidates.push(Self::Mstl {
                periods: periods.to_vec(),
            });
        }
        let yearly_room = 2 * YEAR + super::backtest::BACKTEST_SPAN;
        if history_len >= yearly_room && !periods.iter().any(|p| p.abs_diff(YEAR) <= 7) {
            let mut with_year: Vec<usize> =
                periods.iter().copied().filter(|p| *p < YEAR / 2).collect();
            with_year.push(YEAR);
            candidates.push(Self::Mstl { periods: with_year });
        }
        candidates.push(Self::Theta { period: primary });
        candidates
    }

    pub fn name(&self) -> String {
        match self {
            Self::SeasonalNaive { period } => format!("SeasonalNaive({period})"),
            Self::TrendEts => "AutoETS".into(),
            Self::Mstl { periods } => {
                format!(
                    "MSTL({})+AutoETS",
                    periods
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
            Self::Theta { period } => format!("Theta({period})"),
        }
    }

    /// Fits the model to `history` and forecasts `horizon` steps with
    /// intervals at `levels`.
    pub fn forecast(
        &self,
        history: &[f64],
        horizon: usize,
        levels: &[f64],
    ) -> Result<SeriesForecast, ModelError> {
        let fit = |e: augurs::ets::Error| ModelError::Fit(e.to_string());
        match self {
            Self::SeasonalNaive { period } => Ok(seasonal_naive(
                history,
                *period,
                horizon,
                levels,
                self.name(),
            )),
            Self::TrendEts => {
                let fitted = AutoETS::non_seasonal().fit(history).map_err(fit)?;
                let parameters = fitted.model().model_type().to_string();
                predict(&fitted, horizon, levels, self.name(), parameters)
            }
            Self::Theta { period } => Ok(super::theta::forecast(
                history,
                *period,
                horizon,
                levels,
                self.name(),
            )),
            Self::Mstl { periods } => {
                let fitted =
                    MSTLModel::new(periods.clone(), AutoETS::non_seasonal().into_trend_model())
                        .fit(history)
                        .map_err(|e| ModelError::Fit(e.to_string()))?;
                predict(
                    &fitted,
                    horizon,
                    levels,
                    self.name(),
                    "AutoETS trend".into(),
                )
            }
        }
    }
}

fn predict<P: Predict>(
    fitted: &P,
    horizon: usize,
    levels: &[f64],
    model: String,
    parameters: String,
) -> Result<SeriesForecast, ModelError>
where
    P::Error: std::fmt::Display,
{
    let failed = |e: P::Error| ModelError::Fit(e.to_string());
    let points = fitted.predict(horizon, None).map_err(failed)?.point;
    let mut intervals = Vec::with_capacity(levels.len());
    for &level in levels {
        let bounds = fitted
            .predict(horizon, level)
            .map_err(failed)?
            .intervals
            .ok_or_else(|| ModelError::Fit(format!("{model} gave no intervals")))?;
        intervals.push(Interval {
            level,
            lower: bounds.lower,
            upper: bounds.upper,
        });
    }
    Ok(SeriesForecast {
        model,
        parameters,
        points,
        intervals,
    })
}

/// The same day one season earlier, with intervals from the spread of
/// seasonal differences, widening with each season ahead.
fn seasonal_naive(
    history: &[f64],
    period: usize,
    horizon: usize,
    levels: &[f64],
    model: String,
) -> SeriesForecast {
    let period = period.clamp(1, history.len());
    let last_season = &history[history.len() - period..];
    let points: Vec<f64> = (0..horizon)
        .map(|step| last_season[step % period])
        .collect();
    let differences: Vec<f64> = history
        .windows(period + 1)
        .map(|w| w[period] - w[0])
        .collect();
    let sigma =
        (differences.iter().map(|d| d * d).sum::<f64>() / differences.len().max(1) as f64).sqrt();
    let intervals = levels
        .iter()
        .map(|&level| {
            let z = normal_quantile(0.5 + level / 2.0);
            let width = |step: usize| z * sigma * ((step / period + 1) as f64).sqrt();
            Interval {
                level,
                lower: points
                    .iter()
                    .enumerate()
                    .map(|(step, p)| p - width(step))
                    .collect(),
                upper: points
                    .iter()
                    .enumerate()
                    .map(|(step, p)| p + width(step))
                    .collect(),
            }
        })
        .collect();
    SeriesForecast {
        model,
        parameters: format!("period {period}"),
        points,
        intervals,
    }
}

/// The standard normal quantile, from the crate augurs itself uses.
fn normal_quantile(p: f64) -> f64 {
    distrs::Normal::ppf(p, 0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_quantile_matches_known_values() {
        for (p, z) in [
            (0.975, 1.959964),
            (0.9, 1.281552),
            (0.5, 0.0),
            (0.01, -2.326348),
        ] {
            assert!((normal_quantile(p) - z).abs() < 1e-5, "{p}");
        }
    }

    #[test]
    fn seasonal_naive_repeats_the_last_season() {
        let history: Vec<f64> = (0..28).map(|d| (d % 7) as f64).collect();
        let forecast = seasonal_naive(&history, 7, 9, &[0.8], "naive".into());
        assert_eq!(
            forecast.points,
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0]
        );
        // A perfectly periodic series has no spread.
        assert_eq!(forecast.intervals[0].lower, forecast.points);
    }
}
