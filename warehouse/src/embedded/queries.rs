//! The SQL the embedded warehouse answers with.

use chrono::NaiveDate;
use proto::warehouse::{CustomerSales, DailySales, ItemSales, Kpis, StockLevel};
use rusqlite::{Connection, params};

use crate::{
    Subject, Window,
    source::{DATE_FORMAT, fill_calendar, round_cents},
};

pub(super) fn latest_day(connection: &Connection) -> rusqlite::Result<NaiveDate> {
    let latest: String =
        connection.query_row("SELECT MAX(OrderDate) FROM Orders", [], |row| row.get(0))?;
    NaiveDate::parse_from_str(&latest, DATE_FORMAT).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn bounds(latest: NaiveDate, window: Window) -> (String, String) {
    window.bounds(latest)
}

pub(super) fn kpis(
    connection: &Connection,
    latest: NaiveDate,
    window: Window,
) -> rusqlite::Result<Kpis> {
    let (start, end) = bounds(latest, window);
    let mut statement = connection.prepare_cached(
        "SELECT COALESCE(SUM(l.Quantity * l.UnitPrice), 0), COUNT(DISTINCT o.OrderID),
                COUNT(DISTINCT o.CustomerID), COALESCE(SUM(l.Quantity), 0)
         FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
         WHERE o.OrderDate BETWEEN ?1 AND ?2",
    )?;
    let (revenue, orders, customers, units): (f64, i64, i64, i64) = statement
        .query_row(params![start, end], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
    Ok(Kpis {
        window_start: start,
        window_end: end,
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

pub(super) fn daily_sales(
    connection: &Connection,
    latest: NaiveDate,
    days_back: u32,
    subject: Subject,
) -> rusqlite::Result<Result<Vec<DailySales>, String>> {
    let (item, customer) = subject.filters();
    if let Some(unknown) = unknown_subject(connection, subject)? {
        return Ok(Err(unknown));
    }
    let (start, end) = bounds(latest, Window::latest(days_back));
    let mut statement = connection.prepare_cached(
        "SELECT o.OrderDate, SUM(l.Quantity * l.UnitPrice), COUNT(DISTINCT o.OrderID), SUM(l.Quantity)
         FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
         WHERE o.OrderDate BETWEEN ?1 AND ?2
           AND (?3 IS NULL OR l.StockItemID = ?3) AND (?4 IS NULL OR o.CustomerID = ?4)
         GROUP BY o.OrderDate ORDER BY o.OrderDate",
    )?;
    let rows = statement
        .query_map(params![start, end, item, customer], |row| {
            Ok(DailySales {
                date: row.get(0)?,
                revenue: round_cents(row.get(1)?),
                orders: row.get(2)?,
                units: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Ok(fill_calendar(latest, Window::latest(days_back), rows)))
}

/// Says which id does not exist, if one does not.
fn unknown_subject(connection: &Connection, subject: Subject) -> rusqlite::Result<Option<String>> {
    let (sql, id, what) = match subject {
        Subject::All => return Ok(None),
        Subject::StockItem(id) => (
            "SELECT COUNT(*) FROM StockItems WHERE StockItemID = ?1",
            id,
            "stock item",
        ),
        Subject::Customer(id) => (
            "SELECT COUNT(*) FROM Customers WHERE CustomerID = ?1",
            id,
            "customer",
        ),
    };
    let found: i64 = connection.query_row(sql, [id], |row| row.get(0))?;
    Ok((found == 0).then(|| format!("unknown {what} {id}")))
}

/// Order lines from the start of the previous window to the end of `window`,
/// each marked with the window it falls in. Uses the OrderDate index.
const LINES_OF_BOTH_WINDOWS: &str = "
    SELECT l.StockItemID, o.CustomerID, o.OrderID, l.Quantity, l.Quantity * l.UnitPrice AS Amount,
           o.OrderDate >= ?1 AS InWindow
    FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
    WHERE o.OrderDate BETWEEN ?3 AND ?2";

pub(super) fn item_sales(
    connection: &Connection,
    latest: NaiveDate,
    window: Window,
) -> rusqlite::Result<Vec<ItemSales>> {
    let ((start, end), (previous_start, _)) =
        (bounds(latest, window), bounds(latest, window.previous()));
    let sql = format!(
        "SELECT s.StockItemID, s.StockItemName,
                COALESCE(SUM(CASE WHEN x.InWindow THEN x.Amount END), 0),
                COALESCE(SUM(CASE WHEN x.InWindow THEN x.Quantity END), 0),
                COUNT(DISTINCT CASE WHEN x.InWindow THEN x.OrderID END),
                COALESCE(SUM(CASE WHEN NOT x.InWindow THEN x.Amount END), 0),
                COALESCE(SUM(CASE WHEN NOT x.InWindow THEN x.Quantity END), 0)
         FROM StockItems s LEFT JOIN ({LINES_OF_BOTH_WINDOWS}) x ON x.StockItemID = s.StockItemID
         GROUP BY s.StockItemID ORDER BY 3 DESC, s.StockItemID"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    statement
        .query_map(params![start, end, previous_start], |row| {
            Ok(ItemSales {
                stock_item_id: row.get(0)?,
                name: row.get(1)?,
                revenue: round_cents(row.get(2)?),
                units: row.get(3)?,
                orders: row.get(4)?,
                previous_revenue: round_cents(row.get(5)?),
                previous_units: row.get(6)?,
            })
        })?
        .collect()
}

pub(super) fn customer_sales(
    connection: &Connection,
    latest: NaiveDate,
    window: Window,
) -> rusqlite::Result<Vec<CustomerSales>> {
    let ((start, end), (previous_start, _)) =
        (bounds(latest, window), bounds(latest, window.previous()));
    let sql = format!(
        "SELECT c.CustomerID, c.CustomerName,
                COALESCE(SUM(CASE WHEN x.InWindow THEN x.Amount END), 0),
                COALESCE(SUM(CASE WHEN x.InWindow THEN x.Quantity END), 0),
                COUNT(DISTINCT CASE WHEN x.InWindow THEN x.OrderID END),
                COALESCE(SUM(CASE WHEN NOT x.InWindow THEN x.Amount END), 0)
         FROM Customers c LEFT JOIN ({LINES_OF_BOTH_WINDOWS}) x ON x.CustomerID = c.CustomerID
         GROUP BY c.CustomerID ORDER BY 3 DESC, c.CustomerID"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    statement
        .query_map(params![start, end, previous_start], |row| {
            Ok(CustomerSales {
                customer_id: row.get(0)?,
                name: row.get(1)?,
                revenue: round_cents(row.get(2)?),
                units: row.get(3)?,
                orders: row.get(4)?,
                previous_revenue: round_cents(row.get(5)?),
            })
        })?
        .collect()
}

pub(super) fn stock_levels(connection: &Connection) -> rusqlite::Result<Vec<StockLevel>> {
    let mut statement = connection.prepare_cached(
        "SELECT s.StockItemID, s.StockItemName, h.QuantityOnHand, h.ReorderLevel, s.LeadTimeDays, s.UnitPrice
         FROM StockItems s JOIN StockItemHoldings h ON h.StockItemID = s.StockItemID
         ORDER BY s.StockItemID",
    )?;
    statement
        .query_map([], |row| {
            Ok(StockLevel {
                stock_item_id: row.get(0)?,
                name: row.get(1)?,
                quantity_on_hand: row.get(2)?,
                reorder_level: row.get(3)?,
                lead_time_days: row.get(4)?,
                unit_price: row.get(5)?,
            })
        })?
        .collect()
}
