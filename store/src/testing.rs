//! Test databases: each PostgreSQL test creates its own database and drops
//! it, even when the test fails. The server is the one at
//! `FORECAST_MESH_TEST_DATABASE_URL` (default: local trust auth); when it
//! cannot be reached the test fails, it never skips (`tests/run` starts one).

use std::time::Duration;

use crate::{Backend, postgres::PostgresSettings};
use secrecy::SecretString;
use tokio_postgres::NoTls;

/// What a test returns.
pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn admin_url() -> String {
    std::env::var("FORECAST_MESH_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

async fn admin() -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(&admin_url(), NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

impl TestDatabase {
    /// Creates an empty database on the test server.
    pub async fn create() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let name = format!("forecast_mesh_test_{}", uuid::Uuid::new_v4().simple());
        let client = admin().await.map_err(|e| {
            format!(
                "no PostgreSQL at {} ({e}): run tests/run, which starts one",
                admin_url()
            )
        })?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let base = admin_url();
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => return Err("admin url has no database".into()),
        };
        Ok(Self { name, url })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Store settings for the database.
    pub fn settings(&self) -> PostgresSettings {
        PostgresSettings::new(SecretString::from(self.url.clone()))
    }

    /// The store backend for the database.
    pub fn backend(&self) -> Backend {
        Backend::Postgres(self.settings())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop cannot await; a thread with its own runtime drops the database.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let client = admin().await.ok()?;
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("test database {} was not dropped", self.name);
        }
    }
}

/// Bounds a call that must not hang: a generous guard, not a speed check.
pub async fn must_answer<T>(future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(30), future).await {
        Ok(value) => value,
        Err(_) => panic!("the store hung instead of answering"),
    }
}
