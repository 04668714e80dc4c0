//! What a call's tokens cost: the user's JWT checked at the edge (the
//! baseline, measured in the same run), and the capability path: minting
//! an authority block, narrowing it for a hop, and the receiver's
//! authorization (parse, signatures, Datalog). The edge checks a bearer
//! once and keeps it (see "What is computed once" in the README) and
//! reuses an authority block for a short window; narrowing and
//! authorizing happen on every hop of every call.
//!
//! `cargo bench -p gateway --bench tokens`; `TOKENS_ITERATIONS` (2000).

use std::time::{Duration, Instant, SystemTime};

use gateway::oidc::{
    JwtValidator,
    dev_issuer::{DEV_AUDIENCE, DEV_ISSUER, DevIssuer},
};
use jsonwebtoken::Algorithm;
use mesh_core::{
    capability::{CallFacts, CapabilityMinter, CapabilityVerifier, Hop, RootKey, narrow, rights},
    identity::SpiffeId,
};

/// Returns the median time of `work` over `iterations` runs.
fn median(
    iterations: usize,
    mut work: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        work()?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

fn main() -> anyhow::Result<()> {
    let iterations = std::env::var("TOKENS_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let issuer = DevIssuer::generate()?;
    let validator = JwtValidator::new(
        DEV_ISSUER.into(),
        DEV_AUDIENCE.into(),
        serde_json::from_str(&issuer.jwks_json())?,
        vec![Algorithm::EdDSA],
    )?;
    let bearer = issuer.token("bench-user", Duration::from_secs(3600))?;
    let jwt = median(iterations, || {
        validator.validate(&bearer)?;
        Ok(())
    })?;

    let root = RootKey::generate(1);
    let verifier = CapabilityVerifier::new(root.public_key_set());
    let minter = CapabilityMinter::new(root, Duration::from_secs(60));
    let now = SystemTime::now();
    let (gateway, warehouse) = (
        SpiffeId::workload("forecast-mesh.local", "default", "gateway"),
        SpiffeId::workload("forecast-mesh.local", "default", "warehouse"),
    );
    let method = proto::methods::warehouse_service::GET_KPIS;
    let hop = Hop {
        caller: &gateway,
        callee: &warehouse,
        service: "warehouse",
        method,
        ttl: Duration::from_secs(30),
        delegated: &[],
    };
    let minted = minter.mint("bench-principal", &[rights::WAREHOUSE_READ], now)?;
    let mint = median(iterations, || {
        minter.mint("bench-principal", &[rights::WAREHOUSE_READ], now)?;
        Ok(())
    })?;
    let narrowing = median(iterations, || {
        narrow(&minted, &hop, now)?;
        Ok(())
    })?;
    let token = narrow(&minted, &hop, now)?.to_base64()?;
    let facts = CallFacts {
        service: "warehouse",
        method,
        caller: &gateway,
        operation: "read",
        now,
    };
    let authorize = median(iterations, || {
        verifier.authorize(&token, &facts)?;
        Ok(())
    })?;

    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ratio = |d: Duration| d.as_secs_f64() / jwt.as_secs_f64().max(1e-12);
    println!("tokens: median of {iterations} runs each, one thread\n");
    println!("{:<60} {:>10} {:>12}", "step", "µs", "x JWT check");
    for (step, time) in [
        ("JWT check (EdDSA signature, claims): the baseline", jwt),
        ("mint an authority block", mint),
        ("narrow it for one hop", narrowing),
        (
            "authorize at the receiver (parse, verify, Datalog)",
            authorize,
        ),
        (
            "a call's capability cost, block reused: narrow + authorize",
            narrowing + authorize,
        ),
        (
            "the same with a fresh block: mint + narrow + authorize",
            mint + narrowing + authorize,
        ),
    ] {
        println!("{step:<60} {:>10.1} {:>11.2}x", us(time), ratio(time));
    }
    let per_call = ratio(narrowing + authorize);
    println!(
        "\ngoal: capabilities <= 3x a JWT check per call: {per_call:.2}x with the block reused ({})",
        if per_call <= 3.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
