//! What the service stores records through, with the semantics every backend
//! keeps: appends are idempotent by key, listings are newest first and paged
//! by an opaque cursor.

use proto::store::{AuditEntry, ForecastRun, RankingRun, RecommendationRun, Revocation};

use crate::audit_filter::AuditFilter;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store did not answer in time: {0}")]
    DeadlineExceeded(String),
    #[error("store operation failed: {0}")]
    Internal(String),
}

impl From<StoreError> for tonic::Status {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::InvalidArgument(message) => tonic::Status::invalid_argument(message),
            StoreError::Unavailable(message) => tonic::Status::unavailable(message),
            StoreError::DeadlineExceeded(message) => tonic::Status::deadline_exceeded(message),
            StoreError::Internal(message) => {
                tracing::warn!(error = %message, "store operation failed");
                tonic::Status::internal("internal error")
            }
        }
    }
}

/// Whether an append wrote a new record or found the key already written.
#[derive(Clone, Debug, PartialEq)]
pub struct Appended<T> {
    pub record: T,
    pub created: bool,
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub records: Vec<T>,
    /// Empty on the last page.
    pub next_cursor: String,
}

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// Records strictly older than this sequence number; `None` for the first page.
    pub before: Option<i64>,
}

pub const MAX_PAGE_SIZE: i32 = 500;
/// The most entries one batch append takes.
pub const MAX_BATCH: usize = 1000;
pub const DEFAULT_PAGE_SIZE: u32 = 50;

impl PageRequest {
    /// Validates a page size (0 means the default) and an opaque cursor.
    pub fn parse(page_size: i32, cursor: &str) -> Result<Self, StoreError> {
        let limit = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            1..=MAX_PAGE_SIZE => page_size as u32,
            _ => {
                return Err(StoreError::InvalidArgument(format!(
                    "page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}"
                )));
            }
        };
        let before = match cursor {
            "" => None,
            cursor => Some(
                cursor
                    .strip_prefix("seq:")
                    .and_then(|n| n.parse::<i64>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        StoreError::InvalidArgument(format!("invalid page_token {cursor:?}"))
                    })?,
            ),
        };
        Ok(Self { limit, before })
    }
}

/// Formats the cursor that continues after the record with sequence `seq`.
pub fn cursor_after(seq: i64) -> String {
    format!("seq:{seq}")
}

/// Storage for audit entries and forecast runs.
#[tonic::async_trait]
pub trait RecordStore: Send + Sync + 'static {
    /// Checks the backend can answer, for health.
    async fn check(&self) -> Result<(), StoreError>;

    /// Appends `entry` unless its idempotency key exists; returns the stored entry.
    async fn append_audit_entry(
        &self,
        entry: AuditEntry,
    ) -> Result<Appended<AuditEntry>, StoreError>;
    /// Appends `entries` in one transaction, each idempotent by its key;
    /// returns what is stored for each, in order.
    async fn append_audit_entries(
        &self,
        entries: Vec<AuditEntry>,
    ) -> Result<Vec<Appended<AuditEntry>>, StoreError>;
    /// Lists the entries `filter` keeps; a filtered page may be short, even
    /// empty, with a cursor that goes on (see [`crate::audit_filter`]).
    async fn list_audit_entries(
        &self,
        page: PageRequest,
        filter: &AuditFilter,
    ) -> Result<Page<AuditEntry>, StoreError>;
    /// Appends `run` unless its idempotency key exists; returns the stored run.
    async fn append_forecast_run(
        &self,
        run: ForecastRun,
    ) -> Result<Appended<ForecastRun>, StoreError>;
    async fn list_forecast_runs(&self, page: PageRequest) -> Result<Page<ForecastRun>, StoreError>;
    /// Appends `run` unless its idempotency key exists; returns the stored run.
    async fn append_ranking_run(&self, run: RankingRun)
    -> Result<Appended<RankingRun>, StoreError>;
    async fn list_ranking_runs(&self, page: PageRequest) -> Result<Page<RankingRun>, StoreError>;
    /// Appends `run` unless its idempotency key exists; returns the stored run.
    async fn append_recommendation_run(
        &self,
        run: RecommendationRun,
    ) -> Result<Appended<RecommendationRun>, StoreError>;
    async fn list_recommendation_runs(
        &self,
        page: PageRequest,
    ) -> Result<Page<RecommendationRun>, StoreError>;
    /// Records `revocation` unless its credential is revoked already;
    /// returns the stored revocation.
    async fn revoke(&self, revocation: Revocation) -> Result<Appended<Revocation>, StoreError>;
    /// Lists every revocation, expired or not, newest first.
    async fn list_revocations(&self, page: PageRequest) -> Result<Page<Revocation>, StoreError>;
}

/// Refuses a write without an idempotency key: a retry could not be recognized.
pub fn require_key(key: &str) -> Result<(), StoreError> {
    if key.trim().is_empty() {
        return Err(StoreError::InvalidArgument(
            "idempotency_key is required".into(),
        ));
    }
    if key.len() > 200 {
        return Err(StoreError::InvalidArgument(
            "idempotency_key is longer than 200 bytes".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_page_requests_are_invalid_arguments() {
        for (size, cursor) in [
            (-1, ""),
            (501, ""),
            (10, "garbage"),
            (10, "seq:-3"),
            (10, "seq:"),
        ] {
            assert!(
                matches!(
                    PageRequest::parse(size, cursor),
                    Err(StoreError::InvalidArgument(_))
                ),
                "{size} {cursor}"
            );
        }
        assert_eq!(
            PageRequest::parse(0, "").ok(),
            Some(PageRequest {
                limit: DEFAULT_PAGE_SIZE,
                before: None
            })
        );
        assert_eq!(
            PageRequest::parse(7, &cursor_after(42)).ok(),
            Some(PageRequest {
                limit: 7,
                before: Some(42)
            })
        );
    }

    #[test]
    fn writes_need_a_reasonable_idempotency_key() {
        assert!(require_key("k").is_ok());
        assert!(matches!(
            require_key(" "),
            Err(StoreError::InvalidArgument(_))
        ));
        assert!(matches!(
            require_key(&"k".repeat(201)),
            Err(StoreError::InvalidArgument(_))
        ));
    }
}
