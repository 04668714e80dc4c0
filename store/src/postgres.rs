//! The PostgreSQL backend: a deadpool pool of tokio-postgres connections,
//! versioned migrations applied at start, and the same semantics as the
//! embedded store. Every wait is bounded — for a pooled connection, for a new
//! connection, for a statement — so a dead or stuck database answers
//! `UNAVAILABLE` or `DEADLINE_EXCEEDED` quickly instead of hanging a call.

mod migrations;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use proto::store::{AuditEntry, ForecastRun};
use secrecy::{ExposeSecret, SecretString};
use tokio_postgres::{NoTls, error::SqlState};

use crate::{
    record::{Record, assign_new, decode},
    records::{Appended, Page, PageRequest, RecordStore, StoreError, cursor_after},
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
        }
    }
}

/// The PostgreSQL store. Clones share one pool.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
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
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.pool_max_size)
            .wait_timeout(Some(settings.pool_wait))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Internal(format!("pool could not be built: {e}")))?;
        let store = Self { pool };
        let mut client = store.pool.get().await.map_err(pool_error)?;
        migrations::apply(&mut client).await?;
        Ok(store)
    }

    async fn append<R: Record>(&self, mut record: R) -> Result<Appended<R>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        assign_new(&mut record);
        let insert = format!(
            "INSERT INTO {} (id, idempotency_key, recorded_at_unix_ms, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING seq",
            R::TABLE
        );
        let inserted = client
            .query_opt(
                &insert,
                &[
                    &record.id(),
                    &record.idempotency_key(),
                    &record.recorded_at_unix_ms(),
                    &record.encode_to_vec(),
                ],
            )
            .await
            .map_err(database_error)?;
        if inserted.is_some() {
            return Ok(Appended {
                record,
                created: true,
            });
        }
        // The key was written before (or by a concurrent retry, which ON
        // CONFLICT waited for): return that first record.
        let select = format!("SELECT body FROM {} WHERE idempotency_key = $1", R::TABLE);
        let row = client
            .query_one(&select, &[&record.idempotency_key()])
            .await
            .map_err(database_error)?;
        Ok(Appended {
            record: decode(row.get::<_, &[u8]>(0))?,
            created: false,
        })
    }

    async fn list<R: Record>(&self, page: PageRequest) -> Result<Page<R>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let select = format!(
            "SELECT seq, body FROM {} WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
            R::TABLE
        );
        // One more than asked tells whether another page follows.
        let rows = client
            .query(
                &select,
                &[
                    &page.before.unwrap_or(i64::MAX),
                    &(i64::from(page.limit) + 1),
                ],
            )
            .await
            .map_err(database_error)?;
        let more = rows.len() > page.limit as usize;
        let rows = &rows[..rows.len().min(page.limit as usize)];
        let next_cursor = match rows.last() {
            Some(row) if more => cursor_after(row.get(0)),
            _ => String::new(),
        };
        let records = rows
            .iter()
            .map(|row| decode(row.get::<_, &[u8]>(1)))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            records,
            next_cursor,
        })
    }
}

#[tonic::async_trait]
impl RecordStore for PostgresStore {
    async fn append_audit_entry(
        &self,
        entry: AuditEntry,
    ) -> Result<Appended<AuditEntry>, StoreError> {
        self.append(entry).await
    }

    async fn list_audit_entries(&self, page: PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        self.list(page).await
    }

    async fn append_forecast_run(
        &self,
        run: ForecastRun,
    ) -> Result<Appended<ForecastRun>, StoreError> {
        self.append(run).await
    }

    async fn list_forecast_runs(&self, page: PageRequest) -> Result<Page<ForecastRun>, StoreError> {
        self.list(page).await
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
