//! What every stored record type has in common, so each backend writes
//! append and list once.

use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use proto::store::{AuditEntry, ForecastRun, RankingRun, RecommendationRun, Revocation};

use crate::{
    StoreError,
    audit_filter::{AuditFilter, MAX_EXAMINED},
    records::{Appended, Page, PageRequest, RecordStore, cursor_after},
};

/// A record kept in its own table.
pub trait Record: Message + Default + Send + Sync + 'static {
    /// The table, in both backends.
    const TABLE: &'static str;
    fn idempotency_key(&self) -> &str;
    /// Sets the fields the store assigns.
    fn assign(&mut self, id: String, recorded_at_unix_ms: i64);
    fn recorded_at_unix_ms(&self) -> i64;
    fn id(&self) -> &str;
}

/// Implements [`Record`] for a message with `id`, `idempotency_key` and
/// `recorded_at_unix_ms` fields, kept in `table`.
macro_rules! record {
    ($message:ty, $table:literal) => {
        impl Record for $message {
            const TABLE: &'static str = $table;
            fn idempotency_key(&self) -> &str {
                &self.idempotency_key
            }
            fn assign(&mut self, id: String, recorded_at_unix_ms: i64) {
                self.id = id;
                self.recorded_at_unix_ms = recorded_at_unix_ms;
            }
            fn recorded_at_unix_ms(&self) -> i64 {
                self.recorded_at_unix_ms
            }
            fn id(&self) -> &str {
                &self.id
            }
        }
    };
}

record!(AuditEntry, "audit_logs");
record!(ForecastRun, "forecast_runs");
record!(RankingRun, "ranking_runs");
record!(RecommendationRun, "recommendation_runs");
record!(Revocation, "revocations");

/// Assigns a fresh id and the current time to a record about to be written.
/// The id is a time-ordered UUID (version 7): ids are indexed, and ids in
/// time order are appended to the index rather than scattered over it.
pub(crate) fn assign_new<R: Record>(record: &mut R) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    record.assign(uuid::Uuid::now_v7().to_string(), now);
}

pub(crate) fn decode<R: Record>(body: &[u8]) -> Result<R, StoreError> {
    R::decode(body).map_err(|e| StoreError::Internal(format!("stored record does not decode: {e}")))
}

/// What a backend implements: append and list for any record type. Every
/// backend is then a [`RecordStore`] through one blanket implementation.
#[tonic::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Inserts each record whose key is new, in one transaction; returns
    /// what is stored for each, in order.
    async fn append_all<R: Record>(&self, records: Vec<R>) -> Result<Vec<Appended<R>>, StoreError>;

    /// Returns up to `limit` records older than sequence `before` (all when
    /// `None`), newest first, each with its sequence number.
    async fn scan<R: Record>(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<(i64, R)>, StoreError>;

    /// Checks the backend can answer, for health; the embedded one always can.
    async fn check(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn append<R: Record>(&self, record: R) -> Result<Appended<R>, StoreError> {
        let mut appended = self.append_all(vec![record]).await?;
        appended
            .pop()
            .ok_or_else(|| StoreError::Internal("append returned nothing".into()))
    }
}

/// Records scanned at once by a filtered listing.
const SCAN_CHUNK: usize = 256;

/// Lists newest first, `page.limit` at a time.
async fn list<B: Backend, R: Record>(
    backend: &B,
    page: PageRequest,
) -> Result<Page<R>, StoreError> {
    list_where(backend, page, |_: &R| true, page.limit + 1).await
}

/// Lists the records `keep` keeps, newest first, `page.limit` at a time,
/// examining at most `budget` records. A page cut short by the budget
/// continues from the last record examined, so it may hold fewer records
/// than asked, or none, with a cursor that goes on.
async fn list_where<B: Backend, R: Record>(
    backend: &B,
    page: PageRequest,
    keep: impl Fn(&R) -> bool + Send + Sync,
    budget: u32,
) -> Result<Page<R>, StoreError> {
    // One more than asked tells whether another page follows.
    let wanted = page.limit as usize + 1;
    let budget = budget as usize;
    let mut kept: Vec<(i64, R)> = Vec::new();
    let mut before = page.before;
    let mut examined = 0;
    let exhausted = loop {
        let ask = (wanted - kept.len()).max(SCAN_CHUNK).min(budget - examined);
        if ask == 0 {
            break false;
        }
        let rows = backend.scan::<R>(before, ask as u32).await?;
        let last_chunk = rows.len() < ask;
        for (seq, record) in rows {
            examined += 1;
            before = Some(seq);
            if keep(&record) {
                kept.push((seq, record));
                if kept.len() == wanted {
                    break;
                }
            }
        }
        if kept.len() == wanted {
            break false;
        }
        if last_chunk {
            break true;
        }
    };
    let next_cursor = if kept.len() == wanted {
        kept.pop();
        kept.last()
            .map(|(seq, _)| cursor_after(*seq))
            .unwrap_or_default()
    } else if exhausted {
        String::new()
    } else {
        before.map(cursor_after).unwrap_or_default()
    };
    Ok(Page {
        records: kept.into_iter().map(|(_, record)| record).collect(),
        next_cursor,
    })
}

#[tonic::async_trait]
impl<B: Backend> RecordStore for B {
    async fn check(&self) -> Result<(), StoreError> {
        Backend::check(self).await
    }

    async fn append_audit_entry(
        &self,
        entry: AuditEntry,
    ) -> Result<Appended<AuditEntry>, StoreError> {
        self.append(entry).await
    }

    async fn append_audit_entries(
        &self,
        entries: Vec<AuditEntry>,
    ) -> Result<Vec<Appended<AuditEntry>>, StoreError> {
        self.append_all(entries).await
    }

    async fn list_audit_entries(
        &self,
        page: PageRequest,
        filter: &AuditFilter,
    ) -> Result<Page<AuditEntry>, StoreError> {
        if filter.is_empty() {
            return list(self, page).await;
        }
        list_where(self, page, |entry| filter.matches(entry), MAX_EXAMINED).await
    }

    async fn append_forecast_run(
        &self,
        run: ForecastRun,
    ) -> Result<Appended<ForecastRun>, StoreError> {
        self.append(run).await
    }

    async fn list_forecast_runs(&self, page: PageRequest) -> Result<Page<ForecastRun>, StoreError> {
        list(self, page).await
    }

    async fn append_ranking_run(
        &self,
        run: RankingRun,
    ) -> Result<Appended<RankingRun>, StoreError> {
        self.append(run).await
    }

    async fn list_ranking_runs(&self, page: PageRequest) -> Result<Page<RankingRun>, StoreError> {
        list(self, page).await
    }

    async fn append_recommendation_run(
        &self,
        run: RecommendationRun,
    ) -> Result<Appended<RecommendationRun>, StoreError> {
        self.append(run).await
    }

    async fn list_recommendation_runs(
        &self,
        page: PageRequest,
    ) -> Result<Page<RecommendationRun>, StoreError> {
        list(self, page).await
    }

    async fn revoke(&self, revocation: Revocation) -> Result<Appended<Revocation>, StoreError> {
        self.append(revocation).await
    }

    async fn list_revocations(&self, page: PageRequest) -> Result<Page<Revocation>, StoreError> {
        list(self, page).await
    }
}
