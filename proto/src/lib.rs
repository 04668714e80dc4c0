//! The forecast-mesh contracts, generated from `proto/forecastmesh/**.proto`.
//!
//! - [`warehouse`]: read-only sales analytics.
//! - [`forecaster`]: forecasts over the warehouse's sales.
//! - [`store`]: audit entries and forecast runs.
//! - [`gateway`]: the public API the dashboard calls.
//! - [`methods`]: the method table, generated: every method's full name as a constant.
//! - [`policy`]: the right each method needs and the calls it may delegate.
//! - [`FILE_DESCRIPTOR_SET`]: every contract, encoded, for server reflection.

#![allow(unreachable_pub, missing_debug_implementations, clippy::all)]

pub mod policy;

/// The method table, generated from the descriptors: one module per service
/// with a constant per method (its full name, as in the HTTP/2 `:path`), and
/// [`methods::ALL`] describing every method of every contract.
pub mod methods {
    /// One method of a contract.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Method {
        /// `/<package>.<Service>/<Method>`.
        pub path: &'static str,
        /// `<package>.<Service>`.
        pub service: &'static str,
        /// The method's own name, e.g. `GetKpis`.
        pub name: &'static str,
        pub server_streaming: bool,
        pub client_streaming: bool,
        /// Marked `idempotency_level = NO_SIDE_EFFECTS`.
        pub no_side_effects: bool,
    }

    include!(concat!(env!("OUT_DIR"), "/methods.rs"));

    /// Returns the description of the method at `path`.
    pub fn find(path: &str) -> Option<&'static Method> {
        ALL.iter().find(|method| method.path == path)
    }
}

/// Generated code, one module per protobuf package.
pub mod forecastmesh {
    /// `forecastmesh.warehouse.v1`.
    pub mod warehouse {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.warehouse.v1");
            include!(concat!(
                env!("OUT_DIR"),
                "/forecastmesh.warehouse.v1.serde.rs"
            ));
        }
    }
    /// `forecastmesh.forecaster.v1`.
    pub mod forecaster {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.forecaster.v1");
            include!(concat!(
                env!("OUT_DIR"),
                "/forecastmesh.forecaster.v1.serde.rs"
            ));
        }
    }
    /// `forecastmesh.store.v1`.
    pub mod store {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.store.v1");
            include!(concat!(env!("OUT_DIR"), "/forecastmesh.store.v1.serde.rs"));
        }
    }
    /// `forecastmesh.gateway.v1`.
    pub mod gateway {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.gateway.v1");
            include!(concat!(
                env!("OUT_DIR"),
                "/forecastmesh.gateway.v1.serde.rs"
            ));
        }
    }
}

pub use forecastmesh::{
    forecaster::v1 as forecaster, gateway::v1 as gateway, store::v1 as store,
    warehouse::v1 as warehouse,
};

/// The encoded `FileDescriptorSet` of every contract, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/descriptor_set.bin"));
