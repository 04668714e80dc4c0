//! What every stored record type has in common, so each backend writes
//! append and list once.

use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use proto::store::{AuditEntry, ForecastRun, RankingRun, RecommendationRun};

use crate::StoreError;

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

/// Assigns a fresh id and the current time to a record about to be written.
pub(crate) fn assign_new<R: Record>(record: &mut R) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    record.assign(uuid::Uuid::new_v4().to_string(), now);
}

pub(crate) fn decode<R: Record>(body: &[u8]) -> Result<R, StoreError> {
    R::decode(body).map_err(|e| StoreError::Internal(format!("stored record does not decode: {e}")))
}
