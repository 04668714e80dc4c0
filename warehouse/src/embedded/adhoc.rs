//! Runs an operator's admitted query on the read-only connection, with caps
//! on rows, answer bytes, value size and time, answering typed columns.

use std::time::{Duration, Instant};

use proto::warehouse::{QueryColumnType, RunQueryResponse, query_cell::Value};
use rusqlite::{Connection, ErrorCode, types::ValueRef};

use crate::{
    WarehouseError,
    answer::{AnswerBuilder, MAX_VALUE_BYTES},
};

/// SQLite calls the progress handler every this many virtual machine steps.
const STEPS_BETWEEN_CHECKS: i32 = 1000;

pub(super) fn run(
    connection: &Connection,
    sql: &str,
    max_rows: u32,
    timeout: Duration,
) -> Result<RunQueryResponse, WarehouseError> {
    let deadline = Instant::now() + timeout;
    // Returning true interrupts the statement: the time cap.
    connection.progress_handler(
        STEPS_BETWEEN_CHECKS,
        Some(move || Instant::now() >= deadline),
    );
    let result =
        collect(connection, sql, max_rows).map_err(|error| match error.sqlite_error_code() {
            Some(ErrorCode::OperationInterrupted) => WarehouseError::DeadlineExceeded(format!(
                "query ran longer than {} ms",
                timeout.as_millis()
            )),
            // SQLite refuses to make a value past the connection's length
            // limit before allocating it.
            Some(ErrorCode::TooBig) => WarehouseError::InvalidArgument(format!(
                "query refused: it makes a value larger than the {MAX_VALUE_BYTES}-byte value limit"
            )),
            _ => WarehouseError::InvalidArgument(format!("query failed: {error}")),
        });
    connection.progress_handler(0, None::<fn() -> bool>);
    result
}

fn collect(
    connection: &Connection,
    sql: &str,
    max_rows: u32,
) -> rusqlite::Result<RunQueryResponse> {
    let mut statement = connection.prepare(sql)?;
    // The guard admitted only reads and the connection is read-only; this is
    // the third wall.
    if !statement.readonly() {
        return Err(rusqlite::Error::InvalidQuery);
    }
    let mut answer = AnswerBuilder::new(max_rows);
    answer.columns(statement.column_names().into_iter().map(String::from));
    let width = statement.column_count();
    let mut cursor = statement.query([])?;
    while let Some(row) = cursor.next()? {
        if answer.is_full() {
            break;
        }
        let cells = (0..width)
            .map(|index| {
                Ok(match row.get_ref(index)? {
                    ValueRef::Null => (None, QueryColumnType::Unspecified),
                    ValueRef::Integer(v) => (Some(Value::Integer(v)), QueryColumnType::Integer),
                    ValueRef::Real(v) => (Some(Value::Real(v)), QueryColumnType::Real),
                    ValueRef::Text(v) => (
                        Some(Value::Text(String::from_utf8_lossy(v).into_owned())),
                        QueryColumnType::Text,
                    ),
                    ValueRef::Blob(v) => (Some(Value::Blob(v.to_vec())), QueryColumnType::Blob),
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        answer.push(cells);
    }
    Ok(answer.finish())
}
