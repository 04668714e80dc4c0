//! End-to-end tests: the whole mesh on ephemeral ports with real mTLS,
//! called by real clients. One binary, one module per concern.

mod audit_faults;
mod balanced;
mod biscuit_samples;
mod bounded;
mod browser;
mod deadlines;
mod fit_memo;
mod forecast_series;
mod gateway_killed;
mod harness;
mod health;
mod insights;
mod metrics;
mod operators;
mod otlp_metrics;
mod postgres_store;
mod public_api;
mod rate_limits;
mod refusals;
mod rest;
mod revocation;
mod rotation;
mod run_history;
mod sidecar;
mod trace;
mod warehouse_query;
mod watch_dashboard;
