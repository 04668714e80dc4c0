//! A pooled connection lent to one query. Only a query that finished hands
//! its connection back to the pool ([`InFlight::finished`]). One whose
//! future was dropped half way — the caller's deadline passed at the
//! gateway's or the warehouse's deadline layer, or the caller went away —
//! may leave half an answer on the wire, so its connection is closed
//! instead, which also ends the query on the server: cancelled work stops.

use std::ops::{Deref, DerefMut};

use deadpool::managed::{Manager, Object};

/// A connection out of the pool for one query.
pub(super) struct InFlight<M: Manager>(Option<Object<M>>);

impl<M: Manager> InFlight<M> {
    pub(super) fn new(connection: Object<M>) -> Self {
        Self(Some(connection))
    }

    /// The query finished and read its whole answer: the connection may
    /// serve the next one.
    pub(super) fn finished(mut self) {
        drop(self.0.take());
    }
}

impl<M: Manager> Drop for InFlight<M> {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            // Detached from the pool, the connection closes as it drops.
            drop(Object::take(connection));
        }
    }
}

impl<M: Manager> Deref for InFlight<M> {
    type Target = M::Type;

    fn deref(&self) -> &M::Type {
        // Present from `new` until `finished` or drop, both of which end it.
        self.0
            .as_deref()
            .unwrap_or_else(|| unreachable!("used after finishing"))
    }
}

impl<M: Manager> DerefMut for InFlight<M> {
    fn deref_mut(&mut self) -> &mut M::Type {
        self.0
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("used after finishing"))
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use deadpool::managed::{Metrics, Pool, RecycleResult};

    use super::*;

    /// Connections that count how many were ever made.
    #[derive(Default)]
    struct Counted(AtomicUsize);

    impl Manager for Counted {
        type Type = usize;
        type Error = std::convert::Infallible;

        async fn create(&self) -> Result<usize, Self::Error> {
            Ok(self.0.fetch_add(1, Ordering::SeqCst))
        }

        async fn recycle(&self, _: &mut usize, _: &Metrics) -> RecycleResult<Self::Error> {
            Ok(())
        }
    }

    fn pool() -> Result<Pool<Counted>, Box<dyn std::error::Error>> {
        Ok(Pool::builder(Counted::default()).max_size(1).build()?)
    }

    #[tokio::test]
    async fn a_finished_query_hands_its_connection_back() -> Result<(), Box<dyn std::error::Error>>
    {
        let pool = pool()?;
        let first = InFlight::new(pool.get().await?);
        assert_eq!(*first, 0);
        first.finished();
        assert_eq!(*InFlight::new(pool.get().await?), 0, "the same connection");
        Ok(())
    }

    #[tokio::test]
    async fn a_query_dropped_half_way_closes_its_connection()
    -> Result<(), Box<dyn std::error::Error>> {
        let pool = pool()?;
        let slow = async {
            let connection = InFlight::new(pool.get().await?);
            tokio::time::sleep(Duration::from_secs(60)).await;
            connection.finished();
            Ok::<_, Box<dyn std::error::Error>>(())
        };
        // The caller's deadline passes: the query's future is dropped.
        assert!(
            tokio::time::timeout(Duration::from_millis(20), slow)
                .await
                .is_err()
        );
        assert_eq!(pool.status().size, 0, "not back in the pool");
        assert_eq!(*InFlight::new(pool.get().await?), 1, "a new connection");
        Ok(())
    }
}
