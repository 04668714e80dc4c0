//! The SQL the embedded warehouse answers with.

use chrono::NaiveDate;
use proto::warehouse::{CustomerSales, DailySales, ItemSales, Kpis, StockLevel};
use rusqlite::{Connection, params};

use super::aggregates::money;
use crate::{
    Subject, Window,
    source::{DATE_FORMAT, fill_calendar, round_cents},
};

pub(super) fn latest_day(connection: &Connection) -> rusqlite::Result<NaiveDate> {
    let latest: String =
        connection.query_row("SELECT MAX(OrderDate) FROM DailySales", [], |row| {
            row.get(0)
        })?;
    NaiveDate::parse_from_str(&latest, DATE_FORMAT).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn bounds(latest: NaiveDate, window: Window) -> (String, String) {
    window.bounds(latest)
}

/// The figures of `window` and of the window before it, in one scan of the
/// days of both.
pub(super) fn kpis_and_previous(
    connection: &Connection,
    latest: NaiveDate,
    window: Window,
) -> rusqlite::Result<(Kpis, Kpis)> {
    let ((start, end), (previous_start, previous_end)) =
        (bounds(latest, window), bounds(latest, window.previous()));
    let mut statement = connection.prepare_cached(
        "SELECT COALESCE(SUM(CASE WHEN OrderDate >= ?1 THEN RevenueCents END), 0),
                COALESCE(SUM(CASE WHEN OrderDate >= ?1 THEN Orders END), 0),
                COUNT(DISTINCT CASE WHEN OrderDate >= ?1 THEN CustomerID END),
                COALESCE(SUM(CASE WHEN OrderDate >= ?1 THEN Units END), 0),
                COALESCE(SUM(CASE WHEN OrderDate < ?1 THEN RevenueCents END), 0),
                COALESCE(SUM(CASE WHEN OrderDate < ?1 THEN Orders END), 0),
                COUNT(DISTINCT CASE WHEN OrderDate < ?1 THEN CustomerID END),
                COALESCE(SUM(CASE WHEN OrderDate < ?1 THEN Units END), 0)
         FROM DailyCustomerSales WHERE OrderDate BETWEEN ?3 AND ?2",
    )?;
    statement.query_row(params![start, end, previous_start], |row| {
        Ok((
            kpis_at(row, 0, (start.clone(), end.clone()))?,
            kpis_at(row, 4, (previous_start.clone(), previous_end.clone()))?,
        ))
    })
}

/// Reads the four figures from column `first` on: revenue in cents,
/// orders, customers, units.
fn kpis_at(
    row: &rusqlite::Row<'_>,
    first: usize,
    (window_start, window_end): (String, String),
) -> rusqlite::Result<Kpis> {
    let revenue = money(row.get(first)?);
    let orders: i64 = row.get(first + 1)?;
    Ok(Kpis {
        window_start,
        window_end,
        revenue,
        orders,
        customers: row.get(first + 2)?,
        average_order_value: if orders == 0 {
            0.0
        } else {
            round_cents(revenue / orders as f64)
        },
        units: row.get(first + 3)?,
    })
}

pub(super) fn daily_sales(
    connection: &Connection,
    latest: NaiveDate,
    days_back: u32,
    subject: Subject,
) -> rusqlite::Result<Result<Vec<DailySales>, String>> {
    if let Some(unknown) = unknown_subject(connection, subject)? {
        return Ok(Err(unknown));
    }
    let (start, end) = bounds(latest, Window::latest(days_back));
    // Each subject's days are one index range of its own table.
    let (sql, id) = match subject {
        Subject::All => (
            "SELECT OrderDate, RevenueCents, Orders, Units FROM DailySales
             WHERE OrderDate BETWEEN ?1 AND ?2 AND ?3 IS NULL ORDER BY OrderDate",
            None,
        ),
        Subject::StockItem(id) => (
            "SELECT OrderDate, RevenueCents, Orders, Units FROM DailyItemSales
             WHERE StockItemID = ?3 AND OrderDate BETWEEN ?1 AND ?2 ORDER BY OrderDate",
            Some(id),
        ),
        Subject::Customer(id) => (
            "SELECT OrderDate, RevenueCents, Orders, Units FROM DailyCustomerSales
             WHERE CustomerID = ?3 AND OrderDate BETWEEN ?1 AND ?2 ORDER BY OrderDate",
            Some(id),
        ),
    };
    let mut statement = connection.prepare_cached(sql)?;
    let rows = statement
        .query_map(params![start, end, id], |row| {
            Ok(DailySales {
                date: row.get(0)?,
                revenue: money(row.get(1)?),
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

/// The query for every subject's sums over the window (`?1..=?2`) and the
/// window before it (from `?3`): id, name, then revenue, units and orders
/// in the window, then revenue and units before it. `table` is the
/// subjects' daily totals, `key` their id column in both tables.
fn sums_of_both_windows(table: &str, key: &str, subjects: &str, name: &str) -> String {
    format!(
        "SELECT s.{key}, s.{name},
                COALESCE(SUM(CASE WHEN d.OrderDate >= ?1 THEN d.RevenueCents END), 0),
                COALESCE(SUM(CASE WHEN d.OrderDate >= ?1 THEN d.Units END), 0),
                COALESCE(SUM(CASE WHEN d.OrderDate >= ?1 THEN d.Orders END), 0),
                COALESCE(SUM(CASE WHEN d.OrderDate < ?1 THEN d.RevenueCents END), 0),
                COALESCE(SUM(CASE WHEN d.OrderDate < ?1 THEN d.Units END), 0)
         FROM {subjects} s
         LEFT JOIN {table} d ON d.{key} = s.{key} AND d.OrderDate BETWEEN ?3 AND ?2
         GROUP BY s.{key} ORDER BY 3 DESC, s.{key}"
    )
}

pub(super) fn item_sales(
    connection: &Connection,
    latest: NaiveDate,
    window: Window,
) -> rusqlite::Result<Vec<ItemSales>> {
    let ((start, end), (previous_start, _)) =
        (bounds(latest, window), bounds(latest, window.previous()));
    let sql = sums_of_both_windows(
        "DailyItemSales",
        "StockItemID",
        "StockItems",
        "StockItemName",
    );
    let mut statement = connection.prepare_cached(&sql)?;
    statement
        .query_map(params![start, end, previous_start], |row| {
            Ok(ItemSales {
                stock_item_id: row.get(0)?,
                name: row.get(1)?,
                revenue: money(row.get(2)?),
                units: row.get(3)?,
                orders: row.get(4)?,
                previous_revenue: money(row.get(5)?),
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
    let sql = sums_of_both_windows(
        "DailyCustomerSales",
        "CustomerID",
        "Customers",
        "CustomerName",
    );
    let mut statement = connection.prepare_cached(&sql)?;
    statement
        .query_map(params![start, end, previous_start], |row| {
            Ok(CustomerSales {
                customer_id: row.get(0)?,
                name: row.get(1)?,
                revenue: money(row.get(2)?),
                units: row.get(3)?,
                orders: row.get(4)?,
                previous_revenue: money(row.get(5)?),
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
