//! What every stored record type has in common, so each backend writes
//! append and list once.

use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use proto::store::{AuditEntry, ForecastRun, RankingRun, RecommendationRun, Revocation};

use crate::{
    StoreError,
    records::{Appended, Page, PageRequest, RecordStore},
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

    /// Lists newest first, `page.limit` at a time.
    async fn list<R: Record>(&self, page: PageRequest) -> Result<Page<R>, StoreError>;

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

    async fn list_audit_entries(&self, page: PageRequest) -> Result<Page<AuditEntry>, StoreError> {
        self.list(page).await
    }

    async fn append_forecast_run(
        &self,
        run: ForecastRun,
    ) -> Result<Appended<ForecastRun>, StoreError> {
        self.append(run).await
    }

    async fn list_forecast_runs(&self, page: PageRequest) -> Result<Page<ForecastRun>, StoreError> {
        self.list(page).await
    }

    async fn append_ranking_run(
        &self,
        run: RankingRun,
    ) -> Result<Appended<RankingRun>, StoreError> {
        self.append(run).await
    }

    async fn list_ranking_runs(&self, page: PageRequest) -> Result<Page<RankingRun>, StoreError> {
        self.list(page).await
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
        self.list(page).await
    }

    async fn revoke(&self, revocation: Revocation) -> Result<Appended<Revocation>, StoreError> {
        self.append(revocation).await
    }

    async fn list_revocations(&self, page: PageRequest) -> Result<Page<Revocation>, StoreError> {
        self.list(page).await
    }
}
