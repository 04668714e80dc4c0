//! Tokens already verified: a bearer seen again within a minute skips its
//! signature check (an ed25519 verify costs more than the rest of the edge),
//! so that a flood of calls with one valid token, refused by its rate
//! limit, stays cheap. Keyed by the token's SHA-256; an entry lives until
//! the token expires or for [`KEEP`], whichever is sooner, so that a key
//! removed from the JWKS stops working within a minute.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use super::Principal;

/// What a verified token says: who, and the token's own id (`jti`), which
/// is checked against the revocation list on every call, cached or not.
#[derive(Clone, Debug)]
pub(super) struct Verified {
    pub principal: Principal,
    pub token_id: Option<Arc<str>>,
}

/// The longest a verified token is trusted without checking it again.
const KEEP: Duration = Duration::from_secs(60);
/// Tokens remembered at most; past it, expired ones are forgotten and, if
/// that is not enough, all of them.
const CAPACITY: usize = 10_000;

/// Principals of recently verified tokens.
#[derive(Debug, Default)]
pub(super) struct VerifiedTokens {
    entries: Mutex<HashMap<[u8; 32], (Verified, SystemTime)>>,
}

fn key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl VerifiedTokens {
    /// Returns what `token` says if it was verified lately and has not
    /// expired.
    pub(super) fn get(&self, token: &str, now: SystemTime) -> Option<Verified> {
        let entries = self.entries.lock().ok()?;
        let (verified, until) = entries.get(&key(token))?;
        (now < *until).then(|| verified.clone())
    }

    /// Remembers what `token`, just verified, says.
    pub(super) fn insert(&self, token: &str, verified: &Verified, now: SystemTime) {
        let Some(expires) = expiry(token) else { return };
        let until = expires.min(now + KEEP);
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key(token), (verified.clone(), until));
    }
}

/// Returns the `exp` of a token whose signature has been checked.
fn expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let exp = serde_json::from_slice::<serde_json::Value>(&json)
        .ok()?
        .get("exp")?
        .as_u64()?;
    Some(UNIX_EPOCH + Duration::from_secs(exp))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn token(exp: u64) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = engine.encode(format!(r#"{{"sub":"a","exp":{exp}}}"#));
        format!("e30.{payload}.c2ln")
    }

    fn principal() -> Verified {
        Verified {
            principal: Principal {
                id: "p".into(),
                scopes: Arc::new(HashSet::new()),
            },
            token_id: None,
        }
    }

    #[test]
    fn a_token_is_trusted_again_until_it_expires_or_a_minute_passes() {
        let verified = VerifiedTokens::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let short = token(1_030);
        let long = token(10_000);
        verified.insert(&short, &principal(), now);
        verified.insert(&long, &principal(), now);
        assert!(
            verified
                .get(&short, now + Duration::from_secs(29))
                .is_some()
        );
        assert!(
            verified
                .get(&short, now + Duration::from_secs(30))
                .is_none(),
            "expired"
        );
        assert!(verified.get(&long, now + Duration::from_secs(59)).is_some());
        assert!(
            verified.get(&long, now + KEEP).is_none(),
            "checked again after a minute"
        );
        assert!(verified.get(&token(2_000), now).is_none(), "never seen");
    }
}
