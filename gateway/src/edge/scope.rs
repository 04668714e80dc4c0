//! Scope: a public method needs the scope [`scopes::access`] names for it;
//! a method the table does not name is refused (deny by default).

use http::Request;
use tonic::body::Body;

use super::{Principal, PublicCall, gate::Gate};
use crate::{
    error::ApiError,
    scopes::{self, Access},
};

/// The scope gate; runs after authentication.
#[derive(Clone, Copy, Debug)]
pub struct Scope;

impl Gate for Scope {
    fn admit(&self, call: PublicCall, request: &mut Request<Body>) -> Result<(), ApiError> {
        let principal = request
            .extensions()
            .get::<Principal>()
            .ok_or_else(|| ApiError::Internal("scope checked before authentication".into()))?;
        match scopes::access(call.method) {
            Some(Access::AnyUser) => Ok(()),
            Some(Access::Scope(scope)) if principal.scopes.contains(scope) => Ok(()),
            Some(Access::Scope(scope)) => Err(ApiError::MissingScope(scope)),
            None => Err(ApiError::Internal(format!(
                "no access rule for {}",
                call.method
            ))),
        }
    }
}
