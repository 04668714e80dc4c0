//! Forecasting a series on its calendar the way a BI user can trust: several
//! models, the one that forecast best in rolling-origin backtests chosen,
//! its intervals calibrated on those backtests, and its accuracy and
//! interval coverage reported beside the forecast.
//!
//! - [`candidates`]: the models: seasonal naive (the baseline), ETS with
//!   seasons chosen by AICc (in [`ets`]), the Theta method (in [`theta`]),
//!   MSTL for long or several seasons, and their combination (in [`combine`]).
//!   A seasonal ARIMA chosen stepwise by AICc is in [`arima`].
//! - [`seasonality`]: the seasons a frequency implies, confirmed or added to
//!   by the data.
//! - [`metrics`]: MAPE, sMAPE, MASE and interval coverage.
//! - [`backtest`]: rolling-origin evaluation and the choice of model.
//! - [`calibrate`]: intervals widened or narrowed to cover as they claim.
//! - [`decompose`], [`optimize`]: seasonal indices and Nelder–Mead.
//! - [`stop`]: cancellation, the caller's deadline and the fit's time budget.
//! - [`lanes`]: a fit's independent model fits spread over its threads.

mod arima;
mod backtest;
mod calibrate;
mod candidates;
mod combine;
mod decompose;
mod ets;
mod lanes;
mod metrics;
mod optimize;
mod seasonality;
mod stop;
mod theta;

pub use backtest::{
    Choice, ModelScore, choose_and_forecast, choose_and_forecast_until, minimum_history,
};
pub use candidates::{Candidate, Interval, SeriesForecast};
pub use lanes::Lanes;
pub use seasonality::{Seasons, detect as detect_seasonality};
pub use stop::{CancelOnDrop, Stop};

use crate::calendar::Frequency;

/// A series to forecast and what is asked of the forecast.
#[derive(Clone, Copy, Debug)]
pub struct Problem<'a> {
    pub history: &'a [f64],
    /// Whether each value was observed; filled ones are never scored.
    pub observed: &'a [bool],
    pub frequency: Frequency,
    /// Steps to forecast.
    pub horizon: usize,
    pub levels: &'a [f64],
}

/// Why a series could not be forecast.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "the series has {points} {steps}; forecasting {horizon} {steps} needs at least {needed}: {fit} to fit and {window} to backtest"
    )]
    TooShort {
        points: usize,
        horizon: usize,
        needed: usize,
        fit: usize,
        window: usize,
        steps: &'static str,
    },
    #[error("the series holds a value that is not a finite number at position {0}")]
    NotFinite(usize),
    #[error("interval level {0} is not between 0 and 1")]
    BadLevel(f64),
    #[error("model fit failed: {0}")]
    Fit(String),
    #[error("the call was cancelled during the fit")]
    Cancelled,
    #[error("the caller's deadline passed during the fit")]
    DeadlineExceeded,
    #[error("the fit ran past its time budget of {} ms", .0.as_millis())]
    OverBudget(std::time::Duration),
}

/// Checks what every model needs of a series and of the levels.
pub(crate) fn check_input(problem: &Problem<'_>) -> Result<(), ModelError> {
    if let Some(position) = problem.history.iter().position(|v| !v.is_finite()) {
        return Err(ModelError::NotFinite(position));
    }
    if let Some(level) = problem
        .levels
        .iter()
        .find(|level| !(**level > 0.0 && **level < 1.0))
    {
        return Err(ModelError::BadLevel(*level));
    }
    if problem.observed.len() != problem.history.len() {
        return Err(ModelError::Fit(format!(
            "{} values but {} observed flags",
            problem.history.len(),
            problem.observed.len()
        )));
    }
    Ok(())
}
