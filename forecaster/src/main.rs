//! `forecaster`: serves forecasts over mTLS gRPC.

use mesh_core::binary::{Binary, BoxError};

// mimalloc: the edge's calls allocate and free many small buffers, and glibc's
// allocator cost about a tenth of an edge call's CPU (see the README's ladder).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let binary = Binary {
        name: "forecaster",
        prefix: forecaster::Config::PREFIX,
        grpc_listen: "0.0.0.0:50053",
        health_listen: "0.0.0.0:51053",
    };
    binary
        .run(forecaster::Config::from_env, forecaster::run)
        .await
}
