//! The audit trail: one store entry per authenticated gateway call, with its
//! final status and trace id.
//!
//! An entry is on local disk in the [`spool`] before its call's answer is
//! released, and the [`drain`] moves it to the store, in order and with its
//! idempotency key, for as long as the store takes to come back. A gateway
//! killed mid-flight loses nothing it answered: the next start drains what
//! the spool holds. When the spool is full (the store down for long, at
//! the rate calls arrive) new calls are refused with `UNAVAILABLE` rather
//! than served unaudited.
//!
//! - [`frame`]: one entry on disk, checksummed.
//! - [`spool`]: segments on disk, group commit, the drain cursor.
//! - [`drain`]: spool to store, with backoff.
//! - [`metrics`]: the spool's backlog and the drain's lag, read at each scrape.

mod drain;
mod frame;
mod metrics;
pub mod spool;

use proto::store::AuditEntry;

pub use drain::{AuditDrain, AuditStore};
pub use metrics::SpoolMetrics;
pub use spool::{SpoolError, SpoolSettings};

use spool::SpoolWriter;

/// Records audit entries; clone it freely.
#[derive(Clone, Debug)]
pub struct Auditor {
    sink: Sink,
}

#[derive(Clone, Debug)]
enum Sink {
    Spool(SpoolWriter),
    /// Entries into a channel, for tests of what is recorded.
    #[cfg(test)]
    Queue(tokio::sync::mpsc::Sender<AuditEntry>),
}

impl Auditor {
    /// Opens the spool and starts draining it into `store`.
    pub fn start(
        settings: &SpoolSettings,
        store: AuditStore,
    ) -> Result<(Self, AuditDrain), SpoolError> {
        let (writer, reader) = spool::open(settings)?;
        let drain = AuditDrain::start(reader, store);
        Ok((
            Self {
                sink: Sink::Spool(writer),
            },
            drain,
        ))
    }

    /// An auditor that only queues, for tests of what is recorded.
    #[cfg(test)]
    pub(crate) fn from_queue(queue: tokio::sync::mpsc::Sender<AuditEntry>) -> Self {
        Self {
            sink: Sink::Queue(queue),
        }
    }

    /// Returns the spool's backlog instruments (none for a test queue).
    pub fn spool_metrics(&self, drain: &AuditDrain) -> Option<SpoolMetrics> {
        match &self.sink {
            Sink::Spool(writer) => Some(SpoolMetrics {
                writer: writer.clone(),
                progress: drain.progress(),
            }),
            #[cfg(test)]
            Sink::Queue(_) => None,
        }
    }

    /// Returns whether new calls can be audited: the spool has room.
    pub fn has_room(&self) -> bool {
        match &self.sink {
            Sink::Spool(writer) => writer.has_room(),
            #[cfg(test)]
            Sink::Queue(queue) => queue.capacity() > 0,
        }
    }

    /// Records `entry` under a fresh idempotency key; returns once it is on
    /// disk.
    pub async fn record(&self, mut entry: AuditEntry) -> Result<(), SpoolError> {
        entry.idempotency_key = fresh_key();
        match &self.sink {
            Sink::Spool(writer) => writer.append(&entry).await,
            #[cfg(test)]
            Sink::Queue(queue) => queue
                .send(entry)
                .await
                .map_err(|_| SpoolError::Broken("test queue closed".into())),
        }
    }

    /// Records `entry` without waiting: for a call no one waits on any more.
    pub fn record_detached(&self, mut entry: AuditEntry) {
        entry.idempotency_key = fresh_key();
        match &self.sink {
            Sink::Spool(writer) => writer.append_detached(&entry),
            #[cfg(test)]
            Sink::Queue(queue) => {
                let _ = queue.try_send(entry);
            }
        }
    }
}

/// Returns a fresh idempotency key, for an audit entry or a run: a
/// time-ordered UUID (version 7). The store indexes every key, and random
/// keys (version 4) landed each entry of a batch on its own index page,
/// about two page writes an entry; keys in time order land a batch's
/// entries together at the index's end.
pub(crate) fn fresh_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fresh_keys_are_unique_and_sort_in_the_order_they_were_made() {
        let keys: Vec<String> = (0..2000).map(|_| super::fresh_key()).collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
