//! What the audit spool costs a call: an entry is on disk (one `fdatasync`
//! per group of appends) before its call is answered. Measured against a
//! bare `fdatasync` of one small write to the same directory, in the same
//! run: at one caller an append should cost about one sync; with many
//! callers they share syncs, so the cost per entry falls.
//!
//! `cargo bench -p gateway --bench spool`; `SPOOL_SECONDS` (3) per phase.
//! The directory is a temporary one (`TMPDIR`): run it on the disk the
//! gateway's spool will live on.

use std::{
    io::Write,
    sync::Arc,
    time::{Duration, Instant},
};

use gateway::audit::{SpoolSettings, spool};
use proto::store::AuditEntry;

fn entry(n: u64) -> AuditEntry {
    AuditEntry {
        idempotency_key: format!("bench-{n:016x}"),
        principal: "0123456789abcdef0123456789abcdef".into(),
        method: "/forecastmesh.gateway.v1.GatewayService/GetKpis".into(),
        status_code: "OK".into(),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        revocation_ids: vec!["a".repeat(128), "b".repeat(128)],
        ..Default::default()
    }
}

/// Microseconds per operation and operations per second.
fn figures(operations: u64, elapsed: Duration) -> (f64, f64) {
    let per = elapsed.as_secs_f64() * 1e6 / operations.max(1) as f64;
    (per, operations as f64 / elapsed.as_secs_f64().max(1e-9))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds = std::env::var("SPOOL_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let phase = Duration::from_secs(seconds);
    let dir = tempfile::tempdir()?;

    // The baseline: one small write and its fdatasync, back to back.
    let mut file = std::fs::File::create(dir.path().join("baseline"))?;
    let (started, mut syncs) = (Instant::now(), 0_u64);
    while started.elapsed() < phase {
        file.write_all(&[0; 200])?;
        file.sync_data()?;
        syncs += 1;
    }
    let (sync_us, _) = figures(syncs, started.elapsed());

    let (writer, _reader) = spool::open(&SpoolSettings {
        dir: dir.path().join("spool"),
        max_bytes: u64::MAX,
    })?;
    let writer = Arc::new(writer);
    println!(
        "audit spool: each append waits until its entry is on disk ({} cores; in {})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        dir.path().display()
    );
    println!("baseline: a 200-byte write and fdatasync: {sync_us:.0} µs\n");
    println!(
        "{:>8} {:>10} {:>12} {:>14} {:>16} {:>16}",
        "callers", "entries", "entries/s", "µs per entry", "x one fdatasync", "µs a call waits"
    );
    for callers in [1_u64, 8, 32, 128] {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for caller in 0..callers {
            let writer = Arc::clone(&writer);
            tasks.spawn(async move {
                let mut appended = 0_u64;
                while started.elapsed() < phase {
                    writer.append(&entry(caller << 40 | appended)).await?;
                    appended += 1;
                }
                anyhow::Ok(appended)
            });
        }
        let mut entries = 0;
        while let Some(done) = tasks.join_next().await {
            entries += done??;
        }
        let (per_entry, rate) = figures(entries, started.elapsed());
        println!(
            "{callers:>8} {entries:>10} {rate:>12.0} {per_entry:>14.1} {:>15.2}x {:>16.0}",
            per_entry / sync_us.max(1e-9),
            per_entry * callers as f64
        );
    }
    println!(
        "\nµs per entry is the disk's cost spread over the callers sharing a sync; a call \
         waits for the whole group's sync."
    );
    Ok(())
}
