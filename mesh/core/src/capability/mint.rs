//! Minting: the authority block a gateway signs after it has validated the
//! user's OIDC token.

use std::{
    collections::HashMap,
    time::{Duration, SystemTime},
};

use biscuit_auth::{
    Biscuit,
    builder::{Term, date, string},
};

use super::{Capability, CapabilityError, Right, RootKey};

/// Mints capability tokens with the mesh's root key.
#[derive(Debug)]
pub struct CapabilityMinter {
    root: RootKey,
    ttl: Duration,
}

impl CapabilityMinter {
    /// Tokens live for `ttl`: long enough for one request's whole call tree.
    pub fn new(root: RootKey, ttl: Duration) -> Self {
        Self { root, ttl }
    }

    /// How long a minted token lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Mints a token for `principal` (already hashed: never a raw subject)
    /// holding `rights`, valid until `now + ttl`.
    pub fn mint(
        &self,
        principal: &str,
        rights: &[Right],
        now: SystemTime,
    ) -> Result<Capability, CapabilityError> {
        let mut source = String::from("user({principal});\n");
        for right in rights {
            source.push_str(&format!(
                "right({:?}, {:?});\n",
                right.service, right.operation
            ));
        }
        source.push_str("check if time($time), $time <= {expires};\n");
        let params = HashMap::from([
            ("principal".to_owned(), string(principal)),
            ("expires".to_owned(), expires(now, self.ttl)),
        ]);
        let token = Biscuit::builder()
            .code_with_params(source, params, HashMap::new())
            .map_err(CapabilityError::Build)?
            .root_key_id(self.root.key_id)
            .build(&self.root.key_pair)
            .map_err(CapabilityError::Build)?;
        Ok(Capability::new(token, Some(principal.into())))
    }
}

pub(crate) fn expires(now: SystemTime, ttl: Duration) -> Term {
    date(&(now + ttl))
}
