//! When a fit stops early: its call was cancelled, the caller's deadline
//! passed, or the fit's own time budget ran out. The fit checks between
//! candidates and between backtest origins, so it stops within one model
//! fit of being told.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::ModelError;

/// What a running fit checks to know whether to go on.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    cancelled: Arc<AtomicBool>,
    /// When the caller stops waiting.
    deadline: Option<Instant>,
    /// When the fit's budget runs out, and the budget.
    budget: Option<(Instant, Duration)>,
}

impl Stop {
    /// A fit that runs to its end.
    pub fn never() -> Self {
        Self::default()
    }

    /// A fit that stops when `cancelled` is set, at `deadline`, or once it
    /// has run for `budget`.
    pub fn new(cancelled: Arc<AtomicBool>, deadline: Option<Instant>, budget: Duration) -> Self {
        Self {
            cancelled,
            deadline,
            budget: Some((Instant::now() + budget, budget)),
        }
    }

    /// Returns why the fit must stop now, if it must.
    pub fn check(&self) -> Result<(), ModelError> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(ModelError::Cancelled);
        }
        let now = Instant::now();
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            return Err(ModelError::DeadlineExceeded);
        }
        match self.budget {
            Some((end, budget)) if now >= end => Err(ModelError::OverBudget(budget)),
            _ => Ok(()),
        }
    }
}

/// Sets its flag when dropped: held by the future awaiting a fit, so a call
/// that is cancelled (its future dropped) stops the fit it started.
#[derive(Debug)]
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_says_why() {
        assert!(Stop::never().check().is_ok());
        let flag = Arc::new(AtomicBool::new(false));
        let stop = Stop::new(flag.clone(), None, Duration::from_secs(60));
        assert!(stop.check().is_ok());
        drop(CancelOnDrop(flag));
        assert!(matches!(stop.check(), Err(ModelError::Cancelled)));
        let past = Stop::new(
            Arc::default(),
            Some(Instant::now()),
            Duration::from_secs(60),
        );
        assert!(matches!(past.check(), Err(ModelError::DeadlineExceeded)));
        let spent = Stop::new(Arc::default(), None, Duration::ZERO);
        assert!(matches!(spent.check(), Err(ModelError::OverBudget(_))));
    }
}
