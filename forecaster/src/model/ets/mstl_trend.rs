//! This module's ETS as the trend model of augurs' MSTL: the series with its
//! seasons taken out is fitted by [`auto`](super::auto) with no season,
//! the same six models (additive or multiplicative error; no, additive or
//! damped trend) that augurs' non-seasonal AutoETS tries, each by maximum
//! likelihood and the lowest AICc kept.
//!
//! Why not augurs' own: its likelihood takes a logarithm at every step of
//! every evaluation, and with its recursion was a third of a cold
//! dashboard's CPU; this module's takes one per run of values
//! ([`LogSum`](super::spec)).

use std::borrow::Cow;

use augurs::{
    Forecast, ForecastIntervals,
    mstl::{FittedTrendModel, TrendModel},
};

use super::FittedEts;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Fits the trend MSTL leaves after removing the seasons.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EtsTrend;

impl TrendModel for EtsTrend {
    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed("ETS")
    }

    fn fit(&self, y: &[f64]) -> Result<Box<dyn FittedTrendModel + Sync + Send>, BoxError> {
        let fitted = super::auto(y, 1).ok_or("no ETS model could be fitted to the trend")?;
        Ok(Box::new(FittedEtsTrend {
            fitted,
            observations: y.len(),
        }))
    }
}

/// The trend model MSTL forecasts with.
#[derive(Debug)]
struct FittedEtsTrend {
    fitted: FittedEts,
    observations: usize,
}

impl FittedTrendModel for FittedEtsTrend {
    fn predict_inplace(
        &self,
        horizon: usize,
        level: Option<f64>,
        forecast: &mut Forecast,
    ) -> Result<(), BoxError> {
        let points = self.fitted.points(horizon);
        forecast.intervals = level.and_then(|level| {
            let interval = self.fitted.intervals(&points, &[level]).pop()?;
            Some(ForecastIntervals {
                level,
                lower: interval.lower,
                upper: interval.upper,
            })
        });
        forecast.point = points;
        Ok(())
    }

    /// The mesh only forecasts ahead, and a fit keeps only its last state:
    /// in-sample predictions would need the recursion run again.
    fn predict_in_sample_inplace(
        &self,
        _level: Option<f64>,
        _forecast: &mut Forecast,
    ) -> Result<(), BoxError> {
        Err("the ETS trend keeps no in-sample predictions".into())
    }

    fn training_data_size(&self) -> Option<usize> {
        Some(self.observations)
    }
}

#[cfg(test)]
mod tests {
    use augurs::{Fit, Predict, mstl::MSTLModel};

    use super::*;

    /// A weekly season on a rising line, with a little deterministic noise.
    fn daily(days: usize) -> Vec<f64> {
        (0..days)
            .map(|t| {
                let week = [0.0, 4.0, 6.0, 5.0, 3.0, -8.0, -10.0][t % 7];
                let noise = ((t * 7919) % 13) as f64 / 13.0 - 0.5;
                100.0 + 0.5 * t as f64 + week + noise
            })
            .collect()
    }

    #[test]
    fn mstl_with_the_ets_trend_continues_the_line_and_the_season() {
        let y = daily(140);
        let fitted = MSTLModel::new(vec![7], EtsTrend)
            .fit(&y)
            .expect("a weekly series is fitted");
        let forecast = fitted.predict(14, 0.95).expect("it forecasts");
        assert_eq!(forecast.point.len(), 14);
        for (h, point) in forecast.point.iter().enumerate() {
            let expected = daily(140 + h + 1)[140 + h];
            assert!(
                (point - expected).abs() < 3.0,
                "step {h}: {point} against {expected}"
            );
        }
        let intervals = forecast.intervals.expect("intervals were asked for");
        assert_eq!(intervals.level, 0.95);
        for h in 0..14 {
            assert!(intervals.lower[h] < forecast.point[h]);
            assert!(forecast.point[h] < intervals.upper[h]);
        }
        // Uncertainty grows with the horizon.
        let width = |h: usize| intervals.upper[h] - intervals.lower[h];
        assert!(width(13) > width(0));
    }

    #[test]
    fn in_sample_predictions_are_refused_not_invented() {
        let fitted = MSTLModel::new(vec![7], EtsTrend)
            .fit(&daily(70))
            .expect("a weekly series is fitted");
        assert!(fitted.predict_in_sample(None).is_err());
    }
}
