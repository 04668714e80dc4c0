//! Validates OIDC access tokens for real: the signature against the issuer's
//! JWKS, the issuer, the audience, the expiry, `nbf` and `iat` (30 s of clock
//! skew), a lifetime of at most 24 hours, and an algorithm from a pinned
//! list (so `alg: none` or an HMAC algorithm chosen by the token never passes).

use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use mesh_core::CancellationToken;
use serde::Deserialize;

use super::jwks::{JwksSource, KeySet};
use crate::config::OidcSettings;

/// Why a bearer token was refused. Every variant is `UNAUTHENTICATED`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("malformed bearer token")]
    Malformed,
    #[error("token algorithm is not allowed")]
    Algorithm,
    #[error("token signing key is unknown")]
    UnknownKey,
    #[error("token has expired")]
    Expired,
    #[error("token issuer is not trusted")]
    Issuer,
    #[error("token audience does not match")]
    Audience,
    #[error("token signature is invalid")]
    Signature,
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    #[error("token is issued in the future (iat)")]
    IssuedInFuture,
    #[error("token lives longer than the 24 hours accepted (exp - iat)")]
    TooLong,
    #[error("token has been revoked")]
    Revoked,
    #[error("token is invalid")]
    Invalid,
}

impl AuthError {
    /// Every [`AuthError::reason`], for counting refusals from zero.
    pub const REASONS: &'static [&'static str] = &[
        "missing",
        "malformed",
        "algorithm",
        "unknown_key",
        "expired",
        "wrong_issuer",
        "wrong_audience",
        "bad_signature",
        "not_yet_valid",
        "issued_in_future",
        "too_long",
        "revoked",
        "invalid",
    ];

    /// Returns why the token was refused, as
    /// `forecast_mesh_jwt_refusals_total` labels it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Algorithm => "algorithm",
            Self::UnknownKey => "unknown_key",
            Self::Expired => "expired",
            Self::Issuer => "wrong_issuer",
            Self::Audience => "wrong_audience",
            Self::Signature => "bad_signature",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::TooLong => "too_long",
            Self::Revoked => "revoked",
            Self::Invalid => "invalid",
        }
    }
}

impl From<AuthError> for tonic::Status {
    fn from(error: AuthError) -> Self {
        tonic::Status::unauthenticated(error.to_string())
    }
}

/// What the gateway takes from a valid token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    pub scopes: HashSet<String>,
    /// The token's `jti`, by which it can be revoked; not every issuer sets one.
    pub token_id: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    iss: String,
    sub: String,
    exp: u64,
    iat: Option<u64>,
    jti: Option<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    scp: Vec<String>,
}

/// Clock skew allowed between the issuer and the gateway.
const LEEWAY: Duration = Duration::from_secs(30);
/// The longest a token may live, from its issue (or, without `iat`, from
/// now) to its expiry: a stolen long-lived token is refused outright.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Refuses a token issued in the future or living longer than
/// [`MAX_LIFETIME`].
fn check_lifetime(iat: Option<u64>, exp: u64, now: SystemTime) -> Result<(), AuthError> {
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if iat.is_some_and(|iat| iat > now + LEEWAY.as_secs()) {
        return Err(AuthError::IssuedInFuture);
    }
    let from = iat.unwrap_or(now);
    if exp.saturating_sub(from) > MAX_LIFETIME.as_secs() + LEEWAY.as_secs() {
        return Err(AuthError::TooLong);
    }
    Ok(())
}

/// Validates tokens from one issuer for one audience.
#[derive(Clone)]
pub struct JwtValidator {
    issuer: String,
    audience: String,
    keys: Arc<KeySet>,
    algorithms: Vec<Algorithm>,
}

impl std::fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtValidator")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("keys", &self.keys.get().keys.len())
            .field("algorithms", &self.algorithms)
            .finish()
    }
}

/// Why a validator could not be built.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("could not read jwks {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("jwks {path} is not a json web key set: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("no algorithm is allowed")]
    NoAlgorithm,
}

impl JwtValidator {
    /// Returns a validator of a fixed key set.
    pub fn new(
        issuer: String,
        audience: String,
        keys: JwkSet,
        algorithms: Vec<Algorithm>,
    ) -> Result<Self, JwksError> {
        Self::with_keys(issuer, audience, KeySet::fixed(keys), algorithms)
    }

    /// Returns a validator of `keys`, which may change under it.
    pub fn with_keys(
        issuer: String,
        audience: String,
        keys: Arc<KeySet>,
        algorithms: Vec<Algorithm>,
    ) -> Result<Self, JwksError> {
        if algorithms.is_empty() {
            return Err(JwksError::NoAlgorithm);
        }
        Ok(Self {
            issuer,
            audience,
            keys,
            algorithms,
        })
    }

    /// Returns the validator `settings` describe; a remote key set is
    /// fetched now and kept fresh until `shutdown`.
    pub async fn from_settings(
        settings: &OidcSettings,
        shutdown: CancellationToken,
    ) -> Result<Self, JwksError> {
        let (issuer, audience) = (settings.issuer.clone(), settings.audience.clone());
        let algorithms = settings.algorithms.clone();
        let url = match &settings.jwks {
            JwksSource::File(path) => {
                let keys = KeySet::file(path.clone(), settings.jwks_refresh, shutdown)?;
                return Self::with_keys(issuer, audience, keys, algorithms);
            }
            JwksSource::Url(url) => Some(url.clone()),
            JwksSource::Discovery => None,
        };
        let keys = KeySet::remote(issuer.clone(), url, settings.jwks_refresh, shutdown).await;
        Self::with_keys(issuer, audience, keys, algorithms)
    }

    /// Validates `token` and returns its claims.
    pub fn validate(&self, token: &str) -> Result<Claims, AuthError> {
        // An unknown `alg` (including "none") fails to parse here.
        let header = decode_header(token).map_err(|_| AuthError::Malformed)?;
        if !self.algorithms.contains(&header.alg) {
            return Err(AuthError::Algorithm);
        }
        let keys = self.keys.get();
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None if keys.keys.len() == 1 => keys.keys.first(),
            None => None,
        };
        let Some(jwk) = jwk else {
            self.keys.unknown_key();
            return Err(AuthError::UnknownKey);
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|_| AuthError::UnknownKey)?;
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY.as_secs();
        validation.validate_nbf = true;
        let data = decode::<RawClaims>(token, &key, &validation).map_err(|error| {
            use jsonwebtoken::errors::ErrorKind;
            match error.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::InvalidIssuer => AuthError::Issuer,
                ErrorKind::InvalidAudience => AuthError::Audience,
                ErrorKind::InvalidSignature => AuthError::Signature,
                ErrorKind::InvalidAlgorithm => AuthError::Algorithm,
                ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                _ => AuthError::Invalid,
            }
        })?;
        let claims = data.claims;
        check_lifetime(claims.iat, claims.exp, SystemTime::now())?;
        let scopes = claims
            .scope
            .split_whitespace()
            .map(str::to_owned)
            .chain(claims.scp)
            .collect();
        Ok(Claims {
            issuer: claims.iss,
            subject: claims.sub,
            scopes,
            token_id: claims.jti,
        })
    }
}

#[cfg(test)]
mod lifetime_tests {
    use super::*;

    #[test]
    fn tokens_from_the_future_or_living_too_long_are_refused() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |secs: u64| 1_000_000 + secs;
        assert_eq!(check_lifetime(Some(at(0)), at(3600), now), Ok(()));
        assert_eq!(check_lifetime(Some(at(20)), at(3600), now), Ok(()), "skew");
        assert_eq!(
            check_lifetime(Some(at(120)), at(3600), now),
            Err(AuthError::IssuedInFuture)
        );
        assert_eq!(
            check_lifetime(Some(at(0)), at(25 * 3600), now),
            Err(AuthError::TooLong)
        );
        assert_eq!(
            check_lifetime(None, at(25 * 3600), now),
            Err(AuthError::TooLong)
        );
        assert_eq!(check_lifetime(None, at(3600), now), Ok(()));
    }
}
