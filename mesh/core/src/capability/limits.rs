//! Hard limits on a capability token, checked on its bytes before its
//! signatures are verified and before any Datalog runs.
//!
//! biscuit-auth checks its run limits (facts, iterations, time) only between
//! rounds of rule application, so a single round of one cartesian rule
//! (`big($a, $b, $c, $d) <- f($a), f($b), f($c), f($d)`) can take minutes
//! and gigabytes before the first check; and a check's query is never
//! timed at all. The shape limits here bound what one round and one query
//! can cost: a rule joins at most [`TokenLimits::max_rule_body`]
//! predicates and a query [`TokenLimits::max_query_body`], over a world of
//! at most [`RunLimits::max_facts`] facts, so the worst a token within
//! them can ask is a few hundred thousand joins, not billions.

use base64::Engine;
use biscuit_auth::format::schema;
use biscuit_prost::Message;

/// What a token may hold. The mesh's own tokens (an authority block of
/// facts and one check, and a block of two checks per hop) sit far inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLimits {
    /// The token as it travels (base64), in bytes.
    pub max_bytes: usize,
    /// Blocks, the authority block included.
    pub max_blocks: usize,
    /// The serialized Datalog of one block, in bytes.
    pub max_block_bytes: usize,
    /// Facts in all blocks together.
    pub max_facts: usize,
    /// Rules in all blocks together.
    pub max_rules: usize,
    /// Check queries in all blocks together (each `or` alternative counts).
    pub max_queries: usize,
    /// Predicates in one rule's body.
    pub max_rule_body: usize,
    /// Predicates in one check query's body.
    pub max_query_body: usize,
    /// Expression operations in one rule or query.
    pub max_expression_ops: usize,
}

impl Default for TokenLimits {
    fn default() -> Self {
        Self {
            max_bytes: 4096,
            max_blocks: 5,
            max_block_bytes: 1024,
            max_facts: 32,
            max_rules: 4,
            max_queries: 16,
            max_rule_body: 2,
            max_query_body: 3,
            max_expression_ops: 32,
        }
    }
}

/// The authorizer's own limits, which biscuit-auth checks between rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLimits {
    /// Facts in the world: the token's, the receiver's and those derived.
    pub max_facts: u64,
    /// Rounds of rule application.
    pub max_iterations: u64,
    /// Time, checked between rounds.
    pub max_time: std::time::Duration,
}

impl Default for RunLimits {
    fn default() -> Self {
        // The crate's default 1 ms budget refuses valid tokens on a loaded
        // two-core machine; the mesh's policies are a handful of facts and
        // checks, so a generous time limit costs nothing while the shape
        // limits bound what a hostile token can ask for.
        Self {
            max_facts: 64,
            max_iterations: 8,
            max_time: std::time::Duration::from_millis(250),
        }
    }
}

/// Which limit a token passed, by how much.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("capability token exceeds the {limit} limit: {value}, at most {max}")]
pub struct OverLimit {
    /// The limit's name, as the caller reads it.
    pub limit: &'static str,
    pub value: usize,
    pub max: usize,
}

/// Checks `token` (base64, as it travels) against `limits` without
/// verifying or evaluating it. A token that does not even decode passes:
/// the verifier refuses it as malformed right after.
pub fn check(token: &str, limits: &TokenLimits) -> Result<(), OverLimit> {
    let over = |limit: &'static str, value: usize, max: usize| {
        if value > max {
            Err(OverLimit { limit, value, max })
        } else {
            Ok(())
        }
    };
    over("token size (bytes)", token.len(), limits.max_bytes)?;
    let Ok(bytes) = BASE64.decode(token.trim()) else {
        return Ok(());
    };
    let Ok(biscuit) = schema::Biscuit::decode(bytes.as_slice()) else {
        return Ok(());
    };
    over("block count", 1 + biscuit.blocks.len(), limits.max_blocks)?;
    let (mut facts, mut rules, mut queries) = (0, 0, 0);
    for signed in std::iter::once(&biscuit.authority).chain(&biscuit.blocks) {
        over(
            "block size (bytes)",
            signed.block.len(),
            limits.max_block_bytes,
        )?;
        let Ok(block) = schema::Block::decode(signed.block.as_slice()) else {
            return Ok(());
        };
        facts += block.facts.len();
        rules += block.rules.len();
        for rule in &block.rules {
            over(
                "rule body (predicates)",
                rule.body.len(),
                limits.max_rule_body,
            )?;
            over(
                "expression (operations)",
                ops(rule),
                limits.max_expression_ops,
            )?;
        }
        for query in block.checks.iter().flat_map(|check| &check.queries) {
            queries += 1;
            over(
                "check query body (predicates)",
                query.body.len(),
                limits.max_query_body,
            )?;
            over(
                "expression (operations)",
                ops(query),
                limits.max_expression_ops,
            )?;
        }
    }
    over("fact count", facts, limits.max_facts)?;
    over("rule count", rules, limits.max_rules)?;
    over("check query count", queries, limits.max_queries)
}

/// biscuit-auth's own encoding: URL-safe base64, padding optional.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn ops(rule: &schema::Rule) -> usize {
    rule.expressions.iter().map(|e| e.ops.len()).sum()
}
