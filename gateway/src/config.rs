//! Gateway settings, from `GATEWAY_*` environment variables.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use jsonwebtoken::Algorithm;
use mesh_core::config::{ConfigError, MeshSettings, field_names, refuse_unknown};
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    audit::SpoolSettings,
    edge::rate_limit::{self, RateLimitSettings},
    oidc::{JwksSource, Refresh},
};

/// Everything the gateway needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// TLS for the calls to the internal services.
    pub mesh: MeshSettings,
    /// The capability root private key, hex. Never logged.
    pub root_key: SecretString,
    /// The id minted tokens name their root key by.
    pub root_key_id: u32,
    /// How long a minted capability lives: one request's call tree.
    pub capability_ttl: Duration,
    pub oidc: OidcSettings,
    /// `host:port` of each internal service's mTLS port.
    pub warehouse_address: String,
    pub forecaster_address: String,
    pub store_address: String,
    /// Origins browsers may call from; `*` allows any (an explicit opt-in).
    pub cors_origins: Vec<String>,
    /// Where audit entries wait on disk for the store.
    pub audit_spool: SpoolSettings,
    /// Calls a minute per principal and method.
    pub rate_limits: RateLimitSettings,
    /// The dashboard's sign-in.
    pub web: crate::web::WebSettings,
}

/// How browser tokens are validated.
#[derive(Clone, Debug)]
pub struct OidcSettings {
    pub issuer: String,
    pub audience: String,
    /// Where the issuer's JSON Web Key Set comes from:
    /// `GATEWAY_OIDC_JWKS_PATH` (a file), `GATEWAY_OIDC_JWKS_URL`, or
    /// neither: the issuer's discovery document's `jwks_uri`.
    pub jwks: JwksSource,
    /// How a fetched key set is kept fresh
    /// (`GATEWAY_OIDC_JWKS_REFRESH_SECS`, `GATEWAY_OIDC_JWKS_MIN_REFRESH_SECS`).
    pub jwks_refresh: Refresh,
    /// The only algorithms accepted.
    pub algorithms: Vec<Algorithm>,
}

#[derive(Deserialize)]
struct Own {
    root_key: SecretString,
    #[serde(default = "default_root_key_id")]
    root_key_id: u32,
    #[serde(default = "default_ttl")]
    capability_ttl_secs: u64,
    oidc_issuer: String,
    oidc_audience: String,
    oidc_jwks_path: Option<PathBuf>,
    oidc_jwks_url: Option<String>,
    #[serde(default = "default_jwks_refresh")]
    oidc_jwks_refresh_secs: u64,
    #[serde(default = "default_jwks_min_refresh")]
    oidc_jwks_min_refresh_secs: u64,
    #[serde(default = "default_algorithms")]
    oidc_algorithms: String,
    #[serde(default = "default_warehouse")]
    warehouse_address: String,
    #[serde(default = "default_forecaster")]
    forecaster_address: String,
    #[serde(default = "default_store")]
    store_address: String,
    #[serde(default = "default_origins")]
    cors_origins: String,
    audit_spool_dir: PathBuf,
    #[serde(default = "default_spool_bytes")]
    audit_spool_max_bytes: u64,
}

fn default_spool_bytes() -> u64 {
    256 * 1024 * 1024
}

fn default_root_key_id() -> u32 {
    1
}
fn default_ttl() -> u64 {
    60
}
fn default_jwks_refresh() -> u64 {
    300
}
fn default_jwks_min_refresh() -> u64 {
    10
}
fn default_algorithms() -> String {
    "EdDSA,RS256,ES256".into()
}
fn default_warehouse() -> String {
    "warehouse:50052".into()
}
fn default_forecaster() -> String {
    "forecaster:50053".into()
}
fn default_store() -> String {
    "store:50054".into()
}
fn default_origins() -> String {
    "http://localhost:8080,http://127.0.0.1:8080".into()
}

impl Config {
    pub const PREFIX: &'static str = "GATEWAY_";

    /// Reads the configuration from `env`.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        // Rate limits are named after the methods: one setting each.
        let rate_limit_settings: Vec<String> = rate_limit::public_methods()
            .map(rate_limit::variable_of)
            .chain(["GATEWAY_RATE_LIMIT_FAILED_AUTH_PER_MINUTE".to_owned()])
            .map(|name| name[Self::PREFIX.len()..].to_ascii_lowercase())
            .collect();
        let known: Vec<&str> = field_names::<Own>()
            .iter()
            .chain(crate::web::WebSettings::field_names())
            .copied()
            .chain(rate_limit_settings.iter().map(String::as_str))
            .collect();
        refuse_unknown(Self::PREFIX, env, &known)?;
        let own: Own = envy::prefixed(Self::PREFIX).from_iter(env.clone())?;
        let algorithms = own
            .oidc_algorithms
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                name.parse::<Algorithm>().map_err(|_| ConfigError::Invalid {
                    name: "GATEWAY_OIDC_ALGORITHMS",
                    reason: format!("unknown algorithm {name}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if algorithms
            .iter()
            .any(|alg| matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
        {
            return Err(ConfigError::Invalid {
                name: "GATEWAY_OIDC_ALGORITHMS",
                reason: "shared-secret HMAC algorithms are not accepted".into(),
            });
        }
        let jwks = match (own.oidc_jwks_path, own.oidc_jwks_url) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "GATEWAY_OIDC_JWKS_URL",
                    reason: "set GATEWAY_OIDC_JWKS_PATH or GATEWAY_OIDC_JWKS_URL, not both".into(),
                });
            }
            (Some(path), None) => JwksSource::File(path),
            (None, Some(url)) => JwksSource::Url(url),
            (None, None) => JwksSource::Discovery,
        };
        let jwks_refresh = Refresh {
            every: Duration::from_secs(own.oidc_jwks_refresh_secs.max(1)),
            min_interval: Duration::from_secs(own.oidc_jwks_min_refresh_secs.max(1)),
            ..Refresh::default()
        };
        Ok(Self {
            mesh: MeshSettings::from_env(Self::PREFIX, env)?,
            root_key: own.root_key,
            root_key_id: own.root_key_id,
            capability_ttl: Duration::from_secs(own.capability_ttl_secs.max(1)),
            oidc: OidcSettings {
                issuer: own.oidc_issuer,
                audience: own.oidc_audience,
                jwks,
                jwks_refresh,
                algorithms,
            },
            warehouse_address: own.warehouse_address,
            forecaster_address: own.forecaster_address,
            store_address: own.store_address,
            cors_origins: own
                .cors_origins
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
            audit_spool: SpoolSettings {
                dir: own.audit_spool_dir,
                max_bytes: own.audit_spool_max_bytes,
            },
            rate_limits: rate_limits(env)?,
            web: crate::web::WebSettings::from_env(env)?,
        })
    }
}

/// Reads `GATEWAY_RATE_LIMIT_<METHOD>_PER_MINUTE` for each public method
/// and `GATEWAY_RATE_LIMIT_FAILED_AUTH_PER_MINUTE` over the defaults.
pub fn rate_limits(env: &HashMap<String, String>) -> Result<RateLimitSettings, ConfigError> {
    let per_minute = |name: String, default: u32| -> Result<u32, ConfigError> {
        let Some(value) = env.get(&name) else {
            return Ok(default);
        };
        match value.trim().parse::<u32>() {
            Ok(rate) if rate > 0 => Ok(rate),
            _ => Err(ConfigError::Invalid {
                name: "GATEWAY_RATE_LIMIT_<METHOD>_PER_MINUTE",
                reason: format!("{name}={value:?} is not a whole number of calls a minute above 0"),
            }),
        }
    };
    let mut settings = RateLimitSettings::default();
    for method in rate_limit::public_methods() {
        let default = settings.per_minute[method.path];
        settings.per_minute.insert(
            method.path,
            per_minute(rate_limit::variable_of(method), default)?,
        );
    }
    settings.failed_auth_per_minute = per_minute(
        "GATEWAY_RATE_LIMIT_FAILED_AUTH_PER_MINUTE".into(),
        settings.failed_auth_per_minute,
    )?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let base = [
            ("GATEWAY_TLS_CA", "/certs/ca.pem"),
            ("GATEWAY_TLS_CERT", "/certs/gateway.pem"),
            ("GATEWAY_TLS_KEY", "/certs/gateway.key.pem"),
            ("GATEWAY_ROOT_KEY", "00"),
            ("GATEWAY_OIDC_ISSUER", "https://issuer.test"),
            ("GATEWAY_OIDC_AUDIENCE", "forecast-mesh"),
            ("GATEWAY_OIDC_JWKS_PATH", "/oidc/jwks.json"),
            ("GATEWAY_AUDIT_SPOOL_DIR", "/data/audit-spool"),
            ("UNRELATED", "ignored"),
        ];
        base.iter()
            .chain(pairs)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_fill_what_the_environment_leaves_out() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[]))?;
        assert_eq!(
            config.oidc.algorithms,
            vec![Algorithm::EdDSA, Algorithm::RS256, Algorithm::ES256]
        );
        assert_eq!(config.capability_ttl, Duration::from_secs(60));
        assert_eq!(config.warehouse_address, "warehouse:50052");
        assert_eq!(config.mesh.trust_domain, "forecast-mesh.local");
        assert_eq!(config.cors_origins.len(), 2);
        assert_eq!(config.audit_spool.max_bytes, 256 * 1024 * 1024);
        assert!(
            !format!("{config:?}").contains("GATEWAY_ROOT_KEY=00"),
            "the secret is redacted"
        );
        Ok(())
    }

    #[test]
    fn shared_secret_algorithms_and_unknown_names_are_refused() {
        for algorithms in ["HS256", "EdDSA,HS512", "RS999"] {
            let result = Config::from_env(&env(&[("GATEWAY_OIDC_ALGORITHMS", algorithms)]));
            assert!(
                matches!(result, Err(ConfigError::Invalid { .. })),
                "{algorithms}: {result:?}"
            );
        }
    }

    #[test]
    fn rate_limits_are_overridden_per_route_and_nonsense_is_refused() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[("GATEWAY_RATE_LIMIT_GET_KPIS_PER_MINUTE", "7")]))?;
        let kpis = proto::methods::gateway_service::GET_KPIS;
        assert_eq!(config.rate_limits.per_minute[kpis], 7);
        for bad in ["0", "-3", "fast"] {
            let result =
                Config::from_env(&env(&[("GATEWAY_RATE_LIMIT_GET_FORECAST_PER_MINUTE", bad)]));
            assert!(
                matches!(&result, Err(ConfigError::Invalid { reason, .. }) if reason.contains("GET_FORECAST")),
                "{bad}: {result:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn the_jwks_comes_from_a_file_a_url_or_discovery() -> Result<(), ConfigError> {
        let file = Config::from_env(&env(&[]))?;
        assert_eq!(file.oidc.jwks, JwksSource::File("/oidc/jwks.json".into()));
        let mut remote = env(&[("GATEWAY_OIDC_JWKS_URL", "https://issuer.test/jwks")]);
        remote.remove("GATEWAY_OIDC_JWKS_PATH");
        let url = Config::from_env(&remote)?;
        assert_eq!(
            url.oidc.jwks,
            JwksSource::Url("https://issuer.test/jwks".into())
        );
        assert_eq!(url.oidc.jwks_refresh.min_interval, Duration::from_secs(10));
        remote.remove("GATEWAY_OIDC_JWKS_URL");
        assert_eq!(Config::from_env(&remote)?.oidc.jwks, JwksSource::Discovery);
        let both = Config::from_env(&env(&[(
            "GATEWAY_OIDC_JWKS_URL",
            "https://issuer.test/jwks",
        )]));
        assert!(matches!(both, Err(ConfigError::Invalid { .. })), "{both:?}");
        Ok(())
    }

    #[test]
    fn the_dashboard_and_jwks_settings_are_known_settings() -> Result<(), ConfigError> {
        let config = Config::from_env(&env(&[
            ("GATEWAY_OIDC_AUTHORITY", "https://issuer.test"),
            ("GATEWAY_OIDC_CLIENT_ID", "dashboard"),
            ("GATEWAY_OIDC_SCOPES", "openid forecasts:read"),
            ("GATEWAY_OIDC_RESOURCE", "urn:forecast-mesh:gateway"),
            ("GATEWAY_DEV_SIGN_IN", "false"),
            ("GATEWAY_OIDC_JWKS_REFRESH_SECS", "60"),
            ("GATEWAY_OIDC_JWKS_MIN_REFRESH_SECS", "2"),
        ]))?;
        assert!(matches!(
            config.web.sign_in,
            crate::web::SignIn::Oidc { .. }
        ));
        assert_eq!(config.oidc.jwks_refresh.every, Duration::from_secs(60));
        assert_eq!(
            config.oidc.jwks_refresh.min_interval,
            Duration::from_secs(2)
        );
        Ok(())
    }

    #[test]
    fn missing_required_settings_are_named() {
        let mut partial = env(&[]);
        partial.remove("GATEWAY_OIDC_ISSUER");
        let error = Config::from_env(&partial)
            .expect_err("issuer is required")
            .to_string();
        assert!(error.contains("oidc_issuer"), "{error}");
    }
}
