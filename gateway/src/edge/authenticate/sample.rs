//! A sample of refused bearer tokens in the log. Refusals before
//! authentication have no principal and are never audited (anyone could
//! fill the log); each is counted by reason, and the first of each reason
//! in every [`WINDOW`] is logged with its peer and the number refused since
//! the last line. An operator sees who is knocking and how hard, and a
//! flood of bad tokens writes one line per reason per window.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// How often each reason is logged at most.
pub(super) const WINDOW: Duration = Duration::from_secs(10);

/// When each reason was last logged, and how many refusals went unlogged since.
#[derive(Debug, Default)]
pub(super) struct RefusalSample {
    by_reason: Mutex<HashMap<&'static str, (Instant, u64)>>,
}

impl RefusalSample {
    /// Notes one refusal; logs it if it is the first of its reason in the
    /// window, with how many others went unlogged before it.
    pub(super) fn refused(&self, reason: &'static str, peer: Option<IpAddr>) {
        if let Some(unlogged) = self.sampled(reason, Instant::now()) {
            tracing::warn!(
                reason,
                peer = ?peer,
                refused_since_last_line = unlogged + 1,
                "bearer token refused (one line per reason every 10 s)"
            );
        }
    }

    /// Returns the refusals unlogged before this one if this one is to be
    /// logged, `None` if it is only counted.
    fn sampled(&self, reason: &'static str, now: Instant) -> Option<u64> {
        let mut by_reason = self
            .by_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match by_reason.get_mut(reason) {
            Some((last, unlogged)) if now.duration_since(*last) < WINDOW => {
                *unlogged += 1;
                None
            }
            Some((last, unlogged)) => {
                let before = std::mem::take(unlogged);
                *last = now;
                Some(before)
            }
            None => {
                by_reason.insert(reason, (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_refusal_per_reason_and_window_is_logged_with_the_count_before_it() {
        let sample = RefusalSample::default();
        let start = Instant::now();
        assert_eq!(sample.sampled("expired", start), Some(0));
        for _ in 0..999 {
            assert_eq!(sample.sampled("expired", start + WINDOW / 2), None);
        }
        assert_eq!(
            sample.sampled("bad_signature", start),
            Some(0),
            "each reason has its own window"
        );
        assert_eq!(sample.sampled("expired", start + WINDOW), Some(999));
        assert_eq!(sample.sampled("expired", start + WINDOW), None);
    }
}
