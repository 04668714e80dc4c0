//! The PostgreSQL backend: a deadpool pool of tokio-postgres connections,
//! versioned migrations applied at start, and the same semantics as the
//! embedded store. Every wait is bounded — for a pooled connection, for a new
//! connection, for a statement — so a dead or stuck database answers
//! `UNAVAILABLE` or `DEADLINE_EXCEEDED` quickly instead of hanging a call.

mod migrations;
mod pool_metrics;
mod tls;

pub use pool_metrics::PoolMetrics;

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    time::Duration,
};

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use mesh_core::metrics::prometheus_client::metrics::counter::Counter;
use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::{NoTls, config::SslMode, error::SqlState};

use crate::{
    record::{Backend, Record, assign_new, decode},
    records::{Appended, StoreError},
};

/// How to reach the database and how long to wait for it.
#[derive(Clone, Debug)]
pub struct PostgresSettings {
    /// `postgres://user:password@host:port/database?...`; may hold a password.
    pub url: SecretString,
    pub pool_max_size: usize,
    /// Longest wait for a pooled connection.
    pub pool_wait: Duration,
    /// Longest wait to open a new connection.
    pub connect_timeout: Duration,
    /// Longest a statement may run; the server cancels it after that.
    pub statement_timeout: Duration,
    /// PEM roots that verify the database's certificate. With it the store
    /// speaks TLS as the URL's `sslmode` asks, always verifying the server;
    /// without it, it never sends a byte over unverified TLS.
    pub ca_file: Option<PathBuf>,
}

impl PostgresSettings {
    /// Settings for `url` with the defaults the configuration documents.
    pub fn new(url: SecretString) -> Self {
        Self {
            url,
            pool_max_size: 16,
            pool_wait: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
            ca_file: None,
        }
    }
}

/// The PostgreSQL store. Clones share one pool.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: Pool,
    /// Callers who gave up waiting for a connection.
    wait_timeouts: Counter,
}

impl PostgresStore {
    /// Returns the pool's instruments, read at each scrape.
    pub fn pool_metrics(&self) -> PoolMetrics {
        PoolMetrics {
            pool: self.pool.clone(),
            wait_timeouts: self.wait_timeouts.clone(),
        }
    }

    /// Returns a pooled connection, counting a wait that timed out.
    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|error| {
            if matches!(error, PoolError::Timeout(_)) {
                self.wait_timeouts.inc();
            }
            pool_error(error)
        })
    }

    /// Builds the pool and applies pending migrations.
    pub async fn connect(settings: &PostgresSettings) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = settings
            .url
            .expose_secret()
            .parse()
            .map_err(|_| StoreError::InvalidArgument("invalid database url".into()))?;
        config
            .connect_timeout(settings.connect_timeout)
            .application_name("forecast-mesh-store")
            .options(format!(
                "-c statement_timeout={}",
                settings.statement_timeout.as_millis()
            ));
        let recycling = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match &settings.ca_file {
            Some(ca_file) => Manager::from_config(config, tls::verifying(ca_file)?, recycling),
            None if config.get_ssl_mode() == SslMode::Require => {
                return Err(StoreError::InvalidArgument(
                    "sslmode=require needs STORE_DATABASE_CA_FILE to verify the database's certificate".into(),
                ));
            }
            None => Manager::from_config(config, NoTls, recycling),
        };
        let pool = Pool::builder(manager)
            .max_size(settings.pool_max_size)
            .wait_timeout(Some(settings.pool_wait))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Internal(format!("pool could not be built: {e}")))?;
        let store = Self {
            pool,
            wait_timeouts: Counter::default(),
        };
        let mut client = store.client().await?;
        migrations::apply(&mut client).await?;
        Ok(store)
    }

    /// Returns whether this store's connections to the database are encrypted.
    pub async fn is_encrypted(&self) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(database_error)?;
        Ok(row.get(0))
    }
}

#[tonic::async_trait]
impl Backend for PostgresStore {
    async fn check(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(database_error)?;
        Ok(())
    }

    /// Inserts every record whose key is new with one statement, in one
    /// transaction, and returns what is stored for each, in order.
    async fn append_all<R: Record>(
        &self,
        mut records: Vec<R>,
    ) -> Result<Vec<Appended<R>>, StoreError> {
        records.iter_mut().for_each(assign_new);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(database_error)?;
        let ids: Vec<&str> = records.iter().map(Record::id).collect();
        let keys: Vec<&str> = records.iter().map(Record::idempotency_key).collect();
        let times: Vec<i64> = records.iter().map(Record::recorded_at_unix_ms).collect();
        let bodies: Vec<Vec<u8>> = records
            .iter()
            .map(|record| record.encode_to_vec())
            .collect();
        let insert = format!(
            "INSERT INTO {} (id, idempotency_key, recorded_at_unix_ms, body)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[])
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            R::TABLE
        );
        let inserted: HashSet<String> = tx
            .query(&insert, &[&ids, &keys, &times, &bodies])
            .await
            .map_err(database_error)?
            .iter()
            .map(|row| row.get(0))
            .collect();
        // Keys written before (or earlier in this batch): return the first record.
        let written_before: Vec<&str> = records
            .iter()
            .filter(|r| !inserted.contains(r.id()))
            .map(Record::idempotency_key)
            .collect();
        let select = format!(
            "SELECT idempotency_key, body FROM {} WHERE idempotency_key = ANY($1)",
            R::TABLE
        );
        let mut stored: HashMap<String, Vec<u8>> = HashMap::new();
        if !written_before.is_empty() {
            for row in tx
                .query(&select, &[&written_before])
                .await
                .map_err(database_error)?
            {
                stored.insert(row.get(0), row.get(1));
            }
        }
        tx.commit().await.map_err(database_error)?;
        records
            .into_iter()
            .map(|record| {
                if inserted.contains(record.id()) {
                    return Ok(Appended {
                        record,
                        created: true,
                    });
                }
                let body = stored
                    .get(record.idempotency_key())
                    .ok_or_else(|| StoreError::Internal("a conflicting record vanished".into()))?;
                Ok(Appended {
                    record: decode(body)?,
                    created: false,
                })
            })
            .collect()
    }

    async fn scan<R: Record>(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, R)>, StoreError> {
        let client = self.client().await?;
        let select = format!(
            "SELECT seq, body FROM {} WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
            R::TABLE
        );
        client
            .query(&select, &[&before.unwrap_or(i64::MAX), &i64::from(limit)])
            .await
            .map_err(database_error)?
            .iter()
            .map(|row| Ok((row.get(0), decode(row.get::<_, &[u8]>(1))?)))
            .collect()
    }
}

fn pool_error(error: PoolError) -> StoreError {
    match error {
        PoolError::Backend(error) => database_error(error),
        PoolError::Timeout(kind) => {
            StoreError::Unavailable(format!("no database connection in time ({kind:?})"))
        }
        PoolError::Closed => StoreError::Unavailable("database pool is closed".into()),
        other => StoreError::Internal(other.to_string()),
    }
}

fn database_error(error: tokio_postgres::Error) -> StoreError {
    match error.code() {
        Some(code) if *code == SqlState::QUERY_CANCELED => {
            StoreError::DeadlineExceeded("statement timed out".into())
        }
        Some(_) => StoreError::Internal(error.to_string()),
        // No SQLSTATE: the connection itself failed.
        None => StoreError::Unavailable(format!("database connection failed: {error}")),
    }
}
