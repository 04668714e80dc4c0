//! Tokens a receiver authorized a moment ago. Verifying a token's three
//! signatures and running its Datalog was most of an internal call's CPU,
//! and the callers reuse a narrowed token for a few seconds
//! ([`super::client_layer`]), so a receiver that authorized a token for one
//! caller and method keeps the verdict for [`KEEP`]. Only grants are kept:
//! a refusal is worked out again every time. The key is the token's
//! SHA-256 with the method and the caller's identity, the only facts the
//! verdict depends on besides the time; the revocation list is checked on
//! every call, kept or not.

use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

use super::Capability;
use crate::identity::SpiffeId;

/// How long a grant is kept: a token authorized at `t` passes until
/// `t + KEEP`, even if one of its time checks ran out in between.
pub(crate) const KEEP: Duration = Duration::from_secs(2);
/// Grants kept at most; beyond it the least used go.
const MAX_KEPT: usize = 4096;

type Key = ([u8; 32], String, SpiffeId);

/// Recent grants, by token, method and caller.
#[derive(Debug)]
pub(crate) struct Authorized {
    keep: Duration,
    kept: Cache<Key, (Instant, Capability)>,
}

impl Default for Authorized {
    fn default() -> Self {
        Self::keeping_for(KEEP)
    }
}

impl Authorized {
    fn keeping_for(keep: Duration) -> Self {
        Self {
            keep,
            kept: Cache::new(MAX_KEPT),
        }
    }

    /// Returns the capability `token` was granted as for `method` by
    /// `caller` less than [`KEEP`] ago, or authorizes it with `authorize`
    /// and keeps a grant.
    pub(crate) fn get_or_authorize<E>(
        &self,
        token: &str,
        method: &str,
        caller: &SpiffeId,
        authorize: impl FnOnce() -> Result<Capability, E>,
    ) -> Result<Capability, E> {
        let key = (
            Sha256::digest(token.as_bytes()).into(),
            method.to_owned(),
            caller.clone(),
        );
        if let Some((granted_at, capability)) = self.kept.get(&key)
            && granted_at.elapsed() < self.keep
        {
            return Ok(capability);
        }
        let capability = authorize()?;
        self.kept.insert(key, (Instant::now(), capability.clone()));
        Ok(capability)
    }
}

#[cfg(test)]
mod tests {
    use std::{cell::Cell, time::SystemTime};

    use super::*;
    use crate::capability::{CapabilityMinter, RootKey, rights::WAREHOUSE_READ};

    /// Asks `authorized` about `token`, with an authorization that counts
    /// its runs in `runs` and grants (or, with `grants` false, refuses).
    fn ask(
        authorized: &Authorized,
        runs: &Cell<u32>,
        (token, method, caller): (&str, &str, &SpiffeId),
        grants: bool,
    ) -> bool {
        authorized
            .get_or_authorize(token, method, caller, || {
                runs.set(runs.get() + 1);
                if grants { Ok(capability()) } else { Err(()) }
            })
            .is_ok()
    }

    fn capability() -> Capability {
        CapabilityMinter::new(RootKey::generate(1), Duration::from_secs(60))
            .mint("p", &[WAREHOUSE_READ], SystemTime::now())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_grant_is_kept_per_token_method_and_caller_and_refusals_are_not() {
        let (authorized, runs) = (Authorized::default(), Cell::new(0));
        let gateway = SpiffeId::workload("t", "n", "gateway");
        let forecaster = SpiffeId::workload("t", "n", "forecaster");
        assert!(ask(&authorized, &runs, ("tok", "/m", &gateway), true));
        assert!(ask(&authorized, &runs, ("tok", "/m", &gateway), true));
        assert_eq!(runs.get(), 1, "the second call used the grant");
        for other in [
            ("tok", "/other", &gateway),
            ("tok", "/m", &forecaster),
            ("tok2", "/m", &gateway),
        ] {
            assert!(ask(&authorized, &runs, other, true));
        }
        assert_eq!(
            runs.get(),
            4,
            "another method, caller or token is authorized anew"
        );

        assert!(!ask(&authorized, &runs, ("bad", "/m", &gateway), false));
        assert!(!ask(&authorized, &runs, ("bad", "/m", &gateway), false));
        assert_eq!(runs.get(), 6, "a refusal is never kept");
    }

    #[test]
    fn a_grant_is_worked_out_again_once_it_is_older_than_the_window() {
        let authorized = Authorized::keeping_for(Duration::from_millis(30));
        let runs = Cell::new(0);
        let caller = SpiffeId::workload("t", "n", "gateway");
        assert!(ask(&authorized, &runs, ("tok", "/m", &caller), true));
        std::thread::sleep(Duration::from_millis(40));
        assert!(ask(&authorized, &runs, ("tok", "/m", &caller), true));
        assert_eq!(runs.get(), 2);
    }
}
