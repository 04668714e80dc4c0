use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
};

use super::*;

/// A source that counts the questions that reach it, answers KPIs whose
/// revenue is the data version, and can be made to fail or to be slow.
#[derive(Debug, Default)]
struct Counting {
    asked: AtomicUsize,
    version: AtomicU64,
    failing: AtomicBool,
    slow: AtomicBool,
}

impl Counting {
    async fn ask(&self) -> Result<f64, WarehouseError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.slow.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if self.failing.load(Ordering::SeqCst) {
            return Err(WarehouseError::Unavailable("down".into()));
        }
        Ok(self.version.load(Ordering::SeqCst) as f64)
    }
}

#[tonic::async_trait]
impl SalesSource for Arc<Counting> {
    async fn data_version(&self) -> Result<u64, WarehouseError> {
        Ok(self.version.load(Ordering::SeqCst))
    }

    async fn kpis(&self, _: Window) -> Result<Kpis, WarehouseError> {
        Ok(Kpis {
            revenue: self.ask().await?,
            ..Default::default()
        })
    }

    async fn item_sales(&self, _: Window) -> Result<Vec<ItemSales>, WarehouseError> {
        self.ask().await?;
        Ok(vec![ItemSales::default(); 10])
    }

    async fn customer_sales(&self, _: Window) -> Result<Vec<CustomerSales>, WarehouseError> {
        self.ask().await?;
        Ok(Vec::new())
    }

    async fn stock_levels(&self) -> Result<Vec<StockLevel>, WarehouseError> {
        self.ask().await?;
        Ok(Vec::new())
    }

    async fn daily_sales(&self, days: u32, _: Subject) -> Result<Vec<DailySales>, WarehouseError> {
        self.ask().await?;
        Ok(vec![DailySales::default(); days as usize])
    }

    async fn run_query(
        &self,
        _: String,
        _: u32,
        _: Duration,
    ) -> Result<RunQueryResponse, WarehouseError> {
        self.ask().await?;
        Ok(RunQueryResponse::default())
    }
}

fn cached() -> (Arc<Counting>, Cached<Arc<Counting>>) {
    let source = Arc::new(Counting::default());
    (Arc::clone(&source), Cached::new(source))
}

fn asked(source: &Counting) -> usize {
    source.asked.load(Ordering::SeqCst)
}

#[tokio::test]
async fn a_question_asked_again_is_answered_without_the_source()
-> Result<(), Box<dyn std::error::Error>> {
    let (source, cache) = cached();
    let first = cache.kpis_and_previous(Window::latest(30)).await?;
    let again = cache.kpis_and_previous(Window::latest(30)).await?;
    // Both windows by the default: two questions to the source, once.
    assert_eq!(asked(&source), 2);
    assert_eq!(first, again);
    cache.daily_sales(365, Subject::All).await?;
    cache.daily_sales(365, Subject::All).await?;
    assert_eq!(asked(&source), 3);

    // Another window, subject or kind of question is another question.
    cache.kpis_and_previous(Window::latest(7)).await?;
    cache.daily_sales(365, Subject::StockItem(1)).await?;
    cache.item_sales(Window::latest(30)).await?;
    cache.customer_sales(Window::latest(30)).await?;
    cache.stock_levels().await?;
    assert_eq!(asked(&source), 9);
    Ok(())
}

#[tokio::test]
async fn a_new_data_version_asks_the_source_again() -> Result<(), Box<dyn std::error::Error>> {
    let (source, cache) = cached();
    let before = cache.kpis(Window::latest(30)).await?;
    source.version.store(7, Ordering::SeqCst);
    let after = cache.kpis(Window::latest(30)).await?;
    assert_eq!((before.revenue, after.revenue), (0.0, 7.0));
    assert_eq!(asked(&source), 4);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_of_one_question_share_one_query()
-> Result<(), Box<dyn std::error::Error>> {
    let (source, cache) = cached();
    source.slow.store(true, Ordering::SeqCst);
    let cache = Arc::new(cache);
    let callers: Vec<_> = (0..16)
        .map(|_| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.daily_sales(90, Subject::All).await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await??.len(), 90);
    }
    assert_eq!(asked(&source), 1);
    Ok(())
}

#[tokio::test]
async fn errors_are_not_kept() -> Result<(), Box<dyn std::error::Error>> {
    let (source, cache) = cached();
    source.failing.store(true, Ordering::SeqCst);
    let refused = cache.stock_levels().await.err().ok_or("no error")?;
    assert!(
        matches!(refused, WarehouseError::Unavailable(_)),
        "{refused:?}"
    );
    source.failing.store(false, Ordering::SeqCst);
    cache.stock_levels().await?;
    cache.stock_levels().await?;
    assert_eq!(asked(&source), 2);
    Ok(())
}

#[tokio::test]
async fn the_cache_holds_at_most_its_rows() -> Result<(), Box<dyn std::error::Error>> {
    let source = Arc::new(Counting::default());
    let cache = Cached::with_capacity(Arc::clone(&source), 1000);
    for days in 1..=200 {
        cache.daily_sales(days, Subject::All).await?;
    }
    // 200 answers of 1..=200 rows are 20,100 rows: most were let go.
    assert!(cache.daily.0.weight() <= 1000, "{}", cache.daily.0.weight());
    assert!(cache.daily.0.len() < 200);
    Ok(())
}

#[tokio::test]
async fn ad_hoc_queries_always_reach_the_source() -> Result<(), Box<dyn std::error::Error>> {
    let (source, cache) = cached();
    for _ in 0..2 {
        cache
            .run_query("SELECT 1".into(), 1, Duration::from_secs(1))
            .await?;
    }
    assert_eq!(asked(&source), 2);
    Ok(())
}
