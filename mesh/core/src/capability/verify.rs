//! Authorization at the receiver, with facts only the receiver can vouch for.

use std::{sync::Arc, time::SystemTime};

use biscuit_auth::{
    AuthorizerLimits, Biscuit,
    error::{FailedCheck, Logic, MatchedPolicy, RunLimit, Token},
    macros::{authorizer, rule},
};

use super::{
    Capability, PublicKeySet,
    limits::{self, OverLimit, RunLimits, TokenLimits},
};
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
    /// Refused on its size or shape, before it was verified or evaluated.
    #[error(transparent)]
    OverLimit(OverLimit),
    /// Its evaluation reached the authorizer's run limits.
    #[error("capability token exceeds the {limit} limit of its evaluation")]
    RunLimit { limit: &'static str },
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
            CapabilityError::Missing
            | CapabilityError::Invalid(_)
            | CapabilityError::Expired
            | CapabilityError::OverLimit(_)
            | CapabilityError::RunLimit { .. } => tonic::Status::unauthenticated(error.to_string()),
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

/// Verifies tokens against the mesh's root public keys, within hard limits
/// on their shape (checked first) and on their evaluation.
#[derive(Clone, Debug)]
pub struct CapabilityVerifier {
    keys: PublicKeySet,
    token_limits: TokenLimits,
    run_limits: RunLimits,
}

impl CapabilityVerifier {
    /// A verifier with the default limits.
    pub fn new(keys: PublicKeySet) -> Self {
        Self::with_limits(keys, TokenLimits::default(), RunLimits::default())
    }

    pub fn with_limits(
        keys: PublicKeySet,
        token_limits: TokenLimits,
        run_limits: RunLimits,
    ) -> Self {
        Self {
            keys,
            token_limits,
            run_limits,
        }
    }

    /// Checks `token`'s size and shape, parses it, checks its signatures and
    /// authorizes it for `facts`.
    pub fn authorize(
        &self,
        token: &str,
        facts: &CallFacts<'_>,
    ) -> Result<Capability, CapabilityError> {
        limits::check(token, &self.token_limits).map_err(CapabilityError::OverLimit)?;
        let biscuit =
            Biscuit::from_base64(token.trim(), &self.keys).map_err(CapabilityError::Invalid)?;
        let denied = |reason: String| CapabilityError::Denied {
            service: facts.service.to_owned(),
            method: facts.method.to_owned(),
            reason,
        };
        // Parsed when the mesh is compiled: the receiver's facts and its policy.
        let mut authorizer = authorizer!(
            r#"
              service({service}); method({method}); caller({caller}); time({now});
              allow if right({service}, {operation});
            "#,
            service = facts.service,
            method = facts.method,
            caller = facts.caller.as_str(),
            now = facts.now,
            operation = facts.operation,
        )
        .set_limits(AuthorizerLimits {
            max_facts: self.run_limits.max_facts,
            max_iterations: self.run_limits.max_iterations,
            max_time: self.run_limits.max_time,
        })
        .build(&biscuit)
        .map_err(|e| denied(e.to_string()))?;
        match authorizer.authorize() {
            Ok(_) => {
                // Only the authority block can state the user: queries trust it alone.
                let principal = authorizer
                    .query::<_, (String,), _>(rule!("principal($user) <- user($user)"))
                    .ok()
                    .and_then(|users| users.into_iter().next())
                    .map(|(user,)| Arc::<str>::from(user));
                Ok(Capability::new(biscuit, principal))
            }
            Err(Token::FailedLogic(logic)) if only_time_checks_failed(&logic) => {
                Err(CapabilityError::Expired)
            }
            Err(Token::RunLimit(limit)) => Err(CapabilityError::RunLimit {
                limit: match limit {
                    RunLimit::TooManyFacts => "fact count",
                    RunLimit::TooManyIterations => "iteration count",
                    RunLimit::Timeout => "time",
                    RunLimit::UnexpectedQueryResult(..) => "query result",
                },
            }),
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
