//! Versioned schema migrations, applied at start in one transaction under
//! an advisory lock, so replicas starting together apply each exactly once.

use deadpool_postgres::Client;

use crate::StoreError;

/// Every migration, in order. A shipped migration is never edited: add one.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../migrations/0001_records.sql")),
    (
        2,
        include_str!("../../migrations/0002_ranking_and_recommendation_runs.sql"),
    ),
    (3, include_str!("../../migrations/0003_revocations.sql")),
];

/// An arbitrary constant naming this schema's advisory lock.
const LOCK: i64 = 0x466f_7265_6361_7374;

/// Applies the migrations not yet recorded in `schema_migrations`.
pub(super) async fn apply(client: &mut Client) -> Result<(), StoreError> {
    let failed =
        |e: tokio_postgres::Error| StoreError::Unavailable(format!("schema migration failed: {e}"));
    let tx = client.transaction().await.map_err(failed)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
        .await
        .map_err(failed)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(failed)?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM schema_migrations", &[])
        .await
        .map_err(failed)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tx.batch_execute(sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(failed)?;
        tracing::info!(version, "applied schema migration");
    }
    tx.commit().await.map_err(failed)
}
