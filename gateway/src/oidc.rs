//! The browser's OIDC bearer token.
//!
//! - [`validate`]: checks signature (against a JWKS), `iss`, `aud`, `exp` and
//!   the algorithm, and reads the subject and scopes.
//! - [`jwks`]: the issuer's keys, from a file or fetched from a URL and kept
//!   fresh; [`fetch`] is the one HTTP GET that fetches them.
//! - [`dev_issuer`]: a local issuer for `mesh up` and the tests.

pub mod dev_issuer;
pub mod fetch;
pub mod jwks;
mod validate;

pub use jwks::{JwksSource, KeySet, Refresh};
pub use validate::{AuthError, Claims, JwksError, JwtValidator};
