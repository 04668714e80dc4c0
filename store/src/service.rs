//! The gRPC face of the store.

use std::sync::Arc;

use proto::store::{
    AppendAuditEntriesRequest, AppendAuditEntriesResponse, AppendAuditEntryRequest,
    AppendAuditEntryResponse, AppendForecastRunRequest, AppendForecastRunResponse,
    AppendRankingRunRequest, AppendRankingRunResponse, AppendRecommendationRunRequest,
    AppendRecommendationRunResponse, ListAuditEntriesRequest, ListAuditEntriesResponse,
    ListForecastRunsRequest, ListForecastRunsResponse, ListRankingRunsRequest,
    ListRankingRunsResponse, ListRecommendationRunsRequest, ListRecommendationRunsResponse,
    ListRevocationsRequest, ListRevocationsResponse, RevokeRequest, RevokeResponse,
    store_service_server::StoreService,
};
use tonic::{Request, Response, Status};

use crate::{
    audit_filter::AuditFilter,
    records::{MAX_BATCH, PageRequest, RecordStore, require_key},
    revocations,
};

pub const GRPC_SERVICE: &str = proto::methods::store_service::SERVICE;

/// Serves [`StoreService`] from whichever [`RecordStore`] is configured.
pub struct Store {
    records: Arc<dyn RecordStore>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    pub fn new(records: Arc<dyn RecordStore>) -> Self {
        Self { records }
    }
}

#[tonic::async_trait]
impl StoreService for Store {
    async fn append_audit_entry(
        &self,
        request: Request<AppendAuditEntryRequest>,
    ) -> Result<Response<AppendAuditEntryResponse>, Status> {
        let entry = request
            .into_inner()
            .entry
            .ok_or_else(|| Status::invalid_argument("entry is required"))?;
        require_key(&entry.idempotency_key)?;
        let appended = self.records.append_audit_entry(entry).await?;
        Ok(Response::new(AppendAuditEntryResponse {
            entry: Some(appended.record),
            created: appended.created,
        }))
    }

    async fn append_audit_entries(
        &self,
        request: Request<AppendAuditEntriesRequest>,
    ) -> Result<Response<AppendAuditEntriesResponse>, Status> {
        let entries = request.into_inner().entries;
        if entries.is_empty() || entries.len() > MAX_BATCH {
            return Err(Status::invalid_argument(format!(
                "a batch holds 1 to {MAX_BATCH} entries, got {}",
                entries.len()
            )));
        }
        for (index, entry) in entries.iter().enumerate() {
            require_key(&entry.idempotency_key)
                .map_err(|e| Status::invalid_argument(format!("entry {index}: {e}")))?;
        }
        let results = self
            .records
            .append_audit_entries(entries)
            .await?
            .into_iter()
            .map(|appended| AppendAuditEntryResponse {
                entry: Some(appended.record),
                created: appended.created,
            })
            .collect();
        Ok(Response::new(AppendAuditEntriesResponse { results }))
    }

    async fn list_audit_entries(
        &self,
        request: Request<ListAuditEntriesRequest>,
    ) -> Result<Response<ListAuditEntriesResponse>, Status> {
        let request = request.into_inner();
        let page = self
            .records
            .list_audit_entries(
                PageRequest::parse(request.page_size, &request.page_token)?,
                &AuditFilter::parse(&request.method, &request.status_code, &request.trace_id)?,
            )
            .await?;
        Ok(Response::new(ListAuditEntriesResponse {
            entries: page.records,
            next_page_token: page.next_cursor,
        }))
    }

    async fn append_forecast_run(
        &self,
        request: Request<AppendForecastRunRequest>,
    ) -> Result<Response<AppendForecastRunResponse>, Status> {
        let run = request
            .into_inner()
            .run
            .ok_or_else(|| Status::invalid_argument("run is required"))?;
        require_key(&run.idempotency_key)?;
        let appended = self.records.append_forecast_run(run).await?;
        Ok(Response::new(AppendForecastRunResponse {
            run: Some(appended.record),
            created: appended.created,
        }))
    }

    async fn list_forecast_runs(
        &self,
        request: Request<ListForecastRunsRequest>,
    ) -> Result<Response<ListForecastRunsResponse>, Status> {
        let request = request.into_inner();
        let page = self
            .records
            .list_forecast_runs(PageRequest::parse(request.page_size, &request.page_token)?)
            .await?;
        Ok(Response::new(ListForecastRunsResponse {
            runs: page.records,
            next_page_token: page.next_cursor,
        }))
    }

    async fn append_ranking_run(
        &self,
        request: Request<AppendRankingRunRequest>,
    ) -> Result<Response<AppendRankingRunResponse>, Status> {
        let run = request
            .into_inner()
            .run
            .ok_or_else(|| Status::invalid_argument("run is required"))?;
        require_key(&run.idempotency_key)?;
        let appended = self.records.append_ranking_run(run).await?;
        Ok(Response::new(AppendRankingRunResponse {
            run: Some(appended.record),
            created: appended.created,
        }))
    }

    async fn list_ranking_runs(
        &self,
        request: Request<ListRankingRunsRequest>,
    ) -> Result<Response<ListRankingRunsResponse>, Status> {
        let request = request.into_inner();
        let page = self
            .records
            .list_ranking_runs(PageRequest::parse(request.page_size, &request.page_token)?)
            .await?;
        Ok(Response::new(ListRankingRunsResponse {
            runs: page.records,
            next_page_token: page.next_cursor,
        }))
    }

    async fn append_recommendation_run(
        &self,
        request: Request<AppendRecommendationRunRequest>,
    ) -> Result<Response<AppendRecommendationRunResponse>, Status> {
        let run = request
            .into_inner()
            .run
            .ok_or_else(|| Status::invalid_argument("run is required"))?;
        require_key(&run.idempotency_key)?;
        let appended = self.records.append_recommendation_run(run).await?;
        Ok(Response::new(AppendRecommendationRunResponse {
            run: Some(appended.record),
            created: appended.created,
        }))
    }

    async fn list_recommendation_runs(
        &self,
        request: Request<ListRecommendationRunsRequest>,
    ) -> Result<Response<ListRecommendationRunsResponse>, Status> {
        let request = request.into_inner();
        let page = self
            .records
            .list_recommendation_runs(PageRequest::parse(request.page_size, &request.page_token)?)
            .await?;
        Ok(Response::new(ListRecommendationRunsResponse {
            runs: page.records,
            next_page_token: page.next_cursor,
        }))
    }

    async fn revoke(
        &self,
        request: Request<RevokeRequest>,
    ) -> Result<Response<RevokeResponse>, Status> {
        let principal = mesh_core::client::capability_of(&request)?
            .principal()
            .unwrap_or_default();
        let revocation = request
            .into_inner()
            .revocation
            .ok_or_else(|| Status::invalid_argument("revocation is required"))?;
        let revocation = revocations::prepare(revocation, principal)?;
        let appended = self.records.revoke(revocation).await?;
        Ok(Response::new(RevokeResponse {
            revocation: Some(appended.record),
            created: appended.created,
        }))
    }

    async fn list_revocations(
        &self,
        request: Request<ListRevocationsRequest>,
    ) -> Result<Response<ListRevocationsResponse>, Status> {
        let request = request.into_inner();
        let page = self
            .records
            .list_revocations(PageRequest::parse(request.page_size, &request.page_token)?)
            .await?;
        // Expired ones are left out, so a page may hold fewer than asked
        // for; the token still goes on from where this page ended.
        let now = std::time::SystemTime::now();
        Ok(Response::new(ListRevocationsResponse {
            revocations: page
                .records
                .into_iter()
                .filter(|revocation| revocations::in_force(revocation, now))
                .collect(),
            next_page_token: page.next_cursor,
        }))
    }
}
