//! Root keys. The gateway alone holds a private key; every service holds the
//! public keys by root key id, so keys can rotate: mint with the new id while
//! receivers still accept the old one.

use std::collections::HashMap;

use biscuit_auth::{Algorithm, KeyPair, PrivateKey, PublicKey, RootKeyProvider, error};
use secrecy::{ExposeSecret, SecretString};

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid ed25519 key: {0}")]
    Invalid(String),
    #[error("invalid public key set entry {0:?}: want <key id>:<hex public key>")]
    Entry(String),
}

/// The gateway's root signing key and its id.
pub struct RootKey {
    pub(crate) key_pair: KeyPair,
    pub(crate) key_id: u32,
}

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("RootKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl RootKey {
    /// Generates a fresh Ed25519 root key.
    pub fn generate(key_id: u32) -> Self {
        Self {
            key_pair: KeyPair::new(),
            key_id,
        }
    }

    /// Reads a hex-encoded Ed25519 private key.
    pub fn from_hex(key_id: u32, private_hex: &SecretString) -> Result<Self, KeyError> {
        let private =
            PrivateKey::from_bytes_hex(private_hex.expose_secret().trim(), Algorithm::Ed25519)
                .map_err(|e| KeyError::Invalid(e.to_string()))?;
        Ok(Self {
            key_pair: KeyPair::from(&private),
            key_id,
        })
    }

    /// Returns the private key, hex-encoded, for writing to a secret file.
    pub fn private_hex(&self) -> SecretString {
        SecretString::from(self.key_pair.private().to_bytes_hex())
    }

    pub fn public(&self) -> PublicKey {
        self.key_pair.public()
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Returns the public key set that accepts tokens minted with this key.
    pub fn public_key_set(&self) -> PublicKeySet {
        PublicKeySet::from_keys([(self.key_id, self.public())])
    }
}

/// Root public keys a receiver accepts, by root key id.
#[derive(Clone, Debug, Default)]
pub struct PublicKeySet {
    keys: HashMap<u32, PublicKey>,
}

impl PublicKeySet {
    pub fn from_keys(keys: impl IntoIterator<Item = (u32, PublicKey)>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// Parses `"<id>:<hex>,<id>:<hex>"`, the form the configuration uses.
    pub fn parse(list: &str) -> Result<Self, KeyError> {
        let mut keys = HashMap::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, hex) = entry
                .split_once(':')
                .ok_or_else(|| KeyError::Entry(entry.to_owned()))?;
            let id = id
                .trim()
                .parse()
                .map_err(|_| KeyError::Entry(entry.to_owned()))?;
            let key = PublicKey::from_bytes_hex(hex.trim(), Algorithm::Ed25519)
                .map_err(|e| KeyError::Invalid(e.to_string()))?;
            keys.insert(id, key);
        }
        Ok(Self { keys })
    }

    /// Formats the set the way [`PublicKeySet::parse`] reads it.
    pub fn to_config_string(&self) -> String {
        let mut entries: Vec<_> = self
            .keys
            .iter()
            .map(|(id, key)| format!("{id}:{}", key.to_bytes_hex()))
            .collect();
        entries.sort();
        entries.join(",")
    }
}

impl RootKeyProvider for &PublicKeySet {
    fn choose(&self, key_id: Option<u32>) -> Result<PublicKey, error::Format> {
        // A token without a key id is refused: every token we mint names its key.
        key_id
            .and_then(|id| self.keys.get(&id).copied())
            .ok_or(error::Format::UnknownPublicKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_sets_round_trip_through_config() -> anyhow::Result<()> {
        let root = RootKey::generate(7);
        let text = root.public_key_set().to_config_string();
        assert!(text.starts_with("7:"));
        let parsed = PublicKeySet::parse(&text)?;
        assert_eq!(parsed.to_config_string(), text);
        assert!(PublicKeySet::parse("7").is_err());
        assert!(PublicKeySet::parse("x:00").is_err());
        Ok(())
    }

    #[test]
    fn root_keys_round_trip_through_hex() -> anyhow::Result<()> {
        let root = RootKey::generate(1);
        let again = RootKey::from_hex(1, &root.private_hex())?;
        assert_eq!(again.public(), root.public());
        assert!(!format!("{root:?}").contains(root.private_hex().expose_secret()));
        Ok(())
    }
}
