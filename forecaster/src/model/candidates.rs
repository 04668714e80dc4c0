//! The models a forecast chooses among.

use augurs::{Fit, Predict, mstl::MSTLModel};

use super::{ModelError, Seasons, arima, combine, ets, theta};

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
    /// The model, e.g. `AutoETS(12)`.
    pub model: String,
    /// The fitted structure, e.g. `ETS(M,Ad,M)`.
    pub parameters: String,
    pub points: Vec<f64>,
    pub intervals: Vec<Interval>,
}

/// A model that can be fitted to a series.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Candidate {
    /// Each step forecast as the same step one season earlier: the baseline.
    SeasonalNaive { period: usize },
    /// Exponential smoothing (error, trend, damping and season) chosen by AICc.
    Ets { period: usize },
    /// The Theta method on the seasonally adjusted series; `period` 1 when
    /// the data does not confirm a season.
    Theta { period: usize },
    /// The best of the Theta family (standard or optimised θ, static or
    /// dynamic) on the seasonally adjusted series.
    AutoTheta { period: usize },
    /// A seasonal ARIMA, differences by test and orders stepwise by AICc.
    Arima { period: usize },
    /// Seasonal-trend decomposition for each period, AutoETS on the trend:
    /// for seasons too long for ETS, or several of them.
    Mstl { periods: Vec<usize> },
    /// The mean of the members' forecasts.
    Combination { members: Vec<Candidate> },
}

impl Candidate {
    /// Returns the candidates for a series with these seasons, the
    /// combination of the statistical models last.
    pub fn all(seasons: &Seasons) -> Vec<Self> {
        let primary = seasons.primary;
        let mut candidates = vec![Self::SeasonalNaive { period: primary }];
        let mut members = vec![
            Self::Ets {
                period: if primary <= ets::MAX_SEASON {
                    primary
                } else {
                    1
                },
            },
            Self::AutoTheta {
                period: if seasons.confirmed { primary } else { 1 },
            },
            Self::Arima {
                period: if primary <= ets::MAX_SEASON {
                    primary
                } else {
                    1
                },
            },
        ];
        let long: Vec<usize> = seasons.all().into_iter().filter(|p| *p > 1).collect();
        if long.len() > 1 || long.iter().any(|p| *p > ets::MAX_SEASON) {
            members.push(Self::Mstl { periods: long });
        }
        candidates.extend(members.iter().cloned());
        candidates.push(Self::Combination { members });
        candidates
    }

    /// Returns the model's name, e.g. `AutoETS(12)`.
    pub fn name(&self) -> String {
        let list = |periods: &[usize]| {
            periods
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Self::SeasonalNaive { period } => format!("SeasonalNaive({period})"),
            Self::Ets { period } => format!("AutoETS({period})"),
            Self::Theta { period } => format!("Theta({period})"),
            Self::AutoTheta { period } => format!("AutoTheta({period})"),
            Self::Arima { period } => format!("AutoARIMA({period})"),
            Self::Mstl { periods } => format!("MSTL({})+AutoETS", list(periods)),
            Self::Combination { members } => format!(
                "Combination({})",
                members
                    .iter()
                    .map(Self::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
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
        match self {
            Self::SeasonalNaive { period } => Ok(seasonal_naive(
                history,
                *period,
                horizon,
                levels,
                self.name(),
            )),
            Self::Ets { period } => {
                let fitted = ets::auto(history, *period)
                    .ok_or_else(|| ModelError::Fit("no ETS model could be fitted".into()))?;
                let points = fitted.points(horizon);
                let intervals = fitted.intervals(&points, levels);
                Ok(SeriesForecast {
                    model: self.name(),
                    parameters: fitted.spec.name(),
                    points,
                    intervals,
                })
            }
            Self::Theta { period } => Ok(theta::forecast(
                history,
                *period,
                horizon,
                levels,
                self.name(),
            )),
            Self::AutoTheta { period } => {
                theta::auto_forecast(history, *period, horizon, levels, self.name())
                    .ok_or_else(|| ModelError::Fit("no Theta model could be fitted".into()))
            }
            Self::Arima { period } => {
                let fitted = arima::auto(history, *period)
                    .ok_or_else(|| ModelError::Fit("no ARIMA model could be fitted".into()))?;
                let (points, intervals) = fitted.forecast(horizon, levels);
                Ok(SeriesForecast {
                    model: self.name(),
                    parameters: fitted.order.name(),
                    points,
                    intervals,
                })
            }
            Self::Mstl { periods } => {
                let fitted = MSTLModel::new(periods.clone(), ets::EtsTrend)
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
            Self::Combination { members } => {
                let forecasts = members
                    .iter()
                    .map(|m| m.forecast(history, horizon, levels))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(combine::mean(&forecasts, self.name()))
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

/// The same step one season earlier, with intervals from the spread of
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
pub(crate) fn normal_quantile(p: f64) -> f64 {
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

    #[test]
    fn candidates_follow_the_seasons() {
        let monthly = Seasons {
            primary: 12,
            confirmed: true,
            extra: vec![],
        };
        let names: Vec<String> = Candidate::all(&monthly)
            .iter()
            .map(Candidate::name)
            .collect();
        assert_eq!(
            names,
            [
                "SeasonalNaive(12)",
                "AutoETS(12)",
                "AutoTheta(12)",
                "AutoARIMA(12)",
                "Combination(AutoETS(12), AutoTheta(12), AutoARIMA(12))"
            ]
        );
        let weekly = Seasons {
            primary: 52,
            confirmed: true,
            extra: vec![],
        };
        let names: Vec<String> = Candidate::all(&weekly)
            .iter()
            .map(Candidate::name)
            .collect();
        assert!(names.contains(&"AutoETS(1)".to_owned()), "{names:?}");
        assert!(names.contains(&"MSTL(52)+AutoETS".to_owned()), "{names:?}");
    }
}
