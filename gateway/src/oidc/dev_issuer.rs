//! A development OIDC issuer: an Ed25519 signing key and its JWKS, for
//! `mesh up` and the tests. Production tokens come from the real identity
//! provider; the gateway only ever sees the JWKS.

use std::{
    path::Path,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::Serialize;

/// Issuer and audience of dev tokens.
pub const DEV_ISSUER: &str = "https://dev-issuer.forecast-mesh.local";
pub const DEV_AUDIENCE: &str = "forecast-mesh";
const DEV_KID: &str = "dev-1";

/// Why the dev issuer failed.
#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("key generation failed: {0}")]
    Key(#[from] rcgen::Error),
    #[error("token signing failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    #[error("io failed on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Claims of a dev token. Fields are public so tests can forge bad tokens.
#[derive(Clone, Debug, Serialize)]
pub struct DevClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub scope: String,
    pub iat: u64,
    pub exp: u64,
    /// Not valid before, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The token's own id, by which it can be revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Signs dev tokens; publishes the matching JWKS.
#[derive(Debug)]
pub struct DevIssuer {
    key_pem: String,
    public_raw: Vec<u8>,
}

impl DevIssuer {
    pub fn generate() -> Result<Self, DevIssuerError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
        Ok(Self {
            key_pem: key.serialize_pem(),
            public_raw: key.public_key_raw().to_vec(),
        })
    }

    /// Loads the key from `dir/oidc-signing.key.pem`, generating it (and
    /// `dir/jwks.json`) on first use.
    pub fn load_or_generate(dir: &Path) -> Result<Self, DevIssuerError> {
        let key_path = dir.join("oidc-signing.key.pem");
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| DevIssuerError::Io { path, source }
        };
        let issuer = match std::fs::read_to_string(&key_path) {
            Ok(pem) => {
                let key = rcgen::KeyPair::from_pem(&pem)?;
                Self {
                    key_pem: pem,
                    public_raw: key.public_key_raw().to_vec(),
                }
            }
            Err(_) => {
                let issuer = Self::generate()?;
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                mesh_core::certs::write_private(&key_path, issuer.key_pem.as_bytes())
                    .map_err(io(&key_path))?;
                issuer
            }
        };
        let jwks_path = dir.join("jwks.json");
        std::fs::write(&jwks_path, issuer.jwks_json()).map_err(io(&jwks_path))?;
        Ok(issuer)
    }

    /// Returns the JWKS publishing this issuer's public key.
    pub fn jwks_json(&self) -> String {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "use": "sig",
                "alg": "EdDSA",
                "kid": DEV_KID,
                "x": URL_SAFE_NO_PAD.encode(&self.public_raw),
            }]
        })
        .to_string()
    }

    /// Returns valid claims for `subject` with `scopes`, expiring after `ttl`.
    pub fn claims(&self, subject: &str, scopes: &[&str], ttl: Duration) -> DevClaims {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        DevClaims {
            iss: DEV_ISSUER.into(),
            aud: DEV_AUDIENCE.into(),
            sub: subject.into(),
            scope: scopes.join(" "),
            iat: now,
            exp: now + ttl.as_secs(),
            nbf: None,
            jti: Some(uuid::Uuid::new_v4().to_string()),
        }
    }

    /// Signs `claims` with EdDSA.
    pub fn sign(&self, claims: &DevClaims) -> Result<String, DevIssuerError> {
        let key = EncodingKey::from_ed_pem(self.key_pem.as_bytes())?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(DEV_KID.into());
        Ok(encode(&header, claims, &key)?)
    }

    /// Signs a token for `subject` with every scope, valid for `ttl`.
    pub fn token(&self, subject: &str, ttl: Duration) -> Result<String, DevIssuerError> {
        self.sign(&self.claims(subject, crate::scopes::ALL, ttl))
    }
}

#[cfg(test)]
mod tests;
