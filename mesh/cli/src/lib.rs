//! The `mesh` command's library: everything `mesh up` and the tests share.
//!
//! # Layout
//! - [`banner`]: what `mesh up` prints: addresses and commands that work when pasted.
//! - [`dev`]: the local development state under `.mesh/`: certificates, the
//!   capability root key and the dev OIDC issuer, made on first run.
//! - [`local`]: binds every service on loopback and runs them in one process.
//! - [`operator`]: capabilities for operators calling internal methods directly.
//! - [`policy`]: the mesh's authorization policy as the Helm chart reads it.
//! - [`probe`]: `mesh probe`, a health check of plaintext probe ports.
//! - [`process`]: `mesh up` as a child process, for benchmarks and fault tests.
//! - [`token`]: dev bearer tokens with every scope or only some.

#![forbid(unsafe_code)]

pub mod banner;
pub mod dev;
pub mod local;
pub mod operator;
pub mod policy;
pub mod probe;
pub mod process;
pub mod token;
