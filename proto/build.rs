//! Compiles the contracts with protox (pure Rust, no system `protoc`), then
//! generates messages, clients and servers with tonic-prost-build, their
//! proto3 JSON mapping with pbjson, writes the descriptor set every server
//! embeds for reflection, and generates the method table: every method's
//! full name as a constant.

use std::{env, fmt::Write as _, fs, path::PathBuf};

use prost::Message;
use prost_types::{FileDescriptorSet, method_options::IdempotencyLevel};

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
    fs::write(out_dir.join("methods.rs"), method_table(&descriptors)?)?;
    let encoded = descriptors.encode_to_vec();
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    // The proto3 JSON mapping for REST: field names as declared (the replaced
    // system's clients read snake_case) and every field present, defaults too.
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)?
        .preserve_proto_field_names()
        .emit_fields()
        .build(&[".forecastmesh"])?;
    Ok(())
}

/// Returns Rust source with one module per service (`warehouse_service`,
/// ...) holding a constant per method, and `ALL`, every method described.
fn method_table(descriptors: &FileDescriptorSet) -> Result<String, std::fmt::Error> {
    let mut modules = String::new();
    let mut all = String::new();
    for file in &descriptors.file {
        let package = file.package();
        for service in &file.service {
            let full_service = format!("{package}.{}", service.name());
            let module = snake_case(service.name());
            writeln!(modules, "/// Methods of `{full_service}`.")?;
            writeln!(modules, "pub mod {module} {{")?;
            writeln!(modules, "    /// The service's full name.")?;
            writeln!(modules, "    pub const SERVICE: &str = {full_service:?};")?;
            let mut names = Vec::new();
            for method in &service.method {
                let path = format!("/{full_service}/{}", method.name());
                let constant = snake_case(method.name()).to_uppercase();
                writeln!(modules, "    /// `{path}`")?;
                writeln!(modules, "    pub const {constant}: &str = {path:?};")?;
                names.push(constant);
                let no_side_effects = method.options.as_ref().is_some_and(|options| {
                    options.idempotency_level() == IdempotencyLevel::NoSideEffects
                });
                writeln!(
                    all,
                    "    Method {{ path: {path:?}, service: {full_service:?}, name: {:?}, \
                     server_streaming: {}, client_streaming: {}, no_side_effects: {no_side_effects} }},",
                    method.name(),
                    method.server_streaming(),
                    method.client_streaming(),
                )?;
            }
            writeln!(modules, "    /// Every method of the service.")?;
            writeln!(
                modules,
                "    pub const ALL: &[&str] = &[{}];",
                names.join(", ")
            )?;
            writeln!(modules, "}}\n")?;
        }
    }
    Ok(format!(
        "{modules}/// Every method of every contract.\npub const ALL: &[Method] = &[\n{all}];\n"
    ))
}

fn snake_case(name: &str) -> String {
    let mut snake = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}
