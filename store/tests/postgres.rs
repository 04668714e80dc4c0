//! What only the PostgreSQL backend has: migrations, and bounded waits on a
//! database that is dead, unreachable or stuck.

use std::time::Duration;

use proto::store::AuditEntry;
use secrecy::SecretString;
use store::testing::{TestDatabase, TestResult, must_answer};
use store::{
    RecordStore, StoreError,
    audit_filter::AuditFilter,
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
    assert_eq!(versions, vec![1, 2, 3]);
    for table in [
        "audit_logs",
        "forecast_runs",
        "ranking_runs",
        "recommendation_runs",
        "revocations",
    ] {
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
        .list_audit_entries(PageRequest::parse(10, "")?, &AuditFilter::default())
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

/// The certificate file the test server presents, which names `localhost`.
async fn server_certificate(
    database: &TestDatabase,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let (client, connection) = tokio_postgres::connect(database.url(), NoTls).await?;
    tokio::spawn(connection);
    let ssl: String = client.query_one("SHOW ssl", &[]).await?.get(0);
    assert_eq!(ssl, "on", "the test server must offer TLS");
    Ok(client.query_one("SHOW ssl_cert_file", &[]).await?.get(0))
}

fn over_tls(database: &TestDatabase, ca_file: Option<std::path::PathBuf>) -> PostgresSettings {
    let url = database.url().replace("@127.0.0.1:", "@localhost:");
    let mut settings = PostgresSettings::new(SecretString::from(format!("{url}?sslmode=require")));
    settings.ca_file = ca_file;
    settings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_the_database_verifies_its_certificate() -> TestResult {
    let database = TestDatabase::create().await?;
    let trusted = server_certificate(&database).await?;

    let store = PostgresStore::connect(&over_tls(&database, Some(trusted.into()))).await?;
    assert!(store.is_encrypted().await?, "the connection is encrypted");
    store.append_audit_entry(entry("over-tls")).await?;

    // Another CA: the server's certificate is not trusted.
    let dir = tempfile::tempdir()?;
    let other = dir.path().join("other-ca.pem");
    std::fs::write(
        &other,
        mesh_core::certs::DevCa::generate("not the database's CA")?
            .pem()
            .cert
            .as_bytes(),
    )?;
    let refused = must_answer(PostgresStore::connect(&over_tls(&database, Some(other)))).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );

    // TLS required but nothing to verify with: refused before connecting.
    let refused = PostgresStore::connect(&over_tls(&database, None)).await;
    assert!(
        matches!(refused, Err(StoreError::InvalidArgument(_))),
        "{refused:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_pool_reports_its_size_and_use_to_metrics() -> TestResult {
    use mesh_core::metrics::prometheus_client::{encoding::text::encode, registry::Registry};
    let database = TestDatabase::create().await?;
    let mut settings = database.settings();
    settings.pool_max_size = 3;
    let store = PostgresStore::connect(&settings).await?;
    let mut registry = Registry::with_prefix("forecast_mesh");
    registry.register_collector(Box::new(store.pool_metrics()));
    let mut text = String::new();
    encode(&mut text, &registry)?;
    for line in [
        "forecast_mesh_db_pool_max_size 3",
        "forecast_mesh_db_pool_waiting 0",
        "forecast_mesh_db_pool_connections{state=\"in_use\"} 0",
        "forecast_mesh_db_pool_wait_timeouts_total 0",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    Ok(())
}
