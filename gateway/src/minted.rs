//! Minted capabilities reused for a short while per principal and rights:
//! signing an authority block was a third of the edge's CPU per call, and a
//! person's calls come in bursts that need the same block. The audit
//! drainer's batches share one too: minting, narrowing and authorizing a
//! fresh capability for every batch cost more than the batch's writes. Each call still
//! gets its own narrowed blocks (appended per hop, each with its own
//! revocation id); calls within one reuse window share the authority
//! block's revocation id, so revoking that id revokes all of them; a
//! revoked block is never handed out again, the next call gets a new one.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use mesh_core::{
    capability::{Capability, CapabilityError, CapabilityMinter, Right},
    revocation::RevocationList,
};
use quick_cache::sync::Cache;

/// The most (principal, rights) pairs kept: beyond it the least used go.
const MAX_KEPT: usize = 4096;

/// Mints, or hands out the capability minted for the same principal and
/// rights less than a sixth of a token's lifetime ago: every token handed
/// out keeps at least five sixths of its lifetime for its call tree.
#[derive(Debug)]
pub(crate) struct MintedCapabilities {
    minter: Arc<CapabilityMinter>,
    reuse_for: Duration,
    revoked: RevocationList,
    kept: Cache<(Arc<str>, Vec<Right>), (Instant, Capability)>,
}

impl MintedCapabilities {
    pub(crate) fn new(minter: Arc<CapabilityMinter>, revoked: RevocationList) -> Self {
        Self {
            reuse_for: minter.ttl() / 6,
            minter,
            revoked,
            kept: Cache::new(MAX_KEPT),
        }
    }

    /// Returns a capability for `principal` holding exactly `rights`.
    pub(crate) fn get(
        &self,
        principal: &str,
        rights: &[Right],
    ) -> Result<Capability, CapabilityError> {
        let key = (Arc::<str>::from(principal), rights.to_vec());
        if let Some((minted_at, capability)) = self.kept.get(&key)
            && minted_at.elapsed() < self.reuse_for
            && !self.revoked.revokes(&capability)
        {
            return Ok(capability);
        }
        let capability = self.minter.mint(principal, rights, SystemTime::now())?;
        self.kept.insert(key, (Instant::now(), capability.clone()));
        Ok(capability)
    }
}

#[cfg(test)]
mod tests {
    use mesh_core::capability::{
        RootKey,
        rights::{STORE_WRITE, WAREHOUSE_READ},
    };

    use super::*;

    fn minted(ttl: Duration) -> MintedCapabilities {
        MintedCapabilities::new(
            Arc::new(CapabilityMinter::new(RootKey::generate(1), ttl)),
            RevocationList::default(),
        )
    }

    fn authority_id(capability: &Capability) -> String {
        capability.revocation_ids()[0].clone()
    }

    #[test]
    fn one_principal_and_rights_share_a_block_within_the_window() -> Result<(), CapabilityError> {
        let minted = minted(Duration::from_secs(60));
        let first = minted.get("alice", &[WAREHOUSE_READ])?;
        let again = minted.get("alice", &[WAREHOUSE_READ])?;
        assert_eq!(authority_id(&first), authority_id(&again));

        // Another principal, or other rights, get a block of their own.
        let bob = minted.get("bob", &[WAREHOUSE_READ])?;
        let more = minted.get("alice", &[WAREHOUSE_READ, STORE_WRITE])?;
        assert_ne!(authority_id(&bob), authority_id(&first));
        assert_ne!(authority_id(&more), authority_id(&first));
        assert_eq!(bob.principal().as_deref(), Some("bob"));
        Ok(())
    }

    #[test]
    fn past_a_sixth_of_its_lifetime_a_block_is_minted_anew() -> Result<(), CapabilityError> {
        // A sixth of 600 ms is 100 ms.
        let minted = minted(Duration::from_millis(600));
        let first = minted.get("alice", &[WAREHOUSE_READ])?;
        std::thread::sleep(Duration::from_millis(150));
        let later = minted.get("alice", &[WAREHOUSE_READ])?;
        assert_ne!(authority_id(&first), authority_id(&later));
        Ok(())
    }

    #[test]
    fn a_revoked_block_is_not_handed_out_again() -> Result<(), CapabilityError> {
        let minted = minted(Duration::from_secs(60));
        let first = minted.get("alice", &[WAREHOUSE_READ])?;
        minted.revoked.add(&[proto::store::Revocation {
            kind: proto::store::RevocationKind::Capability as i32,
            credential_id: authority_id(&first),
            ..Default::default()
        }]);
        let next = minted.get("alice", &[WAREHOUSE_READ])?;
        assert_ne!(authority_id(&first), authority_id(&next));
        Ok(())
    }
}
