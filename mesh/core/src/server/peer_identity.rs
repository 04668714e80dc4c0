//! The peer's identity, as the transport established it, put in request
//! extensions as [`PeerIdentity`]; nothing else reads TLS state. Identity
//! headers a service mesh's proxy would set (`l5d-client-id`,
//! `x-forwarded-client-cert`) are stripped: this transport does not trust
//! them, and nothing downstream may mistake them for the peer.

use http::Request;

use crate::{identity::PeerIdentity, tls::PeerInfo};

/// Headers a sidecar proxy sets to name the peer.
const MESH_IDENTITY_HEADERS: [&str; 2] = ["l5d-client-id", "x-forwarded-client-cert"];

/// Returns a request with [`PeerIdentity`] in its extensions when the
/// transport `verified` the peer, and with any mesh identity header removed;
/// for `ServiceBuilder::map_request`.
pub fn peer_identity<B>(verified: bool) -> impl Fn(Request<B>) -> Request<B> + Clone {
    move |mut request| {
        for header in MESH_IDENTITY_HEADERS {
            request.headers_mut().remove(header);
        }
        let peer = verified
            .then(|| request.extensions().get::<PeerInfo>())
            .flatten()
            .and_then(|info| info.spiffe_id.clone());
        if let Some(id) = peer {
            request.extensions_mut().insert(PeerIdentity(id));
        }
        request
    }
}
