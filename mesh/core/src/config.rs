//! Settings every service shares. Each service reads them, and its own, from
//! environment variables with its own prefix (`WAREHOUSE_TLS_CERT`, ...).
//! Loaders take the environment as a map so tests never touch the process's.
//! A variable under a service's prefix that no setting names is refused
//! ([`refuse_unknown`]): a typo such as `STORE_DATABSE_URL` must not quietly
//! leave the store on its embedded default.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use secrecy::SecretString;
use serde::{Deserialize, Deserializer, de};

use crate::{
    capability::{CapabilityVerifier, KeyError, MethodRights, PublicKeySet},
    identity::SpiffeId,
    link::Link,
    metrics::{MetricsSettings, OtlpSettings},
    server::{Access, Server, ServiceSpec},
    sidecar::{Sidecar, SidecarProvider, TrustedProxies},
    tls::{MeshTls, TlsError, TlsFiles},
};

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid environment: {0}")]
    Env(#[from] envy::Error),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("invalid setting {name}={value:?}: {reason}")]
    Address {
        name: String,
        value: String,
        reason: String,
    },
    #[error("unknown setting {name}{}: known settings are {known}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    Unknown {
        name: String,
        suggestion: Option<String>,
        known: String,
    },
}

/// Where a service listens, read by [`crate::binary::Binary`] before it
/// binds: `<prefix>LISTEN` and `<prefix>HEALTH_LISTEN` (the binary's
/// defaults when unset) and `<prefix>ADMIN_LISTEN` (no admin port when unset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListenSettings {
    pub listen: Option<SocketAddr>,
    pub health_listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
}

/// The listen variables as text, so a bad one is refused by its name.
#[derive(Deserialize)]
struct ListenVariables {
    listen: Option<String>,
    health_listen: Option<String>,
    admin_listen: Option<String>,
}

impl ListenSettings {
    /// Reads the addresses from `env` under `prefix`.
    pub fn from_env(prefix: &str, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let raw: ListenVariables = envy::prefixed(prefix).from_iter(env.clone())?;
        let parse =
            |name: &str, value: Option<String>| -> Result<Option<SocketAddr>, ConfigError> {
                value
                    .map(|value| {
                        value
                            .parse()
                            .map_err(|e: std::net::AddrParseError| ConfigError::Address {
                                name: format!("{prefix}{name}"),
                                value,
                                reason: e.to_string(),
                            })
                    })
                    .transpose()
            };
        Ok(Self {
            listen: parse("LISTEN", raw.listen)?,
            health_listen: parse("HEALTH_LISTEN", raw.health_listen)?,
            admin_listen: parse("ADMIN_LISTEN", raw.admin_listen)?,
        })
    }
}

/// Returns the field names of the struct `T` as serde, and so envy, reads
/// them (renames applied): what `<prefix><NAME>` variables it takes.
pub fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The introspecting deserializer always fails once it has the names.
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that records the fields a struct asks for and stops.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field names read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Refuses any variable in `env` under `prefix` that names none of the
/// shared settings ([`MeshSettings`]), the listen addresses
/// ([`ListenSettings`]), or `own` (the
/// service's own settings, e.g. `field_names::<Own>()`). Variables under
/// other prefixes are not this service's business.
pub fn refuse_unknown(
    prefix: &str,
    env: &HashMap<String, String>,
    own: &[&str],
) -> Result<(), ConfigError> {
    let mut known: Vec<&str> = field_names::<MeshSettings>()
        .iter()
        .chain(field_names::<ListenVariables>())
        .chain(own)
        .copied()
        .collect();
    known.sort_unstable();
    let mut names: Vec<&String> = env.keys().filter(|k| k.starts_with(prefix)).collect();
    names.sort();
    for name in names {
        let setting = name[prefix.len()..].to_ascii_lowercase();
        if known.contains(&setting.as_str()) {
            continue;
        }
        let nearest = known
            .iter()
            .map(|k| (edit_distance(&setting, k), k))
            .min()
            .filter(|(distance, _)| *distance <= 3)
            .map(|(_, k)| format!("{prefix}{}", k.to_ascii_uppercase()));
        return Err(ConfigError::Unknown {
            name: name.clone(),
            suggestion: nearest,
            known: known
                .iter()
                .map(|k| format!("{prefix}{}", k.to_ascii_uppercase()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(())
}

/// Levenshtein distance, for suggesting the setting a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// How a workload's hops are secured (`<prefix>TRANSPORT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportMode {
    /// mTLS with the workload's own certificate (`<prefix>TLS_*`).
    #[default]
    Native,
    /// Plaintext h2 to the pod's Linkerd or Istio proxy
    /// (`<prefix>SIDECAR_PROVIDER`), which does the mTLS.
    Sidecar,
}

/// Identity, TLS and token settings shared by every service.
#[derive(Clone, Debug, Deserialize)]
pub struct MeshSettings {
    /// SPIFFE trust domain of the mesh.
    #[serde(default = "default_trust_domain")]
    pub trust_domain: String,
    /// Kubernetes namespace the workloads run in, part of their SPIFFE ids.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Native mTLS (the default) or behind a mesh's sidecar proxy.
    #[serde(default)]
    pub transport: TransportMode,
    /// The mesh whose proxy sits beside the service: `linkerd` or `istio`;
    /// sidecar mode only.
    pub sidecar_provider: Option<SidecarProvider>,
    /// The source addresses the local proxy connects from, comma-separated
    /// IPs; unset, loopback and the pod's own address. Sidecar mode only.
    pub sidecar_proxy_addresses: Option<String>,
    /// PEM file of the mesh CA; native mode only.
    pub tls_ca: Option<PathBuf>,
    /// PEM file of this workload's certificate chain; native mode only.
    pub tls_cert: Option<PathBuf>,
    /// PEM file of this workload's private key; native mode only.
    pub tls_key: Option<PathBuf>,
    /// How often the TLS files are checked for rotation, in seconds.
    #[serde(default = "default_reload_secs")]
    pub tls_reload_secs: u64,
    /// How often readiness (database, upstreams) is checked, in seconds.
    #[serde(default = "default_health_check_secs")]
    pub health_check_secs: u64,
    /// How often the store's revocation list is read again, in seconds.
    #[serde(default = "default_revocation_refresh_secs")]
    pub revocation_refresh_secs: u64,
    /// Root public keys accepted on capability tokens: `<id>:<hex>,...`.
    #[serde(default)]
    pub capability_public_keys: String,
    /// Serve `/metrics` on the admin port.
    #[serde(default)]
    pub metrics_enabled: bool,
    /// The bearer token a scraper of `/metrics` must present.
    #[serde(default)]
    pub metrics_token: Option<SecretString>,
    /// Where the metrics are pushed over OTLP: read from the unprefixed
    /// standard `OTEL_*` variables ([`OtlpSettings::from_env`]).
    #[serde(skip)]
    pub otlp_metrics: Option<OtlpSettings>,
}

impl MeshSettings {
    /// Reads the settings from `env` under `prefix` (e.g. `WAREHOUSE_`),
    /// and the OTLP metrics export from the `OTEL_*` variables.
    pub fn from_env(prefix: &str, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let settings: Self = envy::prefixed(prefix).from_iter(env.clone())?;
        Ok(Self {
            otlp_metrics: OtlpSettings::from_env(env)?,
            ..settings
        })
    }

    /// Returns the TLS files, all three of which native mode needs.
    pub fn tls_files(&self) -> Result<TlsFiles, ConfigError> {
        let required = |file: &Option<PathBuf>, name: &'static str| {
            file.clone().ok_or(ConfigError::Invalid {
                name,
                reason: "required with the native transport".into(),
            })
        };
        Ok(TlsFiles {
            ca: required(&self.tls_ca, "TLS_CA")?,
            cert: required(&self.tls_cert, "TLS_CERT")?,
            key: required(&self.tls_key, "TLS_KEY")?,
        })
    }

    /// Loads the TLS material, failing when it does not make a usable pair.
    pub fn load_tls(&self) -> Result<Arc<MeshTls>, ConfigError> {
        Ok(MeshTls::load(self.tls_files()?)?)
    }

    /// Returns how this workload's hops are secured: its TLS material
    /// loaded (native), or the sidecar it sits behind. Settings of the other
    /// mode are refused rather than silently unused.
    pub fn link(&self) -> Result<Link, ConfigError> {
        let only_sidecar = |name: &'static str| ConfigError::Invalid {
            name,
            reason: "only with TRANSPORT=sidecar".into(),
        };
        match self.transport {
            TransportMode::Native => {
                if self.sidecar_provider.is_some() {
                    return Err(only_sidecar("SIDECAR_PROVIDER"));
                }
                if self.sidecar_proxy_addresses.is_some() {
                    return Err(only_sidecar("SIDECAR_PROXY_ADDRESSES"));
                }
                Ok(Link::Native(self.load_tls()?))
            }
            TransportMode::Sidecar => {
                let provider = self.sidecar_provider.ok_or(ConfigError::Invalid {
                    name: "SIDECAR_PROVIDER",
                    reason: "required with TRANSPORT=sidecar: linkerd or istio".into(),
                })?;
                let proxies =
                    match &self.sidecar_proxy_addresses {
                        Some(addresses) => addresses.parse::<TrustedProxies>().map_err(|e| {
                            ConfigError::Invalid {
                                name: "SIDECAR_PROXY_ADDRESSES",
                                reason: format!("{e}: comma-separated IP addresses"),
                            }
                        })?,
                        None => TrustedProxies::Local,
                    };
                Ok(Link::Sidecar(Sidecar { provider, proxies }))
            }
        }
    }

    /// Returns whether and for whom `/metrics` is served, and where the
    /// metrics are pushed.
    pub fn metrics(&self) -> MetricsSettings {
        MetricsSettings {
            enabled: self.metrics_enabled,
            token: self.metrics_token.clone(),
            otlp: self.otlp_metrics.clone(),
        }
    }

    pub fn health_period(&self) -> Duration {
        Duration::from_secs(self.health_check_secs.max(1))
    }

    /// How long a revocation takes to be refused everywhere, at most
    /// (revocations committed out of order: up to
    /// [`crate::revocation::FULL_REFRESH_EVERY`] times this).
    pub fn revocation_refresh_period(&self) -> Duration {
        Duration::from_secs(self.revocation_refresh_secs.max(1))
    }

    pub fn tls_reload_period(&self) -> Duration {
        Duration::from_secs(self.tls_reload_secs.max(1))
    }

    /// Builds the capability verifier; an empty key set is a configuration error.
    pub fn verifier(&self) -> Result<CapabilityVerifier, ConfigError> {
        let keys = PublicKeySet::parse(&self.capability_public_keys)?;
        if self.capability_public_keys.trim().is_empty() {
            return Err(ConfigError::Invalid {
                name: "CAPABILITY_PUBLIC_KEYS",
                reason: "no root public key: every call would be refused".into(),
            });
        }
        Ok(CapabilityVerifier::new(keys))
    }

    /// Returns the SPIFFE id of `service` in this mesh.
    pub fn id_of(&self, service: &str) -> SpiffeId {
        SpiffeId::workload(&self.trust_domain, &self.namespace, service)
    }
}

impl MeshSettings {
    /// Builds the server of internal service `name` over `link`: mTLS (whose
    /// material the server keeps reloading; the service's clients may share
    /// it) or behind the sidecar; only
    /// `allowed_callers` (service names) get in, each call with a capability
    /// granting the right `rights` names for its method.
    pub fn internal_server(
        &self,
        name: &'static str,
        grpc_service: &'static str,
        allowed_callers: &[&str],
        rights: MethodRights,
        link: impl Into<Link>,
    ) -> Result<Server, ConfigError> {
        let spec = ServiceSpec {
            name,
            grpc_service,
            access: Access::Capabilities {
                allowed_callers: allowed_callers
                    .iter()
                    .map(|caller| self.id_of(caller))
                    .collect(),
                rights,
                verifier: self.verifier()?,
            },
        };
        let transport = link.into().server_transport(self.tls_reload_period());
        Ok(Server::new(spec, transport).metrics_settings(self.metrics()))
    }

    /// Keeps `server`'s revocation list following the store's, read over
    /// `store` every `REVOCATION_REFRESH_SECS`, until `shutdown`.
    pub fn follow_revocations(
        &self,
        server: &Server,
        store: crate::client::MeshChannel,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        crate::revocation::follow(
            server.revocations().clone(),
            crate::revocation::StoreSource::new(store),
            self.revocation_refresh_period(),
            server.metrics(),
            shutdown,
        );
    }
}

fn default_trust_domain() -> String {
    "forecast-mesh.local".into()
}

fn default_namespace() -> String {
    "default".into()
}

fn default_health_check_secs() -> u64 {
    5
}

fn default_revocation_refresh_secs() -> u64 {
    5
}

fn default_reload_secs() -> u64 {
    5
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

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Own {
        database_url: Option<String>,
        #[serde(rename = "pool_size")]
        pool: Option<u32>,
    }

    #[test]
    fn field_names_are_what_serde_reads() {
        assert_eq!(field_names::<Own>(), ["database_url", "pool_size"]);
        assert!(field_names::<MeshSettings>().contains(&"tls_cert"));
        assert!(field_names::<MeshSettings>().contains(&"metrics_enabled"));
        assert!(field_names::<MeshSettings>().contains(&"metrics_token"));
    }

    #[test]
    fn known_settings_listen_addresses_and_other_prefixes_pass() -> Result<(), ConfigError> {
        refuse_unknown(
            "STORE_",
            &env(&[
                ("STORE_DATABASE_URL", "postgres://db/store"),
                ("STORE_POOL_SIZE", "4"),
                ("STORE_TLS_CA", "ca.pem"),
                ("STORE_LISTEN", "0.0.0.0:50054"),
                ("STORE_ADMIN_LISTEN", "0.0.0.0:9090"),
                ("WAREHOUSE_DATABSE_URL", "not the store's"),
                ("RUST_LOG", "info"),
            ]),
            field_names::<Own>(),
        )
    }

    #[test]
    fn a_typo_is_refused_naming_the_setting_it_meant() {
        let refused = refuse_unknown(
            "STORE_",
            &env(&[("STORE_DATABSE_URL", "postgres://db/store")]),
            field_names::<Own>(),
        )
        .expect_err("a typo");
        let text = refused.to_string();
        assert!(
            text.starts_with(
                "unknown setting STORE_DATABSE_URL (did you mean STORE_DATABASE_URL?)"
            ),
            "{text}"
        );
        assert!(text.contains("STORE_TLS_CERT"), "{text}");
    }

    #[test]
    fn a_name_like_nothing_known_gets_no_suggestion() {
        let refused = refuse_unknown(
            "STORE_",
            &env(&[("STORE_SOMETHING_ELSE_ENTIRELY", "1")]),
            field_names::<Own>(),
        )
        .expect_err("unknown");
        assert!(!refused.to_string().contains("did you mean"), "{refused}");
    }

    #[test]
    fn listen_addresses_are_typed() -> Result<(), ConfigError> {
        let listen = ListenSettings::from_env(
            "STORE_",
            &env(&[
                ("STORE_LISTEN", "0.0.0.0:50054"),
                ("STORE_HEALTH_LISTEN", "[::]:51054"),
            ]),
        )?;
        assert_eq!(
            listen.listen,
            Some("0.0.0.0:50054".parse().expect("an address"))
        );
        assert_eq!(
            listen.health_listen,
            Some("[::]:51054".parse().expect("an address"))
        );
        assert_eq!(listen.admin_listen, None, "no admin port unless asked");
        let refused = ListenSettings::from_env("STORE_", &env(&[("STORE_ADMIN_LISTEN", "9090")]))
            .expect_err("a port is not an address");
        assert!(
            refused
                .to_string()
                .starts_with("invalid setting STORE_ADMIN_LISTEN=\"9090\""),
            "{refused}"
        );
        Ok(())
    }

    #[test]
    fn sidecar_mode_needs_a_provider_and_no_tls_files() -> Result<(), ConfigError> {
        let load = |pairs: &[(&str, &str)]| {
            refuse_unknown("STORE_", &env(pairs), &[])?;
            MeshSettings::from_env("STORE_", &env(pairs))?.link()
        };
        let link = load(&[
            ("STORE_TRANSPORT", "sidecar"),
            ("STORE_SIDECAR_PROVIDER", "istio"),
            ("STORE_SIDECAR_PROXY_ADDRESSES", "127.0.0.6"),
        ])?;
        let Link::Sidecar(sidecar) = link else {
            panic!("sidecar expected")
        };
        assert_eq!(sidecar.provider, SidecarProvider::Istio);
        assert!(
            sidecar
                .proxies
                .trusts("127.0.0.6".parse().expect("an ip"), None)
        );

        let refused = |pairs: &[(&str, &str)]| load(pairs).expect_err("refused").to_string();
        assert!(refused(&[("STORE_TRANSPORT", "sidecar")]).contains("SIDECAR_PROVIDER"));
        assert!(refused(&[("STORE_TRANSPORT", "mesh")]).contains("unknown variant"));
        assert!(refused(&[("STORE_SIDECAR_PROVIDER", "linkerd")]).contains("only with"));
        assert!(refused(&[]).contains("TLS_CA: required with the native transport"));
        assert!(
            refused(&[
                ("STORE_TRANSPORT", "sidecar"),
                ("STORE_SIDECAR_PROVIDER", "linkerd"),
                ("STORE_SIDECAR_PROXY_ADDRESSES", "localhost"),
            ])
            .contains("comma-separated IP addresses")
        );
        Ok(())
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("database_url", "database_url"), 0);
        assert_eq!(edit_distance("databse_url", "database_url"), 1);
        assert_eq!(edit_distance("tls_crt", "tls_cert"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
