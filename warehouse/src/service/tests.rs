//! The ad-hoc query path: refused statements never reach the source.

use std::sync::atomic::{AtomicUsize, Ordering};

use proto::warehouse::{CustomerSales, DailySales, ItemSales, StockLevel};

use super::*;
use crate::WarehouseError;

/// A source that counts the queries that reach it and records the last
/// one's timeout.
#[derive(Default)]
struct Recording {
    queries: AtomicUsize,
    timeout: std::sync::Mutex<Option<Duration>>,
}

#[tonic::async_trait]
impl SalesSource for &'static Recording {
    async fn data_version(&self) -> Result<u64, WarehouseError> {
        Ok(0)
    }

    async fn kpis(&self, _: Window) -> Result<Kpis, WarehouseError> {
        Err(WarehouseError::Unavailable("not in this test".into()))
    }

    async fn item_sales(&self, _: Window) -> Result<Vec<ItemSales>, WarehouseError> {
        Err(WarehouseError::Unavailable("not in this test".into()))
    }

    async fn customer_sales(&self, _: Window) -> Result<Vec<CustomerSales>, WarehouseError> {
        Err(WarehouseError::Unavailable("not in this test".into()))
    }

    async fn stock_levels(&self) -> Result<Vec<StockLevel>, WarehouseError> {
        Err(WarehouseError::Unavailable("not in this test".into()))
    }

    async fn daily_sales(
        &self,
        _: u32,
        _: crate::Subject,
    ) -> Result<Vec<DailySales>, WarehouseError> {
        Err(WarehouseError::Unavailable("not in this test".into()))
    }

    async fn run_query(
        &self,
        _: String,
        _: u32,
        timeout: Duration,
    ) -> Result<RunQueryResponse, WarehouseError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut seen) = self.timeout.lock() {
            *seen = Some(timeout);
        }
        Ok(RunQueryResponse::default())
    }
}

fn query(sql: &str, max_rows: i32, timeout_ms: i32) -> Request<RunQueryRequest> {
    Request::new(RunQueryRequest {
        sql: sql.into(),
        max_rows,
        timeout_ms,
    })
}

#[tokio::test]
async fn refused_queries_never_reach_the_database() {
    let source: &'static Recording = Box::leak(Box::default());
    let warehouse = Warehouse::new(source);
    for sql in [
        "DELETE FROM Orders",
        "SELECT * INTO Copy FROM Orders",
        "SELECT 1; DROP TABLE Orders",
        "/* x */ UPDATE Orders SET CustomerID = 0",
        "SELECT * FROM Orders WITH (UPDLOCK)",
        "EXEC xp_cmdshell 'id'",
    ] {
        let status = warehouse.run_query(query(sql, 0, 0)).await.expect_err(sql);
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{sql}");
        assert!(
            status.message().starts_with("query refused"),
            "{sql}: {status:?}"
        );
    }
    for (max_rows, timeout_ms) in [(-1, 0), (10_001, 0), (0, -5), (0, 30_001)] {
        let status = warehouse
            .run_query(query("SELECT 1", max_rows, timeout_ms))
            .await
            .expect_err("limits");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
    }
    assert_eq!(
        source.queries.load(Ordering::SeqCst),
        0,
        "nothing reached the source"
    );

    warehouse
        .run_query(query("SELECT 1", 0, 0))
        .await
        .expect("admitted");
    assert_eq!(
        source.queries.load(Ordering::SeqCst),
        1,
        "an admitted query does"
    );
}

#[test]
fn kpi_change_is_relative_and_absent_against_zero() {
    let before = Kpis {
        revenue: 100.0,
        orders: 10,
        customers: 0,
        average_order_value: 10.0,
        units: 50,
        ..Default::default()
    };
    let now = Kpis {
        revenue: 150.0,
        orders: 9,
        customers: 3,
        average_order_value: 16.0,
        units: 50,
        ..Default::default()
    };
    let change = kpi_change(&now, &before);
    assert_eq!(change.revenue, Some(0.5));
    assert_eq!(change.orders, Some(-0.1));
    assert_eq!(change.customers, None, "no change against zero customers");
    assert_eq!(change.units, Some(0.0));
}

#[tokio::test]
async fn sql_text_past_its_limit_is_refused_before_it_is_parsed() {
    let source: &'static Recording = Box::leak(Box::default());
    let warehouse = Warehouse::new(source);
    // 3.9 MB of valid SQL: parsing it alone would cost the warehouse dearly.
    let long = format!("SELECT 1{}", " + 1".repeat(975_000));
    let started = std::time::Instant::now();
    let status = warehouse
        .run_query(query(&long, 0, 0))
        .await
        .expect_err("too long");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("SQL text limit is 65536 bytes"),
        "{status:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(50), "not parsed");
    // The control: a query just under the limit goes through.
    let padded = format!("SELECT 1 {}", " ".repeat(MAX_SQL_BYTES - 10));
    warehouse
        .run_query(query(&padded, 0, 0))
        .await
        .expect("under the limit");
    assert_eq!(source.queries.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_query_is_given_no_more_time_than_its_caller_has_left() {
    let source: &'static Recording = Box::leak(Box::default());
    let warehouse = Warehouse::new(source);
    let seen = || source.timeout.lock().ok().and_then(|t| *t);
    let mut request = query("SELECT 1", 0, 20_000);
    request.extensions_mut().insert(Deadline(
        tokio::time::Instant::now() + Duration::from_millis(300),
    ));
    warehouse.run_query(request).await.expect("admitted");
    assert!(
        seen().is_some_and(|t| t <= Duration::from_millis(300)),
        "{:?}",
        seen()
    );
    // The control: without a deadline, the query's own timeout holds.
    warehouse
        .run_query(query("SELECT 1", 0, 20_000))
        .await
        .expect("admitted");
    assert_eq!(seen(), Some(Duration::from_secs(20)));
}
