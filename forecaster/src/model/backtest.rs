//! Rolling-origin backtests: each candidate forecasts from several past
//! origins, its errors against what then happened are scored, and the one
//! with the lowest MASE forecasts the future.

use super::{
    Candidate, MIN_HISTORY, ModelError, SeriesForecast, check_input,
    metrics::{Tally, mase_scale},
    seasonality,
};

/// How many past origins each candidate is tested from.
const ORIGINS: usize = 3;
/// Backtest windows are as long as the horizon, up to four weeks.
const MAX_BACKTEST_HORIZON: usize = 28;
/// The most days the backtests hold out: every origin's window.
pub(crate) const BACKTEST_SPAN: usize = ORIGINS * MAX_BACKTEST_HORIZON;

/// How one model did in the backtests.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelScore {
    pub model: String,
    pub mase: f64,
    pub smape: f64,
    /// None when every actual was zero.
    pub mape: Option<f64>,
    /// Per level, the fraction of actuals inside the interval.
    pub coverage: Vec<(f64, f64)>,
}

/// The chosen model's forecast, and why it was chosen.
#[derive(Clone, Debug)]
pub struct Choice {
    pub forecast: SeriesForecast,
    /// The seasonal periods found in the series.
    pub periods: Vec<usize>,
    /// The chosen model's backtest score.
    pub chosen: ModelScore,
    /// Every candidate that could be fitted, best first.
    pub scores: Vec<ModelScore>,
}

/// Chooses a model by backtest and forecasts `horizon` steps with it.
pub fn choose_and_forecast(
    history: &[f64],
    horizon: usize,
    levels: &[f64],
) -> Result<Choice, ModelError> {
    check_input(history, levels)?;
    let periods = seasonality::detect(history);
    let window = horizon.clamp(1, MAX_BACKTEST_HORIZON);
    let origins: Vec<usize> = (1..=ORIGINS)
        .map(|k| history.len().saturating_sub(k * window))
        .filter(|origin| *origin >= MIN_HISTORY)
        .collect();
    if origins.is_empty() {
        return Err(ModelError::TooShort(history.len()));
    }
    let scale_period = periods.first().copied().unwrap_or(1);

    let mut scores: Vec<(ModelScore, Candidate)> = Candidate::all(&periods, history.len())
        .into_iter()
        .filter_map(|candidate| {
            score(&candidate, history, &origins, window, levels, scale_period)
                .map(|s| (s, candidate))
        })
        .collect();
    // Lowest MASE first; the candidates' order (simplest first) breaks ties.
    scores.sort_by(|a, b| a.0.mase.total_cmp(&b.0.mase));
    let (chosen, candidate) = scores
        .first()
        .cloned()
        .ok_or_else(|| ModelError::Fit("no model could be fitted".into()))?;
    let forecast = candidate.forecast(history, horizon, levels)?;
    Ok(Choice {
        forecast,
        periods,
        chosen,
        scores: scores.into_iter().map(|(score, _)| score).collect(),
    })
}

/// Scores `candidate` from every origin; None when it cannot be fitted there
/// (a yearly season needs two years before the origin, say).
fn score(
    candidate: &Candidate,
    history: &[f64],
    origins: &[usize],
    window: usize,
    levels: &[f64],
    scale_period: usize,
) -> Option<ModelScore> {
    let mut tally = Tally::default();
    for &origin in origins {
        let train = &history[..origin];
        let actual = &history[origin..origin + window];
        let forecast = match candidate.forecast(train, window, levels) {
            Ok(forecast) => forecast,
            Err(error) => {
                tracing::debug!(model = %candidate.name(), %error, "candidate left out of the backtest");
                return None;
            }
        };
        let intervals: Vec<(f64, &[f64], &[f64])> = forecast
            .intervals
            .iter()
            .map(|i| (i.level, i.lower.as_slice(), i.upper.as_slice()))
            .collect();
        tally.add(
            actual,
            &forecast.points,
            &intervals,
            mase_scale(train, scale_period),
        );
    }
    let mase = tally.mase();
    mase.is_finite().then(|| ModelScore {
        model: candidate.name(),
        mase,
        smape: tally.smape(),
        mape: tally.mape(),
        coverage: tally.coverage(),
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
    fn the_choice_beats_or_matches_the_baseline_and_reports_every_score() -> Result<(), ModelError>
    {
        let choice = choose_and_forecast(&weekly_series(280), 14, &[0.8, 0.95])?;
        assert_eq!(choice.periods.first(), Some(&7));
        assert_eq!(choice.forecast.points.len(), 14);
        assert_eq!(choice.forecast.model, choice.chosen.model);
        let baseline = choice
            .scores
            .iter()
            .find(|s| s.model == "SeasonalNaive(7)")
            .ok_or(ModelError::Fit("no baseline".into()))?;
        assert!(choice.chosen.mase <= baseline.mase);
        assert!(choice.scores.len() >= 3, "{:?}", choice.scores);
        assert!(
            choice.scores.windows(2).all(|w| w[0].mase <= w[1].mase),
            "best first"
        );
        for (level, coverage) in &choice.chosen.coverage {
            assert!((0.0..=1.0).contains(coverage), "{level}: {coverage}");
        }
        let (narrow, wide) = (&choice.forecast.intervals[0], &choice.forecast.intervals[1]);
        for step in 0..14 {
            assert!(
                wide.lower[step] <= narrow.lower[step] && narrow.upper[step] <= wide.upper[step]
            );
        }
        Ok(())
    }

    #[test]
    fn bad_series_are_refused_with_reasons() {
        assert!(matches!(
            choose_and_forecast(&weekly_series(10), 5, &[]),
            Err(ModelError::TooShort(10))
        ));
        let mut holes = weekly_series(60);
        holes[3] = f64::NAN;
        assert!(matches!(
            choose_and_forecast(&holes, 5, &[]),
            Err(ModelError::NotFinite(3))
        ));
        assert!(matches!(
            choose_and_forecast(&weekly_series(60), 5, &[1.5]),
            Err(ModelError::BadLevel(_))
        ));
        // Too short to backtest the horizon from even one origin.
        assert!(matches!(
            choose_and_forecast(&weekly_series(40), 20, &[]),
            Err(ModelError::TooShort(40))
        ));
    }
}
