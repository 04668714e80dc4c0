//! The SQL the embedded warehouse answers with.

use chrono::{Duration, NaiveDate};
use proto::warehouse::{DailySales, Kpis};
use rusqlite::{Connection, params};

const DATE_FORMAT: &str = "%Y-%m-%d";

pub(super) fn latest_day(connection: &Connection) -> rusqlite::Result<NaiveDate> {
    let latest: String =
        connection.query_row("SELECT MAX(OrderDate) FROM Orders", [], |row| row.get(0))?;
    NaiveDate::parse_from_str(&latest, DATE_FORMAT).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn window(latest: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    (latest - Duration::days(i64::from(days) - 1), latest)
}

pub(super) fn kpis(
    connection: &Connection,
    latest: NaiveDate,
    window_days: u32,
) -> rusqlite::Result<Kpis> {
    let (start, end) = window(latest, window_days);
    let mut statement = connection.prepare_cached(
        "SELECT COALESCE(SUM(l.Quantity * l.UnitPrice), 0), COUNT(DISTINCT o.OrderID),
                COUNT(DISTINCT o.CustomerID), COALESCE(SUM(l.Quantity), 0)
         FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
         WHERE o.OrderDate BETWEEN ?1 AND ?2",
    )?;
    let (revenue, orders, customers, units): (f64, i64, i64, i64) = statement.query_row(
        params![
            start.format(DATE_FORMAT).to_string(),
            end.format(DATE_FORMAT).to_string()
        ],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )?;
    Ok(Kpis {
        window_start: start.format(DATE_FORMAT).to_string(),
        window_end: end.format(DATE_FORMAT).to_string(),
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
) -> rusqlite::Result<Vec<DailySales>> {
    let (start, end) = window(latest, days_back);
    let mut statement = connection.prepare_cached(
        "SELECT o.OrderDate, SUM(l.Quantity * l.UnitPrice), COUNT(DISTINCT o.OrderID), SUM(l.Quantity)
         FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
         WHERE o.OrderDate BETWEEN ?1 AND ?2
         GROUP BY o.OrderDate ORDER BY o.OrderDate",
    )?;
    let mut rows = statement
        .query_map(
            params![
                start.format(DATE_FORMAT).to_string(),
                end.format(DATE_FORMAT).to_string()
            ],
            |row| {
                Ok(DailySales {
                    date: row.get(0)?,
                    revenue: round_cents(row.get(1)?),
                    orders: row.get(2)?,
                    units: row.get(3)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .peekable();
    // One row per calendar day: a day without orders is a zero, not a gap.
    let mut days = Vec::with_capacity(days_back as usize);
    let mut day = start;
    while day <= end {
        let date = day.format(DATE_FORMAT).to_string();
        match rows.next_if(|row| row.date == date) {
            Some(row) => days.push(row),
            None => days.push(DailySales {
                date,
                ..Default::default()
            }),
        }
        day += Duration::days(1);
    }
    Ok(days)
}

fn round_cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
