//! `mesh`: run the whole mesh locally, issue dev certificates, mint and
//! inspect tokens.

use std::{
    path::PathBuf,
    time::{Duration, SystemTime},
};

use anyhow::Context;
use clap::{Parser, Subcommand};
use mesh::{
    banner::{self, Banner},
    dev::DevState,
    local::{LocalMesh, Options, Ports},
    token::dev_token,
};

#[derive(Parser, Debug)]
#[command(
    name = "mesh",
    about = "forecast-mesh: run it locally, issue dev certificates, mint and inspect tokens"
)]
struct Cli {
    /// Where dev certificates, keys and data live.
    #[arg(long, global = true, default_value = ".mesh", env = "MESH_DIR")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs all four services on loopback on embedded defaults.
    Up {
        /// The gateway's public port.
        #[arg(long, default_value_t = 8080, env = "MESH_GATEWAY_PORT")]
        port: u16,
    },
    /// Issues a dev CA and a certificate per workload (kept if present).
    Certs,
    /// Prints a dev OIDC bearer token for the gateway.
    Token {
        #[arg(long, default_value = "dev-user")]
        subject: String,
        #[arg(long, default_value_t = 12 * 3600)]
        ttl_secs: u64,
        /// A scope to grant (repeat for several); every scope when none is named.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Prints the blocks of a biscuit capability token (signatures unchecked).
    InspectToken { token: String },
    /// Prints a short-lived capability for the `operator` workload to call
    /// one internal method directly (minted from the dev root key).
    Capability {
        /// The internal service: warehouse, forecaster or store.
        #[arg(long)]
        service: String,
        /// The method, short (`GetKpis`) or full
        /// (`forecastmesh.warehouse.v1.WarehouseService/GetKpis`).
        #[arg(long)]
        method: String,
        /// How long the capability lives, in seconds (at most 3600).
        #[arg(long, default_value_t = mesh::operator::DEFAULT_TTL.as_secs())]
        ttl_secs: u64,
    },
    /// Prints the mesh's authorization policy (callers per service and
    /// method) as the Helm chart's `files/policy.yaml`.
    Policy,
    /// Checks that each plaintext health port answers SERVING, as kubelet's
    /// gRPC probes do; exits non-zero naming every one that does not.
    Probe {
        /// `host:port` of a health port (repeat for several).
        #[arg(long = "address", required = true)]
        addresses: Vec<String>,
        #[arg(long, default_value_t = 5)]
        timeout_secs: u64,
    },
}

// mimalloc: the edge's calls allocate and free many small buffers, and glibc's
// allocator cost about a tenth of an edge call's CPU (see the README's ladder).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Up { port } => up(&cli.dir, port).await,
        Command::Certs => {
            DevState::load_or_create(&cli.dir)?;
            println!("dev certificates in {}", cli.dir.join("certs").display());
            Ok(())
        }
        Command::Token {
            subject,
            ttl_secs,
            scopes,
        } => {
            let state = DevState::load_or_create(&cli.dir)?;
            let ttl = Duration::from_secs(ttl_secs);
            println!("{}", dev_token(&state.issuer, &subject, &scopes, ttl)?);
            Ok(())
        }
        Command::Policy => {
            print!("{}", mesh::policy::mesh_policy()?.to_yaml());
            Ok(())
        }
        Command::Probe {
            addresses,
            timeout_secs,
        } => {
            let timeout = Duration::from_secs(timeout_secs);
            let mut failed = 0;
            for address in &addresses {
                match mesh::probe::probe(address, timeout).await {
                    Ok(()) => println!("{address}: SERVING"),
                    Err(error) => {
                        eprintln!("{error}");
                        failed += 1;
                    }
                }
            }
            anyhow::ensure!(failed == 0, "{failed} of {} not serving", addresses.len());
            Ok(())
        }
        Command::InspectToken { token } => {
            let token = biscuit_auth::UnverifiedBiscuit::from_base64(token.trim())
                .context("not a biscuit token")?;
            println!("root key id: {:?}", token.root_key_id());
            for block in 0..token.block_count() {
                println!("block {block}:\n{}", token.print_block_source(block)?);
            }
            Ok(())
        }
        Command::Capability {
            service,
            method,
            ttl_secs,
        } => {
            let state = DevState::load_or_create(&cli.dir)?;
            let (target, capability) = mesh::operator::capability(
                &state.root_key,
                &service,
                &method,
                Duration::from_secs(ttl_secs),
                SystemTime::now(),
            )?;
            // The token alone goes to stdout, so `$(mesh capability ...)` captures it.
            println!("{}", capability.to_base64()?);
            eprintln!(
                "capability for the operator certificate to call {} on {}, valid {ttl_secs} s",
                target.grpcurl_method(),
                target.service
            );
            Ok(())
        }
    }
}

async fn up(dir: &std::path::Path, port: u16) -> anyhow::Result<()> {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok();
    let telemetry = mesh_core::telemetry::init("forecast-mesh", endpoint.as_deref())?;
    // Absolute, so that every path printed works when pasted anywhere.
    let dir = std::path::absolute(dir).context("resolving the mesh directory")?;
    let state = DevState::load_or_create(&dir)?;
    banner::write_schema(&dir).context("writing the descriptor set")?;
    let env = std::env::vars().collect();
    let options = Options {
        ports: Ports { gateway: port },
        tls_reload: Duration::from_secs(5),
        data_dir: dir.join("data"),
        cors_origins: vec!["*".into()],
        store: None,
        metrics_token: None,
        warehouse_sidecar: None,
        // As the gateway reads them on its own: GATEWAY_RATE_LIMIT_*.
        rate_limits: gateway::config::rate_limits(&env)?,
        // OTEL_EXPORTER_OTLP_*, as each service binary reads them.
        otlp_metrics: mesh_core::metrics::OtlpSettings::from_env(&env)?,
    };
    let mut local = LocalMesh::start(&state, options).await?;
    let addresses = local.addresses.clone();
    local.wait_serving(Duration::from_secs(120)).await?;
    let token = state
        .issuer
        .token("dev-user", Duration::from_secs(12 * 3600))?;
    let mesh_exe = std::env::current_exe().context("locating the mesh executable")?;
    let banner = Banner {
        addresses: &addresses,
        token: &token,
        dir: &dir,
        mesh_exe: &mesh_exe,
    };
    println!("{}", banner.render());
    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => None,
        stopped = local.wait_any() => stopped,
    };
    local.stop().await;
    tokio::task::spawn_blocking(move || telemetry.shutdown()).await?;
    match outcome {
        Some((service, Err(error))) => Err(error.context(format!("{service} stopped"))),
        Some((service, Ok(()))) => anyhow::bail!("{service} stopped unexpectedly"),
        None => Ok(()),
    }
}
