//! The peer's identity, as the transport established it, put in request
//! extensions as [`PeerIdentity`]; nothing else reads TLS state or the
//! proxy's header. Identity headers a service mesh's proxy sets
//! (`l5d-client-id`, `x-forwarded-client-cert`) are always stripped: in
//! sidecar mode they are read first, and only on a connection from the
//! proxy; in native mode they are ignored. Nothing downstream may mistake
//! them for the peer.

use http::Request;
use tonic::transport::server::TcpConnectInfo;

use super::transport::PeerSource;
use crate::{
    identity::PeerIdentity,
    sidecar::{HeaderError, IDENTITY_HEADERS},
    tls::PeerInfo,
};

/// Returns a request with [`PeerIdentity`] in its extensions when `source`
/// vouches for the peer, and with any mesh identity header removed; for
/// `ServiceBuilder::map_request`.
pub(crate) fn peer_identity<B>(source: PeerSource) -> impl Fn(Request<B>) -> Request<B> + Clone {
    move |mut request| {
        let peer = match &source {
            PeerSource::Certificate => request
                .extensions()
                .get::<PeerInfo>()
                .and_then(|info| info.spiffe_id.clone()),
            PeerSource::Proxy(sidecar) => {
                let connection = request.extensions().get::<TcpConnectInfo>();
                let remote = connection.and_then(|c| c.remote_addr()).map(|a| a.ip());
                let local = connection.and_then(|c| c.local_addr()).map(|a| a.ip());
                match sidecar.identity_of(request.headers(), remote, local) {
                    Ok(id) => Some(id),
                    // Refused by authorization for want of an identity.
                    Err(error @ HeaderError::NotFromProxy(_))
                        if request.headers().contains_key(sidecar.provider.header()) =>
                    {
                        tracing::warn!(%error, "identity header not from the local proxy ignored");
                        None
                    }
                    Err(error) => {
                        tracing::debug!(%error, "no peer identity from the sidecar");
                        None
                    }
                }
            }
            PeerSource::Nobody => None,
        };
        for header in IDENTITY_HEADERS {
            request.headers_mut().remove(header);
        }
        if let Some(id) = peer {
            request.extensions_mut().insert(PeerIdentity(id));
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{
        identity::SpiffeId,
        sidecar::{Sidecar, SidecarProvider, TrustedProxies},
    };

    const GATEWAY: &str = "spiffe://cluster.local/ns/default/sa/gateway";
    const ADMIN: &str = "spiffe://cluster.local/ns/default/sa/admin";

    fn request(remote: &str, extension: impl Clone + Send + Sync + 'static) -> Request<()> {
        let mut request = Request::builder()
            .header("x-forwarded-client-cert", format!("URI={GATEWAY}"))
            .header("l5d-client-id", ADMIN)
            .body(())
            .expect("a request");
        request.extensions_mut().insert(TcpConnectInfo {
            local_addr: "127.0.0.1:50052".parse().ok(),
            remote_addr: remote.parse().ok(),
        });
        request.extensions_mut().insert(extension);
        request
    }

    fn peer(request: &Request<()>) -> Option<&str> {
        assert!(
            IDENTITY_HEADERS
                .iter()
                .all(|h| !request.headers().contains_key(*h)),
            "mesh identity headers are stripped"
        );
        request
            .extensions()
            .get::<PeerIdentity>()
            .map(|PeerIdentity(id)| id.as_str())
    }

    #[test]
    fn native_mode_takes_the_certificate_and_ignores_the_headers() {
        let native = peer_identity(PeerSource::Certificate);
        let info = PeerInfo {
            remote: None,
            spiffe_id: SpiffeId::parse(ADMIN).ok(),
        };
        assert_eq!(peer(&native(request("127.0.0.1:4000", info))), Some(ADMIN));
        let public = peer_identity(PeerSource::Nobody);
        assert_eq!(peer(&public(request("127.0.0.1:4000", ()))), None);
    }

    #[test]
    fn sidecar_mode_takes_the_providers_header_from_the_proxy_only() {
        let istio = peer_identity(PeerSource::Proxy(Arc::new(Sidecar {
            provider: SidecarProvider::Istio,
            proxies: TrustedProxies::Addresses(vec!["127.0.0.6".parse().expect("an ip")]),
        })));
        assert_eq!(peer(&istio(request("127.0.0.6:4000", ()))), Some(GATEWAY));
        assert_eq!(peer(&istio(request("127.0.0.1:4000", ()))), None);
    }
}
