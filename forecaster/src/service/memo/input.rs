//! What a fit reads, held in full so that it can be the memo's key.

use crate::{
    calendar::Frequency,
    model::{self, Choice, Lanes, ModelError, Problem, Stop},
};

/// Everything [`model::choose_and_forecast_until`] reads, and so the key its
/// answer is remembered by. Two inputs are equal only when every value is
/// the same to the last bit: there is no hash standing in for the series,
/// so two series cannot collide.
///
/// The series' dates are not here because the fit never reads them: each
/// call dates the points of its answer on its own series' calendar.
/// What the models are and how the backtest chooses are constants of the
/// build, the same for every key of one process.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FitInput {
    /// The history's values as their bits: `f64` has no `Eq`, and equal bits
    /// are equal inputs.
    history: Vec<u64>,
    observed: Vec<bool>,
    frequency: Frequency,
    horizon: usize,
    /// The interval levels as their bits, in the order asked.
    levels: Vec<u64>,
}

impl FitInput {
    /// Returns the input of a fit of `problem`.
    pub(crate) fn of(problem: Problem<'_>) -> Self {
        let bits = |values: &[f64]| values.iter().map(|value| value.to_bits()).collect();
        Self {
            history: bits(problem.history),
            observed: problem.observed.to_vec(),
            frequency: problem.frequency,
            horizon: problem.horizon,
            levels: bits(problem.levels),
        }
    }

    /// Chooses a model for this input by backtest and forecasts with it on
    /// `lanes`, stopping as soon as `stop` says so.
    pub(crate) fn fit(&self, stop: &Stop, lanes: Lanes) -> Result<Choice, ModelError> {
        let values =
            |bits: &[u64]| -> Vec<f64> { bits.iter().copied().map(f64::from_bits).collect() };
        let (history, levels) = (values(&self.history), values(&self.levels));
        model::choose_and_forecast_until(
            Problem {
                history: &history,
                observed: &self.observed,
                frequency: self.frequency,
                horizon: self.horizon,
                levels: &levels,
            },
            stop,
            lanes,
        )
    }
}
