//! JSON REST for the paths of the replaced system, over the same operations
//! as gRPC.
//!
//! - [`routes`]: the REST paths and the public method each one is.

pub mod routes;
