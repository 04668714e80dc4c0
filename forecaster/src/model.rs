//! Fits MSTL (weekly, and yearly when there are two years of history) around
//! an AutoETS trend, from augurs, and forecasts with prediction intervals.

use augurs::{Fit, Predict, ets::AutoETS, mstl::MSTLModel};

/// Periods of the seasonalities daily sales have.
const WEEK: usize = 7;
const YEAR: usize = 365;

/// The fewest points a forecast is fitted on: four weeks.
pub const MIN_HISTORY: usize = 28;

/// Why a series could not be forecast.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("series has {0} points; at least {MIN_HISTORY} are needed")]
    TooShort(usize),
    #[error("series holds a value that is not a finite number at position {0}")]
    NotFinite(usize),
    #[error("interval level {0} is not between 0 and 1")]
    BadLevel(f64),
    #[error("model fit failed: {0}")]
    Fit(String),
}

/// A prediction interval at one level, per step.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    pub level: f64,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// A forecast of `horizon` steps.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesForecast {
    /// The model and its seasonal periods, e.g. `MSTL(7,365)+AutoETS`.
    pub model: String,
    pub points: Vec<f64>,
    pub intervals: Vec<Interval>,
}

/// Forecasts `history` (one value per day, oldest first) `horizon` steps ahead.
pub fn forecast(
    history: &[f64],
    horizon: usize,
    levels: &[f64],
) -> Result<SeriesForecast, ModelError> {
    if history.len() < MIN_HISTORY {
        return Err(ModelError::TooShort(history.len()));
    }
    if let Some(position) = history.iter().position(|value| !value.is_finite()) {
        return Err(ModelError::NotFinite(position));
    }
    if let Some(level) = levels
        .iter()
        .find(|level| !(**level > 0.0 && **level < 1.0))
    {
        return Err(ModelError::BadLevel(*level));
    }
    // MSTL needs two full cycles of a period to estimate it.
    let mut periods = vec![WEEK];
    if history.len() >= 2 * YEAR + WEEK {
        periods.push(YEAR);
    }
    let model = format!(
        "MSTL({})+AutoETS",
        periods
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let fitted = MSTLModel::new(periods, AutoETS::non_seasonal().into_trend_model())
        .fit(history)
        .map_err(|e| ModelError::Fit(e.to_string()))?;
    let point = fitted
        .predict(horizon, None)
        .map_err(|e| ModelError::Fit(e.to_string()))?;
    let mut intervals = Vec::with_capacity(levels.len());
    for &level in levels {
        let at_level = fitted
            .predict(horizon, level)
            .map_err(|e| ModelError::Fit(e.to_string()))?;
        let bounds = at_level
            .intervals
            .ok_or_else(|| ModelError::Fit("model gave no intervals".into()))?;
        intervals.push(Interval {
            level,
            lower: bounds.lower,
            upper: bounds.upper,
        });
    }
    Ok(SeriesForecast {
        model,
        points: point.point,
        intervals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weekly pattern on a rising trend, with a little deterministic wobble.
    fn weekly_series(days: usize) -> Vec<f64> {
        let pattern = [100.0, 110.0, 105.0, 100.0, 120.0, 60.0, 40.0];
        (0..days)
            .map(|d| pattern[d % 7] + 0.2 * d as f64 + ((d * 37 % 11) as f64 - 5.0))
            .collect()
    }

    #[test]
    fn forecasts_follow_the_weekly_pattern_within_ordered_intervals() -> Result<(), ModelError> {
        let history = weekly_series(140);
        let result = forecast(&history, 14, &[0.8, 0.95])?;
        assert_eq!(result.model, "MSTL(7)+AutoETS");
        assert_eq!(result.points.len(), 14);
        // Day 140 is a Monday-like 100 and day 146 a Sunday-like 40, plus trend.
        assert!(
            result.points[4] > result.points[6] + 40.0,
            "{:?}",
            result.points
        );
        let (narrow, wide) = (&result.intervals[0], &result.intervals[1]);
        for step in 0..14 {
            assert!(
                wide.lower[step] <= narrow.lower[step] && narrow.lower[step] <= result.points[step]
            );
            assert!(
                result.points[step] <= narrow.upper[step] && narrow.upper[step] <= wide.upper[step]
            );
        }
        Ok(())
    }

    #[test]
    fn bad_series_are_refused_with_reasons() {
        assert!(matches!(
            forecast(&weekly_series(10), 5, &[]),
            Err(ModelError::TooShort(10))
        ));
        let mut holes = weekly_series(60);
        holes[3] = f64::NAN;
        assert!(matches!(
            forecast(&holes, 5, &[]),
            Err(ModelError::NotFinite(3))
        ));
        assert!(matches!(
            forecast(&weekly_series(60), 5, &[1.5]),
            Err(ModelError::BadLevel(_))
        ));
    }
}
