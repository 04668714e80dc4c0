//! `store`: serves audit entries and forecast runs over mTLS gRPC.

use mesh_core::binary::{Binary, BoxError};

// mimalloc: the edge's calls allocate and free many small buffers, and glibc's
// allocator cost about a tenth of an edge call's CPU (see the README's ladder).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let binary = Binary {
        name: "store",
        prefix: store::Config::PREFIX,
        grpc_listen: "0.0.0.0:50054",
        health_listen: "0.0.0.0:51054",
    };
    binary.run(store::Config::from_env, store::run).await
}
