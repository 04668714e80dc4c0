//! Which sign-in the dashboard offers, from `GATEWAY_*`:
//!
//! - `GATEWAY_OIDC_AUTHORITY` and `GATEWAY_OIDC_CLIENT_ID` (a public client,
//!   Authorization Code with PKCE), `GATEWAY_OIDC_SCOPES` (default
//!   `openid forecasts:read audit:read`), `GATEWAY_OIDC_RESOURCE` (an
//!   RFC 8707 resource indicator sent with the authorization request, for
//!   issuers that issue JWT access tokens per resource);
//! - else `GATEWAY_DEV_SIGN_IN=true` (what `mesh up` sets): the page takes a
//!   dev token, loudly named;
//! - else none: the page says sign-in is not configured.

use std::collections::HashMap;

use mesh_core::config::{ConfigError, field_names};
use serde::{Deserialize, Serialize};

/// The sign-in the page offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "sign_in", rename_all = "snake_case")]
pub enum SignIn {
    /// OIDC Authorization Code with PKCE against `authority`.
    Oidc {
        authority: String,
        client_id: String,
        scope: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        resource: Option<String>,
    },
    /// A dev token from `mesh up`: never for production.
    Dev,
    /// No sign-in configured.
    None,
}

/// The dashboard's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSettings {
    pub sign_in: SignIn,
}

impl WebSettings {
    /// Returns settings with `sign_in`.
    pub fn new(sign_in: SignIn) -> Self {
        Self { sign_in }
    }

    /// Reads the settings from `env` (`GATEWAY_` names).
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let own: Own = envy::prefixed(crate::Config::PREFIX).from_iter(env.clone())?;
        let sign_in = match (own.oidc_authority, own.oidc_client_id) {
            (Some(authority), Some(client_id)) => SignIn::Oidc {
                authority: authority.trim_end_matches('/').to_owned(),
                client_id,
                scope: own.oidc_scopes,
                resource: own.oidc_resource,
            },
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    name: "GATEWAY_OIDC_CLIENT_ID",
                    reason: "GATEWAY_OIDC_AUTHORITY is set: name the dashboard's client".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "GATEWAY_OIDC_AUTHORITY",
                    reason: "GATEWAY_OIDC_CLIENT_ID is set: name its issuer".into(),
                });
            }
            (None, None) if own.dev_sign_in => SignIn::Dev,
            (None, None) => SignIn::None,
        };
        Ok(Self { sign_in })
    }

    /// Returns the names of its settings, less the `GATEWAY_` prefix.
    pub fn field_names() -> &'static [&'static str] {
        field_names::<Own>()
    }

    /// Returns the origin of the issuer the page talks to, for its
    /// content security policy.
    pub fn authority_origin(&self) -> Option<String> {
        let SignIn::Oidc { authority, .. } = &self.sign_in else {
            return None;
        };
        let uri: http::Uri = authority.parse().ok()?;
        Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
    }
}

#[derive(Deserialize)]
struct Own {
    oidc_authority: Option<String>,
    oidc_client_id: Option<String>,
    #[serde(default = "default_scopes")]
    oidc_scopes: String,
    oidc_resource: Option<String>,
    #[serde(default)]
    dev_sign_in: bool,
}

fn default_scopes() -> String {
    "openid forecasts:read audit:read".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_authority_and_a_client_make_oidc_sign_in() -> Result<(), ConfigError> {
        let settings = WebSettings::from_env(&env(&[
            ("GATEWAY_OIDC_AUTHORITY", "https://login.example/"),
            ("GATEWAY_OIDC_CLIENT_ID", "dashboard"),
            ("GATEWAY_DEV_SIGN_IN", "true"),
        ]))?;
        assert_eq!(
            settings.sign_in,
            SignIn::Oidc {
                authority: "https://login.example".into(),
                client_id: "dashboard".into(),
                scope: "openid forecasts:read audit:read".into(),
                resource: None,
            }
        );
        assert_eq!(
            settings.authority_origin().as_deref(),
            Some("https://login.example")
        );
        let json = serde_json::to_value(&settings.sign_in).map_err(|e| ConfigError::Invalid {
            name: "test",
            reason: e.to_string(),
        })?;
        assert_eq!(json["sign_in"], "oidc");
        assert_eq!(json["client_id"], "dashboard");
        Ok(())
    }

    #[test]
    fn dev_sign_in_only_when_asked_and_half_an_oidc_setting_is_refused() -> Result<(), ConfigError>
    {
        assert_eq!(WebSettings::from_env(&env(&[]))?.sign_in, SignIn::None);
        assert_eq!(
            WebSettings::from_env(&env(&[("GATEWAY_DEV_SIGN_IN", "true")]))?.sign_in,
            SignIn::Dev
        );
        let half = WebSettings::from_env(&env(&[("GATEWAY_OIDC_AUTHORITY", "https://x")]));
        assert!(matches!(half, Err(ConfigError::Invalid { .. })), "{half:?}");
        Ok(())
    }
}
