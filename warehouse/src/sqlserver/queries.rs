//! T-SQL against the WideWorldImporters tables, parameterized (`@P1`, ...).

use futures::TryStreamExt;
use proto::warehouse::{
    CustomerSales, DailySales, ItemSales, Kpis, QueryColumnType, RunQueryResponse, StockLevel,
    query_cell::Value,
};
use tiberius::{ColumnData, Row, error::Error};

use super::connect::Client;
use crate::{
    Subject,
    answer::{AnswerBuilder, MAX_VALUE_BYTES},
    source::round_cents,
};

type Bounds = (String, String);

pub(super) async fn latest_day(client: &mut Client) -> Result<String, Error> {
    let row = client
        .simple_query("SELECT CONVERT(varchar(10), MAX(OrderDate), 23) FROM Sales.Orders")
        .await?
        .into_row()
        .await?;
    Ok(row
        .and_then(|row| row.get::<&str, _>(0).map(str::to_owned))
        .unwrap_or_default())
}

pub(super) async fn kpis(client: &mut Client, (start, end): &Bounds) -> Result<Kpis, Error> {
    let sql = "SELECT CAST(COALESCE(SUM(l.Quantity * l.UnitPrice), 0) AS float),
                      CAST(COUNT(DISTINCT o.OrderID) AS bigint),
                      CAST(COUNT(DISTINCT o.CustomerID) AS bigint),
                      CAST(COALESCE(SUM(l.Quantity), 0) AS bigint)
               FROM Sales.Orders o JOIN Sales.OrderLines l ON l.OrderID = o.OrderID
               WHERE o.OrderDate BETWEEN @P1 AND @P2";
    let row = client
        .query(sql, &[&start.as_str(), &end.as_str()])
        .await?
        .into_row()
        .await?;
    let (revenue, orders, customers, units) = match row {
        Some(row) => (float(&row, 0), int(&row, 1), int(&row, 2), int(&row, 3)),
        None => (0.0, 0, 0, 0),
    };
    Ok(Kpis {
        window_start: start.clone(),
        window_end: end.clone(),
        revenue: round_cents(revenue),
        orders,
        customers,
        average_order_value: if orders == 0 {
            0.0
        } else {
            round_cents(revenue / orders as f64)
        },
        units,
    })
}

pub(super) async fn daily_sales(
    client: &mut Client,
    (start, end): &Bounds,
    subject: Subject,
) -> Result<Result<Vec<DailySales>, String>, Error> {
    if let Some(unknown) = unknown_subject(client, subject).await? {
        return Ok(Err(unknown));
    }
    let (item, customer) = subject.filters();
    let sql = "SELECT CONVERT(varchar(10), o.OrderDate, 23), CAST(SUM(l.Quantity * l.UnitPrice) AS float),
                      CAST(COUNT(DISTINCT o.OrderID) AS bigint), CAST(SUM(l.Quantity) AS bigint)
               FROM Sales.Orders o JOIN Sales.OrderLines l ON l.OrderID = o.OrderID
               WHERE o.OrderDate BETWEEN @P1 AND @P2
                 AND (@P3 IS NULL OR l.StockItemID = @P3) AND (@P4 IS NULL OR o.CustomerID = @P4)
               GROUP BY o.OrderDate ORDER BY o.OrderDate";
    let rows = client
        .query(sql, &[&start.as_str(), &end.as_str(), &item, &customer])
        .await?
        .into_first_result()
        .await?;
    Ok(Ok(rows
        .iter()
        .map(|row| DailySales {
            date: text(row, 0),
            revenue: round_cents(float(row, 1)),
            orders: int(row, 2),
            units: int(row, 3),
        })
        .collect()))
}

/// Says which id does not exist, if one does not.
async fn unknown_subject(client: &mut Client, subject: Subject) -> Result<Option<String>, Error> {
    let (sql, id, what) = match subject {
        Subject::All => return Ok(None),
        Subject::StockItem(id) => (
            "SELECT CAST(COUNT(*) AS bigint) FROM Warehouse.StockItems WHERE StockItemID = @P1",
            id,
            "stock item",
        ),
        Subject::Customer(id) => (
            "SELECT CAST(COUNT(*) AS bigint) FROM Sales.Customers WHERE CustomerID = @P1",
            id,
            "customer",
        ),
    };
    let row = client.query(sql, &[&id]).await?.into_row().await?;
    Ok((row.map_or(0, |row| int(&row, 0)) == 0).then(|| format!("unknown {what} {id}")))
}

/// Order lines from the start of the previous window (@P3) to the end of the
/// window (@P2), each marked with whether it falls in the window (from @P1).
const LINES_OF_BOTH_WINDOWS: &str = "
    SELECT l.StockItemID, o.CustomerID, o.OrderID, l.Quantity, l.Quantity * l.UnitPrice AS Amount,
           CASE WHEN o.OrderDate >= @P1 THEN 1 ELSE 0 END AS InWindow
    FROM Sales.Orders o JOIN Sales.OrderLines l ON l.OrderID = o.OrderID
    WHERE o.OrderDate BETWEEN @P3 AND @P2";

pub(super) async fn item_sales(
    client: &mut Client,
    (start, end): &Bounds,
    previous_start: &str,
) -> Result<Vec<ItemSales>, Error> {
    let sql = format!(
        "SELECT CAST(s.StockItemID AS bigint), s.StockItemName,
                CAST(COALESCE(SUM(CASE WHEN x.InWindow = 1 THEN x.Amount END), 0) AS float) AS Revenue,
                CAST(COALESCE(SUM(CASE WHEN x.InWindow = 1 THEN x.Quantity END), 0) AS bigint),
                CAST(COUNT(DISTINCT CASE WHEN x.InWindow = 1 THEN x.OrderID END) AS bigint),
                CAST(COALESCE(SUM(CASE WHEN x.InWindow = 0 THEN x.Amount END), 0) AS float),
                CAST(COALESCE(SUM(CASE WHEN x.InWindow = 0 THEN x.Quantity END), 0) AS bigint)
         FROM Warehouse.StockItems s LEFT JOIN ({LINES_OF_BOTH_WINDOWS}) x ON x.StockItemID = s.StockItemID
         GROUP BY s.StockItemID, s.StockItemName ORDER BY Revenue DESC, s.StockItemID"
    );
    let rows = client
        .query(sql, &[&start.as_str(), &end.as_str(), &previous_start])
        .await?
        .into_first_result()
        .await?;
    Ok(rows
        .iter()
        .map(|row| ItemSales {
            stock_item_id: int(row, 0),
            name: text(row, 1),
            revenue: round_cents(float(row, 2)),
            units: int(row, 3),
            orders: int(row, 4),
            previous_revenue: round_cents(float(row, 5)),
            previous_units: int(row, 6),
        })
        .collect())
}

pub(super) async fn customer_sales(
    client: &mut Client,
    (start, end): &Bounds,
    previous_start: &str,
) -> Result<Vec<CustomerSales>, Error> {
    let sql = format!(
        "SELECT CAST(c.CustomerID AS bigint), c.CustomerName,
                CAST(COALESCE(SUM(CASE WHEN x.InWindow = 1 THEN x.Amount END), 0) AS float) AS Revenue,
                CAST(COALESCE(SUM(CASE WHEN x.InWindow = 1 THEN x.Quantity END), 0) AS bigint),
                CAST(COUNT(DISTINCT CASE WHEN x.InWindow = 1 THEN x.OrderID END) AS bigint),
                CAST(COALESCE(SUM(CASE WHEN x.InWindow = 0 THEN x.Amount END), 0) AS float)
         FROM Sales.Customers c LEFT JOIN ({LINES_OF_BOTH_WINDOWS}) x ON x.CustomerID = c.CustomerID
         GROUP BY c.CustomerID, c.CustomerName ORDER BY Revenue DESC, c.CustomerID"
    );
    let rows = client
        .query(sql, &[&start.as_str(), &end.as_str(), &previous_start])
        .await?
        .into_first_result()
        .await?;
    Ok(rows
        .iter()
        .map(|row| CustomerSales {
            customer_id: int(row, 0),
            name: text(row, 1),
            revenue: round_cents(float(row, 2)),
            units: int(row, 3),
            orders: int(row, 4),
            previous_revenue: round_cents(float(row, 5)),
        })
        .collect())
}

pub(super) async fn stock_levels(client: &mut Client) -> Result<Vec<StockLevel>, Error> {
    let sql = "SELECT CAST(s.StockItemID AS bigint), s.StockItemName, CAST(h.QuantityOnHand AS bigint),
                      CAST(h.ReorderLevel AS bigint), CAST(s.LeadTimeDays AS bigint), CAST(s.UnitPrice AS float)
               FROM Warehouse.StockItems s JOIN Warehouse.StockItemHoldings h ON h.StockItemID = s.StockItemID
               ORDER BY s.StockItemID";
    let rows = client.simple_query(sql).await?.into_first_result().await?;
    Ok(rows
        .iter()
        .map(|row| StockLevel {
            stock_item_id: int(row, 0),
            name: text(row, 1),
            quantity_on_hand: int(row, 2),
            reorder_level: int(row, 3),
            lead_time_days: int(row, 4) as i32,
            unit_price: float(row, 5),
        })
        .collect())
}

/// Runs an admitted ad-hoc query, keeping at most `max_rows` rows. A
/// truncated answer leaves rows unread on the connection: the caller drops
/// it rather than read the rest.
pub(super) async fn ad_hoc(
    client: &mut Client,
    sql: &str,
    max_rows: u32,
) -> Result<RunQueryResponse, Error> {
    // SQL Server cuts every (max) text or binary value at TEXTSIZE before
    // sending it, so no single value read here passes the value limit.
    client
        .simple_query(format!("SET TEXTSIZE {MAX_VALUE_BYTES}"))
        .await?
        .into_results()
        .await?;
    let mut stream = client.simple_query(sql).await?.into_row_stream();
    let mut answer = AnswerBuilder::new(max_rows);
    while let Some(row) = stream.try_next().await? {
        if answer.is_full() {
            break;
        }
        // Columns come with the rows: a query without rows answers none.
        answer.columns(row.columns().iter().map(|c| c.name().to_owned()));
        answer.push(row.cells().map(|(_, data)| cell(data)));
    }
    Ok(answer.finish())
}

fn cell(data: &ColumnData<'static>) -> (Option<Value>, QueryColumnType) {
    use QueryColumnType as T;
    match data {
        ColumnData::U8(Some(v)) => (Some(Value::Integer(i64::from(*v))), T::Integer),
        ColumnData::I16(Some(v)) => (Some(Value::Integer(i64::from(*v))), T::Integer),
        ColumnData::I32(Some(v)) => (Some(Value::Integer(i64::from(*v))), T::Integer),
        ColumnData::I64(Some(v)) => (Some(Value::Integer(*v)), T::Integer),
        ColumnData::Bit(Some(v)) => (Some(Value::Integer(i64::from(*v))), T::Integer),
        ColumnData::F32(Some(v)) => (Some(Value::Real(f64::from(*v))), T::Real),
        ColumnData::F64(Some(v)) => (Some(Value::Real(*v)), T::Real),
        ColumnData::Numeric(Some(v)) => (Some(Value::Real(f64::from(*v))), T::Real),
        ColumnData::String(Some(v)) => (Some(Value::Text(v.to_string())), T::Text),
        ColumnData::Guid(Some(v)) => (Some(Value::Text(v.to_string())), T::Text),
        ColumnData::Binary(Some(v)) => (Some(Value::Blob(v.to_vec())), T::Blob),
        // Dates and XML as text is all an operator's table needs.
        ColumnData::Xml(Some(v)) => (Some(Value::Text(v.to_string())), T::Text),
        _ => (None, T::Unspecified),
    }
}

fn int(row: &Row, index: usize) -> i64 {
    row.get::<i64, _>(index).unwrap_or_default()
}

fn float(row: &Row, index: usize) -> f64 {
    row.get::<f64, _>(index).unwrap_or_default()
}

fn text(row: &Row, index: usize) -> String {
    row.get::<&str, _>(index)
        .map(str::to_owned)
        .unwrap_or_default()
}
