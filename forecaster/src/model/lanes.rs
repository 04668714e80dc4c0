//! Independent fits side by side. A backtest's fits (every candidate from
//! every origin, then the chosen one on the whole history and from the
//! calibration's origins) read the same history and share nothing, so a fit
//! given more than one thread (lane) spreads them over its lanes. Answers
//! come back in the order asked: a fit chooses the same on one lane or many.
//!
//! The lanes are the fit pool's to hand out ([`crate::fit::FitPool`]): a fit
//! that starts while other fits hold the threads gets one lane, so the pool's
//! bound on threads holds however the lanes are used.

use std::{
    num::NonZeroUsize,
    sync::atomic::{AtomicUsize, Ordering},
};

/// How many threads one fit may run on, its own among them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lanes(NonZeroUsize);

impl Lanes {
    /// The fit's own thread alone.
    pub const ONE: Lanes = Lanes(NonZeroUsize::MIN);

    /// `count` lanes, at least one.
    pub fn new(count: usize) -> Self {
        Self(NonZeroUsize::new(count).unwrap_or(NonZeroUsize::MIN))
    }

    pub fn count(self) -> usize {
        self.0.get()
    }

    /// Returns `work` of every item, in the items' order, computed on up to
    /// this many threads: this one and scoped helpers that each take the
    /// next item not yet taken. A panic in `work` is raised here.
    pub fn map<T: Sync, R: Send>(self, items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
        let threads = self.count().min(items.len());
        if threads <= 1 {
            return items.iter().map(work).collect();
        }
        let next = AtomicUsize::new(0);
        let work_through = || {
            let mut done = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else {
                    return done;
                };
                done.push((index, work(item)));
            }
        };
        let mut answers: Vec<Option<R>> = items.iter().map(|_| None).collect();
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work_through)).collect();
            let mut place = |done: Vec<(usize, R)>| {
                for (index, answer) in done {
                    answers[index] = Some(answer);
                }
            };
            place(work_through());
            for helper in helpers {
                match helper.join() {
                    Ok(done) => place(done),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
        answers
            .into_iter()
            .map(|answer| answer.expect("every index below the items' length was taken once"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::HashSet, sync::Mutex, thread::ThreadId};

    use super::*;

    #[test]
    fn answers_come_back_in_the_items_order_on_any_number_of_lanes() {
        let items: Vec<u64> = (0..50).collect();
        for lanes in [1, 2, 3, 64] {
            let squares = Lanes::new(lanes).map(&items, |x| x * x);
            assert_eq!(squares, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
        assert_eq!(Lanes::new(0), Lanes::ONE);
        assert!(Lanes::new(4).map(&[] as &[u8], |_| 1).is_empty());
    }

    /// Returns how many threads `lanes` ran sixteen items on.
    fn threads_used(lanes: Lanes) -> usize {
        let threads = Mutex::new(HashSet::<ThreadId>::new());
        let items: Vec<u32> = (0..16).collect();
        lanes.map(&items, |_| {
            threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(std::thread::current().id());
            // Long enough that every lane takes an item.
            std::thread::sleep(std::time::Duration::from_millis(5));
        });
        threads
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    #[test]
    fn work_spreads_over_the_lanes_and_never_over_more() {
        assert_eq!(threads_used(Lanes::new(3)), 3);
        assert_eq!(threads_used(Lanes::ONE), 1);
    }

    #[test]
    fn a_panic_in_a_helper_reaches_the_caller() {
        let items: Vec<u32> = (0..8).collect();
        let outcome = std::panic::catch_unwind(|| {
            Lanes::new(2).map(&items, |x| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                assert!(*x != 5, "item five");
                *x
            })
        });
        assert!(outcome.is_err());
    }
}
