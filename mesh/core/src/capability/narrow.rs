//! Narrowing: the block a caller appends so that a token works for one call,
//! for a short time, and for the calls that one call may make in turn.
//!
//! The block reads
//!
//! ```text
//! check if time($time), $time <= <expiry>;
//! check if service(<callee>), method(<method>), caller(<me>)
//!       or caller(<callee id>), method($m), <delegated methods>.contains($m);
//! ```
//!
//! so the receiver, which states `service`, `method` and `caller` itself from
//! its name, the request path and the peer certificate, accepts it only for
//! this call, or for a delegated call made by the callee. Blocks only add
//! checks, so a token can be narrowed again but never widened.

use std::{
    collections::BTreeSet,
    time::{Duration, SystemTime},
};

use biscuit_auth::{
    builder::{Term, string},
    macros::block,
};

use super::{Capability, CapabilityError};
use crate::identity::SpiffeId;

/// One outgoing call.
#[derive(Clone, Debug)]
pub struct Hop<'a> {
    /// The workload making the call.
    pub caller: &'a SpiffeId,
    /// The workload called.
    pub callee: &'a SpiffeId,
    /// The callee's service name, as its authorizer states it.
    pub service: &'a str,
    /// The full method name.
    pub method: &'a str,
    /// How long the narrowed token stays valid.
    pub ttl: Duration,
    /// The methods the callee may call in turn with this token: the called
    /// method's call plan.
    pub delegated: &'a [&'static str],
}

/// Returns the methods a method may call on its caller's behalf (`None` for
/// a method the mesh does not know, which may then delegate nothing).
pub type CallPlan = fn(&str) -> Option<&'static [&'static str]>;

/// Returns `capability` with a block confining it to `hop`.
pub fn narrow(
    capability: &Capability,
    hop: &Hop<'_>,
    now: SystemTime,
) -> Result<Capability, CapabilityError> {
    // Parsed when the mesh is compiled; only the values are set here.
    let expires = now + hop.ttl;
    let block = if hop.delegated.is_empty() {
        block!(
            r#"
              check if time($time), $time <= {expires};
              check if service({service}), method({method}), caller({caller});
            "#,
            expires = expires,
            service = hop.service,
            method = hop.method,
            caller = hop.caller.as_str(),
        )
    } else {
        let delegated: BTreeSet<Term> = hop.delegated.iter().map(|m| string(m)).collect();
        block!(
            r#"
              check if time($time), $time <= {expires};
              check if service({service}), method({method}), caller({caller})
                    or caller({callee}), method($m), {delegated}.contains($m);
            "#,
            expires = expires,
            service = hop.service,
            method = hop.method,
            caller = hop.caller.as_str(),
            callee = hop.callee.as_str(),
            delegated = delegated,
        )
    };
    let token = capability
        .token()
        .append(block)
        .map_err(CapabilityError::Build)?;
    Ok(capability.narrowed(token))
}
