//! The audit trail: one store entry per gateway call, written after the call
//! with its status and trace id. Entries queue in memory and go to the store
//! in batches (one transaction each), which is what makes auditing every
//! call cheap. A batch retries with the same idempotency keys, so a retry
//! never makes a second entry; a batch that still cannot be written is logged
//! entry by entry rather than dropped silently.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use mesh_core::{
    capability::{CapabilityMinter, rights::STORE_WRITE},
    client::{MeshChannel, with_capability},
};
use proto::store::{
    AppendAuditEntriesRequest, AuditEntry, store_service_client::StoreServiceClient,
};
use tokio::{sync::mpsc, task::JoinHandle};

/// Entries a batch takes at most.
const BATCH: usize = 200;
/// How long a batch waits to fill once it has an entry.
const LINGER: Duration = Duration::from_millis(20);
/// Entries waiting at most; beyond that, callers wait to enqueue.
const QUEUE: usize = 10_000;
const RETRIES: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(200),
    Duration::from_secs(1),
];
/// The principal the gateway writes audit batches as.
const AUDITOR: &str = "gateway-audit";

/// Queues audit entries for the batch writer.
#[derive(Clone, Debug)]
pub struct Auditor {
    queue: mpsc::Sender<AuditEntry>,
}

impl Auditor {
    /// Starts the batch writer. It ends, after writing what is queued, once
    /// every `Auditor` clone is dropped.
    pub fn start(
        store: StoreServiceClient<MeshChannel>,
        minter: Arc<CapabilityMinter>,
    ) -> (Self, JoinHandle<()>) {
        let (queue, entries) = mpsc::channel(QUEUE);
        let writer = BatchWriter { store, minter };
        (Self { queue }, tokio::spawn(writer.run(entries)))
    }

    /// An auditor that only queues, for tests of what is recorded.
    #[cfg(test)]
    pub(crate) fn from_queue(queue: mpsc::Sender<AuditEntry>) -> Self {
        Self { queue }
    }

    /// Queues `entry` under a fresh idempotency key; the caller's response
    /// does not wait for the store.
    pub fn record(&self, mut entry: AuditEntry) {
        entry.idempotency_key = uuid::Uuid::new_v4().to_string();
        if let Err(mpsc::error::TrySendError::Full(entry)) = self.queue.try_send(entry) {
            // Never drop an entry: wait for room off the request path.
            let queue = self.queue.clone();
            tokio::spawn(async move {
                if let Err(lost) = queue.send(entry).await {
                    log_unwritten(&lost.0, "audit writer stopped");
                }
            });
        }
    }
}

struct BatchWriter {
    store: StoreServiceClient<MeshChannel>,
    minter: Arc<CapabilityMinter>,
}

impl BatchWriter {
    async fn run(self, mut entries: mpsc::Receiver<AuditEntry>) {
        let mut batch = Vec::with_capacity(BATCH);
        while entries.recv_many(&mut batch, BATCH).await > 0 {
            // Give a burst a moment to fill the batch.
            let deadline = tokio::time::Instant::now() + LINGER;
            while batch.len() < BATCH {
                let room = BATCH - batch.len();
                match tokio::time::timeout_at(deadline, entries.recv_many(&mut batch, room)).await {
                    Ok(received) if received > 0 => {}
                    _ => break,
                }
            }
            self.write(std::mem::take(&mut batch)).await;
        }
    }

    async fn write(&self, batch: Vec<AuditEntry>) {
        let mut last_error = String::new();
        for delay in RETRIES {
            tokio::time::sleep(delay).await;
            let capability = match self.minter.mint(AUDITOR, &[STORE_WRITE], SystemTime::now()) {
                Ok(capability) => capability,
                Err(error) => {
                    last_error = error.to_string();
                    continue;
                }
            };
            let request = with_capability(
                &capability,
                AppendAuditEntriesRequest {
                    entries: batch.clone(),
                },
            );
            match self.store.clone().append_audit_entries(request).await {
                Ok(_) => return,
                Err(status) => last_error = status.to_string(),
            }
        }
        for entry in &batch {
            log_unwritten(entry, &last_error);
        }
    }
}

fn log_unwritten(entry: &AuditEntry, error: &str) {
    tracing::error!(
        error,
        idempotency_key = %entry.idempotency_key,
        principal = %entry.principal,
        method = %entry.method,
        status_code = %entry.status_code,
        trace_id = %entry.trace_id,
        "audit entry could not be written",
    );
}
