//! A bounded-time smoke run of every fuzz target on stable Rust: each
//! target's seeds, then random mutations of them (bit flips, byte edits,
//! insertions, deletions, splices, truncations), until its time is up. A
//! panic stops the run, prints the input and saves it under `artifacts/`.
//!
//! `cargo run --release --manifest-path fuzz/Cargo.toml --bin smoke -- [SECONDS] [TARGET...]`
//! (SECONDS per target, default 30; every target when none is named). With
//! `--write-seeds DIR` it writes the seeds as a libFuzzer corpus instead.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    process::ExitCode,
    time::{Duration, Instant, SystemTime},
};

use forecast_mesh_fuzz::{TARGETS, seeds};

/// xorshift64*: enough randomness to mutate inputs, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes the parsers care about: SQL punctuation and keywords, base64,
/// Datalog, frame headers.
const INTERESTING: &[&[u8]] = &[
    b"(",
    b")",
    b";",
    b"'",
    b"\"",
    b"--",
    b"/*",
    b"*/",
    b"[",
    b"]",
    b",",
    b"SELECT ",
    b" INTO ",
    b"WITH ",
    b" UNION ",
    b"=",
    b"A",
    b"/",
    b"+",
    b"-",
    b"_",
    b"\0\0\0\0",
    b"\xff\xff\xff\xff",
    b"\x80",
    b"\x00",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(7) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] = rng.next() as u8;
            }
            2 => {
                let token = INTERESTING[rng.below(INTERESTING.len())];
                input.splice(at..at, token.iter().copied());
            }
            3 if !input.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(input.len());
                input.drain(at.min(end)..end);
            }
            4 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(64)).min(other.len());
                input.splice(at..at, other[from..to].iter().copied());
            }
            5 => input.truncate(at),
            _ => {
                // Repeat a slice: nesting and long inputs.
                let end = (at + rng.below(8)).min(input.len());
                let slice = input[at..end].to_vec();
                for _ in 0..rng.below(32) {
                    input.splice(at..at, slice.iter().copied());
                }
            }
        }
    }
    // libFuzzer's default -max_len.
    input.truncate(4096);
}

fn run(name: &str, target: fn(&[u8]), budget: Duration, rng: &mut Rng) -> Result<u64, Vec<u8>> {
    let corpus = seeds(name);
    let started = Instant::now();
    let mut runs = 0u64;
    let mut try_one = |input: &[u8]| -> Result<(), Vec<u8>> {
        runs += 1;
        catch_unwind(AssertUnwindSafe(|| target(input))).map_err(|_| input.to_vec())
    };
    for seed in &corpus {
        try_one(seed)?;
    }
    while started.elapsed() < budget {
        let mut input = corpus
            .get(rng.below(corpus.len()))
            .cloned()
            .unwrap_or_default();
        mutate(rng, &mut input, &corpus);
        try_one(&input)?;
    }
    Ok(runs)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, dir] = args.as_slice()
        && flag == "--write-seeds"
    {
        for (name, _) in TARGETS {
            let folder = std::path::Path::new(dir).join(name);
            if let Err(error) = std::fs::create_dir_all(&folder) {
                eprintln!("{}: {error}", folder.display());
                return ExitCode::FAILURE;
            }
            for (i, seed) in seeds(name).iter().enumerate() {
                if let Err(error) = std::fs::write(folder.join(format!("seed-{i}")), seed) {
                    eprintln!("{name}: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
        return ExitCode::SUCCESS;
    }
    let (seconds, names): (u64, Vec<&str>) = match args.split_first() {
        Some((first, rest)) if first.parse::<u64>().is_ok() => (
            first.parse().unwrap_or(30),
            rest.iter().map(String::as_str).collect(),
        ),
        _ => (30, args.iter().map(String::as_str).collect()),
    };
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    println!("smoke: {seconds} s per target, seed {seed}");
    // The harness itself: the gRPC-web seeds reach the handler and come back.
    let answers: Vec<usize> = seeds("grpc_web")
        .iter()
        .map(|seed| forecast_mesh_fuzz::grpc_web_answer(seed).map_or(0, |b| b.len()))
        .collect();
    println!("grpc_web seeds answered with bodies of {answers:?} bytes");
    if answers.iter().take(4).any(|n| *n == 0) {
        eprintln!("grpc_web: a valid seed got no answer: the target is not reaching the handler");
        return ExitCode::FAILURE;
    }
    let mut rng = Rng(seed);
    for (name, target) in TARGETS {
        if !names.is_empty() && !names.contains(name) {
            continue;
        }
        match run(name, *target, Duration::from_secs(seconds), &mut rng) {
            Ok(runs) => println!("{name}: {runs} inputs, no panic"),
            Err(input) => {
                let path = format!("artifacts/smoke-{name}-{seed}");
                let _ = std::fs::create_dir_all("artifacts");
                let _ = std::fs::write(&path, &input);
                eprintln!(
                    "{name}: panicked on {:?} (saved to {path})",
                    String::from_utf8_lossy(&input)
                );
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
