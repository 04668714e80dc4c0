//! Minting: the authority block a gateway signs after it has validated the
//! user's OIDC token.

use std::time::{Duration, SystemTime};

use biscuit_auth::macros::{biscuit, fact};

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
        // Parsed when the mesh is compiled; only the values are set here.
        let mut builder = biscuit!(
            r#"
              user({principal});
              check if time($time), $time <= {expires};
            "#,
            principal = principal,
            expires = now + self.ttl,
        );
        for right in rights {
            builder = builder
                .fact(fact!(
                    "right({service}, {operation})",
                    service = right.service,
                    operation = right.operation,
                ))
                .map_err(CapabilityError::Build)?;
        }
        let token = builder
            .root_key_id(self.root.key_id)
            .build(&self.root.key_pair)
            .map_err(CapabilityError::Build)?;
        Ok(Capability::new(token, Some(principal.into())))
    }
}
