use super::*;

#[tokio::test]
async fn the_dataset_is_deterministic_seasonal_and_read_only()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("warehouse.sqlite");
    let warehouse = EmbeddedWarehouse::open_or_generate(&path).await?;

    let days = warehouse.daily_sales(3650, Subject::All).await?;
    let first_with_sales = days.iter().position(|d| d.orders > 0).ok_or("no sales")?;
    assert_eq!(days[first_with_sales].date, FIRST_DAY.to_string());
    assert_eq!(
        days.last().map(|d| d.date.clone()),
        Some(LAST_DAY.to_string())
    );
    assert_eq!(days.len(), 3650, "gaps are filled with zero days");

    // Weekly seasonality: Fridays sell clearly more than Sundays.
    let history = &days[first_with_sales..];
    let mean_on = |weekday: chrono::Weekday| {
        let picked: Vec<f64> = history
            .iter()
            .filter(|d| {
                NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").map(|day| day.weekday())
                    == Ok(weekday)
            })
            .map(|d| d.revenue)
            .collect();
        picked.iter().sum::<f64>() / picked.len() as f64
    };
    use chrono::Datelike;
    assert!(mean_on(chrono::Weekday::Fri) > 1.4 * mean_on(chrono::Weekday::Sun));

    // Trend: the last year sells more than the first.
    let first_year: f64 = history[..365].iter().map(|d| d.revenue).sum();
    let last_year: f64 = history[history.len() - 365..]
        .iter()
        .map(|d| d.revenue)
        .sum();
    assert!(last_year > 1.15 * first_year, "{last_year} vs {first_year}");

    let kpis = warehouse.kpis(Window::latest(30)).await?;
    let window: Vec<&DailySales> = history[history.len() - 30..].iter().collect();
    assert_eq!(kpis.orders, window.iter().map(|d| d.orders).sum::<i64>());
    assert!((kpis.revenue - window.iter().map(|d| d.revenue).sum::<f64>()).abs() < 1.0);
    assert!(kpis.customers > 0 && kpis.customers <= kpis.orders);

    // A second generation gives the same figures.
    let again_path = dir.path().join("again.sqlite");
    let again = EmbeddedWarehouse::open_or_generate(&again_path).await?;
    assert_eq!(again.kpis(Window::latest(30)).await?, kpis);

    // The connections are read-only.
    let write = warehouse
        .connections
        .with_here(|connection| Ok(connection.execute("DELETE FROM Orders", [])))?;
    assert!(write.is_err(), "a read-only connection refused the write");
    Ok(())
}

#[tokio::test]
async fn ad_hoc_queries_answer_typed_columns_within_their_caps()
-> Result<(), Box<dyn std::error::Error>> {
    use std::time::Duration;

    use proto::warehouse::{QueryColumnType, query_cell::Value};

    let dir = tempfile::tempdir()?;
    let warehouse =
        EmbeddedWarehouse::open_or_generate(&dir.path().join("warehouse.sqlite")).await?;
    let second = Duration::from_secs(5);

    let answer = warehouse
        .run_query(
            "SELECT COUNT(*) AS orders, 'x' AS label, 1.5 AS ratio, NULL AS missing FROM Orders"
                .into(),
            10,
            second,
        )
        .await?;
    let names: Vec<&str> = answer.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["orders", "label", "ratio", "missing"]);
    let types: Vec<i32> = answer.columns.iter().map(|c| c.r#type).collect();
    let expected = [
        QueryColumnType::Integer,
        QueryColumnType::Text,
        QueryColumnType::Real,
        QueryColumnType::Unspecified,
    ]
    .map(|t| t as i32);
    assert_eq!(types, expected);
    let orders = match answer.rows[0].cells[0].value {
        Some(Value::Integer(n)) => n,
        ref other => return Err(format!("not an integer: {other:?}").into()),
    };
    assert!(orders > 40_000, "{orders} orders");
    assert_eq!(answer.rows[0].cells[3].value, None, "NULL has no value");

    let capped = warehouse
        .run_query("SELECT OrderID FROM Orders".into(), 25, second)
        .await?;
    assert_eq!((capped.rows.len(), capped.truncated), (25, true));
    let exact = warehouse
        .run_query("SELECT 1 UNION SELECT 2".into(), 2, second)
        .await?;
    assert_eq!((exact.rows.len(), exact.truncated), (2, false));

    // A query that would run for minutes is stopped at its deadline.
    let endless =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n";
    let stopped = warehouse
        .run_query(endless.into(), 10, Duration::from_millis(200))
        .await;
    assert!(
        matches!(stopped, Err(WarehouseError::DeadlineExceeded(_))),
        "{stopped:?}"
    );

    // Broken SQL is the operator's mistake, said plainly.
    let broken = warehouse
        .run_query("SELECT nope FROM Orders".into(), 10, second)
        .await;
    assert!(
        matches!(broken, Err(WarehouseError::InvalidArgument(ref m)) if m.contains("no such column")),
        "{broken:?}"
    );

    // The connection still answers normally afterwards.
    assert!(warehouse.kpis(Window::latest(7)).await?.orders > 0);
    Ok(())
}

/// Returns the process's peak resident memory in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test]
async fn ad_hoc_answers_are_capped_in_bytes_and_huge_values_never_made()
-> Result<(), Box<dyn std::error::Error>> {
    use std::time::{Duration, Instant};

    use crate::answer::{MAX_ANSWER_BYTES, MAX_VALUE_BYTES};

    let dir = tempfile::tempdir()?;
    let warehouse =
        EmbeddedWarehouse::open_or_generate(&dir.path().join("warehouse.sqlite")).await?;
    let second = Duration::from_secs(5);

    // 300 MB in one value: refused by SQLite before it is allocated.
    let started = Instant::now();
    let refused = warehouse
        .run_query("SELECT zeroblob(300000000)".into(), 10, second)
        .await;
    assert!(
        matches!(refused, Err(WarehouseError::InvalidArgument(ref m)) if m.contains("262144-byte value limit")),
        "{refused:?}"
    );
    let refused = warehouse
        .run_query(
            "SELECT length(group_concat(hex(randomblob(1000)))) FROM Orders".into(),
            10,
            second,
        )
        .await;
    assert!(
        matches!(refused, Err(WarehouseError::InvalidArgument(ref m)) if m.contains("value limit")),
        "a value grown row by row is cut too: {refused:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    if let Some(peak) = peak_rss() {
        assert!(peak < 200 << 20, "peak RSS {peak} bytes");
    }

    // Many large values: the answer stops at its byte cap and says so.
    let blob = MAX_VALUE_BYTES / 2;
    let capped = warehouse
        .run_query(
            format!("SELECT randomblob({blob}) FROM Orders"),
            10_000,
            second,
        )
        .await?;
    let per_row = blob + 4;
    assert_eq!(capped.rows.len(), MAX_ANSWER_BYTES / per_row);
    assert!(capped.truncated);

    // The control: a value under the limit is answered whole.
    let whole = warehouse
        .run_query(format!("SELECT zeroblob({blob})"), 10, second)
        .await?;
    assert_eq!((whole.rows.len(), whole.truncated), (1, false));

    // Too wide an answer is refused by SQLite's column limit.
    let columns = vec!["1"; 101].join(", ");
    let wide = warehouse
        .run_query(format!("SELECT {columns}"), 10, second)
        .await;
    assert!(
        matches!(wide, Err(WarehouseError::InvalidArgument(ref m)) if m.contains("too many columns")),
        "{wide:?}"
    );
    assert!(warehouse.kpis(Window::latest(7)).await?.orders > 0);
    Ok(())
}

#[tokio::test]
async fn item_and_customer_sales_add_up_to_the_kpis_of_both_windows()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let warehouse =
        EmbeddedWarehouse::open_or_generate(&dir.path().join("warehouse.sqlite")).await?;
    let window = Window::latest(90);
    let (now, before) = (
        warehouse.kpis(window).await?,
        warehouse.kpis(window.previous()).await?,
    );
    assert_eq!(
        before.window_end, "2025-10-02",
        "the previous window ends the day before this one starts"
    );
    assert_eq!(now.window_start, "2025-10-03");

    let items = warehouse.item_sales(window).await?;
    assert_eq!(items.len(), 60, "every stock item, sold or not");
    assert!(
        items
            .windows(2)
            .all(|pair| pair[0].revenue >= pair[1].revenue),
        "highest revenue first"
    );
    let close = |a: f64, b: f64| (a - b).abs() < 1.0;
    assert!(close(items.iter().map(|i| i.revenue).sum(), now.revenue));
    assert!(close(
        items.iter().map(|i| i.previous_revenue).sum(),
        before.revenue
    ));
    assert_eq!(items.iter().map(|i| i.units).sum::<i64>(), now.units);
    assert_eq!(
        items.iter().map(|i| i.previous_units).sum::<i64>(),
        before.units
    );

    let customers = warehouse.customer_sales(window).await?;
    assert_eq!(customers.len(), 250);
    assert!(close(
        customers.iter().map(|c| c.revenue).sum(),
        now.revenue
    ));
    assert_eq!(
        customers.iter().map(|c| c.orders).sum::<i64>(),
        now.orders,
        "each order has one customer"
    );
    assert_eq!(
        customers.iter().filter(|c| c.orders > 0).count() as i64,
        now.customers
    );

    let stock = warehouse.stock_levels().await?;
    assert_eq!(stock.len(), 60);
    assert!(
        stock
            .iter()
            .all(|s| s.lead_time_days >= 3 && s.reorder_level > 0 && s.unit_price > 0.0)
    );
    Ok(())
}

#[tokio::test]
async fn daily_series_of_one_item_or_customer_add_up_and_unknown_ids_are_refused()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let warehouse =
        EmbeddedWarehouse::open_or_generate(&dir.path().join("warehouse.sqlite")).await?;
    let all = warehouse.daily_sales(30, Subject::All).await?;
    let items = warehouse.item_sales(Window::latest(30)).await?;
    let top = &items[0];
    let series = warehouse
        .daily_sales(30, Subject::StockItem(top.stock_item_id))
        .await?;
    assert_eq!(series.len(), 30);
    assert!((series.iter().map(|d| d.revenue).sum::<f64>() - top.revenue).abs() < 1.0);
    assert_eq!(series.iter().map(|d| d.units).sum::<i64>(), top.units);
    assert!(
        series.iter().map(|d| d.revenue).sum::<f64>() < all.iter().map(|d| d.revenue).sum::<f64>()
    );

    let customer = warehouse
        .customer_sales(Window::latest(30))
        .await?
        .remove(0);
    let bought = warehouse
        .daily_sales(30, Subject::Customer(customer.customer_id))
        .await?;
    assert_eq!(
        bought.iter().map(|d| d.orders).sum::<i64>(),
        customer.orders
    );

    for subject in [Subject::StockItem(999_999), Subject::Customer(-1)] {
        let refused = warehouse.daily_sales(30, subject).await;
        assert!(
            matches!(refused, Err(WarehouseError::InvalidArgument(ref m)) if m.starts_with("unknown")),
            "{refused:?}"
        );
    }
    Ok(())
}

/// The figures straight from the order lines, the way the warehouse read
/// them before it kept daily totals: (revenue, orders, customers, units).
fn from_order_lines(
    warehouse: &EmbeddedWarehouse,
    (start, end): (String, String),
    filter: String,
) -> Result<(f64, i64, i64, i64), WarehouseError> {
    warehouse.connections.with_here(move |connection| {
        connection
            .query_row(
                &format!(
                    "SELECT COALESCE(SUM(l.Quantity * l.UnitPrice), 0), COUNT(DISTINCT o.OrderID),
                            COUNT(DISTINCT o.CustomerID), COALESCE(SUM(l.Quantity), 0)
                     FROM Orders o JOIN OrderLines l ON l.OrderID = o.OrderID
                     WHERE o.OrderDate BETWEEN ?1 AND ?2 {filter}"
                ),
                [start, end],
                |row| {
                    Ok((
                        crate::source::round_cents(row.get(0)?),
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                    ))
                },
            )
            .map_err(query_error)
    })
}

#[tokio::test]
async fn answers_from_daily_totals_equal_the_order_lines_to_the_cent()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let warehouse =
        EmbeddedWarehouse::open_or_generate(&dir.path().join("warehouse.sqlite")).await?;
    let latest = warehouse.latest_day;
    for days in [1, 7, 30, 365, 1500] {
        let window = Window::latest(days);
        let (now, before) = warehouse.kpis_and_previous(window).await?;
        for (kpis, window) in [(now, window), (before, window.previous())] {
            let (revenue, orders, customers, units) =
                from_order_lines(&warehouse, window.bounds(latest), String::new())?;
            assert_eq!(
                (kpis.revenue, kpis.orders, kpis.customers, kpis.units),
                (revenue, orders, customers, units),
                "{window:?}"
            );
        }
    }

    let window = Window::latest(30);
    let item = &warehouse.item_sales(window).await?[3];
    let (revenue, orders, _, units) = from_order_lines(
        &warehouse,
        window.bounds(latest),
        format!("AND l.StockItemID = {}", item.stock_item_id),
    )?;
    assert_eq!(
        (item.revenue, item.orders, item.units),
        (revenue, orders, units)
    );
    let series = warehouse
        .daily_sales(30, Subject::StockItem(item.stock_item_id))
        .await?;
    let cents: i64 = series
        .iter()
        .map(|d| (d.revenue * 100.0).round() as i64)
        .sum();
    assert_eq!(cents, (revenue * 100.0).round() as i64);
    Ok(())
}
