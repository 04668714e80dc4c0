//! The guard in front of an operator's ad-hoc query. It parses the text with
//! sqlparser (T-SQL, the production dialect) — never regexes — and admits
//! exactly one `SELECT` or `WITH … SELECT` that cannot write or lock: no
//! `SELECT … INTO`, no DML inside a `WITH`, no `FOR UPDATE`-style locking
//! clause, no table hints such as `WITH (UPDLOCK)`, no optimizer hints.
//! Comments are whitespace to the parser, so nothing hides behind them.

use std::ops::ControlFlow;

use sqlparser::{
    ast::{Query, SetExpr, Statement, TableFactor, Visit, Visitor},
    dialect::MsSqlDialect,
    parser::Parser,
};

/// Why a query was refused; the message is for the operator.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("query refused: {0}")]
pub struct Refused(pub String);

/// Admits `sql` if it is one read-only query.
pub fn admit(sql: &str) -> Result<(), Refused> {
    let statements = Parser::parse_sql(&MsSqlDialect {}, sql)
        .map_err(|e| Refused(format!("it does not parse: {e}")))?;
    let statement = match statements.as_slice() {
        [statement] => statement,
        [] => return Err(Refused("it holds no statement".into())),
        _ => {
            return Err(Refused(format!(
                "it holds {} statements; send exactly one",
                statements.len()
            )));
        }
    };
    if !matches!(statement, Statement::Query(_)) {
        return Err(Refused("only SELECT or WITH … SELECT is allowed".into()));
    }
    match statement.visit(&mut ReadOnly) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(reason) => Err(Refused(reason)),
    }
}

/// Walks every nested query, table and statement.
struct ReadOnly;

impl Visitor for ReadOnly {
    type Break = String;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<String> {
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            _ => ControlFlow::Break("only SELECT or WITH … SELECT is allowed".into()),
        }
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
        if !query.locks.is_empty() {
            return ControlFlow::Break("locking clauses are not allowed".into());
        }
        if query.for_clause.is_some() {
            return ControlFlow::Break("FOR clauses are not allowed".into());
        }
        check_body(&query.body)
    }

    fn pre_visit_table_factor(&mut self, table: &TableFactor) -> ControlFlow<String> {
        match table {
            TableFactor::Table { with_hints, .. } if !with_hints.is_empty() => {
                ControlFlow::Break("table hints are not allowed".into())
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

fn check_body(body: &SetExpr) -> ControlFlow<String> {
    match body {
        SetExpr::Select(select) if select.into.is_some() => {
            ControlFlow::Break("SELECT … INTO is not allowed".into())
        }
        SetExpr::Select(select) if !select.optimizer_hints.is_empty() => {
            ControlFlow::Break("optimizer hints are not allowed".into())
        }
        SetExpr::Select(_) | SetExpr::Query(_) | SetExpr::Values(_) | SetExpr::Table(_) => {
            ControlFlow::Continue(())
        }
        SetExpr::SetOperation { left, right, .. } => {
            check_body(left)?;
            check_body(right)
        }
        _ => ControlFlow::Break("only SELECT or WITH … SELECT is allowed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_common_table_queries_are_admitted() {
        for sql in [
            "SELECT 1",
            "select count(*) as n from Orders -- trailing comment",
            "/* leading comment */ SELECT StockItemID, SUM(Quantity) FROM OrderLines GROUP BY StockItemID",
            "WITH recent AS (SELECT * FROM Orders WHERE OrderDate > '2025-12-01') SELECT COUNT(*) FROM recent",
            "SELECT CustomerID FROM Orders UNION SELECT CustomerID FROM Customers",
            "SELECT o.OrderID FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID WHERE l.Quantity > (SELECT 5)",
        ] {
            assert_eq!(admit(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn anything_that_could_write_lock_or_hide_is_refused() {
        for sql in [
            "",
            "-- only a comment",
            "INSERT INTO Customers VALUES (1, 'x')",
            "UPDATE Orders SET CustomerID = 1",
            "DELETE FROM Orders",
            "MERGE INTO Orders AS t USING Customers AS s ON t.CustomerID = s.CustomerID WHEN MATCHED THEN DELETE;",
            "EXEC sp_who",
            "EXECUTE sp_configure 'show advanced options', 1",
            "CREATE TABLE t (x INT)",
            "DROP TABLE Orders",
            "ALTER TABLE Orders ADD x INT",
            "TRUNCATE TABLE Orders",
            "SELECT * INTO Backup FROM Orders",
            "SELECT 1; DROP TABLE Orders",
            "SELECT 1 /* ; */ ; DELETE FROM Orders",
            "/* SELECT */ DELETE FROM Orders",
            "SELECT * FROM Orders WITH (UPDLOCK)",
            "SELECT * FROM Orders WITH (TABLOCKX, HOLDLOCK)",
            "SELECT * FROM (SELECT * FROM Orders WITH (XLOCK)) AS o",
            "SELECT * FROM Orders UNION SELECT * INTO Copy FROM Customers",
            "WITH x AS (SELECT 1 AS a) INSERT INTO Customers SELECT a, 'b' FROM x",
            "SELECT * FROM Orders FOR UPDATE",
            "GRANT SELECT ON Orders TO public",
            "not sql at all",
        ] {
            assert!(admit(sql).is_err(), "{sql:?} was admitted");
        }
    }
}
