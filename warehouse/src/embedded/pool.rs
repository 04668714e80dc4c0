//! A few read-only connections to the dataset, so queries run side by side
//! instead of queueing behind one connection's mutex (one connection capped
//! `GetKpis` near 260 calls a second while a core sat idle).

use std::{
    path::Path,
    sync::{Arc, Mutex, MutexGuard, TryLockError},
};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::WarehouseError;

/// `size` connections; a caller waits for one without holding a thread.
#[derive(Debug)]
pub(super) struct ReadOnlyPool {
    connections: Vec<Mutex<Connection>>,
    /// One permit per connection: a permit holder always finds one free.
    free: Arc<Semaphore>,
}

impl ReadOnlyPool {
    /// Opens `size` read-only connections to `path`, each prepared by `setup`.
    pub(super) fn open(
        path: &Path,
        size: usize,
        setup: impl Fn(&Connection) -> rusqlite::Result<()>,
    ) -> Result<Self, WarehouseError> {
        let connections = (0..size.max(1))
            .map(|_| {
                let connection = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| {
                    WarehouseError::Unavailable(format!("cannot open {}: {e}", path.display()))
                })?;
                setup(&connection).map_err(|e| WarehouseError::Query(e.to_string()))?;
                Ok(Mutex::new(connection))
            })
            .collect::<Result<Vec<_>, WarehouseError>>()?;
        Ok(Self {
            free: Arc::new(Semaphore::new(connections.len())),
            connections,
        })
    }

    /// Runs `work` on a free connection, on the blocking pool. The permit
    /// goes with the work: a caller that stops waiting frees its connection
    /// only when the query it started has ended.
    pub(super) async fn with<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Connection) -> Result<T, WarehouseError> + Send + 'static,
    ) -> Result<T, WarehouseError> {
        let permit = Arc::clone(&self.free)
            .acquire_owned()
            .await
            .map_err(|_| WarehouseError::Unavailable("the warehouse is closing".into()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let connection = pool.free_connection()?;
            work(&connection)
        })
        .await
        .map_err(|e| WarehouseError::Query(e.to_string()))?
    }

    /// Runs `work` on this thread, for a caller already on a blocking one
    /// that holds no permit (opening, before anyone else can ask).
    pub(super) fn with_here<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, WarehouseError>,
    ) -> Result<T, WarehouseError> {
        let connection = self.free_connection()?;
        work(&connection)
    }

    fn free_connection(&self) -> Result<MutexGuard<'_, Connection>, WarehouseError> {
        self.connections
            .iter()
            .find_map(|connection| match connection.try_lock() {
                Ok(connection) => Some(connection),
                // A panic in a read leaves a read-only connection sound.
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            })
            .ok_or_else(|| WarehouseError::Query("no free connection under a permit".into()))
    }
}
