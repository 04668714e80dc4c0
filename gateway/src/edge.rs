//! The edge: the gateway's own layers, between the mesh's shared ones
//! (trace, peer identity) and its routes. Outermost first:
//!
//! 1. CORS, then [`grpc_web`] (so browsers and REST clients reach the same
//!    code), then RED per gRPC method (the assembly's layer, here so it sees
//!    gRPC-web calls translated and edge refusals answered);
//! 2. [`call`]: which public method a request is (gRPC path or REST route),
//!    and [`rest_metrics`], RED per REST route;
//! 3. [`authenticate`]: the bearer JWT becomes a [`Principal`] (failures
//!    limited per peer address);
//! 4. [`rate_limit`]: per principal and method; refusals counted, not
//!    audited one by one;
//! 5. [`audit`]: one entry per admitted call, on disk before its outcome
//!    leaves;
//! 6. [`scope`]: the method's scope, checked against the token's;
//! 7. [`mint`]: the capability the call tree will carry, no wider than the
//!    method's call plan needs.
//!
//! A refusal is answered in the request's own protocol by [`gate`].
//! Health, reflection, the OpenAPI document and REST health are open.

pub mod audit;
pub mod authenticate;
pub mod call;
pub mod gate;
pub mod grpc_web;
pub mod mint;
pub mod rate_limit;
pub mod rest_metrics;
pub mod scope;

use std::sync::Arc;

use mesh_core::server::{HttpService, OwnLayers, Server};
use tower::{ServiceBuilder, util::BoxCloneSyncService};
use tower_http::cors::CorsLayer;

pub use audit::{AuditLayer, AuditNotes};
pub use authenticate::{Authenticate, Principal};
pub use call::{Protocol, PublicCall};
pub use gate::GateLayer;
pub use mint::Mint;
pub use rate_limit::{RateLimit, RateLimitSettings};
pub use scope::Scope;

use crate::{audit::Auditor, minted::MintedCapabilities, oidc::JwtValidator};

/// Returns the edge's layers for the server assembly, counted in
/// `server`'s metrics.
pub(crate) fn layers(
    cors: CorsLayer,
    server: &Server,
    validator: JwtValidator,
    minted: Arc<MintedCapabilities>,
    auditor: Auditor,
    rate_limit: Arc<RateLimit>,
    failed_auth_per_minute: u32,
) -> OwnLayers {
    let authenticate = GateLayer::new(
        Authenticate::new(
            validator,
            server.revocations().clone(),
            rate_limit::FailedAuthentications::new(failed_auth_per_minute),
        )
        .counted_in(server.metrics()),
    );
    rate_limit.register_metrics(server.metrics());
    let rest_metrics = rest_metrics::RestMetricsLayer::new(server.metrics());
    let rpc_metrics = server.rpc_metrics_layer();
    let rate_limit = GateLayer::new(rate_limit);
    let audit = AuditLayer::new(auditor);
    let scope = GateLayer::new(Scope);
    let mint = GateLayer::new(Mint::new(minted));
    Arc::new(move |inner: HttpService| {
        BoxCloneSyncService::new(
            ServiceBuilder::new()
                .layer(cors.clone())
                .layer(grpc_web::GrpcWebOnlyLayer)
                .layer(rpc_metrics.clone())
                .map_request(call::classify::<tonic::body::Body>)
                .layer(rest_metrics.clone())
                .layer(authenticate.clone())
                .layer(rate_limit.clone())
                .layer(audit.clone())
                .layer(scope.clone())
                .layer(mint.clone())
                .service(inner),
        )
    })
}
