//! Mesh ("sidecar") mode: the pod's Linkerd or Istio proxy terminates mTLS,
//! the service speaks plaintext h2 to it, and the caller's identity is the
//! header the proxy sets. The header is believed only on connections from the
//! proxy itself; anywhere else it is a forgery.
//!
//! - [`xfcc`]: Istio's `x-forwarded-client-cert`.
//! - [`linkerd`]: Linkerd's `l5d-client-id`.

mod linkerd;
mod xfcc;

use std::{net::IpAddr, str::FromStr};

use http::HeaderMap;
use serde::Deserialize;

use crate::identity::SpiffeId;

/// Headers a sidecar proxy sets to name the peer. Every transport strips
/// them before the service's own layers see the request.
pub const IDENTITY_HEADERS: [&str; 2] = [linkerd::HEADER, xfcc::HEADER];

/// The service mesh whose proxy sits beside the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SidecarProvider {
    /// `l5d-client-id`.
    Linkerd,
    /// `x-forwarded-client-cert`, the `URI` of its nearest element.
    Istio,
}

impl SidecarProvider {
    /// Returns the header this mesh's proxy names the client in.
    pub fn header(self) -> &'static str {
        match self {
            Self::Linkerd => linkerd::HEADER,
            Self::Istio => xfcc::HEADER,
        }
    }

    /// Returns the client workload the header's `value` names.
    pub fn client_id(self, value: &str) -> Result<SpiffeId, HeaderError> {
        match self {
            Self::Linkerd => linkerd::client_id(value),
            Self::Istio => xfcc::client_id(value),
        }
    }
}

/// Which peers are the local proxy.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum TrustedProxies {
    /// Loopback (Istio's inbound proxy connects from 127.0.0.6), or the pod's
    /// own address (Linkerd's connects from the pod's address to the pod's
    /// address): a connection from inside the pod's network namespace.
    #[default]
    Local,
    /// Exactly these source addresses.
    Addresses(Vec<IpAddr>),
}

impl TrustedProxies {
    /// True when a connection from `remote` to `local` comes from the proxy.
    pub fn trusts(&self, remote: IpAddr, local: Option<IpAddr>) -> bool {
        let remote = remote.to_canonical();
        match self {
            Self::Local => {
                remote.is_loopback() || local.is_some_and(|local| local.to_canonical() == remote)
            }
            Self::Addresses(addresses) => addresses.iter().any(|a| a.to_canonical() == remote),
        }
    }
}

impl FromStr for TrustedProxies {
    type Err = std::net::AddrParseError;

    /// Parses comma-separated IP addresses; none is [`TrustedProxies::Local`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let addresses = s
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<IpAddr>, _>>()?;
        Ok(if addresses.is_empty() {
            Self::Local
        } else {
            Self::Addresses(addresses)
        })
    }
}

/// The sidecar a service sits behind: whose header to read, and from whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sidecar {
    pub provider: SidecarProvider,
    pub proxies: TrustedProxies,
}

/// Why a request gave no identity in sidecar mode.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("the peer {0} is not the local proxy")]
    NotFromProxy(IpAddr),
    #[error("the connection's peer address is unknown")]
    UnknownPeer,
    #[error("no identity header")]
    Missing,
    #[error("the identity header appears more than once")]
    Repeated,
    #[error("the identity header is empty")]
    Empty,
    #[error("the identity header names no spiffe id")]
    NoSpiffeId,
    #[error("malformed identity header: {0}")]
    Malformed(String),
}

impl Sidecar {
    /// Returns the caller's identity: the provider's header, on a connection
    /// from `remote` to `local` that the proxy made.
    pub fn identity_of(
        &self,
        headers: &HeaderMap,
        remote: Option<IpAddr>,
        local: Option<IpAddr>,
    ) -> Result<SpiffeId, HeaderError> {
        let remote = remote.ok_or(HeaderError::UnknownPeer)?;
        if !self.proxies.trusts(remote, local) {
            return Err(HeaderError::NotFromProxy(remote));
        }
        let mut values = headers.get_all(self.provider.header()).iter();
        let value = values.next().ok_or(HeaderError::Missing)?;
        if values.next().is_some() {
            return Err(HeaderError::Repeated);
        }
        let value = value
            .to_str()
            .map_err(|_| HeaderError::Malformed("not visible ascii".into()))?;
        self.provider.client_id(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("a header value"));
        }
        map
    }

    const GATEWAY: &str = "spiffe://cluster.local/ns/default/sa/gateway";

    #[test]
    fn local_proxies_are_loopback_or_the_pods_own_address() {
        let local = TrustedProxies::Local;
        assert!(local.trusts(ip("127.0.0.6"), Some(ip("10.0.0.7"))));
        assert!(local.trusts(ip("::1"), None));
        assert!(local.trusts(ip("::ffff:127.0.0.1"), None));
        assert!(local.trusts(ip("10.0.0.7"), Some(ip("10.0.0.7"))));
        assert!(!local.trusts(ip("10.0.0.8"), Some(ip("10.0.0.7"))));
        assert!(!local.trusts(ip("10.0.0.8"), None));
    }

    #[test]
    fn configured_proxies_are_exactly_those() -> Result<(), std::net::AddrParseError> {
        let proxies: TrustedProxies = "127.0.0.6, 10.1.2.3".parse()?;
        assert!(proxies.trusts(ip("127.0.0.6"), None));
        assert!(proxies.trusts(ip("10.1.2.3"), None));
        assert!(!proxies.trusts(ip("127.0.0.1"), Some(ip("127.0.0.1"))));
        assert_eq!("".parse::<TrustedProxies>()?, TrustedProxies::Local);
        assert!("127.0.0.6:80".parse::<TrustedProxies>().is_err());
        Ok(())
    }

    #[test]
    fn the_header_counts_only_from_the_proxy() -> Result<(), HeaderError> {
        let istio = Sidecar {
            provider: SidecarProvider::Istio,
            proxies: TrustedProxies::Local,
        };
        let xfcc = headers(&[("x-forwarded-client-cert", &format!("URI={GATEWAY}"))]);
        let id = istio.identity_of(&xfcc, Some(ip("127.0.0.6")), Some(ip("10.0.0.7")))?;
        assert_eq!(id.as_str(), GATEWAY);
        assert!(matches!(
            istio.identity_of(&xfcc, Some(ip("10.0.0.9")), Some(ip("10.0.0.7"))),
            Err(HeaderError::NotFromProxy(_))
        ));
        assert!(matches!(
            istio.identity_of(&xfcc, None, None),
            Err(HeaderError::UnknownPeer)
        ));
        Ok(())
    }

    #[test]
    fn each_provider_reads_its_own_header_once() -> Result<(), HeaderError> {
        let linkerd = Sidecar {
            provider: SidecarProvider::Linkerd,
            proxies: TrustedProxies::Local,
        };
        let from = Some(ip("127.0.0.1"));
        let l5d = headers(&[(
            "l5d-client-id",
            "gateway.default.serviceaccount.identity.linkerd.cluster.local",
        )]);
        assert_eq!(linkerd.identity_of(&l5d, from, from)?.as_str(), GATEWAY);
        let xfcc = headers(&[("x-forwarded-client-cert", &format!("URI={GATEWAY}"))]);
        assert!(matches!(
            linkerd.identity_of(&xfcc, from, from),
            Err(HeaderError::Missing)
        ));
        let twice = headers(&[
            (
                "l5d-client-id",
                "spiffe://cluster.local/ns/default/sa/gateway",
            ),
            (
                "l5d-client-id",
                "spiffe://cluster.local/ns/default/sa/admin",
            ),
        ]);
        assert!(matches!(
            linkerd.identity_of(&twice, from, from),
            Err(HeaderError::Repeated)
        ));
        Ok(())
    }
}
