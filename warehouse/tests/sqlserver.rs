//! The SQL Server warehouse, tested against a TDS peer on loopback (no SQL
//! Server can run here): what tiberius really sends — read-only intent,
//! T-SQL against the WideWorldImporters tables, parameters — and how the
//! answers become the same figures the embedded warehouse gives.

mod tds_peer;

use std::{sync::Arc, time::Duration};

use proto::warehouse::{QueryColumnType, query_cell::Value};
use secrecy::SecretString;
use tds_peer::{Answer, Cell, Kind, Received, TdsPeer};
use warehouse::{
    SalesSource, Subject, WarehouseError, Window,
    sqlserver::{SqlServerSettings, SqlServerWarehouse},
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn answer(columns: &[(&str, Kind)], rows: Vec<Vec<Cell>>) -> Answer {
    Answer {
        columns: columns
            .iter()
            .map(|(name, kind)| (name.to_string(), *kind))
            .collect(),
        rows,
    }
}

/// Answers like WideWorldImporters would for the statements the warehouse sends.
fn wide_world_importers(statement: &Received) -> Answer {
    let sql = statement.sql.as_str();
    if sql.contains("FROM Warehouse.StockItems WHERE StockItemID = @P1") {
        // Stock item 7 exists; no other does.
        let found = i64::from(statement.params.first().map(String::as_str) == Some("7"));
        answer(&[("", Kind::Int)], vec![vec![Cell::Int(found)]])
    } else if sql.contains("MAX(OrderDate)") {
        answer(
            &[("", Kind::Text)],
            vec![vec![Cell::Text("2016-05-31".into())]],
        )
    } else if sql.contains("GROUP BY o.OrderDate") {
        let day = |date: &str, revenue: f64| {
            vec![
                Cell::Text(date.into()),
                Cell::Float(revenue),
                Cell::Int(3),
                Cell::Int(30),
            ]
        };
        answer(
            &[
                ("", Kind::Text),
                ("", Kind::Float),
                ("", Kind::Int),
                ("", Kind::Int),
            ],
            vec![day("2016-05-29", 100.0), day("2016-05-31", 250.5)],
        )
    } else if sql.contains("COUNT(DISTINCT o.CustomerID)") {
        answer(
            &[
                ("", Kind::Float),
                ("", Kind::Int),
                ("", Kind::Int),
                ("", Kind::Int),
            ],
            vec![vec![
                Cell::Float(1234.567),
                Cell::Int(10),
                Cell::Int(4),
                Cell::Int(99),
            ]],
        )
    } else if sql.contains("FROM Warehouse.StockItems s LEFT JOIN") {
        answer(
            &[
                ("", Kind::Int),
                ("", Kind::Text),
                ("Revenue", Kind::Float),
                ("", Kind::Int),
                ("", Kind::Int),
                ("", Kind::Float),
                ("", Kind::Int),
            ],
            vec![vec![
                Cell::Int(7),
                Cell::Text("USB food flash drive".into()),
                Cell::Float(500.0),
                Cell::Int(20),
                Cell::Int(5),
                Cell::Float(400.0),
                Cell::Int(16),
            ]],
        )
    } else if sql.contains("Warehouse.StockItemHoldings") {
        answer(
            &[
                ("", Kind::Int),
                ("", Kind::Text),
                ("", Kind::Int),
                ("", Kind::Int),
                ("", Kind::Int),
                ("", Kind::Float),
            ],
            vec![vec![
                Cell::Int(7),
                Cell::Text("USB food flash drive".into()),
                Cell::Int(42),
                Cell::Int(20),
                Cell::Int(14),
                Cell::Float(32.0),
            ]],
        )
    } else if sql.contains("FROM Sales.BigNotes") {
        // 12 MB of answer: far past the warehouse's byte cap.
        answer(
            &[("Note", Kind::Text)],
            (0..2000)
                .map(|_| vec![Cell::Text("n".repeat(3000))])
                .collect(),
        )
    } else if sql.starts_with("SELECT TOP") || sql.contains("FROM Sales.Invoices") {
        answer(
            &[
                ("InvoiceID", Kind::Int),
                ("Comments", Kind::Text),
                ("Total", Kind::Float),
            ],
            (0..5)
                .map(|i| {
                    vec![
                        Cell::Int(i),
                        if i == 0 {
                            Cell::Null
                        } else {
                            Cell::Text(format!("c{i}"))
                        },
                        Cell::Float(1.5),
                    ]
                })
                .collect(),
        )
    } else {
        // The pool's liveness check, and anything else.
        answer(&[("", Kind::Int)], vec![vec![Cell::Int(1)]])
    }
}

async fn peer() -> Result<TdsPeer, std::io::Error> {
    TdsPeer::start(Arc::new(wide_world_importers)).await
}

fn plaintext_settings(peer: &TdsPeer) -> SqlServerSettings {
    let ado = format!(
        "Server=tcp:127.0.0.1,{};Database=WideWorldImporters;User Id=reader;Password=s3cret",
        peer.port
    );
    let mut settings = SqlServerSettings::new(SecretString::from(ado));
    // The peer speaks no TLS: this test, and only this one, opts out.
    settings.danger_plaintext = true;
    settings.connect_timeout = Duration::from_secs(5);
    settings
}

#[tokio::test]
async fn logins_declare_read_only_intent_and_queries_are_parameterized_t_sql() -> TestResult {
    let peer = peer().await?;
    let warehouse = SqlServerWarehouse::connect(&plaintext_settings(&peer)).await?;
    let kpis = warehouse.kpis(Window::latest(7)).await?;
    assert_eq!(
        (kpis.window_start.as_str(), kpis.window_end.as_str()),
        ("2016-05-25", "2016-05-31")
    );
    assert_eq!(
        (kpis.revenue, kpis.orders, kpis.customers, kpis.units),
        (1234.57, 10, 4, 99)
    );
    assert_eq!(kpis.average_order_value, 123.46);

    let seen = peer.seen();
    let login = seen.logins.first().ok_or("no login")?;
    assert!(
        login.read_only_intent,
        "LOGIN7 declares ApplicationIntent=ReadOnly"
    );
    assert_eq!(
        (login.user.as_str(), login.database.as_str()),
        ("reader", "WideWorldImporters")
    );
    assert_eq!(login.app_name, "forecast-mesh-warehouse");
    let statement = seen
        .statements
        .iter()
        .find(|s| s.sql.contains("COUNT(DISTINCT o.CustomerID)"))
        .ok_or("no kpi query")?;
    assert!(
        statement.rpc,
        "sent with sp_executesql, not spliced into the text"
    );
    assert!(
        statement
            .sql
            .contains("FROM Sales.Orders o JOIN Sales.OrderLines l ON l.OrderID = o.OrderID")
    );
    assert!(statement.sql.contains("BETWEEN @P1 AND @P2"));
    assert_eq!(statement.params, ["2016-05-25", "2016-05-31"]);
    Ok(())
}

#[tokio::test]
async fn every_query_maps_to_the_shared_figures() -> TestResult {
    let peer = peer().await?;
    let warehouse = SqlServerWarehouse::connect(&plaintext_settings(&peer)).await?;

    let days = warehouse.daily_sales(4, Subject::All).await?;
    let summary: Vec<(&str, f64)> = days.iter().map(|d| (d.date.as_str(), d.revenue)).collect();
    assert_eq!(
        summary,
        [
            ("2016-05-28", 0.0),
            ("2016-05-29", 100.0),
            ("2016-05-30", 0.0),
            ("2016-05-31", 250.5)
        ]
    );

    let items = warehouse.item_sales(Window::latest(30)).await?;
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0].stock_item_id, items[0].name.as_str()),
        (7, "USB food flash drive")
    );
    assert_eq!(
        (items[0].revenue, items[0].units, items[0].orders),
        (500.0, 20, 5)
    );
    assert_eq!(
        (items[0].previous_revenue, items[0].previous_units),
        (400.0, 16)
    );
    let item_query = peer
        .seen()
        .statements
        .iter()
        .rev()
        .find(|s| s.sql.contains("Warehouse.StockItems s"))
        .cloned()
        .ok_or("no item query")?;
    assert_eq!(
        item_query.params,
        ["2016-05-02", "2016-05-31", "2016-04-02"],
        "window start, end, previous start"
    );

    let latest_reads = peer
        .seen()
        .statements
        .iter()
        .filter(|s| s.sql.contains("MAX(OrderDate)"))
        .count();
    assert_eq!(latest_reads, 1, "the latest day is read once, then reused");

    let stock = warehouse.stock_levels().await?;
    assert_eq!(
        (
            stock[0].quantity_on_hand,
            stock[0].reorder_level,
            stock[0].lead_time_days
        ),
        (42, 20, 14)
    );
    Ok(())
}

#[tokio::test]
async fn ad_hoc_queries_go_as_sent_and_come_back_typed_and_capped() -> TestResult {
    let peer = peer().await?;
    let warehouse = SqlServerWarehouse::connect(&plaintext_settings(&peer)).await?;
    let sql = "SELECT InvoiceID, Comments, Total FROM Sales.Invoices";
    let answer = warehouse
        .run_query(sql.into(), 3, Duration::from_secs(5))
        .await?;
    let types: Vec<i32> = answer.columns.iter().map(|c| c.r#type).collect();
    assert_eq!(
        types,
        [
            QueryColumnType::Integer,
            QueryColumnType::Text,
            QueryColumnType::Real
        ]
        .map(|t| t as i32)
    );
    assert_eq!((answer.rows.len(), answer.truncated), (3, true));
    assert_eq!(answer.rows[0].cells[1].value, None, "NULL stays NULL");
    assert_eq!(
        answer.rows[1].cells[1].value,
        Some(Value::Text("c1".into()))
    );
    let sent = peer
        .seen()
        .statements
        .iter()
        .rev()
        .find(|s| s.sql.contains("Sales.Invoices"))
        .cloned()
        .ok_or("not sent")?;
    assert_eq!(sent.sql, sql);
    assert!(!sent.rpc);
    // The truncated query's connection was dropped, not drained: the next
    // query logs in afresh, and the pool still serves it.
    assert_eq!(peer.seen().logins.len(), 1);
    assert_eq!(warehouse.stock_levels().await?.len(), 1);
    assert_eq!(
        peer.seen().logins.len(),
        2,
        "a new connection after the truncated query"
    );
    Ok(())
}

#[tokio::test]
async fn without_an_explicit_opt_out_nothing_is_sent_in_plaintext() -> TestResult {
    let peer = peer().await?;
    let mut settings = plaintext_settings(&peer);
    settings.danger_plaintext = false;
    let refused = SqlServerWarehouse::connect(&settings).await;
    assert!(
        matches!(refused, Err(WarehouseError::Unavailable(_))),
        "{refused:?}"
    );
    let seen = peer.seen();
    assert!(seen.prelogins >= 1, "the client asked");
    assert!(
        seen.logins.is_empty(),
        "and sent no credentials once it heard there is no encryption"
    );
    Ok(())
}

#[test]
fn trusting_any_certificate_is_never_taken_from_the_connection_string() {
    let ado = "Server=tcp:db,1433;Database=WideWorldImporters;TrustServerCertificate=true";
    let settings = SqlServerSettings::new(SecretString::from(ado));
    assert!(matches!(
        settings.config(),
        Err(WarehouseError::InvalidArgument(_))
    ));
    let fine = SqlServerSettings::new(SecretString::from(
        "Server=tcp:db,1433;Database=WideWorldImporters",
    ));
    assert!(fine.config().is_ok());
}

/// The same backend against a real SQL Server holding WideWorldImporters:
/// `FORECAST_MESH_TEST_SQLSERVER='Server=tcp:host,1433;Database=WideWorldImporters;User Id=...;Password=...'
/// cargo nextest run -p warehouse --run-ignored only -E 'test(real_sql_server)'`.
/// Encryption and certificate checks stay on; add `WAREHOUSE_SQLSERVER_TRUST_ANY_CERTIFICATE`-style
/// opt-ins only if your test server needs them.
#[tokio::test]
#[ignore = "needs a SQL Server named by FORECAST_MESH_TEST_SQLSERVER"]
async fn real_sql_server_answers_the_whole_query_set() -> TestResult {
    let connection_string = std::env::var("FORECAST_MESH_TEST_SQLSERVER")?;
    let mut settings = SqlServerSettings::new(SecretString::from(connection_string));
    settings.trust_any_certificate =
        std::env::var_os("FORECAST_MESH_TEST_SQLSERVER_TRUST_ANY_CERTIFICATE").is_some();
    let warehouse = SqlServerWarehouse::connect(&settings).await?;
    let window = Window::latest(90);
    let kpis = warehouse.kpis(window).await?;
    assert!(kpis.orders > 0 && kpis.revenue > 0.0, "{kpis:?}");
    let items = warehouse.item_sales(window).await?;
    assert!((items.iter().map(|i| i.revenue).sum::<f64>() - kpis.revenue).abs() < 1.0);
    let customers = warehouse.customer_sales(window).await?;
    assert_eq!(customers.iter().map(|c| c.orders).sum::<i64>(), kpis.orders);
    assert_eq!(warehouse.daily_sales(30, Subject::All).await?.len(), 30);
    assert!(!warehouse.stock_levels().await?.is_empty());
    let refused = warehouse
        .run_query(
            "SELECT TOP 5 OrderID FROM Sales.Orders".into(),
            3,
            Duration::from_secs(10),
        )
        .await?;
    assert_eq!((refused.rows.len(), refused.truncated), (3, true));
    Ok(())
}

#[tokio::test]
async fn ad_hoc_answers_stop_at_their_byte_cap_and_values_at_textsize() -> TestResult {
    let peer = peer().await?;
    let warehouse = SqlServerWarehouse::connect(&plaintext_settings(&peer)).await?;
    let answer = warehouse
        .run_query(
            "SELECT Note FROM Sales.BigNotes".into(),
            10_000,
            Duration::from_secs(5),
        )
        .await?;
    // 3000 bytes of text and 4 of framing a row, under 2 MiB.
    assert_eq!(
        answer.rows.len(),
        warehouse::service::MAX_ANSWER_BYTES / 3004
    );
    assert!(answer.truncated);
    let sent: Vec<String> = peer
        .seen()
        .statements
        .iter()
        .map(|s| s.sql.clone())
        .collect();
    let textsize = format!("SET TEXTSIZE {}", warehouse::service::MAX_VALUE_BYTES);
    let at = sent
        .iter()
        .position(|s| *s == textsize)
        .ok_or("no SET TEXTSIZE")?;
    assert_eq!(
        sent[at + 1],
        "SELECT Note FROM Sales.BigNotes",
        "sent just before"
    );

    // The control: a small answer is whole.
    let small = warehouse
        .run_query(
            "SELECT InvoiceID, Comments, Total FROM Sales.Invoices".into(),
            10,
            Duration::from_secs(5),
        )
        .await?;
    assert_eq!((small.rows.len(), small.truncated), (5, false));
    Ok(())
}

#[tokio::test]
async fn one_items_series_is_filtered_by_parameter_and_unknown_items_are_refused() -> TestResult {
    let peer = peer().await?;
    let warehouse = SqlServerWarehouse::connect(&plaintext_settings(&peer)).await?;
    assert_eq!(
        warehouse.daily_sales(4, Subject::StockItem(7)).await?.len(),
        4
    );
    let sent = peer
        .seen()
        .statements
        .iter()
        .rev()
        .find(|s| s.sql.contains("GROUP BY o.OrderDate"))
        .cloned()
        .ok_or("not sent")?;
    assert!(sent.sql.contains("(@P3 IS NULL OR l.StockItemID = @P3)"));
    assert_eq!(sent.params, ["2016-05-28", "2016-05-31", "7", "NULL"]);

    let refused = warehouse.daily_sales(4, Subject::StockItem(8)).await;
    assert!(
        matches!(refused, Err(WarehouseError::InvalidArgument(ref m)) if m == "unknown stock item 8"),
        "{refused:?}"
    );
    Ok(())
}
