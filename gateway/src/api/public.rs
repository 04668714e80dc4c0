//! The one place internal messages become the gateway's public ones. The
//! public API has messages of its own (`forecastmesh.gateway.v1`) so that no
//! internal field — an idempotency key, a capability's revocation ids — is
//! public API, and internal contracts can change without breaking clients.
//!
//! Each conversion destructures the internal message completely, so a field
//! added inside the mesh fails to compile here until someone decides whether
//! it is public.
//!
//! - [`warehouse`]: KPIs, daily sales, ad-hoc query answers.
//! - [`forecaster`]: forecasts; inline series, inbound.
//! - [`store`]: recorded runs and audit entries.

pub mod forecaster;
pub mod store;
pub mod warehouse;

/// An internal message with a public counterpart.
pub trait IntoPublic {
    /// The gateway's own message.
    type Public;

    /// Returns the public message, without internal fields.
    fn into_public(self) -> Self::Public;
}

impl<T: IntoPublic> IntoPublic for Option<T> {
    type Public = Option<T::Public>;

    fn into_public(self) -> Self::Public {
        self.map(IntoPublic::into_public)
    }
}

impl<T: IntoPublic> IntoPublic for Vec<T> {
    type Public = Vec<T::Public>;

    fn into_public(self) -> Self::Public {
        self.into_iter().map(IntoPublic::into_public).collect()
    }
}
