//! Append and list, written once for every record type.

use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use proto::store::{AuditEntry, ForecastRun};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::records::{Appended, Page, PageRequest, StoreError, cursor_after};

/// A record kept in its own table.
pub(super) trait Record: Message + Default + Send + 'static {
    const TABLE: &'static str;
    fn idempotency_key(&self) -> &str;
    /// Sets the fields the store assigns.
    fn assign(&mut self, id: String, recorded_at_unix_ms: i64);
}

impl Record for AuditEntry {
    const TABLE: &'static str = "audit_entries";
    fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }
    fn assign(&mut self, id: String, recorded_at_unix_ms: i64) {
        self.id = id;
        self.recorded_at_unix_ms = recorded_at_unix_ms;
    }
}

impl Record for ForecastRun {
    const TABLE: &'static str = "forecast_runs";
    fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }
    fn assign(&mut self, id: String, recorded_at_unix_ms: i64) {
        self.id = id;
        self.recorded_at_unix_ms = recorded_at_unix_ms;
    }
}

/// Inserts `record` unless its key exists, in one immediate transaction, and
/// returns the stored record either way.
pub(super) fn append<R: Record>(
    connection: &mut Connection,
    mut record: R,
) -> Result<Appended<R>, StoreError> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(internal)?;
    let existing: Option<Vec<u8>> = tx
        .query_row(
            &format!("SELECT body FROM {} WHERE idempotency_key = ?1", R::TABLE),
            [record.idempotency_key()],
            |row| row.get(0),
        )
        .optional()
        .map_err(internal)?;
    if let Some(body) = existing {
        return Ok(Appended {
            record: decode(&body)?,
            created: false,
        });
    }
    record.assign(uuid::Uuid::new_v4().to_string(), now_unix_ms());
    tx.execute(
        &format!(
            "INSERT INTO {} (idempotency_key, body) VALUES (?1, ?2)",
            R::TABLE
        ),
        params![record.idempotency_key(), record.encode_to_vec()],
    )
    .map_err(internal)?;
    tx.commit().map_err(internal)?;
    Ok(Appended {
        record,
        created: true,
    })
}

/// Lists newest first, `page.limit` at a time.
pub(super) fn list<R: Record>(
    connection: &mut Connection,
    page: PageRequest,
) -> Result<Page<R>, StoreError> {
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT seq, body FROM {} WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
            R::TABLE
        ))
        .map_err(internal)?;
    // One more than asked tells whether another page follows.
    let rows = statement
        .query_map(
            params![page.before.unwrap_or(i64::MAX), i64::from(page.limit) + 1],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
        )
        .map_err(internal)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    let more = rows.len() > page.limit as usize;
    let rows = &rows[..rows.len().min(page.limit as usize)];
    let next_cursor = match rows.last() {
        Some((seq, _)) if more => cursor_after(*seq),
        _ => String::new(),
    };
    let records = rows
        .iter()
        .map(|(_, body)| decode(body))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        records,
        next_cursor,
    })
}

fn decode<R: Record>(body: &[u8]) -> Result<R, StoreError> {
    R::decode(body).map_err(|e| StoreError::Internal(format!("stored record does not decode: {e}")))
}

fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn internal(error: rusqlite::Error) -> StoreError {
    StoreError::Internal(error.to_string())
}
