//! Revocations as the store takes and lists them: what a valid one is, the
//! key that makes revoking twice one revocation, and the store's own
//! records as the source of its revocation list.

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use mesh_core::revocation::{PageFuture, RevocationSource};
use proto::store::{Revocation, RevocationKind};

use crate::{
    StoreError,
    records::{PageRequest, RecordStore},
};

/// The longest credential id: a biscuit revocation id is 128 hex digits.
pub const MAX_CREDENTIAL_ID: usize = 256;
pub const MAX_REASON: usize = 500;

/// Checks a revocation as a caller sent it and sets its idempotency key:
/// the kind and the credential, so a credential is revoked once.
pub fn prepare(mut revocation: Revocation, principal: String) -> Result<Revocation, StoreError> {
    let invalid = |message: String| Err(StoreError::InvalidArgument(message));
    let kind = match RevocationKind::try_from(revocation.kind) {
        Ok(RevocationKind::Capability) => "capability",
        Ok(RevocationKind::TokenId) => "token_id",
        _ => {
            return invalid(
                "kind must be REVOCATION_KIND_CAPABILITY or REVOCATION_KIND_TOKEN_ID".into(),
            );
        }
    };
    let id = revocation.credential_id.trim();
    if id.is_empty() || id.len() > MAX_CREDENTIAL_ID {
        return invalid(format!(
            "credential_id must be 1 to {MAX_CREDENTIAL_ID} bytes"
        ));
    }
    if kind == "capability" && !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return invalid(
            "a capability's credential_id is a block's revocation id in hex, as the audit log shows it"
                .into(),
        );
    }
    if revocation.reason.len() > MAX_REASON {
        return invalid(format!("reason is longer than {MAX_REASON} bytes"));
    }
    if revocation.expires_at_unix_ms < 0 {
        return invalid("expires_at_unix_ms must be 0 (never) or a time".into());
    }
    // Hex is compared as the audit log writes it: lower case.
    let id = if kind == "capability" {
        id.to_ascii_lowercase()
    } else {
        id.to_owned()
    };
    revocation.idempotency_key = format!("{kind}:{id}");
    revocation.credential_id = id;
    revocation.principal = principal;
    Ok(revocation)
}

/// Returns whether `revocation` is still in force at `now`.
pub fn in_force(revocation: &Revocation, now: SystemTime) -> bool {
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    revocation.expires_at_unix_ms == 0 || revocation.expires_at_unix_ms > now_ms
}

/// The store's own records, read by the store's revocation list without a
/// hop: the store authorizes its own callers too.
pub struct OwnRecords(pub Arc<dyn RecordStore>);

impl std::fmt::Debug for OwnRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnRecords").finish_non_exhaustive()
    }
}

impl RevocationSource for OwnRecords {
    fn page(&self, page_token: String) -> PageFuture<'_> {
        Box::pin(async move {
            let page = self
                .0
                .list_revocations(PageRequest::parse(500, &page_token)?)
                .await?;
            Ok((page.records, page.next_cursor))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revocation(kind: RevocationKind, id: &str) -> Revocation {
        Revocation {
            kind: kind as i32,
            credential_id: id.into(),
            ..Revocation::default()
        }
    }

    #[test]
    fn a_credential_is_keyed_by_its_kind_and_id() -> Result<(), StoreError> {
        let prepared = prepare(revocation(RevocationKind::Capability, "AB01"), "p".into())?;
        assert_eq!(prepared.idempotency_key, "capability:ab01");
        assert_eq!(prepared.credential_id, "ab01");
        assert_eq!(prepared.principal, "p");
        let prepared = prepare(revocation(RevocationKind::TokenId, "Jti-1"), "p".into())?;
        assert_eq!(prepared.idempotency_key, "token_id:Jti-1");
        Ok(())
    }

    #[test]
    fn bad_revocations_are_invalid_arguments_naming_the_field() {
        let long_reason = Revocation {
            reason: "x".repeat(MAX_REASON + 1),
            ..revocation(RevocationKind::TokenId, "j")
        };
        let negative = Revocation {
            expires_at_unix_ms: -1,
            ..revocation(RevocationKind::TokenId, "j")
        };
        for (bad, field) in [
            (revocation(RevocationKind::Unspecified, "j"), "kind"),
            (revocation(RevocationKind::TokenId, " "), "credential_id"),
            (
                revocation(RevocationKind::TokenId, &"j".repeat(MAX_CREDENTIAL_ID + 1)),
                "credential_id",
            ),
            (
                revocation(RevocationKind::Capability, "not-hex"),
                "credential_id",
            ),
            (long_reason, "reason"),
            (negative, "expires_at_unix_ms"),
        ] {
            match prepare(bad, String::new()) {
                Err(StoreError::InvalidArgument(message)) => {
                    assert!(message.contains(field), "{message} names {field}")
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_revocation_is_in_force_until_it_expires() {
        let at = |ms| UNIX_EPOCH + std::time::Duration::from_millis(ms);
        let mut revocation = revocation(RevocationKind::TokenId, "j");
        assert!(in_force(&revocation, at(5)), "0 is for ever");
        revocation.expires_at_unix_ms = 10;
        assert!(in_force(&revocation, at(9)));
        assert!(!in_force(&revocation, at(10)));
    }
}
