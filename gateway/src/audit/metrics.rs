//! The spool's backlog, read at each scrape:
//! `forecast_mesh_audit_spool_depth_bytes` (durable, not yet in the store)
//! and `forecast_mesh_audit_drain_lag_seconds` (how long the drain has been
//! on its current batch while entries wait: 0 when the spool is empty, and
//! growing while the store refuses them).

use std::sync::{Arc, Mutex, PoisonError};

use mesh_core::metrics::prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::gauge::ConstGauge,
};
use tokio::time::Instant;

use super::spool::SpoolWriter;

/// When the drain last made progress: took a batch, or saw it stored.
pub(crate) type Progress = Arc<Mutex<Instant>>;

/// Marks progress now.
pub(crate) fn progressed(progress: &Progress) {
    *progress.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
}

/// Reads the spool's backlog when scraped.
#[derive(Debug)]
pub struct SpoolMetrics {
    pub(super) writer: SpoolWriter,
    pub(super) progress: Progress,
}

impl Collector for SpoolMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let undrained = self.writer.undrained();
        let depth = ConstGauge::new(i64::try_from(undrained).unwrap_or(i64::MAX));
        depth.encode(encoder.encode_descriptor(
            "audit_spool_depth_bytes",
            "audit entries on disk not yet in the store, in bytes",
            None,
            depth.metric_type(),
        )?)?;
        let lag = if undrained == 0 {
            0.0
        } else {
            self.progress
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .elapsed()
                .as_secs_f64()
        };
        let lag = ConstGauge::new(lag);
        lag.encode(encoder.encode_descriptor(
            "audit_drain_lag_seconds",
            "how long waiting audit entries have waited on the drain",
            None,
            lag.metric_type(),
        )?)?;
        Ok(())
    }
}
