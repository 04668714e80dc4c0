//! Answers kept per (question, data version): the warehouse's questions are
//! few and its data changes rarely, so most calls need no query at all. A
//! question asked again under a new data version is a new key, so a cached
//! answer is never stale; old versions' answers age out of the bound.
//! Concurrent callers of one question share one query (single flight), and
//! errors are never kept.

use std::{hash::Hash, sync::Arc, time::Duration};

use proto::warehouse::{CustomerSales, DailySales, ItemSales, Kpis, RunQueryResponse, StockLevel};
use quick_cache::{Weighter, sync::Cache};

use crate::{SalesSource, Subject, WarehouseError, Window};

/// How many answer rows each kind of answer keeps at most (a day of sales,
/// an item's or a customer's figures is a row of ~100 bytes): ~5 MB a kind.
pub const MAX_CACHED_ROWS: u64 = 50_000;

/// A [`SalesSource`] answering from a cache in front of `source`. Ad-hoc
/// queries are never cached: they are an operator's, and rare.
#[derive(Debug)]
pub struct Cached<S> {
    source: S,
    kpis: Answers<Window, (Kpis, Kpis)>,
    items: Answers<Window, Vec<ItemSales>>,
    customers: Answers<Window, Vec<CustomerSales>>,
    stock: Answers<(), Vec<StockLevel>>,
    daily: Answers<(u32, Subject), Vec<DailySales>>,
}

impl<S: SalesSource> Cached<S> {
    pub fn new(source: S) -> Self {
        Self::with_capacity(source, MAX_CACHED_ROWS)
    }

    /// A cache keeping at most `max_rows` rows of each kind of answer.
    pub fn with_capacity(source: S, max_rows: u64) -> Self {
        Self {
            source,
            kpis: Answers::new(max_rows),
            items: Answers::new(max_rows),
            customers: Answers::new(max_rows),
            stock: Answers::new(max_rows),
            daily: Answers::new(max_rows),
        }
    }
}

#[tonic::async_trait]
impl<S: SalesSource> SalesSource for Cached<S> {
    async fn check(&self) -> Result<(), WarehouseError> {
        self.source.check().await
    }

    async fn data_version(&self) -> Result<u64, WarehouseError> {
        self.source.data_version().await
    }

    async fn kpis(&self, window: Window) -> Result<Kpis, WarehouseError> {
        Ok(self.kpis_and_previous(window).await?.0)
    }

    async fn kpis_and_previous(&self, window: Window) -> Result<(Kpis, Kpis), WarehouseError> {
        let version = self.source.data_version().await?;
        self.kpis
            .get(version, window, self.source.kpis_and_previous(window))
            .await
    }

    async fn item_sales(&self, window: Window) -> Result<Vec<ItemSales>, WarehouseError> {
        let version = self.source.data_version().await?;
        self.items
            .get(version, window, self.source.item_sales(window))
            .await
    }

    async fn customer_sales(&self, window: Window) -> Result<Vec<CustomerSales>, WarehouseError> {
        let version = self.source.data_version().await?;
        self.customers
            .get(version, window, self.source.customer_sales(window))
            .await
    }

    async fn stock_levels(&self) -> Result<Vec<StockLevel>, WarehouseError> {
        let version = self.source.data_version().await?;
        self.stock
            .get(version, (), self.source.stock_levels())
            .await
    }

    async fn daily_sales(
        &self,
        days_back: u32,
        subject: Subject,
    ) -> Result<Vec<DailySales>, WarehouseError> {
        let version = self.source.data_version().await?;
        self.daily
            .get(
                version,
                (days_back, subject),
                self.source.daily_sales(days_back, subject),
            )
            .await
    }

    async fn run_query(
        &self,
        sql: String,
        max_rows: u32,
        timeout: Duration,
    ) -> Result<RunQueryResponse, WarehouseError> {
        self.source.run_query(sql, max_rows, timeout).await
    }
}

/// One kind of answer, keyed by data version and question, bounded in rows.
#[derive(Debug)]
struct Answers<Q, A>(Cache<(u64, Q), Arc<A>, ByRows>);

impl<Q: Hash + Eq + Clone, A: Rows + Clone> Answers<Q, A> {
    fn new(max_rows: u64) -> Self {
        Self(Cache::with_weighter(256, max_rows, ByRows))
    }

    /// Returns the kept answer, or awaits `ask` (once, however many wait)
    /// and keeps what it answers.
    async fn get(
        &self,
        version: u64,
        question: Q,
        ask: impl Future<Output = Result<A, WarehouseError>>,
    ) -> Result<A, WarehouseError> {
        let answer = self
            .0
            .get_or_insert_async(&(version, question), async { ask.await.map(Arc::new) })
            .await?;
        Ok(A::clone(&answer))
    }
}

/// How many rows an answer has, so a bound in rows bounds memory.
trait Rows {
    fn rows(&self) -> usize;
}

impl<T> Rows for Vec<T> {
    fn rows(&self) -> usize {
        self.len()
    }
}

impl Rows for (Kpis, Kpis) {
    fn rows(&self) -> usize {
        2
    }
}

#[derive(Clone, Copy, Debug)]
struct ByRows;

impl<K, A: Rows> Weighter<K, Arc<A>> for ByRows {
    fn weight(&self, _: &K, answer: &Arc<A>) -> u64 {
        answer.rows() as u64 + 1
    }
}

#[cfg(test)]
mod tests;
