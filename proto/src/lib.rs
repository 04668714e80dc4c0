//! The forecast-mesh contracts, generated from `proto/forecastmesh/**.proto`.
//!
//! - [`warehouse`]: read-only sales analytics.
//! - [`forecaster`]: forecasts over the warehouse's sales.
//! - [`store`]: audit entries and forecast runs.
//! - [`gateway`]: the public API the dashboard calls.
//! - [`FILE_DESCRIPTOR_SET`]: every contract, encoded, for server reflection.

#![allow(unreachable_pub, missing_debug_implementations, clippy::all)]

/// Generated code, one module per protobuf package.
pub mod forecastmesh {
    /// `forecastmesh.warehouse.v1`.
    pub mod warehouse {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.warehouse.v1");
        }
    }
    /// `forecastmesh.forecaster.v1`.
    pub mod forecaster {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.forecaster.v1");
        }
    }
    /// `forecastmesh.store.v1`.
    pub mod store {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.store.v1");
        }
    }
    /// `forecastmesh.gateway.v1`.
    pub mod gateway {
        /// Version 1.
        pub mod v1 {
            tonic::include_proto!("forecastmesh.gateway.v1");
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
