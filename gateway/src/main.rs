//! `gateway`: the public edge, serving gRPC and gRPC-web to browsers.

use mesh_core::binary::{Binary, BoxError};

// mimalloc: the edge's calls allocate and free many small buffers, and glibc's
// allocator cost about a tenth of an edge call's CPU (see the README's ladder).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let binary = Binary {
        name: "gateway",
        prefix: gateway::Config::PREFIX,
        grpc_listen: "0.0.0.0:8080",
        health_listen: "0.0.0.0:51051",
    };
    binary.run(gateway::Config::from_env, gateway::run).await
}
