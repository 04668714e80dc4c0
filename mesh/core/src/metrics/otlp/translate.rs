//! Prometheus's data model (what prometheus-client encodes a registry to)
//! as OTLP's, family by family, keeping the names and labels `/metrics`
//! shows: a counter is a monotonic cumulative sum, a gauge (an info or an
//! untyped metric too) a gauge, and a histogram a cumulative histogram with
//! the same bounds, its cumulative bucket counts turned into per-bucket
//! ones. Every cumulative point starts when the registry was made. Summaries
//! and gauge histograms, which no instrument here makes, are left out.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::{
    collector::metrics::v1::ExportMetricsServiceRequest,
    common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value},
    metrics::v1::{
        AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
        ResourceMetrics, ScopeMetrics, Sum, metric::Data, number_data_point,
    },
    resource::v1::Resource,
};
use prometheus_client::encoding::prometheus_protobuf::prometheus_data_model::{
    self as prometheus, MetricFamily, MetricType,
};

/// The instrumentation scope, named as the tracer is.
const SCOPE: &str = "forecast-mesh";

/// Returns one export of `families` from `resource`, their cumulative
/// points counted from `start`, read at `now`.
pub fn request(
    resource: Resource,
    families: Vec<MetricFamily>,
    start: SystemTime,
    now: SystemTime,
) -> ExportMetricsServiceRequest {
    let times = Times {
        start: nanos(start),
        now: nanos(now),
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: SCOPE.into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                metrics: families
                    .into_iter()
                    .filter_map(|family| metric(family, times))
                    .collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// When the cumulative points start and when they were read, in Unix
/// nanoseconds.
#[derive(Clone, Copy, Debug)]
struct Times {
    start: u64,
    now: u64,
}

/// Returns `family` as an OTLP metric; `None` for a kind OTLP gets none of,
/// or a family without a point.
fn metric(family: MetricFamily, times: Times) -> Option<Metric> {
    let kind = MetricType::try_from(family.r#type).ok()?;
    let data = match kind {
        MetricType::Counter => Data::Sum(Sum {
            data_points: family
                .metric
                .iter()
                .filter_map(|m| Some(number(m, m.counter.as_ref()?.value, times, true)))
                .collect(),
            aggregation_temporality: AggregationTemporality::Cumulative.into(),
            is_monotonic: true,
        }),
        MetricType::Gauge | MetricType::Untyped => Data::Gauge(Gauge {
            data_points: family
                .metric
                .iter()
                .filter_map(|m| {
                    let value = match (&m.gauge, &m.untyped) {
                        (Some(gauge), _) => gauge.value,
                        (None, Some(untyped)) => untyped.value,
                        (None, None) => return None,
                    };
                    Some(number(m, value, times, false))
                })
                .collect(),
        }),
        MetricType::Histogram => Data::Histogram(Histogram {
            data_points: family
                .metric
                .iter()
                .filter_map(|m| Some(histogram(m, m.histogram.as_ref()?, times)))
                .collect(),
            aggregation_temporality: AggregationTemporality::Cumulative.into(),
        }),
        MetricType::Summary | MetricType::GaugeHistogram => return None,
    };
    let empty = match &data {
        Data::Sum(sum) => sum.data_points.is_empty(),
        Data::Gauge(gauge) => gauge.data_points.is_empty(),
        Data::Histogram(histogram) => histogram.data_points.is_empty(),
        Data::ExponentialHistogram(_) | Data::Summary(_) => true,
    };
    (!empty).then(|| Metric {
        name: family.name,
        description: family.help,
        unit: family.unit,
        metadata: Vec::new(),
        data: Some(data),
    })
}

/// A counter's (`cumulative`) or a gauge's point.
fn number(
    metric: &prometheus::Metric,
    value: f64,
    times: Times,
    cumulative: bool,
) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attributes(&metric.label),
        start_time_unix_nano: if cumulative { times.start } else { 0 },
        time_unix_nano: times.now,
        value: Some(number_data_point::Value::AsDouble(value)),
        ..Default::default()
    }
}

/// A histogram's point: Prometheus counts each bucket with all below it
/// and may close with a `+Inf` bucket; OTLP counts each bucket alone
/// between finite bounds, the last one past the largest bound.
fn histogram(
    metric: &prometheus::Metric,
    histogram: &prometheus::Histogram,
    times: Times,
) -> HistogramDataPoint {
    let mut explicit_bounds = Vec::with_capacity(histogram.bucket.len());
    let mut bucket_counts = Vec::with_capacity(histogram.bucket.len() + 1);
    let mut below = 0;
    for bucket in histogram
        .bucket
        .iter()
        .filter(|b| b.upper_bound.is_finite() && b.upper_bound < f64::MAX)
    {
        explicit_bounds.push(bucket.upper_bound);
        bucket_counts.push(bucket.cumulative_count.saturating_sub(below));
        below = bucket.cumulative_count;
    }
    bucket_counts.push(histogram.sample_count.saturating_sub(below));
    HistogramDataPoint {
        attributes: attributes(&metric.label),
        start_time_unix_nano: times.start,
        time_unix_nano: times.now,
        count: histogram.sample_count,
        sum: Some(histogram.sample_sum),
        bucket_counts,
        explicit_bounds,
        ..Default::default()
    }
}

fn attributes(labels: &[prometheus::LabelPair]) -> Vec<KeyValue> {
    labels
        .iter()
        .map(|label| KeyValue {
            key: label.name.clone(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(label.value.clone())),
            }),
        })
        .collect()
}

fn nanos(time: SystemTime) -> u64 {
    // Before 1970 is no time a clock here reads; past 2554 overflows u64.
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests;
