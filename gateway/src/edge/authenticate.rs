//! Authentication: the caller's bearer JWT, validated, becomes the
//! [`Principal`] later layers and handlers read. The token itself goes no
//! further than this layer.

use std::{collections::HashSet, sync::Arc};

use http::Request;
use mesh_core::capability::bearer;
use tonic::body::Body;

use super::{PublicCall, gate::Gate};
use crate::{
    error::ApiError,
    oidc::{AuthError, JwtValidator},
    scopes,
};

/// Who is calling, as the mesh knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// A hash of issuer and subject: no service sees the raw subject.
    pub id: Arc<str>,
    /// The scopes the token granted.
    pub scopes: Arc<HashSet<String>>,
}

/// The authentication gate.
#[derive(Debug)]
pub struct Authenticate {
    validator: JwtValidator,
}

impl Authenticate {
    pub fn new(validator: JwtValidator) -> Self {
        Self { validator }
    }
}

impl Gate for Authenticate {
    fn admit(&self, _: PublicCall, request: &mut Request<Body>) -> Result<(), ApiError> {
        let token = bearer(request).ok_or(AuthError::Missing)?;
        let claims = self.validator.validate(token)?;
        let principal = Principal {
            id: scopes::principal(&claims.issuer, &claims.subject).into(),
            scopes: Arc::new(claims.scopes),
        };
        request.headers_mut().remove(http::header::AUTHORIZATION);
        request.extensions_mut().insert(principal);
        Ok(())
    }
}
