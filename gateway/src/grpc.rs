//! The gRPC (and gRPC-web) adapter: each method of `GatewayService` takes
//! the call the edge authorized and hands the typed input to its operation.

use std::sync::Arc;

use futures::{StreamExt, stream::BoxStream};
use proto::gateway::{
    ForecastSeriesRequest, ForecastSeriesResponse, GetDashboardRequest, GetDashboardResponse,
    GetForecastRequest, GetForecastResponse, GetHistoryRequest, GetHistoryResponse, GetKpisRequest,
    GetKpisResponse, GetRankingsRequest, GetRankingsResponse, GetRecommendationsRequest,
    GetRecommendationsResponse, GetTelemetryStatusRequest, GetTelemetryStatusResponse,
    ListAuditLogsRequest, ListAuditLogsResponse, ListForecastRunsRequest, ListForecastRunsResponse,
    ListRankingRunsRequest, ListRankingRunsResponse, ListRecommendationRunsRequest,
    ListRecommendationRunsResponse, RunWarehouseQueryRequest, RunWarehouseQueryResponse,
    WatchDashboardRequest, WatchDashboardResponse, gateway_service_server::GatewayService,
};
use tonic::{Request, Response, Status};

use crate::api::{self, Call, Gateway};

/// Serves [`GatewayService`] with the operations in [`api`].
#[derive(Clone, Debug)]
pub struct GrpcAdapter {
    gateway: Arc<Gateway>,
}

impl GrpcAdapter {
    pub fn new(gateway: Arc<Gateway>) -> Self {
        Self { gateway }
    }
}

/// Calls `operation` with the gateway, the authorized call and the input.
macro_rules! unary {
    ($self:ident, $request:ident, $operation:path) => {{
        let call = Call::of_grpc(&$request)?;
        let output = $operation(&$self.gateway, &call, $request.into_inner()).await?;
        Ok(Response::new(output))
    }};
}

#[tonic::async_trait]
impl GatewayService for GrpcAdapter {
    async fn get_kpis(
        &self,
        request: Request<GetKpisRequest>,
    ) -> Result<Response<GetKpisResponse>, Status> {
        unary!(self, request, api::kpis::get_kpis)
    }

    async fn get_history(
        &self,
        request: Request<GetHistoryRequest>,
    ) -> Result<Response<GetHistoryResponse>, Status> {
        unary!(self, request, api::history::get_history)
    }

    async fn get_forecast(
        &self,
        request: Request<GetForecastRequest>,
    ) -> Result<Response<GetForecastResponse>, Status> {
        unary!(self, request, api::forecast::get_forecast)
    }

    async fn forecast_series(
        &self,
        request: Request<ForecastSeriesRequest>,
    ) -> Result<Response<ForecastSeriesResponse>, Status> {
        unary!(self, request, api::forecast_series::forecast_series)
    }

    async fn get_dashboard(
        &self,
        request: Request<GetDashboardRequest>,
    ) -> Result<Response<GetDashboardResponse>, Status> {
        unary!(self, request, api::dashboard::get_dashboard)
    }

    type WatchDashboardStream = BoxStream<'static, Result<WatchDashboardResponse, Status>>;

    async fn watch_dashboard(
        &self,
        request: Request<WatchDashboardRequest>,
    ) -> Result<Response<Self::WatchDashboardStream>, Status> {
        let call = Call::of_grpc(&request)?;
        let viewer =
            api::watch_dashboard::watch_dashboard(&self.gateway, &call, request.into_inner())
                .await?;
        let stream = viewer.into_stream().map(|next| next.map_err(Status::from));
        Ok(Response::new(stream.boxed()))
    }

    async fn get_telemetry_status(
        &self,
        request: Request<GetTelemetryStatusRequest>,
    ) -> Result<Response<GetTelemetryStatusResponse>, Status> {
        let output = api::telemetry_status::get_telemetry_status(request.into_inner()).await?;
        Ok(Response::new(output))
    }

    async fn get_rankings(
        &self,
        request: Request<GetRankingsRequest>,
    ) -> Result<Response<GetRankingsResponse>, Status> {
        unary!(self, request, api::rankings::get_rankings)
    }

    async fn get_recommendations(
        &self,
        request: Request<GetRecommendationsRequest>,
    ) -> Result<Response<GetRecommendationsResponse>, Status> {
        unary!(self, request, api::recommendations::get_recommendations)
    }

    async fn list_audit_logs(
        &self,
        request: Request<ListAuditLogsRequest>,
    ) -> Result<Response<ListAuditLogsResponse>, Status> {
        unary!(self, request, api::audit_logs::list_audit_logs)
    }

    async fn list_forecast_runs(
        &self,
        request: Request<ListForecastRunsRequest>,
    ) -> Result<Response<ListForecastRunsResponse>, Status> {
        unary!(self, request, api::forecast_runs::list_forecast_runs)
    }

    async fn list_ranking_runs(
        &self,
        request: Request<ListRankingRunsRequest>,
    ) -> Result<Response<ListRankingRunsResponse>, Status> {
        unary!(self, request, api::ranking_runs::list_ranking_runs)
    }

    async fn list_recommendation_runs(
        &self,
        request: Request<ListRecommendationRunsRequest>,
    ) -> Result<Response<ListRecommendationRunsResponse>, Status> {
        unary!(
            self,
            request,
            api::recommendation_runs::list_recommendation_runs
        )
    }

    async fn run_warehouse_query(
        &self,
        request: Request<RunWarehouseQueryRequest>,
    ) -> Result<Response<RunWarehouseQueryResponse>, Status> {
        unary!(self, request, api::warehouse_query::run_warehouse_query)
    }
}
