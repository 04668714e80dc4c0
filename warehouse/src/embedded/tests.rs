use super::*;

#[tokio::test]
async fn the_dataset_is_deterministic_seasonal_and_read_only()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("warehouse.sqlite");
    let warehouse = EmbeddedWarehouse::open_or_generate(&path).await?;

    let days = warehouse.daily_sales(3650).await?;
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

    let kpis = warehouse.kpis(30).await?;
    let window: Vec<&DailySales> = history[history.len() - 30..].iter().collect();
    assert_eq!(kpis.orders, window.iter().map(|d| d.orders).sum::<i64>());
    assert!((kpis.revenue - window.iter().map(|d| d.revenue).sum::<f64>()).abs() < 1.0);
    assert!(kpis.customers > 0 && kpis.customers <= kpis.orders);

    // A second generation gives the same figures.
    let again_path = dir.path().join("again.sqlite");
    let again = EmbeddedWarehouse::open_or_generate(&again_path).await?;
    assert_eq!(again.kpis(30).await?, kpis);

    // The connection is read-only.
    let connection = warehouse.connection.lock().map_err(|_| "poisoned")?;
    let write = connection.execute("DELETE FROM Orders", []);
    assert!(write.is_err(), "a read-only connection refused the write");
    Ok(())
}
