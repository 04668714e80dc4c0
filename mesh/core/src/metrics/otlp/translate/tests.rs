use std::time::Duration;

use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
use prometheus_client::metrics::{
    counter::Counter, family::Family, gauge::Gauge as PromGauge,
    histogram::Histogram as PromHistogram,
};

use super::*;
use crate::metrics::{Labels, Metrics};

const START: Duration = Duration::from_secs(1_700_000_000);
const NOW: Duration = Duration::from_secs(1_700_000_060);

/// Registers a counter family, a gauge and a histogram family in a fresh
/// registry, records into them, and returns its export.
fn export() -> ExportMetricsServiceRequest {
    let metrics = Metrics::new();
    let calls = Family::<Labels<2>, Counter>::default();
    metrics.register("calls", "calls answered", calls.clone());
    calls
        .get_or_create(&[("method", "/a.A/Get"), ("code", "OK")])
        .inc_by(3);
    calls
        .get_or_create(&[("method", "/a.A/Get"), ("code", "INTERNAL")])
        .inc();
    let depth = PromGauge::<i64>::default();
    metrics.register("depth_bytes", "bytes waiting", depth.clone());
    depth.set(42);
    let duration =
        Family::<Labels<1>, PromHistogram, fn() -> PromHistogram>::new_with_constructor(|| {
            PromHistogram::new([0.1, 1.0])
        });
    metrics.register("duration_seconds", "call duration", duration.clone());
    let get = duration.get_or_create(&[("method", "/a.A/Get")]);
    for seconds in [0.05, 0.07, 0.5, 3.0] {
        get.observe(seconds);
    }
    let resource = Resource {
        attributes: vec![string("service.name", "test")],
        ..Default::default()
    };
    request(
        resource,
        metrics.families(),
        UNIX_EPOCH + START,
        UNIX_EPOCH + NOW,
    )
}

fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
    }
}

fn named<'a>(request: &'a ExportMetricsServiceRequest, name: &str) -> &'a Metric {
    let metrics = &request.resource_metrics[0].scope_metrics[0].metrics;
    metrics.iter().find(|m| m.name == name).unwrap_or_else(|| {
        panic!(
            "no {name} in {:?}",
            metrics.iter().map(|m| &m.name).collect::<Vec<_>>()
        )
    })
}

#[test]
fn the_resource_and_scope_are_sent_once() {
    let request = export();
    assert_eq!(request.resource_metrics.len(), 1);
    let resource = &request.resource_metrics[0];
    assert_eq!(
        resource.resource.as_ref().map(|r| r.attributes.clone()),
        Some(vec![string("service.name", "test")])
    );
    assert_eq!(
        resource.scope_metrics[0]
            .scope
            .as_ref()
            .map(|s| s.name.as_str()),
        Some("forecast-mesh")
    );
}

#[test]
fn a_counter_is_a_monotonic_cumulative_sum_per_label_set() {
    let request = export();
    let calls = named(&request, "forecast_mesh_calls_total");
    assert_eq!(calls.description, "calls answered.");
    let Some(Data::Sum(sum)) = &calls.data else {
        panic!("{calls:?}");
    };
    assert!(sum.is_monotonic);
    assert_eq!(
        sum.aggregation_temporality,
        i32::from(AggregationTemporality::Cumulative)
    );
    let mut points: Vec<(Vec<KeyValue>, Option<Value>)> = sum
        .data_points
        .iter()
        .map(|p| {
            assert_eq!(p.start_time_unix_nano, START.as_nanos() as u64);
            assert_eq!(p.time_unix_nano, NOW.as_nanos() as u64);
            (p.attributes.clone(), p.value)
        })
        .collect();
    points.sort_by_key(|(attributes, _)| format!("{attributes:?}"));
    assert_eq!(
        points,
        vec![
            (
                vec![string("method", "/a.A/Get"), string("code", "INTERNAL")],
                Some(Value::AsDouble(1.0))
            ),
            (
                vec![string("method", "/a.A/Get"), string("code", "OK")],
                Some(Value::AsDouble(3.0))
            ),
        ]
    );
}

#[test]
fn a_gauge_is_a_gauge_read_now() {
    let request = export();
    let depth = named(&request, "forecast_mesh_depth_bytes");
    let Some(Data::Gauge(gauge)) = &depth.data else {
        panic!("{depth:?}");
    };
    assert_eq!(gauge.data_points.len(), 1);
    let point = &gauge.data_points[0];
    assert_eq!(point.value, Some(Value::AsDouble(42.0)));
    assert!(point.attributes.is_empty());
    assert_eq!(point.start_time_unix_nano, 0);
    assert_eq!(point.time_unix_nano, NOW.as_nanos() as u64);
}

#[test]
fn a_histogram_keeps_its_bounds_and_counts_each_bucket_alone() {
    let request = export();
    let duration = named(&request, "forecast_mesh_duration_seconds");
    let Some(Data::Histogram(histogram)) = &duration.data else {
        panic!("{duration:?}");
    };
    assert_eq!(
        histogram.aggregation_temporality,
        i32::from(AggregationTemporality::Cumulative)
    );
    assert_eq!(histogram.data_points.len(), 1);
    let point = &histogram.data_points[0];
    assert_eq!(point.attributes, vec![string("method", "/a.A/Get")]);
    assert_eq!(point.count, 4);
    assert_eq!(point.sum, Some(0.05 + 0.07 + 0.5 + 3.0));
    // Two at or below 0.1, one in (0.1, 1], one past 1.
    assert_eq!(point.explicit_bounds, vec![0.1, 1.0]);
    assert_eq!(point.bucket_counts, vec![2, 1, 1]);
    assert_eq!(point.start_time_unix_nano, START.as_nanos() as u64);
}

#[test]
fn a_histogram_without_an_overflow_bucket_puts_the_rest_past_its_last_bound() {
    let family = MetricFamily {
        name: "h".into(),
        r#type: MetricType::Histogram.into(),
        metric: vec![prometheus::Metric {
            histogram: Some(prometheus::Histogram {
                sample_count: 5,
                sample_sum: 9.0,
                bucket: vec![prometheus::Bucket {
                    cumulative_count: 3,
                    upper_bound: 1.0,
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let times = Times { start: 1, now: 2 };
    let Some(Metric {
        data: Some(Data::Histogram(histogram)),
        ..
    }) = metric(family, times)
    else {
        panic!("not a histogram");
    };
    assert_eq!(histogram.data_points[0].explicit_bounds, vec![1.0]);
    assert_eq!(histogram.data_points[0].bucket_counts, vec![3, 2]);
}

#[test]
fn a_family_without_points_or_of_a_kind_otlp_lacks_is_left_out() {
    let empty = MetricFamily {
        name: "nothing_total".into(),
        r#type: MetricType::Counter.into(),
        ..Default::default()
    };
    let summary = MetricFamily {
        name: "summary".into(),
        r#type: MetricType::Summary.into(),
        metric: vec![prometheus::Metric::default()],
        ..Default::default()
    };
    let times = Times { start: 1, now: 2 };
    assert_eq!(metric(empty, times), None);
    assert_eq!(metric(summary, times), None);
}
