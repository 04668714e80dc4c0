//! The one place internal messages become the gateway's public ones. The
//! public API has messages of its own (`forecastmesh.gateway.v1`) so that no
//! internal field — an idempotency key, a capability's revocation ids — is
//! public API, and internal contracts can change without breaking clients.
//!
//! A public message is the *twin* of an internal one: the same fields with
//! the same numbers and types, minus the internal ones, whose numbers it
//! declares `reserved`. Converting is then re-reading the internal message's
//! wire bytes as its twin: protobuf drops the fields the twin does not have.
//! [`twins`] (a test over the descriptors) proves every pair is so, nested
//! messages and enums included, and that every internal field is either in
//! the twin or reserved there — so a field added inside the mesh fails the
//! test until someone decides whether it is public.
//!
//! - [`twins`]: the pairs, and the proof that they are twins.

pub mod twins;

use prost::Message;

use crate::error::ApiError;

/// A message with a twin across the public boundary.
pub trait IntoPublic {
    /// The twin.
    type Public;

    /// Returns the twin, without the fields it does not have.
    fn into_public(self) -> Result<Self::Public, ApiError>;
}

impl<T: IntoPublic> IntoPublic for Option<T> {
    type Public = Option<T::Public>;

    fn into_public(self) -> Result<Self::Public, ApiError> {
        self.map(IntoPublic::into_public).transpose()
    }
}

impl<T: IntoPublic> IntoPublic for Vec<T> {
    type Public = Vec<T::Public>;

    fn into_public(self) -> Result<Self::Public, ApiError> {
        self.into_iter().map(IntoPublic::into_public).collect()
    }
}

/// Returns `message` read as its twin `T`.
pub fn rewrite<T: Message + Default>(message: &impl Message) -> Result<T, ApiError> {
    // Twins share field numbers and wire types (proved by the twins test),
    // so this cannot fail unless the contracts drift.
    T::decode(message.encode_to_vec().as_slice())
        .map_err(|error| ApiError::Internal(format!("public twin does not decode: {error}")))
}
