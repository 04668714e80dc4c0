//! `warehouse`: serves read-only sales analytics over mTLS gRPC.

use mesh_core::binary::{Binary, BoxError};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let binary = Binary {
        name: "warehouse",
        prefix: warehouse::Config::PREFIX,
        grpc_listen: "0.0.0.0:50052",
        health_listen: "0.0.0.0:51052",
    };
    binary
        .run(warehouse::Config::from_env, warehouse::run)
        .await
}
