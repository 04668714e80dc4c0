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
    collections::{BTreeSet, HashMap},
    time::{Duration, SystemTime},
};

use biscuit_auth::builder::{BlockBuilder, Term, string};

use super::{Capability, CapabilityError, mint::expires};
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
    let delegated = hop.delegated;
    let mut source = String::from("check if time($time), $time <= {expires};\n");
    source.push_str("check if service({service}), method({method}), caller({caller})");
    if !delegated.is_empty() {
        source.push_str(" or caller({callee}), method($m), {delegated}.contains($m)");
    }
    source.push_str(";\n");
    let params = HashMap::from([
        ("expires".to_owned(), expires(now, hop.ttl)),
        ("service".to_owned(), string(hop.service)),
        ("method".to_owned(), string(hop.method)),
        ("caller".to_owned(), string(hop.caller.as_str())),
        ("callee".to_owned(), string(hop.callee.as_str())),
        (
            "delegated".to_owned(),
            Term::Set(delegated.iter().map(|m| string(m)).collect::<BTreeSet<_>>()),
        ),
    ]);
    let block = BlockBuilder::new()
        .code_with_params(source, params, HashMap::new())
        .map_err(CapabilityError::Build)?;
    let token = capability
        .token()
        .append(block)
        .map_err(CapabilityError::Build)?;
    Ok(capability.narrowed(token))
}
