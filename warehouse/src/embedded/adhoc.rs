//! Runs an operator's admitted query on the read-only connection, with a cap
//! on rows and on time, answering typed columns.

use std::time::{Duration, Instant};

use proto::warehouse::{
    QueryCell, QueryColumn, QueryColumnType, QueryRow, RunQueryResponse, query_cell::Value,
};
use rusqlite::{Connection, ErrorCode, types::ValueRef};

use crate::WarehouseError;

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
    let names: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(String::from)
        .collect();
    let mut types = vec![QueryColumnType::Unspecified; names.len()];
    let mut rows = Vec::new();
    let mut truncated = false;
    let mut cursor = statement.query([])?;
    while let Some(row) = cursor.next()? {
        if rows.len() == max_rows as usize {
            truncated = true;
            break;
        }
        let mut cells = Vec::with_capacity(names.len());
        for (index, column_type) in types.iter_mut().enumerate() {
            let (value, seen) = match row.get_ref(index)? {
                ValueRef::Null => (None, QueryColumnType::Unspecified),
                ValueRef::Integer(v) => (Some(Value::Integer(v)), QueryColumnType::Integer),
                ValueRef::Real(v) => (Some(Value::Real(v)), QueryColumnType::Real),
                ValueRef::Text(v) => (
                    Some(Value::Text(String::from_utf8_lossy(v).into_owned())),
                    QueryColumnType::Text,
                ),
                ValueRef::Blob(v) => (Some(Value::Blob(v.to_vec())), QueryColumnType::Blob),
            };
            // A column takes the type of its first non-null value.
            if *column_type == QueryColumnType::Unspecified {
                *column_type = seen;
            }
            cells.push(QueryCell { value });
        }
        rows.push(QueryRow { cells });
    }
    let columns = names
        .into_iter()
        .zip(types)
        .map(|(name, kind)| QueryColumn {
            name,
            r#type: kind as i32,
        })
        .collect();
    Ok(RunQueryResponse {
        columns,
        rows,
        truncated,
    })
}
