//! The embedded store: a SQLite file in WAL mode with full sync, so a
//! committed append survives a crash or restart. Each record is kept whole
//! as protobuf bytes beside the columns the store looks it up by.

mod table;

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use rusqlite::Connection;

use crate::records::{Appended, StoreError};

use crate::record::{Backend, Record};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS forecast_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS ranking_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS recommendation_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS revocations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL
);
";

/// The embedded store. Clones share one connection.
#[derive(Clone, Debug)]
pub struct EmbeddedStore {
    connection: Arc<Mutex<Connection>>,
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store at `path`.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        let connection = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
            }
            let connection = Connection::open(&path).map_err(unavailable)?;
            connection
                .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")
                .map_err(unavailable)?;
            connection.execute_batch(SCHEMA).map_err(unavailable)?;
            Ok(connection)
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))??;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut connection = connection
                .lock()
                .map_err(|_| StoreError::Internal("connection poisoned".into()))?;
            work(&mut connection)
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))?
    }
}

#[tonic::async_trait]
impl Backend for EmbeddedStore {
    async fn append_all<R: Record>(&self, records: Vec<R>) -> Result<Vec<Appended<R>>, StoreError> {
        self.run(move |connection| table::append_all(connection, records))
            .await
    }

    async fn scan<R: Record>(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, R)>, StoreError> {
        self.run(move |connection| table::scan(connection, before, limit))
            .await
    }
}

fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}
