//! Daily totals the embedded warehouse answers from, built once when the
//! dataset is generated: every KPI, ranking and series is a range scan over
//! one row per day (per item, per customer) instead of a join of every order
//! line in the window (two such joins were ~75% of `GetKpis`' CPU).
//!
//! Money is kept in whole cents: every line's amount is an exact number of
//! cents (prices are in cents, quantities whole), so sums are exact and equal
//! the order lines' to the cent. Orders are counted per day; an order has one
//! day, so the days' counts add up to the window's distinct orders.

/// The tables, keyed (and so clustered) by day first: windows are day ranges.
/// The second index of each serves one item's or one customer's series.
pub(super) const SCHEMA: &str = "
CREATE TABLE DailySales (
    OrderDate TEXT PRIMARY KEY,
    RevenueCents INTEGER NOT NULL,
    Orders INTEGER NOT NULL,
    Units INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE DailyItemSales (
    OrderDate TEXT NOT NULL,
    StockItemID INTEGER NOT NULL,
    RevenueCents INTEGER NOT NULL,
    Orders INTEGER NOT NULL,
    Units INTEGER NOT NULL,
    PRIMARY KEY (OrderDate, StockItemID)
) WITHOUT ROWID;
CREATE INDEX IX_DailyItemSales_StockItemID ON DailyItemSales(StockItemID, OrderDate);
CREATE TABLE DailyCustomerSales (
    OrderDate TEXT NOT NULL,
    CustomerID INTEGER NOT NULL,
    RevenueCents INTEGER NOT NULL,
    Orders INTEGER NOT NULL,
    Units INTEGER NOT NULL,
    PRIMARY KEY (OrderDate, CustomerID)
) WITHOUT ROWID;
CREATE INDEX IX_DailyCustomerSales_CustomerID ON DailyCustomerSales(CustomerID, OrderDate);
";

/// Fills the tables from the order lines.
pub(super) const BUILD: &str = "
INSERT INTO DailySales
SELECT o.OrderDate, SUM(CAST(ROUND(l.Quantity * l.UnitPrice * 100) AS INTEGER)),
       COUNT(DISTINCT o.OrderID), SUM(l.Quantity)
FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
GROUP BY o.OrderDate;
INSERT INTO DailyItemSales
SELECT o.OrderDate, l.StockItemID, SUM(CAST(ROUND(l.Quantity * l.UnitPrice * 100) AS INTEGER)),
       COUNT(DISTINCT o.OrderID), SUM(l.Quantity)
FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
GROUP BY o.OrderDate, l.StockItemID;
INSERT INTO DailyCustomerSales
SELECT o.OrderDate, o.CustomerID, SUM(CAST(ROUND(l.Quantity * l.UnitPrice * 100) AS INTEGER)),
       COUNT(DISTINCT o.OrderID), SUM(l.Quantity)
FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
GROUP BY o.OrderDate, o.CustomerID;
";

/// Cents as money.
pub(super) fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}
