//! What every forecast-mesh service links.
//!
//! # Layout
//! - [`identity`]: SPIFFE ids and reading them from certificates.
//! - [`certs`]: a development CA issuing workload certificates.
//! - [`tls`]: mTLS acceptor and connector whose material reloads from disk.
//! - [`sidecar`]: mesh mode: the caller's identity from the pod's proxy's header.
//! - [`link`]: how a workload's hops are secured: by itself, or by its proxy.
//! - [`capability`]: biscuit tokens: mint, narrow per call, authorize.
//! - [`revocation`]: revoked capability blocks and bearer tokens, followed from the store.
//! - [`trace`]: W3C trace context in gRPC metadata, and server spans.
//! - [`guard`]: the tower plumbing of a layer that admits or refuses each request.
//! - [`telemetry`]: the global subscriber and the OTLP exporter.
//! - [`metrics`]: the service's instruments and the `/metrics` endpoint.
//! - [`health`]: readiness checks of what a service depends on.
//! - [`server`]: the one server assembly: spec, transport, listeners, shared layers, health.
//! - [`client`]: channels to other services with mTLS, narrowing and trace context, balanced over their replicas.
//! - [`config`]: the settings every service shares, from the environment.
//! - [`binary`]: what every service binary does, so each `main.rs` is a few lines.

#![forbid(unsafe_code)]

pub mod binary;
pub mod capability;
pub mod certs;
pub mod client;
pub mod config;
pub mod guard;
pub mod health;
pub mod identity;
pub mod link;
pub mod metrics;
pub mod revocation;
pub mod server;
pub mod sidecar;
pub mod telemetry;
pub mod tls;
pub mod trace;

pub use tokio_util::sync::CancellationToken;
