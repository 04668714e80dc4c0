//! Forecasting a daily series the way a BI user can trust: several models,
//! the one that forecast best in rolling-origin backtests chosen, and its
//! accuracy and interval coverage reported beside the forecast.
//!
//! - [`candidates`]: the models: seasonal naive (the baseline), AutoETS with
//!   trend, MSTL around AutoETS, and the Theta method (in [`theta`]).
//! - [`seasonality`]: the seasonal periods, detected from the data.
//! - [`metrics`]: MAPE, sMAPE, MASE and interval coverage.
//! - [`backtest`]: rolling-origin evaluation and the choice of model.

mod backtest;
mod candidates;
mod metrics;
mod seasonality;
mod theta;

pub use backtest::{Choice, ModelScore, choose_and_forecast};
pub use candidates::{Candidate, Interval, SeriesForecast};
pub use seasonality::detect as detect_seasonality;

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

/// Checks what every model needs of a series and of the levels.
pub(crate) fn check_input(history: &[f64], levels: &[f64]) -> Result<(), ModelError> {
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
    Ok(())
}
