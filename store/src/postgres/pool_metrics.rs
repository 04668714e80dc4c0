//! The pool's use, read at each scrape: `forecast_mesh_db_pool_connections{state}`
//! (`in_use`, `idle`), `forecast_mesh_db_pool_max_size`,
//! `forecast_mesh_db_pool_waiting` (callers waiting for a connection now) and
//! `forecast_mesh_db_pool_wait_timeouts_total` (callers who gave up waiting).

use deadpool_postgres::Pool;
use mesh_core::metrics::prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::{MetricType, counter::Counter, gauge::ConstGauge},
};

/// Reads a pool's status when scraped.
#[derive(Debug)]
pub struct PoolMetrics {
    pub(super) pool: Pool,
    pub(super) wait_timeouts: Counter,
}

impl Collector for PoolMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let status = self.pool.status();
        {
            let mut family = encoder.encode_descriptor(
                "db_pool_connections",
                "database connections by state",
                None,
                MetricType::Gauge,
            )?;
            let in_use = status.size.saturating_sub(status.available);
            gauge(in_use).encode(family.encode_family(&[("state", "in_use")])?)?;
            gauge(status.available).encode(family.encode_family(&[("state", "idle")])?)?;
        }
        encode_gauge(
            &mut encoder,
            "db_pool_max_size",
            "the most connections the pool opens",
            status.max_size,
        )?;
        encode_gauge(
            &mut encoder,
            "db_pool_waiting",
            "callers waiting for a connection",
            status.waiting,
        )?;
        self.wait_timeouts.encode(encoder.encode_descriptor(
            "db_pool_wait_timeouts",
            "callers who waited for a connection longer than the pool wait",
            None,
            self.wait_timeouts.metric_type(),
        )?)?;
        Ok(())
    }
}

/// Returns a count as a gauge's value.
fn gauge(value: usize) -> ConstGauge {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}

/// Encodes one unlabelled gauge of `value`.
fn encode_gauge(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: usize,
) -> Result<(), std::fmt::Error> {
    let gauge = gauge(value);
    gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
}
