//! Biscuit capability tokens: minted at the edge, narrowed on every hop,
//! authorized by each receiver with facts it knows itself.
//!
//! - [`keys`]: root key pairs (the gateway) and public key sets (everyone else).
//! - [`mint`]: the authority block stating who the user is and what they may do.
//! - [`narrow`]: the block a caller appends to confine a token to one call.
//! - [`verify`]: a receiver's authorization and the error each failure maps to.
//! - [`limits`]: the hard limits on a token's size and shape, checked before
//!   it is verified or evaluated.
//! - [`server_layer`] / [`client_layer`]: the tower layers that do the above
//!   per request, the caller reusing a narrowed token for a few seconds and
//!   the receiver a grant (`authorized`) for two.

mod authorized;
mod client_layer;
mod keys;
pub mod limits;
mod mint;
mod narrow;
mod server_layer;
mod verify;

use std::sync::Arc;

use biscuit_auth::Biscuit;

pub use client_layer::{NarrowLayer, NarrowToCall};
pub use keys::{KeyError, PublicKeySet, RootKey};
pub use mint::CapabilityMinter;
pub use narrow::{CallPlan, Hop, narrow};
pub use proto::policy::{Right, rights};
pub use server_layer::{Authorize, AuthorizeLayer, MethodRights, bearer};
pub use verify::{CallFacts, CapabilityError, CapabilityVerifier};

/// A verified (or freshly minted) capability token, carried in request
/// extensions: from the server layer to the handler, and from the handler to
/// the client layer that narrows it for the next hop.
#[derive(Clone, Debug)]
pub struct Capability {
    token: Arc<Biscuit>,
    /// The hashed user the authority block names: known when minted, read
    /// by the authorizer when verified, kept as the token is narrowed.
    principal: Option<Arc<str>>,
}

impl Capability {
    pub(crate) fn new(token: Biscuit, principal: Option<Arc<str>>) -> Self {
        Self {
            token: Arc::new(token),
            principal,
        }
    }

    pub fn token(&self) -> &Biscuit {
        &self.token
    }

    /// Returns the revocation ids of every block, hex-encoded.
    pub fn revocation_ids(&self) -> Vec<String> {
        self.token
            .revocation_identifiers()
            .iter()
            .map(hex::encode)
            .collect()
    }

    /// Returns the hashed principal stated in the authority block, if any.
    pub fn principal(&self) -> Option<String> {
        self.principal.as_deref().map(str::to_owned)
    }

    /// The same principal with a narrower token.
    pub(crate) fn narrowed(&self, token: Biscuit) -> Self {
        Self::new(token, self.principal.clone())
    }

    /// Returns the token base64-encoded, as it travels in `authorization`.
    pub fn to_base64(&self) -> Result<String, CapabilityError> {
        self.token.to_base64().map_err(CapabilityError::Encode)
    }
}
