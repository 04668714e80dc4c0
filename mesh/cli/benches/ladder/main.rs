//! The latency ladder: what each layer between a client and the warehouse's
//! figures costs, measured in one run with every rung interleaved.
//!
//! `mesh up` runs as a separate process (in a temporary `MESH_DIR`, on a free
//! gateway port) so its CPU time is read from `/proc/<pid>/stat` apart from
//! this client's. Rungs: plaintext health → mTLS health → mTLS + capability
//! (warehouse `GetKpis` with an operator capability) → gateway gRPC →
//! gateway gRPC-web → gateway REST; each at concurrency 1 (p50, p99) and 32
//! (calls/s, CPU-µs per call), in rounds so drift hits every rung alike.
//!
//! - `http1`: a keep-alive HTTP/1.1 client for gRPC-web and REST.
//! - `steps`: the rungs and their clients.
//! - `measure`: closed-loop phases and their figures.
//!
//! Then the edge alone (`GetTelemetryStatus`), a forecast and the dashboard
//! asked again (warm) and the dashboard with a horizon never asked (cold),
//! and every rung but the cold one at 128 callers.
//!
//! The gateway's rate limits would refuse a benchmark's one principal: they
//! are raised for the run (`GATEWAY_RATE_LIMIT_*`), and the banner says so.
//!
//! Settings (environment): `LADDER_ROUNDS` (3), `LADDER_C1_CALLS` (400 per
//! rung and round), `LADDER_C1_SECONDS` (4), `LADDER_C32_SECONDS` (2 per
//! rung and round, also at 128), `LADDER_C32_CALLS` (100000),
//! `LADDER_WARMUP_SECONDS` (1); `LADDER_MESH_BIN`, another `mesh` binary
//! to measure (an older build, for a before and after on one machine);
//! `LADDER_RUNGS`, a comma-separated list of rung numbers (1-based) to run.

mod http1;
mod measure;
mod steps;

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use measure::Sample;
use mesh::{dev::DevState, operator, process::MeshProcess};
use mesh_core::tls::MeshTls;
use steps::{NotServed, Shared, Step};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds = setting("LADDER_ROUNDS", 3).max(1);
    let c1_calls = setting("LADDER_C1_CALLS", 400);
    let c1_time = Duration::from_secs(setting("LADDER_C1_SECONDS", 4));
    let c32_time = Duration::from_secs(setting("LADDER_C32_SECONDS", 2));
    let c32_calls = setting("LADDER_C32_CALLS", 100_000);
    let warmup = Duration::from_secs(setting("LADDER_WARMUP_SECONDS", 1));

    let dir = tempfile::tempdir()?;
    let state = DevState::load_or_create(dir.path())?;
    let (_, capability) = operator::capability(
        &state.root_key,
        "warehouse",
        "GetKpis",
        operator::MAX_TTL,
        SystemTime::now(),
    )?;
    let bearer = state.issuer.token("ladder", Duration::from_secs(3600))?;
    eprintln!(
        "starting mesh up (release build) in {}",
        dir.path().display()
    );
    let binary = std::env::var_os("LADDER_MESH_BIN").map_or_else(
        || env!("CARGO_BIN_EXE_mesh").into(),
        std::path::PathBuf::from,
    );
    eprintln!("measuring {}", binary.display());
    let unlimited: Vec<(String, String)> = gateway::edge::rate_limit::public_methods()
        .map(|method| {
            (
                gateway::edge::rate_limit::variable_of(method),
                "100000000".to_owned(),
            )
        })
        .collect();
    let mesh = MeshProcess::start_with_env(&binary, dir.path(), &unlimited)?;
    let shared = Shared::connect(
        &mesh,
        MeshTls::load(state.tls_files("operator"))?,
        capability.to_base64()?,
        bearer,
    )
    .await?;

    let chosen: Option<Vec<usize>> = std::env::var("LADDER_RUNGS").ok().map(|list| {
        list.split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect()
    });
    let mut active = Vec::new();
    let mut skipped = BTreeMap::new();
    for (number, step) in Step::ALL.into_iter().enumerate() {
        if chosen
            .as_ref()
            .is_some_and(|chosen| !chosen.contains(&(number + 1)))
        {
            skipped.insert(step.label(), "not chosen (LADDER_RUNGS)".to_owned());
            continue;
        }
        let mut client = steps::Client::new(step, &shared).await?;
        match client.call().await {
            Ok(()) => {
                let crowd = if step.in_crowds() { 32 } else { 1 };
                measure::run(&mesh, &shared, step, crowd, u64::MAX, warmup).await?;
                active.push(step);
            }
            Err(error) => match error.downcast_ref::<NotServed>() {
                Some(not_served) => {
                    skipped.insert(step.label(), not_served.to_string());
                }
                None => return Err(error.context(step.label())),
            },
        }
    }

    let mut c1: BTreeMap<&str, Sample> = BTreeMap::new();
    let mut c32: BTreeMap<&str, Sample> = BTreeMap::new();
    let mut c128: BTreeMap<&str, Sample> = BTreeMap::new();
    for round in 1..=rounds {
        eprintln!("round {round} of {rounds}");
        for &step in &active {
            let sample = measure::run(&mesh, &shared, step, 1, c1_calls, c1_time).await?;
            c1.entry(step.label()).or_default().add(sample);
            if step.in_crowds() {
                let sample = measure::run(&mesh, &shared, step, 32, c32_calls, c32_time).await?;
                c32.entry(step.label()).or_default().add(sample);
                let sample = measure::run(&mesh, &shared, step, 128, c32_calls, c32_time).await?;
                c128.entry(step.label()).or_default().add(sample);
            }
        }
    }
    drop(shared);
    drop(mesh);

    print_table(&c1, &c32, &c128, &skipped);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_table(
    c1: &BTreeMap<&str, Sample>,
    c32: &BTreeMap<&str, Sample>,
    c128: &BTreeMap<&str, Sample>,
    skipped: &BTreeMap<&str, String>,
) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "latency ladder: mesh up ({profile} build) as its own process, client on the same machine ({cores} cores)"
    );
    println!(
        "c1: one caller (p50, p99 latency); c32: 32 callers (req/s, p99, CPU-µs per request); \
         c128: 128 callers (req/s, p99); gRPC rungs share one HTTP/2 connection, HTTP/1.1 rungs \
         hold one connection per caller; gateway rate limits raised for the run\n"
    );
    println!(
        "{:<40} {:>6} {:>8} {:>8} {:>7} {:>9} {:>8} {:>11} {:>11} {:>9} {:>8}",
        "rung",
        "c1 n",
        "p50 ms",
        "p99 ms",
        "c32 n",
        "c32 rq/s",
        "p99 ms",
        "server µs",
        "client µs",
        "c128 rq/s",
        "p99 ms"
    );
    for step in Step::ALL {
        let label = step.label();
        if let Some(reason) = skipped.get(label) {
            println!("{label:<38} {reason}");
            continue;
        }
        let Some(one) = c1.get(label) else {
            continue;
        };
        // A step measured alone reads its CPU per call from its one caller.
        let many = c32.get(label);
        let cpu = many.unwrap_or(one);
        let crowd = |sample: Option<&Sample>| {
            sample.map_or_else(
                || ("-".to_owned(), "-".to_owned(), "-".to_owned()),
                |sample| {
                    (
                        sample.calls.to_string(),
                        format!("{:.0}", sample.per_second()),
                        format!("{:.2}", ms(sample.quantile(0.99))),
                    )
                },
            )
        };
        let (many_calls, many_rate, many_p99) = crowd(many);
        let (_, most_rate, most_p99) = crowd(c128.get(label));
        println!(
            "{label:<40} {:>6} {:>8.3} {:>8.3} {many_calls:>7} {many_rate:>9} {many_p99:>8} {:>11.0} {:>11.0} {most_rate:>9} {most_p99:>8}",
            one.calls,
            ms(one.quantile(0.5)),
            ms(one.quantile(0.99)),
            cpu.server_cpu_us_per_call(),
            cpu.client_cpu_us_per_call(),
        );
    }

    for (base, name) in [
        (Step::PlaintextHealth, "plaintext health"),
        (Step::DirectGetKpis, "direct warehouse GetKpis"),
    ] {
        let (Some(base1), Some(base32)) = (c1.get(base.label()), c32.get(base.label())) else {
            continue;
        };
        println!("\nagainst {name}: p50 ×, req/s ×, server CPU per request ×");
        for step in Step::ALL {
            let (Some(one), Some(many)) = (c1.get(step.label()), c32.get(step.label())) else {
                continue;
            };
            println!(
                "{:<40} {:>8.2}x {:>8.2}x {:>8.2}x",
                step.label(),
                one.quantile(0.5).as_secs_f64() / base1.quantile(0.5).as_secs_f64().max(1e-9),
                many.per_second() / base32.per_second().max(1e-9),
                many.server_cpu_us_per_call() / base32.server_cpu_us_per_call().max(1e-9),
            );
        }
    }

    print_speed_goals(c1, c32);

    let (Some(direct1), Some(direct32)) = (
        c1.get(Step::DirectGetKpis.label()),
        c32.get(Step::DirectGetKpis.label()),
    ) else {
        return;
    };
    println!("\ngoal: the edge adds < 1 ms at p50 and keeps >= 0.5x the direct throughput");
    for step in [Step::GatewayGrpc, Step::GatewayGrpcWeb, Step::GatewayRest] {
        let (Some(one), Some(many)) = (c1.get(step.label()), c32.get(step.label())) else {
            continue;
        };
        let added = ms(one.quantile(0.5)) - ms(direct1.quantile(0.5));
        let kept = many.per_second() / direct32.per_second().max(1e-9);
        println!(
            "{:<40} adds {added:>6.3} ms at p50 ({}), keeps {kept:.2}x throughput ({})",
            step.label(),
            if added < 1.0 { "met" } else { "NOT met" },
            if kept >= 0.5 { "met" } else { "NOT met" },
        );
    }
}

/// The edge-only goal of the speed issue, in server CPU-µs per call.
const EDGE_GOAL_US: f64 = 100.0;
/// Plaintext health's server CPU-µs per call where the issue measured.
const ISSUE_PLAINTEXT_HEALTH_US: f64 = 21.0;

/// The goals of the speed issue (#10), each against a figure of this run,
/// except `GetKpis`' throughput, which the issue measured at 257 calls a
/// second before the warehouse kept totals and cached answers.
fn print_speed_goals(c1: &BTreeMap<&str, Sample>, c32: &BTreeMap<&str, Sample>) {
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("\nspeed goals");
    if let Some(kpis) = c32.get(Step::GatewayGrpc.label()) {
        let (rate, p99) = (kpis.per_second(), ms(kpis.quantile(0.99)));
        println!(
            "gateway GetKpis at c32: {rate:.0} req/s, {:.1}x the issue's 257 ({}); p99 {p99:.2} ms, goal < 20 ({})",
            rate / 257.0,
            met(rate >= 2570.0),
            met(p99 < 20.0)
        );
    }
    if let Some(dashboard) = c1.get(Step::GatewayDashboardWarm.label()) {
        let p50 = ms(dashboard.quantile(0.5));
        println!(
            "GetDashboard warm p50 {p50:.2} ms, goal <= 25 ({})",
            met(p50 <= 25.0)
        );
    }
    if let Some(edge) = c32.get(Step::GatewayEdgeOnly.label()) {
        let cpu = edge.server_cpu_us_per_call();
        println!(
            "edge-only call {cpu:.0} server CPU-µs, goal <= {EDGE_GOAL_US:.0} ({})",
            met(cpu <= EDGE_GOAL_US)
        );
        // The issue's 100 µs was set on a machine where plaintext health
        // cost 21: the same goal as a ratio of this run's own baseline
        // reads the build, not the machine.
        if let Some(plain) = c32.get(Step::PlaintextHealth.label()) {
            let base = plain.server_cpu_us_per_call();
            let ratio = cpu / base.max(1e-9);
            let goal = EDGE_GOAL_US / ISSUE_PLAINTEXT_HEALTH_US;
            println!(
                "  = {ratio:.2}x this run's plaintext health ({base:.0} CPU-µs), goal as a ratio <= {goal:.2}x ({EDGE_GOAL_US:.0} of the issue's {ISSUE_PLAINTEXT_HEALTH_US:.0}) ({})",
                met(ratio <= goal)
            );
        }
    }
    if let (Some(plain), Some(mtls)) = (
        c32.get(Step::PlaintextHealth.label()),
        c32.get(Step::MtlsHealth.label()),
    ) {
        let ratio = mtls.per_second() / plain.per_second().max(1e-9);
        println!(
            "mTLS health {ratio:.2}x plaintext throughput, goal >= 0.8 ({})",
            met(ratio >= 0.8)
        );
    }
}
