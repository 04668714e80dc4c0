//! The edge guard: authenticates the browser's bearer token, mints the
//! capability the call tree will use, and audits every call once answered
//! (refusals included). Health and reflection are open.

use std::{sync::Arc, time::SystemTime};

use http::Request;
use mesh_core::{
    capability::{Capability, CapabilityMinter, Right, bearer},
    guard::{Guard, GuardLayer, is_open},
    trace::current_trace,
};
use proto::store::AuditEntry;

use crate::{
    audit::{Auditor, code_name},
    oidc::{AuthError, JwtValidator},
    scopes,
};

const ANONYMOUS: &str = "anonymous";

/// Authenticates, mints and audits every public call.
#[derive(Debug)]
pub struct Edge {
    validator: JwtValidator,
    minter: Arc<CapabilityMinter>,
    auditor: Auditor,
}

impl Edge {
    pub fn layer(
        validator: JwtValidator,
        minter: Arc<CapabilityMinter>,
        auditor: Auditor,
    ) -> GuardLayer<Self> {
        GuardLayer::new(Self {
            validator,
            minter,
            auditor,
        })
    }

    fn authenticate<B>(
        &self,
        request: &mut Request<B>,
        method: &str,
    ) -> Result<Capability, tonic::Status> {
        let token = bearer(request).ok_or(AuthError::Missing)?;
        let claims = self.validator.validate(token)?;
        if let Some(scope) = scopes::required_scope(method)
            && !claims.scopes.contains(scope)
        {
            return Err(tonic::Status::permission_denied(format!(
                "token lacks the {scope} scope"
            )));
        }
        let rights: Vec<Right> = claims
            .scopes
            .iter()
            .flat_map(|scope| scopes::rights_of(scope))
            .copied()
            .collect();
        let principal = scopes::principal(&claims.issuer, &claims.subject);
        let capability = self.minter.mint(&principal, &rights, SystemTime::now())?;
        // The user's bearer token goes no further than the edge.
        request.headers_mut().remove(http::header::AUTHORIZATION);
        request.extensions_mut().insert(capability.clone());
        Ok(capability)
    }
}

impl Guard for Edge {
    /// The audit entry to complete with the answer; none for open methods.
    type Ticket = Option<AuditEntry>;

    fn admit<B>(&self, request: &mut Request<B>) -> Result<Self::Ticket, tonic::Status> {
        let method = request.uri().path().to_owned();
        if is_open(&method) {
            return Ok(None);
        }
        let mut entry = AuditEntry {
            principal: ANONYMOUS.into(),
            method: method.clone(),
            // The trace layer is outermost, so this is the call's own span.
            trace_id: current_trace().trace_id,
            ..Default::default()
        };
        match self.authenticate(request, &method) {
            Ok(capability) => {
                entry.principal = capability.principal().unwrap_or_else(|| ANONYMOUS.into());
                entry.revocation_ids = capability.revocation_ids();
                Ok(Some(entry))
            }
            Err(status) => {
                entry.status_code = code_name(status.code());
                self.auditor.record(entry);
                Err(status)
            }
        }
    }

    fn answered(&self, ticket: Self::Ticket, code: tonic::Code) {
        if let Some(mut entry) = ticket {
            entry.status_code = code_name(code);
            self.auditor.record(entry);
        }
    }
}
