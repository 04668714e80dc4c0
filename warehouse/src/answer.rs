//! The answer to an operator's ad-hoc query, built the same way by every
//! backend: at most `max_rows` rows, each column typed by its first
//! non-null value.

use proto::warehouse::{
    QueryCell, QueryColumn, QueryColumnType, QueryRow, RunQueryResponse, query_cell::Value,
};

/// Collects rows until the cap.
#[derive(Debug)]
pub(crate) struct AnswerBuilder {
    max_rows: usize,
    names: Vec<String>,
    types: Vec<QueryColumnType>,
    rows: Vec<QueryRow>,
    truncated: bool,
}

impl AnswerBuilder {
    pub(crate) fn new(max_rows: u32) -> Self {
        Self {
            max_rows: max_rows as usize,
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

    /// Returns true when the cap is reached: the caller stops reading.
    pub(crate) fn is_full(&mut self) -> bool {
        self.truncated = self.rows.len() >= self.max_rows;
        self.truncated
    }

    /// Adds a row of values with the type each was read as.
    pub(crate) fn push(
        &mut self,
        cells: impl IntoIterator<Item = (Option<Value>, QueryColumnType)>,
    ) {
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
