//! Dev bearer tokens for the gateway, with every scope or only some.

use std::time::Duration;

use gateway::{oidc::dev_issuer::DevIssuer, scopes};

/// Why no token was signed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("unknown scope {given:?}: the known scopes are {}", scopes::ALL.join(", "))]
    UnknownScope { given: String },
    #[error(transparent)]
    Sign(#[from] gateway::oidc::dev_issuer::DevIssuerError),
}

/// Returns the scopes named in `requested`, or every scope when none is.
pub fn select_scopes(requested: &[String]) -> Result<Vec<&'static str>, TokenError> {
    if requested.is_empty() {
        return Ok(scopes::ALL.to_vec());
    }
    requested
        .iter()
        .map(|given| {
            scopes::ALL
                .iter()
                .copied()
                .find(|known| known == given)
                .ok_or_else(|| TokenError::UnknownScope {
                    given: given.clone(),
                })
        })
        .collect()
}

/// Signs a dev bearer token for `subject` with the `requested` scopes
/// (every scope when none is named), valid for `ttl`.
pub fn dev_token(
    issuer: &DevIssuer,
    subject: &str,
    requested: &[String],
    ttl: Duration,
) -> Result<String, TokenError> {
    let scopes = select_scopes(requested)?;
    Ok(issuer.sign(&issuer.claims(subject, &scopes, ttl))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_scope_means_every_scope_and_unknown_ones_are_refused() -> anyhow::Result<()> {
        assert_eq!(select_scopes(&[])?, scopes::ALL);
        assert_eq!(
            select_scopes(&["audit:read".into(), "forecasts:read".into()])?,
            vec![scopes::AUDIT_READ, scopes::FORECASTS_READ]
        );
        let error = select_scopes(&["admin".into()]).expect_err("unknown scope");
        let text = error.to_string();
        for known in scopes::ALL {
            assert!(text.contains(known), "{text}");
        }
        Ok(())
    }
}
