//! Revoked credentials: capability blocks (by revocation id) and bearer
//! tokens (by `jti`) that the store lists and every service refuses.
//!
//! Each service keeps the list in memory ([`RevocationList`]) and follows
//! the store's ([`follow`]): a refresh every few seconds reads the newest
//! revocations until it meets one it knows, and every
//! [`FULL_REFRESH_EVERY`]th refresh reads them all, so a revocation whose
//! write committed after a newer one's is not missed for long. While the
//! store cannot be read the last list read stays in force: a store outage
//! neither forgets revocations nor stops the mesh.

mod follow;

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
    time::{SystemTime, UNIX_EPOCH},
};

use proto::store::{Revocation, RevocationKind};

use crate::capability::Capability;

pub use follow::{
    FULL_REFRESH_EVERY, PageFuture, RevocationPage, RevocationSource, StoreSource, follow,
};

/// The revocations one service knows, shared by everything that checks.
#[derive(Clone, Debug, Default)]
pub struct RevocationList {
    revoked: Arc<RwLock<Revoked>>,
}

/// Revoked credential ids, each with when it may be forgotten (Unix ms; 0
/// never).
#[derive(Debug, Default)]
struct Revoked {
    capabilities: HashMap<String, i64>,
    token_ids: HashMap<String, i64>,
}

impl Revoked {
    fn of_kind(&mut self, kind: RevocationKind) -> Option<&mut HashMap<String, i64>> {
        match kind {
            RevocationKind::Capability => Some(&mut self.capabilities),
            RevocationKind::TokenId => Some(&mut self.token_ids),
            RevocationKind::Unspecified => None,
        }
    }

    fn insert(&mut self, revocation: &Revocation) {
        if let Some(ids) = self.of_kind(revocation.kind()) {
            ids.insert(
                revocation.credential_id.clone(),
                revocation.expires_at_unix_ms,
            );
        }
    }

    fn contains(&mut self, revocation: &Revocation) -> bool {
        self.of_kind(revocation.kind())
            .is_some_and(|ids| ids.contains_key(&revocation.credential_id))
    }

    fn forget_expired(&mut self, now_ms: i64) {
        let live = |_: &String, expires: &mut i64| *expires == 0 || *expires > now_ms;
        self.capabilities.retain(live);
        self.token_ids.retain(live);
    }

    fn len(&self) -> usize {
        self.capabilities.len() + self.token_ids.len()
    }
}

impl RevocationList {
    /// Returns true when any of a token's block revocation ids (hex) is revoked.
    pub fn any_capability_revoked<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> bool {
        let revoked = self.read();
        if revoked.capabilities.is_empty() {
            return false;
        }
        ids.into_iter()
            .any(|id| revoked.capabilities.contains_key(id))
    }

    /// Returns true when one of `capability`'s blocks is revoked. With no
    /// block revoked (the usual case) the token's ids are not even read:
    /// this runs on every internal call.
    pub fn revokes(&self, capability: &Capability) -> bool {
        if self.read().capabilities.is_empty() {
            return false;
        }
        self.any_capability_revoked(capability.revocation_ids().iter().map(String::as_str))
    }

    /// Returns true when the bearer token with this `jti` is revoked.
    pub fn token_revoked(&self, jti: &str) -> bool {
        self.read().token_ids.contains_key(jti)
    }

    /// How many revocations are in force.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `revocations`; returns whether one of them was known already.
    pub fn add(&self, revocations: &[Revocation]) -> bool {
        let mut revoked = self.write();
        let mut met_known = false;
        for revocation in revocations {
            met_known |= revoked.contains(revocation);
            revoked.insert(revocation);
        }
        met_known
    }

    /// Replaces the whole list with `revocations`.
    pub(crate) fn replace(&self, revocations: &[Revocation]) {
        let mut fresh = Revoked::default();
        for revocation in revocations {
            fresh.insert(revocation);
        }
        *self.write() = fresh;
    }

    /// Forgets revocations of credentials that have expired anyway.
    pub(crate) fn forget_expired(&self, now: SystemTime) {
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        self.write().forget_expired(now_ms);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Revoked> {
        self.revoked.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Revoked> {
        self.revoked.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    pub(super) fn revocation(
        kind: RevocationKind,
        id: &str,
        expires_at_unix_ms: i64,
    ) -> Revocation {
        Revocation {
            kind: kind as i32,
            credential_id: id.into(),
            expires_at_unix_ms,
            ..Revocation::default()
        }
    }

    #[test]
    fn a_revoked_block_revokes_every_token_holding_it_and_kinds_stay_apart() {
        let list = RevocationList::default();
        list.add(&[
            revocation(RevocationKind::Capability, "ab01", 0),
            revocation(RevocationKind::TokenId, "jti-1", 0),
        ]);
        assert!(list.any_capability_revoked(["ffff", "ab01"]));
        assert!(!list.any_capability_revoked(["ffff", "cd02"]));
        assert!(list.token_revoked("jti-1"));
        assert!(!list.token_revoked("ab01"), "a block id is no token id");
        assert!(
            !list.any_capability_revoked(["jti-1"]),
            "a token id is no block id"
        );
    }

    #[test]
    fn a_capability_is_revoked_by_any_of_its_blocks()
    -> Result<(), crate::capability::CapabilityError> {
        use crate::capability::{CapabilityMinter, RootKey, rights::WAREHOUSE_READ};
        let capability = CapabilityMinter::new(RootKey::generate(1), Duration::from_secs(60))
            .mint("p", &[WAREHOUSE_READ], SystemTime::now())?;
        let list = RevocationList::default();
        assert!(!list.revokes(&capability));
        list.add(&[revocation(RevocationKind::Capability, "00ff", 0)]);
        assert!(!list.revokes(&capability), "another block");
        list.add(&[revocation(
            RevocationKind::Capability,
            &capability.revocation_ids()[0],
            0,
        )]);
        assert!(list.revokes(&capability));
        Ok(())
    }

    #[test]
    fn adding_reports_meeting_a_known_revocation() {
        let list = RevocationList::default();
        assert!(!list.add(&[revocation(RevocationKind::TokenId, "a", 0)]));
        assert!(list.add(&[
            revocation(RevocationKind::TokenId, "b", 0),
            revocation(RevocationKind::TokenId, "a", 0),
        ]));
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn expired_revocations_are_forgotten_and_the_rest_kept() {
        let list = RevocationList::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        list.add(&[
            revocation(RevocationKind::TokenId, "gone", 999_000),
            revocation(RevocationKind::TokenId, "later", 1_001_000),
            revocation(RevocationKind::Capability, "forever", 0),
        ]);
        list.forget_expired(now);
        assert!(!list.token_revoked("gone"));
        assert!(list.token_revoked("later"));
        assert!(list.any_capability_revoked(["forever"]));
    }

    #[test]
    fn replacing_drops_what_the_store_no_longer_lists() {
        let list = RevocationList::default();
        list.add(&[revocation(RevocationKind::TokenId, "old", 0)]);
        list.replace(&[revocation(RevocationKind::TokenId, "new", 0)]);
        assert!(!list.token_revoked("old"));
        assert!(list.token_revoked("new"));
    }

    #[test]
    fn an_unspecified_kind_revokes_nothing() {
        let list = RevocationList::default();
        list.add(&[revocation(RevocationKind::Unspecified, "x", 0)]);
        assert!(list.is_empty());
    }
}
