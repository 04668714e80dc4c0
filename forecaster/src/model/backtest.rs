//! Rolling-origin backtests: each candidate forecasts from several past
//! origins, its errors against the observed values that followed are scored,
//! and the one with the lowest MASE forecasts the future, its intervals
//! calibrated on its own backtest errors.

use super::{
    Candidate, Lanes, ModelError, Problem, SeriesForecast, Stop, calibrate, check_input, combine,
    metrics::{Tally, mase_scale},
    seasonality::{self, Seasons},
};
use crate::calendar::Frequency;

/// How many past origins each candidate is tested from.
const ORIGINS: usize = 3;
/// How many origins the chosen model's intervals are calibrated from: the
/// selection's and as many again further back, where the history allows.
const CALIBRATION_ORIGINS: usize = 6;

/// How one model did in the backtests.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelScore {
    pub model: String,
    pub mase: f64,
    pub smape: f64,
    /// None when every actual was zero.
    pub mape: Option<f64>,
    /// Per level, the fraction of observed actuals inside the interval.
    pub coverage: Vec<(f64, f64)>,
}

/// The chosen model's forecast, and why it was chosen.
#[derive(Clone, Debug)]
pub struct Choice {
    pub forecast: SeriesForecast,
    /// The seasons of the series.
    pub seasons: Seasons,
    /// The chosen model's backtest score; its coverage is that of the
    /// calibrated intervals, each origin calibrated on the others.
    pub chosen: ModelScore,
    /// Per level, the factor the model's interval half widths were scaled by.
    pub calibration: Vec<(f64, f64)>,
    /// Every candidate that could be fitted, best first, with the coverage
    /// of its own intervals.
    pub scores: Vec<ModelScore>,
}

/// Returns the fewest points a model is fitted on, for a frequency: four
/// weeks of days, half a year of weeks, two years of months, three of
/// quarters, ten years.
fn min_fit(frequency: Frequency) -> usize {
    match frequency {
        Frequency::Daily => 28,
        Frequency::Weekly => 26,
        Frequency::Monthly => 24,
        Frequency::Quarterly => 12,
        Frequency::Yearly => 10,
    }
}

/// Returns the length of each backtest window: the horizon, up to four weeks
/// of days or the literature's horizon for the frequency.
fn window(frequency: Frequency, horizon: usize) -> usize {
    let cap = match frequency {
        Frequency::Daily => 28,
        other => other.usual_horizon(),
    };
    horizon.clamp(1, cap)
}

/// Returns the fewest points a forecast of `horizon` steps needs: those a
/// model is fitted on and one backtest window.
pub fn minimum_history(frequency: Frequency, horizon: usize) -> usize {
    min_fit(frequency) + window(frequency, horizon)
}

/// Chooses a model by backtest and forecasts the problem's horizon with it.
pub fn choose_and_forecast(problem: Problem<'_>) -> Result<Choice, ModelError> {
    choose_and_forecast_until(problem, &Stop::never(), Lanes::ONE)
}

/// [`choose_and_forecast`], stopping with an error as soon as `stop` says
/// so (checked before every candidate's fit at every origin), its fits
/// spread over `lanes`.
pub fn choose_and_forecast_until(
    problem: Problem<'_>,
    stop: &Stop,
    lanes: Lanes,
) -> Result<Choice, ModelError> {
    check_input(&problem)?;
    let Problem {
        history,
        observed,
        frequency,
        horizon,
        levels,
    } = problem;
    let n = history.len();
    let (fit, window) = (min_fit(frequency), window(frequency, horizon));
    if n < fit + window {
        return Err(ModelError::TooShort {
            points: n,
            horizon,
            needed: fit + window,
            fit,
            window,
            steps: frequency.steps(),
        });
    }
    // Origins half a window apart: three windows from fewer points.
    let step = (window / 2).max(1);
    let origins: Vec<usize> = (0..ORIGINS)
        .filter_map(|k| n.checked_sub(window + k * step))
        .filter(|origin| *origin >= fit)
        .collect();
    let seasons = seasonality::detect(history, frequency);
    let scale_period = seasons.primary;
    let candidates = Candidate::all(&seasons);

    // Every single model's forecast from every origin, spread over the
    // lanes: the costliest models are listed last, so they are handed out
    // first and no lane is left waiting on one at the end.
    let singles: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !matches!(c, Candidate::Combination { .. }))
        .collect();
    let fits: Vec<(usize, usize)> = (0..singles.len())
        .rev()
        .flat_map(|c| origins.iter().map(move |&origin| (c, origin)))
        .collect();
    let fitted = lanes.map(&fits, |&(c, origin)| {
        stop.check()?;
        Ok(singles[c]
            .forecast(&history[..origin], window, levels)
            .inspect_err(|error| {
                tracing::debug!(model = %singles[c].name(), %error, "candidate left out of the backtest");
            })
            .ok())
    });
    let mut per_single: Vec<Vec<Option<SeriesForecast>>> = vec![Vec::new(); singles.len()];
    for (&(c, _), forecast) in fits.iter().zip(fitted) {
        per_single[c].push(forecast?);
    }
    let mut per_single = per_single.into_iter();

    // Every candidate's forecast from every origin; None where one failed.
    let mut runs: Vec<(Candidate, Option<Vec<SeriesForecast>>)> = Vec::new();
    for candidate in candidates {
        // A combination is of the members the backtest could fit, if two are left.
        let candidate = match candidate {
            Candidate::Combination { members } => Candidate::Combination {
                members: members
                    .into_iter()
                    .filter(|m| runs.iter().any(|(c, r)| c == m && r.is_some()))
                    .collect(),
            },
            single => single,
        };
        let forecasts = match &candidate {
            Candidate::Combination { members } if members.len() < 2 => None,
            Candidate::Combination { members } => members
                .iter()
                .map(|m| runs.iter().find(|(c, _)| c == m)?.1.clone())
                .collect::<Option<Vec<_>>>()
                .map(|member_runs| {
                    (0..origins.len())
                        .map(|o| {
                            let at: Vec<SeriesForecast> =
                                member_runs.iter().map(|r| r[o].clone()).collect();
                            combine::mean(&at, candidate.name())
                        })
                        .collect()
                }),
            // The singles' backtests are in the candidates' order.
            _ => per_single
                .next()
                .and_then(|forecasts| forecasts.into_iter().collect()),
        };
        runs.push((candidate, forecasts));
    }

    let mut scored: Vec<(ModelScore, &Candidate, &[SeriesForecast])> = runs
        .iter()
        .filter_map(|(candidate, forecasts)| {
            let forecasts = forecasts.as_deref()?;
            let mut tally = Tally::default();
            for (origin, forecast) in origins.iter().zip(forecasts) {
                let intervals: Vec<(f64, &[f64], &[f64])> = forecast
                    .intervals
                    .iter()
                    .map(|i| (i.level, i.lower.as_slice(), i.upper.as_slice()))
                    .collect();
                tally.add(
                    &history[*origin..*origin + window],
                    &observed[*origin..*origin + window],
                    &forecast.points,
                    &intervals,
                    mase_scale(&history[..*origin], scale_period),
                );
            }
            let mase = tally.mase();
            (tally.points() > 0 && mase.is_finite()).then(|| {
                (
                    ModelScore {
                        model: candidate.name(),
                        mase,
                        smape: tally.smape(),
                        mape: tally.mape(),
                        coverage: tally.coverage(),
                    },
                    candidate,
                    forecasts,
                )
            })
        })
        .collect();
    // Lowest MASE first; the candidates' order (simplest first) breaks ties.
    scored.sort_by(|a, b| a.0.mase.total_cmp(&b.0.mase));
    let (chosen, candidate, backtests) = scored
        .first()
        .cloned()
        .ok_or_else(|| ModelError::Fit("no model could be fitted".into()))?;
    // The chosen model on the whole history, and from the calibration's
    // origins further back (as many as the history allows, up to the first
    // that fails), side by side.
    let further: Vec<usize> = (ORIGINS..CALIBRATION_ORIGINS)
        .map_while(|k| n.checked_sub(window + k * step).filter(|o| *o >= fit))
        .collect();
    let jobs: Vec<Option<usize>> = std::iter::once(None)
        .chain(further.iter().copied().map(Some))
        .collect();
    let mut answers = lanes
        .map(&jobs, |job| {
            stop.check()?;
            Ok(match *job {
                None => candidate.forecast(history, horizon, levels),
                Some(origin) => candidate.forecast(&history[..origin], window, levels),
            })
        })
        .into_iter()
        .collect::<Result<Vec<_>, ModelError>>()?
        .into_iter();
    let mut forecast = answers
        .next()
        .ok_or_else(|| ModelError::Fit("the chosen model was not fitted".into()))??;
    let mut calibration_origins = origins.clone();
    let mut calibration_runs = backtests.to_vec();
    for (origin, run) in further.into_iter().zip(answers.map_while(Result::ok)) {
        calibration_origins.push(origin);
        calibration_runs.push(run);
    }
    let windows = windows_of(
        history,
        observed,
        &calibration_origins,
        window,
        &calibration_runs,
    );
    let factors = calibrate::factors(&windows, levels);
    calibrate::apply(&mut forecast, &factors);
    let chosen = ModelScore {
        coverage: calibrate::held_out_coverage(&windows, levels),
        ..chosen
    };
    Ok(Choice {
        forecast,
        seasons,
        chosen,
        calibration: levels.iter().copied().zip(factors).collect(),
        scores: scored.into_iter().map(|(score, _, _)| score).collect(),
    })
}

/// Returns each origin's window of actuals beside its forecast.
fn windows_of<'a>(
    history: &'a [f64],
    observed: &'a [bool],
    origins: &[usize],
    window: usize,
    forecasts: &'a [SeriesForecast],
) -> Vec<calibrate::Window<'a>> {
    origins
        .iter()
        .zip(forecasts)
        .map(|(origin, forecast)| calibrate::Window {
            actual: &history[*origin..*origin + window],
            observed: &observed[*origin..*origin + window],
            forecast,
        })
        .collect()
}

#[cfg(test)]
mod tests;
