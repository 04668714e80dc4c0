//! Append and list, written once for every record type.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::{
    record::{Record, assign_new, decode},
    records::{Appended, StoreError},
};

/// Inserts each record whose key does not exist yet, all in one immediate
/// transaction, and returns what is stored for each, in order.
pub(super) fn append_all<R: Record>(
    connection: &mut Connection,
    records: Vec<R>,
) -> Result<Vec<Appended<R>>, StoreError> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(internal)?;
    let appended = records
        .into_iter()
        .map(|record| insert_one(&tx, record))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit().map_err(internal)?;
    Ok(appended)
}

fn insert_one<R: Record>(tx: &Transaction<'_>, mut record: R) -> Result<Appended<R>, StoreError> {
    let existing: Option<Vec<u8>> = tx
        .prepare_cached(&format!(
            "SELECT body FROM {} WHERE idempotency_key = ?1",
            R::TABLE
        ))
        .and_then(|mut select| {
            select
                .query_row([record.idempotency_key()], |row| row.get(0))
                .optional()
        })
        .map_err(internal)?;
    if let Some(body) = existing {
        return Ok(Appended {
            record: decode(&body)?,
            created: false,
        });
    }
    assign_new(&mut record);
    tx.prepare_cached(&format!(
        "INSERT INTO {} (idempotency_key, body) VALUES (?1, ?2)",
        R::TABLE
    ))
    .and_then(|mut insert| {
        insert.execute(params![record.idempotency_key(), record.encode_to_vec()])
    })
    .map_err(internal)?;
    Ok(Appended {
        record,
        created: true,
    })
}

/// Returns up to `limit` records older than sequence `before` (all when
/// `None`), newest first, each with its sequence number.
pub(super) fn scan<R: Record>(
    connection: &mut Connection,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<(i64, R)>, StoreError> {
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT seq, body FROM {} WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
            R::TABLE
        ))
        .map_err(internal)?;
    let rows = statement
        .query_map(
            params![before.unwrap_or(i64::MAX), i64::from(limit)],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
        )
        .map_err(internal)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    rows.into_iter()
        .map(|(seq, body)| Ok((seq, decode(&body)?)))
        .collect()
}

fn internal(error: rusqlite::Error) -> StoreError {
    StoreError::Internal(error.to_string())
}
