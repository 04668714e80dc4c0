//! The browser's OIDC bearer token.
//!
//! - [`validate`]: checks signature (against a JWKS), `iss`, `aud`, `exp` and
//!   the algorithm, and reads the subject and scopes.
//! - [`dev_issuer`]: a local issuer for `mesh up` and the tests.

pub mod dev_issuer;
mod validate;

pub use validate::{AuthError, Claims, JwtValidator};
