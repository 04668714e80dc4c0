//! Rows per second for batched audit appends against one-row-at-a-time
//! appends, measured in the same run on each backend.
//!
//! `cargo bench -p store --bench append` (PostgreSQL from
//! `FORECAST_MESH_TEST_DATABASE_URL`, default the local server).

use std::time::Instant;

use proto::store::AuditEntry;
use store::{Backend, RecordStore, testing::TestDatabase};

const ROWS: usize = 2000;
const BATCH: usize = 100;

fn entries(run: &str) -> Vec<AuditEntry> {
    (0..ROWS)
        .map(|i| AuditEntry {
            idempotency_key: format!("{run}-{i}"),
            principal: "0123456789abcdef0123456789abcdef".into(),
            method: "/forecastmesh.gateway.v1.GatewayService/GetKpis".into(),
            status_code: "OK".into(),
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            revocation_ids: vec!["a".repeat(128)],
            ..Default::default()
        })
        .collect()
}

async fn rows_per_second(
    store: &dyn RecordStore,
    run: &str,
    batched: bool,
) -> Result<f64, store::StoreError> {
    let entries = entries(run);
    let started = Instant::now();
    if batched {
        for chunk in entries.chunks(BATCH) {
            store.append_audit_entries(chunk.to_vec()).await?;
        }
    } else {
        for entry in entries {
            store.append_audit_entry(entry).await?;
        }
    }
    Ok(ROWS as f64 / started.elapsed().as_secs_f64())
}

async fn measure(
    name: &str,
    backend: &Backend,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let store = store::open(backend).await?;
    // Warm up the connection, statements and file before measuring.
    rows_per_second(store.as_ref(), "warm", true).await?;
    let single = rows_per_second(store.as_ref(), "single", false).await?;
    let batched = rows_per_second(store.as_ref(), "batched", true).await?;
    println!(
        "{name:<10} {ROWS} rows   one at a time {single:>9.0} rows/s   batches of {BATCH} {batched:>9.0} rows/s   ratio {:>5.1}x",
        batched / single
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    measure(
        "embedded",
        &Backend::Embedded {
            path: dir.path().join("bench.sqlite"),
        },
    )
    .await?;
    let database = TestDatabase::create().await?;
    measure("postgres", &database.backend()).await?;
    Ok(())
}
