//! A deterministic generator of a WideWorldImporters-shaped dataset: stock
//! items, customers, orders, order lines and stock holdings over three years
//! of daily orders with trend, weekly and yearly seasonality, holidays and
//! noise. The same seed gives the same file on every machine.

use std::{f64::consts::TAU, fs, path::Path};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Poisson};
use rusqlite::{Connection, OpenFlags, params};

/// Bumped whenever the generator's output changes, so old files are remade.
pub const DATASET_VERSION: i64 = 2;
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2023, 1, 1) {
    Some(day) => day,
    None => panic!("valid date"),
};
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2025, 12, 31) {
    Some(day) => day,
    None => panic!("valid date"),
};

const SEED: u64 = 0x5EED_F0CA;
const STOCK_ITEMS: usize = 60;
const CUSTOMERS: usize = 250;
const BASE_ORDERS_PER_DAY: f64 = 40.0;

const SCHEMA: &str = "
CREATE TABLE DatasetInfo (Version INTEGER NOT NULL);
CREATE TABLE StockItems (
    StockItemID INTEGER PRIMARY KEY,
    StockItemName TEXT NOT NULL,
    UnitPrice REAL NOT NULL,
    LeadTimeDays INTEGER NOT NULL
);
CREATE TABLE StockItemHoldings (
    StockItemID INTEGER PRIMARY KEY REFERENCES StockItems(StockItemID),
    QuantityOnHand INTEGER NOT NULL,
    ReorderLevel INTEGER NOT NULL
);
CREATE TABLE Customers (
    CustomerID INTEGER PRIMARY KEY,
    CustomerName TEXT NOT NULL
);
CREATE TABLE Orders (
    OrderID INTEGER PRIMARY KEY,
    CustomerID INTEGER NOT NULL REFERENCES Customers(CustomerID),
    OrderDate TEXT NOT NULL
);
CREATE TABLE OrderLines (
    OrderLineID INTEGER PRIMARY KEY,
    OrderID INTEGER NOT NULL REFERENCES Orders(OrderID),
    StockItemID INTEGER NOT NULL REFERENCES StockItems(StockItemID),
    Quantity INTEGER NOT NULL,
    UnitPrice REAL NOT NULL
);
CREATE INDEX IX_Orders_OrderDate ON Orders(OrderDate);
CREATE INDEX IX_OrderLines_OrderID ON OrderLines(OrderID);
";

/// Returns true when `path` holds a dataset of this generator version.
pub(crate) fn is_current(path: &Path) -> bool {
    let Ok(connection) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return false;
    };
    connection
        .query_row("SELECT Version FROM DatasetInfo", [], |row| {
            row.get::<_, i64>(0)
        })
        .is_ok_and(|version| version == DATASET_VERSION)
}

/// Generates the dataset into a temporary file and renames it over `path`, so
/// a reader never opens half a dataset.
pub(crate) fn write(path: &Path) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("generating");
    let _ = fs::remove_file(&tmp);
    let mut connection = Connection::open(&tmp)?;
    connection.execute_batch(SCHEMA)?;
    connection.execute_batch(super::aggregates::SCHEMA)?;
    let tx = connection.transaction()?;
    fill(&tx)?;
    tx.execute_batch(super::aggregates::BUILD)?;
    tx.execute(
        "INSERT INTO DatasetInfo (Version) VALUES (?1)",
        [DATASET_VERSION],
    )?;
    tx.commit()?;
    connection.close().map_err(|(_, e)| e)?;
    fs::rename(&tmp, path)?;
    Ok(())
}

fn fill(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut prices = Vec::with_capacity(STOCK_ITEMS);
    {
        let mut item = tx.prepare("INSERT INTO StockItems VALUES (?1, ?2, ?3, ?4)")?;
        let mut holding = tx.prepare("INSERT INTO StockItemHoldings VALUES (?1, ?2, ?3)")?;
        for id in 1..=STOCK_ITEMS {
            let price = (rng.random_range(2.0..120.0_f64) * 100.0).round() / 100.0;
            prices.push(price);
            item.execute(params![
                id as i64,
                format!("Stock item {id:03}"),
                price,
                rng.random_range(3..21)
            ])?;
            holding.execute(params![
                id as i64,
                rng.random_range(0..400),
                rng.random_range(20..80)
            ])?;
        }
        let mut customer = tx.prepare("INSERT INTO Customers VALUES (?1, ?2)")?;
        for id in 1..=CUSTOMERS {
            customer.execute(params![id as i64, format!("Customer {id:03}")])?;
        }
    }
    // Popularity falls off with the item's and customer's index, so rankings
    // have a clear head and a long tail.
    let item_weights: Vec<f64> = (1..=STOCK_ITEMS).map(|i| 1.0 / (i as f64).sqrt()).collect();
    let customer_weights: Vec<f64> = (1..=CUSTOMERS)
        .map(|i| 1.0 / (i as f64).powf(0.7))
        .collect();
    let pick_item = rand_distr::weighted::WeightedIndex::new(&item_weights).map_err(to_sql)?;
    let pick_customer =
        rand_distr::weighted::WeightedIndex::new(&customer_weights).map_err(to_sql)?;
    let noise = LogNormal::new(0.0, 0.12).map_err(to_sql)?;

    let mut order = tx.prepare("INSERT INTO Orders VALUES (?1, ?2, ?3)")?;
    let mut line = tx.prepare("INSERT INTO OrderLines VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let (mut order_id, mut line_id) = (0_i64, 0_i64);
    let total_days = (LAST_DAY - FIRST_DAY).num_days() as f64;
    let mut day = FIRST_DAY;
    while day <= LAST_DAY {
        let elapsed = (day - FIRST_DAY).num_days() as f64;
        let mean = BASE_ORDERS_PER_DAY
            * trend(elapsed / total_days)
            * weekly(day.weekday())
            * yearly(day)
            * holiday(day)
            * noise.sample(&mut rng);
        let orders = Poisson::new(mean.max(0.1))
            .map_err(to_sql)?
            .sample(&mut rng) as usize;
        let date = day.format("%Y-%m-%d").to_string();
        for _ in 0..orders {
            order_id += 1;
            order.execute(params![
                order_id,
                pick_customer.sample(&mut rng) as i64 + 1,
                date
            ])?;
            for _ in 0..rng.random_range(1..=4) {
                line_id += 1;
                let item = pick_item.sample(&mut rng);
                line.execute(params![
                    line_id,
                    order_id,
                    item as i64 + 1,
                    rng.random_range(1..=12),
                    prices[item]
                ])?;
            }
        }
        day += Duration::days(1);
    }
    Ok(())
}

/// Grows 35% over the three years.
fn trend(progress: f64) -> f64 {
    1.0 + 0.35 * progress
}

/// Busy midweek, quiet at the weekend.
fn weekly(weekday: Weekday) -> f64 {
    [1.05, 1.15, 1.1, 1.05, 1.2, 0.8, 0.65][weekday.num_days_from_monday() as usize]
}

/// Peaks in early summer and before the year's end, lowest in late winter.
fn yearly(day: NaiveDate) -> f64 {
    let phase = TAU * f64::from(day.ordinal()) / 365.25;
    1.0 + 0.18 * (phase - 1.9).sin() + 0.07 * (2.0 * phase).cos()
}

/// Nearly nothing sells on the main holidays.
fn holiday(day: NaiveDate) -> f64 {
    match (day.month(), day.day()) {
        (12, 25) | (1, 1) => 0.1,
        (12, 24) | (12, 31) => 0.5,
        _ => 1.0,
    }
}

fn to_sql(error: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(error))
}
