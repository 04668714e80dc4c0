//! The drainer: moves spooled entries to the store, in order, with the
//! idempotency keys they were spooled with, retrying with backoff for as
//! long as the store takes to come back. An entry leaves the spool only
//! once the store has it; sent twice (a crash between the store's answer
//! and the cursor's move), the store keeps the first write.

use std::{sync::Arc, time::Duration};

use mesh_core::{
    CancellationToken,
    capability::rights::STORE_WRITE,
    client::{MeshChannel, with_capability},
};
use proto::store::{
    AppendAuditEntriesRequest, AuditEntry, store_service_client::StoreServiceClient,
};
use tokio::task::JoinHandle;

use super::{
    metrics::{Progress, progressed},
    spool::SpoolReader,
};
use crate::minted::MintedCapabilities;

/// Entries one store call takes at most.
const BATCH: usize = 200;
/// How long the drainer lets entries gather after a batch that was not
/// full. Each batch costs a store transaction (several page writes and a
/// sync) and a cursor write, whatever its size: under load, batches taken
/// as soon as anything was durable held two or three entries. The entries
/// are durable in the spool meanwhile; only their arrival in the store
/// waits, and a backlog (full batches) drains without pause.
const GATHER: Duration = Duration::from_millis(10);
/// How long one store call may take.
const STORE_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often a store that stays down is logged.
const LOG_EVERY: Duration = Duration::from_secs(30);
/// The principal the gateway writes audit batches as.
const AUDITOR: &str = "gateway-audit";

/// Where drained entries go.
#[derive(Clone, Debug)]
pub struct AuditStore {
    pub client: StoreServiceClient<MeshChannel>,
    /// Batches share a capability while it is young: the channel then
    /// reuses its narrowed token and the store its grant.
    pub(crate) capabilities: Arc<MintedCapabilities>,
}

impl AuditStore {
    async fn append(&self, entries: &[AuditEntry]) -> Result<(), String> {
        let capability = self
            .capabilities
            .get(AUDITOR, &[STORE_WRITE])
            .map_err(|error| error.to_string())?;
        let mut request = with_capability(
            &capability,
            AppendAuditEntriesRequest {
                entries: entries.to_vec(),
            },
        );
        request.set_timeout(STORE_TIMEOUT);
        self.client
            .clone()
            .append_audit_entries(request)
            .await
            .map(drop)
            .map_err(|status| format!("{}: {}", status.code(), status.message()))
    }
}

/// The running drainer.
#[derive(Debug)]
pub struct AuditDrain {
    task: JoinHandle<SpoolReader>,
    closing: CancellationToken,
    progress: Progress,
}

impl AuditDrain {
    pub(super) fn start(reader: SpoolReader, store: AuditStore) -> Self {
        let closing = CancellationToken::new();
        let progress = Progress::new(tokio::time::Instant::now().into());
        let task = tokio::spawn(drain(reader, store, closing.clone(), progress.clone()));
        Self {
            task,
            closing,
            progress,
        }
    }

    /// Returns when the drain last made progress, for its metrics.
    pub(super) fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Drains what is left for at most `within`, then stops; what the
    /// store has not taken by then stays on disk for the next start.
    pub async fn finish(self, within: Duration) {
        self.closing.cancel();
        let abort = self.task.abort_handle();
        match tokio::time::timeout(within, self.task).await {
            Ok(Ok(reader)) => tracing::debug!(left = reader.undrained(), "audit drained"),
            Ok(Err(error)) => tracing::error!(%error, "audit drainer failed"),
            Err(_) => {
                abort.abort();
                tracing::warn!(
                    "audit spool not drained within {within:?}: the rest is sent at the next start"
                );
            }
        }
    }
}

async fn drain(
    mut reader: SpoolReader,
    store: AuditStore,
    closing: CancellationToken,
    progress: Progress,
) -> SpoolReader {
    loop {
        if closing.is_cancelled() && reader.is_empty() {
            return reader;
        }
        let batch = tokio::select! {
            batch = reader.next_batch(BATCH) => batch,
            () = closing.cancelled(), if reader.is_empty() => return reader,
        };
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!(%error, "audit spool unreadable: retrying");
                tokio::time::sleep(MAX_BACKOFF).await;
                continue;
            }
        };
        progressed(&progress);
        let mut backoff = FIRST_BACKOFF;
        let mut logged: Option<tokio::time::Instant> = None;
        while !batch.entries.is_empty() {
            match store.append(&batch.entries).await {
                Ok(()) => break,
                Err(error) => {
                    if logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
                        tracing::warn!(
                            error,
                            undrained_bytes = reader.undrained(),
                            "audit store unavailable: entries wait in the spool"
                        );
                        logged = Some(tokio::time::Instant::now());
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        progressed(&progress);
        if let Err(error) = reader.commit(&batch) {
            // The entries are in the store; sent again later, they are
            // recognised by their keys.
            tracing::error!(%error, "audit spool cursor not saved");
        }
        if batch.entries.len() < BATCH {
            tokio::select! {
                () = tokio::time::sleep(GATHER) => {}
                () = closing.cancelled() => {}
            }
        }
    }
}
