//! The bounded pool forecasting runs on: at most `threads` threads fitting
//! at once, at most `queue` more fits waiting their turn, and a fit past
//! that refused at once rather than queued without bound. A fit's place is
//! held until its work really ends, not when its caller leaves, so the
//! bound holds on the CPU too; a caller that leaves sets the fit's
//! cancellation flag, and the fit stops at its next check.
//!
//! A fit takes one thread, and as [`Lanes`] every other thread free when it
//! starts: alone, a fit runs its models on all the cores; when fits arrive
//! together, each has one, as before. Either way no more than `threads`
//! threads fit at once.

use std::{
    sync::{Arc, atomic::AtomicBool},
    time::{Duration, Instant},
};

use tokio::sync::Semaphore;
use tonic::Status;

use crate::model::{CancelOnDrop, Lanes, Stop};

/// The pool's sizes and each fit's time budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FitLimits {
    /// Threads fitting at once: fits running at once, or fewer fits each
    /// spread over several.
    pub threads: usize,
    /// Fits waiting for a thread; more are refused.
    pub queue: usize,
    /// The longest one fit may run, whatever the caller's deadline.
    pub budget: Duration,
}

impl Default for FitLimits {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(2, usize::from),
            queue: 16,
            budget: Duration::from_secs(20),
        }
    }
}

/// Runs fits within [`FitLimits`]. Clones share the pool.
#[derive(Clone, Debug)]
pub struct FitPool {
    limits: FitLimits,
    /// One permit per fit running or waiting.
    admitted: Arc<Semaphore>,
    /// One permit per thread fitting.
    running: Arc<Semaphore>,
}

impl FitPool {
    pub fn new(limits: FitLimits) -> Self {
        let threads = limits.threads.max(1);
        Self {
            limits: FitLimits { threads, ..limits },
            admitted: Arc::new(Semaphore::new(threads + limits.queue)),
            running: Arc::new(Semaphore::new(threads)),
        }
    }

    pub fn limits(&self) -> FitLimits {
        self.limits
    }

    /// Runs `work` on the pool, stopping it (through the [`Stop`] it is
    /// given) when this future is dropped, at `deadline`, or past the
    /// budget, and giving it the [`Lanes`] free when it starts. Refused
    /// with `RESOURCE_EXHAUSTED` when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        deadline: Option<Instant>,
        work: impl FnOnce(&Stop, Lanes) -> T + Send + 'static,
    ) -> Result<T, Status> {
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "the forecaster is busy: {} fits running or waiting, the fit queue limit; try again later",
                self.limits.threads + self.limits.queue
            ))
        })?;
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("the forecaster is shutting down"))?;
        let mut threads = vec![running];
        while threads.len() < self.limits.threads {
            match self.running.clone().try_acquire_owned() {
                Ok(free) => threads.push(free),
                Err(_) => break,
            }
        }
        let lanes = Lanes::new(threads.len());
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(cancelled.clone());
        let stop = Stop::new(cancelled, deadline, self.limits.budget);
        tokio::task::spawn_blocking(move || {
            let _held = (admitted, threads);
            work(&stop, lanes)
        })
        .await
        .map_err(|error| {
            tracing::warn!(%error, "forecast task failed");
            Status::internal("internal error")
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A fit that spins until its stop says so, counting checks.
    fn spin(stop: &Stop, checks: &AtomicUsize) -> &'static str {
        loop {
            checks.fetch_add(1, Ordering::Relaxed);
            match stop.check() {
                Ok(()) => std::thread::sleep(Duration::from_millis(1)),
                Err(crate::model::ModelError::Cancelled) => return "cancelled",
                Err(crate::model::ModelError::DeadlineExceeded) => return "deadline",
                Err(_) => return "budget",
            }
        }
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_a_freed_place_admits_again() {
        let pool = FitPool::new(FitLimits {
            threads: 1,
            queue: 1,
            budget: Duration::from_secs(30),
        });
        let released = Arc::new(AtomicBool::new(false));
        let wait = |pool: FitPool, released: Arc<AtomicBool>| {
            tokio::spawn(async move {
                pool.run(None, move |_, _| {
                    while !released.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                })
                .await
                .map(|()| "done")
            })
        };
        let first = wait(pool.clone(), released.clone());
        let second = wait(pool.clone(), released.clone());
        // Both places are taken once the first runs and the second waits.
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let started = Instant::now();
        let refused = pool.run(None, |_, _| ()).await.expect_err("queue full");
        assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
        assert!(refused.message().contains("fit queue limit"), "{refused:?}");
        assert!(started.elapsed() < Duration::from_millis(50));
        released.store(true, Ordering::Relaxed);
        assert_eq!(first.await.ok().and_then(Result::ok), Some("done"));
        assert_eq!(second.await.ok().and_then(Result::ok), Some("done"));
        // The control: with the places free again, a fit runs.
        assert_eq!(pool.run(None, |_, _| 7).await.ok(), Some(7));
    }

    #[tokio::test]
    async fn a_fit_is_given_every_thread_free_when_it_starts() {
        let pool = FitPool::new(FitLimits {
            threads: 2,
            queue: 1,
            budget: Duration::from_secs(30),
        });
        let lanes = |pool: FitPool| async move { pool.run(None, |_, lanes| lanes.count()).await };
        assert_eq!(lanes(pool.clone()).await.ok(), Some(2));
        // With one thread busy (held here, as another fit would), one lane.
        let busy = pool.running.clone().try_acquire_owned();
        assert!(busy.is_ok());
        assert_eq!(lanes(pool.clone()).await.ok(), Some(1));
        drop(busy);
        // Every thread is handed back when a fit ends.
        assert_eq!(pool.running.available_permits(), 2);
        assert_eq!(lanes(pool.clone()).await.ok(), Some(2));
    }

    #[tokio::test]
    async fn a_dropped_caller_stops_its_fit_and_frees_its_place() {
        let pool = FitPool::new(FitLimits {
            threads: 1,
            queue: 0,
            budget: Duration::from_secs(30),
        });
        let checks = Arc::new(AtomicUsize::new(0));
        let (answer, answered) = tokio::sync::oneshot::channel();
        let counted = checks.clone();
        let call = pool.run(None, move |stop, _| {
            let why = spin(stop, &counted);
            let _ = answer.send(why);
        });
        // The caller gives up after 100 ms: its future is dropped.
        let _ = tokio::time::timeout(Duration::from_millis(100), call).await;
        let why = tokio::time::timeout(Duration::from_secs(2), answered).await;
        assert_eq!(why.ok().and_then(Result::ok), Some("cancelled"));
        // Its place is free again once the fit has returned.
        let freed = tokio::time::timeout(Duration::from_secs(2), async {
            while pool.admitted.available_permits() == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        assert!(freed.await.is_ok(), "the place was never freed");
        assert_eq!(pool.run(None, |_, _| 1).await.ok(), Some(1));
        assert!(checks.load(Ordering::Relaxed) > 1);
    }

    #[tokio::test]
    async fn a_fit_stops_at_its_deadline_or_its_budget() {
        let pool = FitPool::new(FitLimits {
            threads: 1,
            queue: 0,
            budget: Duration::from_millis(150),
        });
        let checks = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let counted = checks.clone();
        let why = pool
            .run(
                Some(Instant::now() + Duration::from_millis(50)),
                move |stop, _| spin(stop, &counted),
            )
            .await;
        assert_eq!(why.ok(), Some("deadline"));
        assert!(started.elapsed() < Duration::from_millis(140));
        let counted = checks.clone();
        let why = pool.run(None, move |stop, _| spin(stop, &counted)).await;
        assert_eq!(why.ok(), Some("budget"));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
