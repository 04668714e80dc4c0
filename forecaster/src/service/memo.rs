//! Fits computed once per input: a series' backtested choice and forecast,
//! remembered by everything the fit read and shared by every call that asks
//! the same of the same values, at once or later.
//!
//! The key is the fit's whole input ([`FitInput`]), not the warehouse's
//! data version: new sales change the history, and so the key, by
//! construction. Nothing needs invalidating and a stale answer cannot be
//! served; a series that no longer comes back simply ages out of the bound.
//!
//! - [`input`]: what a fit reads, held in full as the key.

mod input;

use std::{sync::Arc, time::Instant};

use quick_cache::sync::Cache;
use tonic::Status;

use super::{
    fit_metrics::{FitMetrics, Lookup},
    model_status,
};
use crate::{
    fit::FitPool,
    model::{Choice, Problem},
};

pub(crate) use input::FitInput;

/// The most fits remembered. A key holds its series (at most 3,650 points of
/// 9 bytes) and a choice holds its forecast and scores, so 256 stay under
/// about 10 MB; the dashboard and the forecasts in use need a handful.
pub(crate) const REMEMBERED_FITS: usize = 256;

/// Fits on the pool, each input's choice remembered and every lookup
/// counted. Clones share the pool, the memo and the instruments.
#[derive(Clone, Debug)]
pub(crate) struct MemoizedFits {
    pool: FitPool,
    memo: Arc<Cache<FitInput, Arc<Choice>>>,
    metrics: FitMetrics,
}

impl MemoizedFits {
    /// Fits on `pool`, remembering up to [`REMEMBERED_FITS`] choices.
    pub(crate) fn new(pool: FitPool) -> Self {
        Self {
            pool,
            memo: Arc::new(Cache::new(REMEMBERED_FITS)),
            metrics: FitMetrics::default(),
        }
    }

    /// Counts fits and lookups in `metrics`.
    pub(crate) fn counted_in(self, metrics: FitMetrics) -> Self {
        Self { metrics, ..self }
    }

    /// Returns the backtested choice and forecast of `problem`: remembered,
    /// or awaited from an identical call already fitting it, or fitted here
    /// on the pool within `deadline` and remembered.
    ///
    /// Only an answer is remembered. A fit that fails (the caller's deadline,
    /// the fit budget, a full queue) or whose caller leaves stores nothing,
    /// and the next caller waiting on the same input fits in its place, under
    /// its own deadline; each fit stays tied to the caller it runs for, so a
    /// caller that leaves still stops its fit.
    pub(crate) async fn choose(
        &self,
        problem: Problem<'_>,
        deadline: Option<Instant>,
    ) -> Result<Arc<Choice>, Status> {
        let input = FitInput::of(problem);
        let guard = match self.memo.get_value_or_guard_async(&input).await {
            Ok(choice) => {
                self.metrics.record_lookup(Lookup::Hit);
                return Ok(choice);
            }
            Err(guard) => guard,
        };
        self.metrics.record_lookup(Lookup::Miss);
        let started = Instant::now();
        // On an error the guard is dropped unfilled: quick_cache hands the
        // key to the next waiter, or forgets it when none waits.
        let choice = self
            .pool
            .run(deadline, move |stop, lanes| input.fit(stop, lanes))
            .await?
            .map_err(model_status)?;
        self.metrics.record(
            &choice.forecast.model,
            started.elapsed().as_secs_f64(),
            choice.chosen.mase,
        );
        let choice = Arc::new(choice);
        // Refused only when the key was removed meanwhile, which nothing
        // does; the answer is this caller's either way.
        let _ = guard.insert(choice.clone());
        Ok(choice)
    }
}

#[cfg(test)]
mod tests;
