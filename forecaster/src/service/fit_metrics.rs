//! Forecast fits by model family: `forecast_mesh_forecast_fits_total{model}`,
//! `forecast_mesh_forecast_fit_duration_seconds{model}` and the chosen
//! model's `forecast_mesh_forecast_backtest_mase{model}`. The family is one
//! of [`FAMILIES`] (a model's full name carries its periods and orders,
//! which vary with the series). Beside them, how often a call was answered
//! by a remembered fit: `forecast_mesh_forecast_fit_cache_lookups_total{outcome}`,
//! `hit` or `miss`.

use mesh_core::metrics::{
    CounterBy, Labels, Metrics,
    prometheus_client::metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
};

/// The model families, by the prefix of a model's name.
pub(crate) const FAMILIES: &[(&str, &str)] = &[
    ("SeasonalNaive", "seasonal_naive"),
    ("AutoETS", "ets"),
    ("AutoTheta", "auto_theta"),
    ("Theta", "theta"),
    ("AutoARIMA", "arima"),
    ("ARIMA", "arima"),
    ("MSTL", "mstl"),
    ("Combination", "combination"),
];

/// Returns the family label of model `name`, `other` for none known.
pub(crate) fn family_of(name: &str) -> &'static str {
    FAMILIES
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map_or("other", |(_, family)| family)
}

/// The fit instruments; clones share them.
#[derive(Clone, Debug)]
pub(crate) struct FitMetrics {
    fits: Family<Labels<1>, Counter>,
    duration: Family<Labels<1>, Histogram, fn() -> Histogram>,
    mase: Family<Labels<1>, Histogram, fn() -> Histogram>,
    lookups: CounterBy,
}

/// How a call's fit was found in the memo of fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Remembered, or fitted by an identical call in flight and shared.
    Hit,
    /// Fitted for this call.
    Miss,
}

impl Lookup {
    fn label(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
        }
    }
}

fn duration_histogram() -> Histogram {
    // 10 ms to about 80 s.
    Histogram::new(exponential_buckets(0.01, 2.0, 14))
}

fn mase_histogram() -> Histogram {
    Histogram::new([0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0])
}

impl Default for FitMetrics {
    /// Instruments registered nowhere: recorded, never served.
    fn default() -> Self {
        Self {
            fits: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            mase: Family::new_with_constructor(mase_histogram),
            lookups: CounterBy::default(),
        }
    }
}

impl FitMetrics {
    /// Registers the instruments in `metrics`.
    pub(crate) fn register(metrics: &Metrics) -> Self {
        let this = Self {
            lookups: metrics.counter_by(
                "forecast_fit_cache_lookups",
                "forecasts answered by a remembered fit (hit) or fitted for the call (miss)",
                "outcome",
                &[Lookup::Hit.label(), Lookup::Miss.label()],
            ),
            ..Self::default()
        };
        metrics.register(
            "forecast_fits",
            "forecasts fitted, by the chosen model's family",
            this.fits.clone(),
        );
        metrics.register(
            "forecast_fit_duration_seconds",
            "time to choose and fit a forecast's model, by the chosen model's family",
            this.duration.clone(),
        );
        metrics.register(
            "forecast_backtest_mase",
            "the chosen model's backtest MASE (below 1 beats seasonal naive)",
            this.mase.clone(),
        );
        this
    }

    /// Records one fit of `model` taking `seconds`, its backtest MASE `mase`.
    pub(crate) fn record(&self, model: &str, seconds: f64, mase: f64) {
        let labels = [("model", family_of(model))];
        self.fits.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(seconds);
        if mase.is_finite() {
            self.mase.get_or_create(&labels).observe(mase);
        }
    }

    /// Counts one lookup in the memo of fits.
    pub(crate) fn record_lookup(&self, lookup: Lookup) {
        self.lookups
            .get_or_create(&[("outcome", lookup.label())])
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_a_fixed_set() {
        assert_eq!(family_of("AutoETS(12)"), "ets");
        assert_eq!(family_of("AutoTheta(7)"), "auto_theta");
        assert_eq!(family_of("Theta(7)"), "theta");
        assert_eq!(family_of("ARIMA(0,1,1)(0,1,1)[12]"), "arima");
        assert_eq!(family_of("MSTL(7,365)+AutoETS"), "mstl");
        assert_eq!(family_of("anything else"), "other");
    }
}
