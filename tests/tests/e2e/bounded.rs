//! Bounded work for every input: a small request that would cause large work
//! is refused quickly and by name, or cut off at its deadline with the work
//! under it stopped — each beside a control that succeeds.

use std::time::{Duration, Instant};

use mesh_tests::{TestMesh, http1, with_bearer};
use prost::Message;
use proto::gateway::{
    ForecastSeriesRequest, InlineSeries, RunWarehouseQueryRequest, SeriesPoint,
    forecast_series_request::Series,
};
use tonic::Code;

/// 31 points, the first 30 on consecutive days and the last `span` days
/// after the first: under a kilobyte, `span` days once filled.
fn wide(span: i64) -> ForecastSeriesRequest {
    let first = chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
    let points = (0..30)
        .chain([span - 1])
        .map(|day| SeriesPoint {
            date: (first + chrono::Duration::days(day))
                .format("%Y-%m-%d")
                .to_string(),
            value: 100.0 + (day % 7) as f64,
            ..Default::default()
        })
        .collect();
    asking(points, 7)
}

/// Asks for `days` of forecast of `points`.
fn asking(points: Vec<SeriesPoint>, days: i32) -> ForecastSeriesRequest {
    ForecastSeriesRequest {
        days,
        series: Some(Series::Inline(InlineSeries {
            points,
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// Ten years of days, every day sent: the most work a series may ask for.
fn longest() -> ForecastSeriesRequest {
    let first = chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or_default();
    let points = (0..3650)
        .map(|day| SeriesPoint {
            date: (first + chrono::Duration::days(day))
                .format("%Y-%m-%d")
                .to_string(),
            value: 100.0
                + [0.0, 10.0, 5.0, 0.0, 20.0, -40.0, -60.0][day as usize % 7]
                + 30.0 * (day as f64 * std::f64::consts::TAU / 365.25).sin(),
            ..Default::default()
        })
        .collect();
    asking(points, 28)
}

/// Returns this process's CPU time so far (every service runs in it).
fn cpu_time() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    // Linux counts CPU time in hundredths of a second (USER_HZ).
    Ok(Duration::from_millis(ticks * 10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_spans_and_huge_queries_are_refused_quickly_by_name() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let mut gateway = mesh.gateway().await?;
    let token = mesh.bearer()?;

    for span in [40_000, 200_000] {
        let started = Instant::now();
        let refused = gateway
            .forecast_series(with_bearer(&token, wide(span))?)
            .await
            .expect_err("too wide");
        let elapsed = started.elapsed();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(
            refused.message().contains("the span limit is 3650 days"),
            "{refused:?}"
        );
        assert!(elapsed < Duration::from_secs(1), "{span} days: {elapsed:?}");
    }
    // The control: the same 31 points within the limit are forecast.
    let forecast = gateway
        .forecast_series(with_bearer(&token, wide(120))?)
        .await?
        .into_inner()
        .forecast
        .ok_or_else(|| anyhow::anyhow!("no forecast"))?;
    assert_eq!(forecast.history_points, 120);

    let query = |sql: String| RunWarehouseQueryRequest {
        sql,
        max_rows: 0,
        timeout_ms: 0,
    };
    let started = Instant::now();
    let refused = gateway
        .run_warehouse_query(with_bearer(
            &token,
            query("SELECT zeroblob(300000000)".into()),
        )?)
        .await
        .expect_err("too big a value");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(
        refused.message().contains("262144-byte value limit"),
        "{refused:?}"
    );
    let long = format!("SELECT 1{}", " + 1".repeat(975_000));
    let refused = gateway
        .run_warehouse_query(with_bearer(&token, query(long))?)
        .await
        .expect_err("too long a text");
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(
        refused.message().contains("SQL text limit is 65536 bytes"),
        "{refused:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // The control: a blob under the limit is answered.
    let answer = gateway
        .run_warehouse_query(with_bearer(&token, query("SELECT zeroblob(1000)".into()))?)
        .await?
        .into_inner();
    assert_eq!((answer.rows.len(), answer.truncated), (1, false));
    mesh.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fit_past_its_deadline_is_deadline_exceeded_and_stops() -> anyhow::Result<()> {
    let mesh = TestMesh::start().await?;
    let token = mesh.bearer()?;
    let message = longest().encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend(u32::try_from(message.len())?.to_be_bytes());
    frame.extend(message);
    let bearer = format!("Bearer {token}");
    // Raw gRPC-web over HTTP/1.1: the client keeps no timer of its own, so
    // what comes back, and when, is the mesh's doing.
    let started = Instant::now();
    let answer = http1::send(
        mesh.addresses.gateway,
        "POST",
        "/forecastmesh.gateway.v1.GatewayService/ForecastSeries",
        &[
            ("content-type", "application/grpc-web+proto"),
            ("x-grpc-web", "1"),
            ("grpc-timeout", "300m"),
            ("authorization", &bearer),
        ],
        &frame,
    )
    .await?;
    let answered = started.elapsed();
    assert_eq!(answer.header("grpc-status"), Some("4"), "{answer:?}");
    assert!(answered < Duration::from_millis(450), "{answered:?}");
    // The fit stops within one candidate's fit of the deadline: after that
    // the mesh is idle, where an uncancelled fit would keep a core busy for
    // seconds.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let before = cpu_time()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let burned = cpu_time()? - before;
    eprintln!("answered after {answered:?}; CPU in the next second but 0.7 s: {burned:?}");
    assert!(
        burned < Duration::from_millis(400),
        "still fitting: {burned:?}"
    );

    // The control: with time enough, the same series is forecast.
    let forecast = mesh
        .gateway()
        .await?
        .forecast_series(with_bearer(&token, longest())?)
        .await?
        .into_inner()
        .forecast
        .ok_or_else(|| anyhow::anyhow!("no forecast"))?;
    assert_eq!(forecast.history_points, 3650);
    mesh.stop().await;
    Ok(())
}
