//! The issuer's signing keys and how they stay fresh: read from a file
//! (`GATEWAY_OIDC_JWKS_PATH`, e.g. a mounted Secret) or fetched from a URL
//! (`GATEWAY_OIDC_JWKS_URL`, or the `jwks_uri` of the issuer's discovery
//! document), kept in memory, read or fetched again every refresh period and
//! — at most once per minimum interval — soon after a token names a key id
//! the set lacks (the issuer rotated its keys). A file that cannot be read
//! or parsed later keeps the last good set (a Secret being replaced).
//!
//! Validation never waits on the network: a token signed by a key not yet
//! fetched is refused as `token signing key is unknown`, and the refresh it
//! triggers admits the same token moments later.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, RwLock, Weak},
    time::Duration,
};

use jsonwebtoken::jwk::JwkSet;
use mesh_core::CancellationToken;
use serde::Deserialize;
use tokio::{sync::Notify, time::Instant};

use super::{
    JwksError,
    fetch::{FetchError, get_json},
};

/// Where the keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS file, read at start and again as a URL would be fetched.
    File(PathBuf),
    /// A JWKS URL.
    Url(String),
    /// The `jwks_uri` of `<issuer>/.well-known/openid-configuration`.
    Discovery,
}

/// How a fetched key set is kept fresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refresh {
    /// Fetched again this often.
    pub every: Duration,
    /// No two fetches closer than this, however many unknown key ids come.
    pub min_interval: Duration,
    /// One fetch's deadline.
    pub timeout: Duration,
}

impl Default for Refresh {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(300),
            min_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Why the keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("the discovery document names issuer {found}, not {expected}")]
    IssuerMismatch { expected: String, found: String },
    #[error(transparent)]
    File(#[from] JwksError),
}

/// Reads a JSON Web Key Set from `path`.
pub fn read_file(path: &Path) -> Result<JwkSet, JwksError> {
    parse_file(path, std::fs::read_to_string(path))
}

fn parse_file(path: &Path, text: std::io::Result<String>) -> Result<JwkSet, JwksError> {
    let text = text.map_err(|source| JwksError::Read {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| JwksError::Parse {
        path: path.display().to_string(),
        source,
    })
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// The current key set, shared by every validator clone.
#[derive(Debug)]
pub struct KeySet {
    current: RwLock<Arc<JwkSet>>,
    /// Wakes the refresher; `None` for a fixed set.
    wake: Option<Notify>,
}

impl KeySet {
    /// Returns a set that never changes.
    pub fn fixed(keys: JwkSet) -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(Arc::new(keys)),
            wake: None,
        })
    }

    /// Returns the keys as last fetched.
    pub fn get(&self) -> Arc<JwkSet> {
        // A poisoned lock still holds the last complete set.
        match self.current.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, keys: JwkSet) {
        let keys = Arc::new(keys);
        match self.current.write() {
            Ok(mut current) => *current = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
    }

    /// Says a token named a key id the set lacks: fetch again soon.
    pub fn unknown_key(&self) {
        if let Some(wake) = &self.wake {
            wake.notify_one();
        }
    }

    /// Fetches the issuer's keys (from `url`, or by discovery when `None`)
    /// and keeps them fresh until `shutdown`. A first fetch that fails is
    /// logged and retried: the gateway starts, refusing tokens until the
    /// keys arrive, rather than not at all.
    pub async fn remote(
        issuer: String,
        url: Option<String>,
        refresh: Refresh,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let keys = Arc::new(Self {
            current: RwLock::new(Arc::new(JwkSet { keys: Vec::new() })),
            wake: Some(Notify::new()),
        });
        let source = Source::Remote { issuer, url };
        let fetched = match source.fetch(refresh.timeout).await {
            Ok(set) => {
                tracing::info!(keys = set.keys.len(), "fetched the issuer's jwks");
                keys.set(set);
                true
            }
            Err(error) => {
                tracing::warn!(%error, "could not fetch the issuer's jwks; retrying");
                false
            }
        };
        tokio::spawn(refresher(
            Arc::downgrade(&keys),
            source,
            refresh,
            fetched,
            shutdown,
        ));
        keys
    }

    /// Reads the key set in `path` now (a file that cannot be read or
    /// parsed stops the start) and again on the refresh schedule until
    /// `shutdown`.
    pub fn file(
        path: PathBuf,
        refresh: Refresh,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>, JwksError> {
        let keys = Arc::new(Self {
            current: RwLock::new(Arc::new(read_file(&path)?)),
            wake: Some(Notify::new()),
        });
        tokio::spawn(refresher(
            Arc::downgrade(&keys),
            Source::File(path),
            refresh,
            true,
            shutdown,
        ));
        Ok(keys)
    }
}

enum Source {
    /// A URL, or the issuer's discovery document's when `None`.
    Remote {
        issuer: String,
        url: Option<String>,
    },
    File(PathBuf),
}

impl Source {
    async fn fetch(&self, timeout: Duration) -> Result<JwkSet, KeysError> {
        let (issuer, url) = match self {
            Source::File(path) => {
                return Ok(parse_file(path, tokio::fs::read_to_string(path).await)?);
            }
            Source::Remote { issuer, url } => (issuer, url),
        };
        let url = match url {
            Some(url) => url.clone(),
            None => {
                let discovery_url = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let discovery: Discovery = get_json(&discovery_url, timeout).await?;
                if &discovery.issuer != issuer {
                    return Err(KeysError::IssuerMismatch {
                        expected: issuer.clone(),
                        found: discovery.issuer,
                    });
                }
                discovery.jwks_uri
            }
        };
        Ok(get_json(&url, timeout).await?)
    }
}

async fn refresher(
    keys: Weak<KeySet>,
    source: Source,
    refresh: Refresh,
    mut fetched: bool,
    shutdown: CancellationToken,
) {
    let mut last = Instant::now();
    loop {
        // Until the first success, retry at the minimum interval.
        let wait = if fetched {
            refresh.every
        } else {
            refresh.min_interval
        };
        {
            let Some(strong) = keys.upgrade() else { return };
            let Some(wake) = &strong.wake else { return };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
                () = wake.notified() => {}
            }
        }
        let earliest = last + refresh.min_interval;
        if Instant::now() < earliest {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep_until(earliest) => {}
            }
        }
        last = Instant::now();
        let result = source.fetch(refresh.timeout).await;
        let Some(strong) = keys.upgrade() else { return };
        match result {
            Ok(set) => {
                tracing::debug!(keys = set.keys.len(), "refreshed the issuer's jwks");
                strong.set(set);
                fetched = true;
            }
            Err(error) => tracing::warn!(%error, "could not refresh the issuer's jwks"),
        }
    }
}

#[cfg(test)]
mod tests;
