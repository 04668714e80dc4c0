//! What a call's tokens cost: the user's JWT checked at the edge (the
//! baseline, measured in the same run), and the capability path: minting
//! an authority block, narrowing it for a hop, and the receiver's
//! authorization (parse, signatures, Datalog). The edge checks a bearer
//! once and keeps it (see "What is computed once" in the README) and
//! reuses an authority block for a short window; narrowing and
//! authorizing happen on every hop of a call that finds nothing kept.
//!
//! It also times the signature work biscuit-auth does for every narrowed
//! call, whatever the code around it: the floor under such a call. Every
//! step is timed in interleaved rounds, so that the machine's drift hits
//! them alike.
//!
//! `cargo bench -p gateway --bench tokens`; `TOKENS_ITERATIONS` (2000 per
//! step, over 20 rounds).

use std::{
    hint::black_box,
    time::{Duration, Instant, SystemTime},
};

use biscuit_auth::KeyPair;
use gateway::oidc::{
    JwtValidator,
    dev_issuer::{DEV_AUDIENCE, DEV_ISSUER, DevIssuer},
};
use jsonwebtoken::Algorithm;
use mesh_core::{
    capability::{CallFacts, CapabilityMinter, CapabilityVerifier, Hop, RootKey, narrow, rights},
    identity::SpiffeId,
};

const ROUNDS: usize = 20;

/// One timed step.
type Work<'a> = Box<dyn FnMut() -> anyhow::Result<()> + 'a>;

/// Runs every step `iterations` times, a slice of each per round, and
/// returns each step's median time.
fn medians(iterations: usize, steps: &mut [Work<'_>]) -> anyhow::Result<Vec<Duration>> {
    let per_round = iterations.div_ceil(ROUNDS);
    let mut times = vec![Vec::with_capacity(per_round * ROUNDS); steps.len()];
    for _ in 0..ROUNDS {
        for (work, times) in steps.iter_mut().zip(&mut times) {
            for _ in 0..per_round {
                let started = Instant::now();
                work()?;
                times.push(started.elapsed());
            }
        }
    }
    Ok(times
        .into_iter()
        .map(|mut times| {
            times.sort_unstable();
            times[times.len() / 2]
        })
        .collect())
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
    let token = narrow(&minted, &hop, now)?.to_base64()?;
    let facts = CallFacts {
        service: "warehouse",
        method,
        caller: &gateway,
        operation: "read",
        now,
    };

    // The signature work of one narrowed call as biscuit-auth 6 does it:
    // narrowing generates the new block's key pair, rebuilds a signing key
    // from the token's last private key and signs the block; authorizing
    // verifies the authority block's and the hop's signatures (strictly)
    // and derives the last private key's public key to check it matches.
    let (signer, last) = (KeyPair::new(), KeyPair::new());
    let (public, private) = (signer.public(), last.private());
    let block = [7u8; 200];
    let signature = signer.sign(&block)?;

    let mut steps: Vec<Work<'_>> = vec![
        Box::new(|| {
            validator.validate(&bearer)?;
            Ok(())
        }),
        Box::new(|| {
            minter.mint("bench-principal", &[rights::WAREHOUSE_READ], now)?;
            Ok(())
        }),
        Box::new(|| {
            narrow(&minted, &hop, now)?;
            Ok(())
        }),
        Box::new(|| {
            verifier.authorize(&token, &facts)?;
            Ok(())
        }),
        Box::new(|| {
            black_box(KeyPair::new());
            Ok(())
        }),
        Box::new(|| {
            black_box(KeyPair::from(black_box(&private)));
            Ok(())
        }),
        Box::new(|| {
            black_box(last.sign(black_box(&block))?);
            Ok(())
        }),
        Box::new(|| {
            public.verify_signature(black_box(&block), &signature)?;
            Ok(())
        }),
    ];
    let [
        jwt,
        mint,
        narrowing,
        authorize,
        generate,
        derive,
        sign,
        verify,
    ] = medians(iterations, &mut steps)?[..]
    else {
        unreachable!("one median per step");
    };
    let floor = generate + 2 * derive + sign + 2 * verify;

    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ratio = |d: Duration| d.as_secs_f64() / jwt.as_secs_f64().max(1e-12);
    println!(
        "tokens: median of {iterations} runs each in {ROUNDS} interleaved rounds, one thread\n"
    );
    println!("{:<66} {:>8} {:>12}", "step", "µs", "x JWT check");
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
        ("  biscuit-auth: generate a key pair", generate),
        (
            "  biscuit-auth: rebuild a signing key from a private key",
            derive,
        ),
        ("  biscuit-auth: sign a block", sign),
        ("  biscuit-auth: verify a signature strictly", verify),
        (
            "  narrow + authorize's signature work: 1 + 2 + 1 + 2 of those",
            floor,
        ),
    ] {
        println!("{step:<66} {:>8.1} {:>11.2}x", us(time), ratio(time));
    }
    let per_call = ratio(narrowing + authorize);
    println!(
        "\ngoal: capabilities <= 3x a JWT check per call: {per_call:.2}x with the block reused ({})",
        if per_call <= 3.0 { "met" } else { "NOT met" }
    );
    println!(
        "biscuit-auth's signature work alone for such a call: {:.2}x; the mesh's code around it: {:.2}x",
        ratio(floor),
        ratio((narrowing + authorize).saturating_sub(floor))
    );
    Ok(())
}
