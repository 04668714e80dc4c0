//! What only the PostgreSQL backend has: migrations, and bounded waits on a
//! database that is dead, unreachable or stuck.

use std::time::Duration;

use proto::store::AuditEntry;
use secrecy::SecretString;
use store::testing::{TestDatabase, TestResult, must_answer};
use store::{
    RecordStore, StoreError,
    postgres::{PostgresSettings, PostgresStore},
    records::PageRequest,
};
use tokio_postgres::NoTls;

fn entry(key: &str) -> AuditEntry {
    AuditEntry {
        idempotency_key: key.into(),
        method: "/m".into(),
        status_code: "OK".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once() -> TestResult {
    let database = TestDatabase::create().await?;
    PostgresStore::connect(&database.settings()).await?;
    PostgresStore::connect(&database.settings()).await?;
    let (client, connection) = tokio_postgres::connect(database.url(), NoTls).await?;
    tokio::spawn(connection);
    let versions: Vec<i32> = client
        .query("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, vec![1]);
    for table in ["audit_logs", "forecast_runs"] {
        let unique = client
            .query_one(
                "SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%UNIQUE%(idempotency_key)%'",
                &[&table],
            )
            .await?;
        assert_eq!(
            unique.get::<_, i64>(0),
            1,
            "{table} has a unique idempotency key"
        );
    }
    Ok(())
}

fn quick(url: String) -> PostgresSettings {
    let mut settings = PostgresSettings::new(SecretString::from(url));
    settings.connect_timeout = Duration::from_millis(500);
    settings.pool_wait = Duration::from_millis(500);
    settings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_database_is_unavailable() -> TestResult {
    // Bind a port, then free it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let refused = must_answer(PostgresStore::connect(&quick(format!(
        "postgres://postgres@127.0.0.1:{port}/x"
    ))))
    .await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_never_answers_is_unavailable() -> TestResult {
    // Accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = silent.local_addr()?.port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let refused = must_answer(PostgresStore::connect(&quick(format!(
        "postgres://postgres@127.0.0.1:{port}/x"
    ))))
    .await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_statement_is_cancelled_and_writes_nothing() -> TestResult {
    let database = TestDatabase::create().await?;
    let mut settings = database.settings();
    settings.statement_timeout = Duration::from_millis(300);
    let store = PostgresStore::connect(&settings).await?;

    // Another session holds the table locked, as a stuck migration or a long
    // report would.
    let (mut locker, connection) = tokio_postgres::connect(database.url(), NoTls).await?;
    tokio::spawn(connection);
    let lock = locker.transaction().await?;
    lock.batch_execute("LOCK TABLE audit_logs IN ACCESS EXCLUSIVE MODE")
        .await?;

    let stuck = must_answer(store.append_audit_entry(entry("blocked"))).await;
    assert!(
        matches!(stuck, Err(StoreError::DeadlineExceeded(_))),
        "{stuck:?}"
    );
    assert_eq!(
        tonic::Status::from(stuck.expect_err("timed out")).code(),
        tonic::Code::DeadlineExceeded
    );
    lock.rollback().await?;

    let page = store
        .list_audit_entries(PageRequest::parse(10, "")?)
        .await?;
    assert!(
        page.records.is_empty(),
        "the cancelled write left nothing behind"
    );
    assert!(
        store.append_audit_entry(entry("blocked")).await?.created,
        "the key is still free"
    );
    Ok(())
}
