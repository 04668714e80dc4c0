//! Compiles the contracts with protox (pure Rust, no system `protoc`), then
//! generates messages, clients and servers with tonic-prost-build, and writes
//! the descriptor set every server embeds for reflection.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &[
    "forecastmesh/warehouse/v1/warehouse.proto",
    "forecastmesh/forecaster/v1/forecaster.proto",
    "forecastmesh/store/v1/store.proto",
    "forecastmesh/gateway/v1/gateway.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=forecastmesh");
    let descriptors = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("descriptor_set.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
