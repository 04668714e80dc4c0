//! The twins: each internal message the public API answers with, and its
//! public counterpart; and the test that they are twins indeed.

use proto::{forecaster, gateway as public, store, warehouse};

use super::{IntoPublic, rewrite};
use crate::error::ApiError;

/// Implements [`IntoPublic`] for each pair and lists them for the test.
macro_rules! twins {
    ($($internal:ident :: $message:ident),* $(,)?) => {
        $(
            impl IntoPublic for $internal::$message {
                type Public = public::$message;

                fn into_public(self) -> Result<public::$message, ApiError> {
                    rewrite(&self)
                }
            }
        )*

        /// The pairs, by full protobuf name: internal, public.
        #[cfg(test)]
        const PAIRS: &[(&str, &str)] = &[$((
            concat!("forecastmesh.", stringify!($internal), ".v1.", stringify!($message)),
            concat!("forecastmesh.gateway.v1.", stringify!($message)),
        )),*];
    };
}

twins! {
    warehouse::Kpis,
    warehouse::KpiChange,
    warehouse::DailySales,
    warehouse::QueryColumn,
    warehouse::QueryRow,
    forecaster::Forecast,
    store::ForecastRun,
    store::RankingRun,
    store::RecommendationRun,
    store::AuditEntry,
}

/// Returns the forecaster's form of a series the caller sent: the one
/// conversion inward, the same twins read the other way.
pub fn inline_series(series: &public::InlineSeries) -> Result<forecaster::InlineSeries, ApiError> {
    rewrite(series)
}

#[cfg(test)]
mod tests;
