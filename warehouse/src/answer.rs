//! The answer to an operator's ad-hoc query, built the same way by every
//! backend: at most `max_rows` rows and [`MAX_ANSWER_BYTES`] of values, each
//! column typed by its first non-null value.

use proto::warehouse::{
    QueryCell, QueryColumn, QueryColumnType, QueryRow, RunQueryResponse, query_cell::Value,
};

/// The most bytes of values an ad-hoc answer holds (text and blobs at their
/// length, numbers at 8, every cell 4 more for its framing): rows past it
/// are left out and `truncated` says so. Under the 4 MiB a gRPC client
/// accepts by default.
pub const MAX_ANSWER_BYTES: usize = 2 << 20;

/// The largest single value (text or blob) an ad-hoc query may make or
/// read, in bytes; a bigger one fails the query before it is allocated.
pub const MAX_VALUE_BYTES: usize = 256 << 10;

/// What each cell costs beside its value.
const CELL_OVERHEAD: usize = 4;

/// Collects rows until a cap.
#[derive(Debug)]
pub(crate) struct AnswerBuilder {
    max_rows: usize,
    max_bytes: usize,
    bytes: usize,
    names: Vec<String>,
    types: Vec<QueryColumnType>,
    rows: Vec<QueryRow>,
    truncated: bool,
}

impl AnswerBuilder {
    pub(crate) fn new(max_rows: u32) -> Self {
        Self::with_byte_cap(max_rows, MAX_ANSWER_BYTES)
    }

    pub(crate) fn with_byte_cap(max_rows: u32, max_bytes: usize) -> Self {
        Self {
            max_rows: max_rows as usize,
            max_bytes,
            bytes: 0,
            names: Vec::new(),
            types: Vec::new(),
            rows: Vec::new(),
            truncated: false,
        }
    }

    /// Names the columns, once.
    pub(crate) fn columns(&mut self, names: impl IntoIterator<Item = String>) {
        if self.names.is_empty() {
            self.names = names.into_iter().collect();
            self.types = vec![QueryColumnType::Unspecified; self.names.len()];
        }
    }

    /// Returns true when a cap is reached: the caller stops reading.
    pub(crate) fn is_full(&mut self) -> bool {
        self.truncated |= self.rows.len() >= self.max_rows;
        self.truncated
    }

    /// Adds a row of values with the type each was read as, unless it would
    /// take the answer past its byte cap: then the answer is truncated and
    /// [`is_full`](Self::is_full) says so.
    pub(crate) fn push(
        &mut self,
        cells: impl IntoIterator<Item = (Option<Value>, QueryColumnType)>,
    ) {
        let cells: Vec<(Option<Value>, QueryColumnType)> = cells.into_iter().collect();
        let bytes: usize = cells.iter().map(|(value, _)| cell_bytes(value)).sum();
        if self.bytes + bytes > self.max_bytes {
            self.truncated = true;
            return;
        }
        self.bytes += bytes;
        let cells = cells
            .into_iter()
            .zip(self.types.iter_mut())
            .map(|((value, seen), column_type)| {
                if *column_type == QueryColumnType::Unspecified {
                    *column_type = seen;
                }
                QueryCell { value }
            })
            .collect();
        self.rows.push(QueryRow { cells });
    }

    pub(crate) fn finish(self) -> RunQueryResponse {
        let columns = self
            .names
            .into_iter()
            .zip(self.types)
            .map(|(name, kind)| QueryColumn {
                name,
                r#type: kind as i32,
            })
            .collect();
        RunQueryResponse {
            columns,
            rows: self.rows,
            truncated: self.truncated,
        }
    }
}

/// Returns what a cell counts against the byte cap.
fn cell_bytes(value: &Option<Value>) -> usize {
    CELL_OVERHEAD
        + match value {
            None => 0,
            Some(Value::Integer(_) | Value::Real(_)) => 8,
            Some(Value::Text(text)) => text.len(),
            Some(Value::Blob(blob)) => blob.len(),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_row(bytes: usize) -> Vec<(Option<Value>, QueryColumnType)> {
        vec![(Some(Value::Text("x".repeat(bytes))), QueryColumnType::Text)]
    }

    #[test]
    fn rows_stop_at_the_byte_cap_and_say_so() {
        let mut answer = AnswerBuilder::with_byte_cap(100, 1000);
        for _ in 0..10 {
            if answer.is_full() {
                break;
            }
            answer.push(text_row(296));
        }
        assert!(answer.is_full());
        let answer = answer.finish();
        // 300 bytes a row: three fit under 1000, the fourth would not.
        assert_eq!((answer.rows.len(), answer.truncated), (3, true));
    }

    #[test]
    fn an_answer_under_both_caps_is_whole() {
        let mut answer = AnswerBuilder::with_byte_cap(100, 1000);
        for _ in 0..3 {
            assert!(!answer.is_full());
            answer.push(text_row(296));
        }
        assert!(!answer.is_full());
        let answer = answer.finish();
        assert_eq!((answer.rows.len(), answer.truncated), (3, false));
    }
}
