//! Append and list, written once for every record type.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{
    record::{Record, assign_new, decode},
    records::{Appended, Page, PageRequest, StoreError, cursor_after},
};

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
    assign_new(&mut record);
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

fn internal(error: rusqlite::Error) -> StoreError {
    StoreError::Internal(error.to_string())
}
