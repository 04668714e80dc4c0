//! Authorization at the receiver, with facts only the receiver can vouch for.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, SystemTime},
};

use biscuit_auth::{
    AuthorizerBuilder, AuthorizerLimits, Biscuit,
    builder::{date, string},
    error::{FailedCheck, Logic, MatchedPolicy, Token},
};

use super::{Capability, PublicKeySet};
use crate::identity::SpiffeId;

/// Why a token was refused, and what the caller is told.
#[derive(Debug, thiserror::Error)]
pub enum CapabilityError {
    #[error("missing capability token")]
    Missing,
    #[error("capability token is malformed or badly signed")]
    Invalid(#[source] Token),
    #[error("capability token has expired")]
    Expired,
    #[error("capability token does not allow {method} on {service}")]
    Denied {
        service: String,
        method: String,
        reason: String,
    },
    #[error("capability token could not be built: {0}")]
    Build(#[source] Token),
    #[error("capability token could not be encoded: {0}")]
    Encode(#[source] Token),
}

impl From<CapabilityError> for tonic::Status {
    fn from(error: CapabilityError) -> Self {
        match &error {
            CapabilityError::Missing | CapabilityError::Invalid(_) | CapabilityError::Expired => {
                tonic::Status::unauthenticated(error.to_string())
            }
            CapabilityError::Denied { .. } => tonic::Status::permission_denied(error.to_string()),
            CapabilityError::Build(_) | CapabilityError::Encode(_) => {
                tracing::warn!(%error, "capability token handling failed");
                tonic::Status::internal("internal error")
            }
        }
    }
}

/// What the receiver knows about a call, independent of the token.
#[derive(Clone, Debug)]
pub struct CallFacts<'a> {
    /// The receiver's own service name.
    pub service: &'a str,
    /// The full method name from the request path.
    pub method: &'a str,
    /// The caller's SPIFFE id from its client certificate.
    pub caller: &'a SpiffeId,
    /// The operation the method needs: `right(service, operation)`.
    pub operation: &'a str,
    pub now: SystemTime,
}

/// Verifies tokens against the mesh's root public keys.
#[derive(Clone, Debug)]
pub struct CapabilityVerifier {
    keys: PublicKeySet,
    limits: AuthorizerLimits,
}

impl CapabilityVerifier {
    pub fn new(keys: PublicKeySet) -> Self {
        // The crate's default 1 ms budget refuses valid tokens on a loaded
        // two-core machine; our policies are a handful of facts and checks, so a
        // generous time limit costs nothing while the fact and iteration caps
        // still bound hostile tokens.
        let limits = AuthorizerLimits {
            max_facts: 1000,
            max_iterations: 100,
            max_time: Duration::from_millis(250),
        };
        Self { keys, limits }
    }

    /// Parses `token`, checks its signatures and authorizes it for `facts`.
    pub fn authorize(
        &self,
        token: &str,
        facts: &CallFacts<'_>,
    ) -> Result<Capability, CapabilityError> {
        let biscuit =
            Biscuit::from_base64(token.trim(), &self.keys).map_err(CapabilityError::Invalid)?;
        let params = HashMap::from([
            ("service".to_owned(), string(facts.service)),
            ("method".to_owned(), string(facts.method)),
            ("caller".to_owned(), string(facts.caller.as_str())),
            ("operation".to_owned(), string(facts.operation)),
            ("now".to_owned(), date(&facts.now)),
        ]);
        let source = "service({service}); method({method}); caller({caller}); time({now});\n\
                      allow if right({service}, {operation});";
        let denied = |reason: String| CapabilityError::Denied {
            service: facts.service.to_owned(),
            method: facts.method.to_owned(),
            reason,
        };
        let mut authorizer = AuthorizerBuilder::new()
            .code_with_params(source, params, HashMap::new())
            .map_err(CapabilityError::Build)?
            .set_limits(self.limits.clone())
            .build(&biscuit)
            .map_err(|e| denied(e.to_string()))?;
        match authorizer.authorize() {
            Ok(_) => {
                // Only the authority block can state the user: queries trust it alone.
                let principal = authorizer
                    .query::<_, (String,), _>("principal($user) <- user($user)")
                    .ok()
                    .and_then(|users| users.into_iter().next())
                    .map(|(user,)| Arc::<str>::from(user));
                Ok(Capability::new(biscuit, principal))
            }
            Err(Token::FailedLogic(logic)) if only_time_checks_failed(&logic) => {
                Err(CapabilityError::Expired)
            }
            Err(error) => Err(denied(error.to_string())),
        }
    }
}

/// True when the token failed only because a `time` check did: it expired,
/// which is an authentication failure rather than a missing right.
fn only_time_checks_failed(logic: &Logic) -> bool {
    // Only when an allow policy matched: a token that also lacks the right is denied.
    let Logic::Unauthorized {
        policy: MatchedPolicy::Allow(_),
        checks,
    } = logic
    else {
        return false;
    };
    !checks.is_empty()
        && checks.iter().all(|check| {
            let rule = match check {
                FailedCheck::Block(block) => &block.rule,
                FailedCheck::Authorizer(authorizer) => &authorizer.rule,
            };
            rule.starts_with("check if time($time), $time <= ")
        })
}

#[cfg(test)]
mod tests;
