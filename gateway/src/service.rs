//! The public API: each method calls the internal services with the
//! capability the edge layer minted for the call.

use mesh_core::{
    client::{MeshChannel, capability_of, with_capability},
    telemetry,
    trace::current_trace,
};
use proto::{
    forecaster::{
        ForecastRevenueRequest, RankSalesRequest, RecommendRequest,
        forecaster_service_client::ForecasterServiceClient,
    },
    gateway::{
        ForecastSeriesRequest, ForecastSeriesResponse, GetDashboardRequest, GetDashboardResponse,
        GetForecastRequest, GetForecastResponse, GetHistoryRequest, GetHistoryResponse,
        GetKpisRequest, GetKpisResponse, GetRankingsRequest, GetRankingsResponse,
        GetRecommendationsRequest, GetRecommendationsResponse, GetTelemetryStatusRequest,
        GetTelemetryStatusResponse, ListAuditLogsRequest, ListAuditLogsResponse,
        RunWarehouseQueryRequest, RunWarehouseQueryResponse,
        gateway_service_server::GatewayService,
    },
    store::{ListAuditEntriesRequest, store_service_client::StoreServiceClient},
    warehouse::{self, GetDailySalesRequest, warehouse_service_client::WarehouseServiceClient},
};
use tonic::{Request, Response, Status};

pub const GRPC_SERVICE: &str = proto::methods::gateway_service::SERVICE;
const DEFAULT_FORECAST_DAYS: i32 = 30;

/// Clients of the internal services.
#[derive(Clone, Debug)]
pub struct Upstreams {
    pub warehouse: WarehouseServiceClient<MeshChannel>,
    pub forecaster: ForecasterServiceClient<MeshChannel>,
    pub store: StoreServiceClient<MeshChannel>,
}

/// Serves [`GatewayService`].
#[derive(Clone, Debug)]
pub struct Gateway {
    upstreams: Upstreams,
}

impl Gateway {
    pub fn new(upstreams: Upstreams) -> Self {
        Self { upstreams }
    }
}

fn forecast_request(days: i32, levels: Vec<f64>) -> ForecastRevenueRequest {
    ForecastRevenueRequest {
        horizon_days: if days == 0 {
            DEFAULT_FORECAST_DAYS
        } else {
            days
        },
        history_days: 0,
        levels,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
    }
}

#[tonic::async_trait]
impl GatewayService for Gateway {
    async fn get_kpis(
        &self,
        request: Request<GetKpisRequest>,
    ) -> Result<Response<GetKpisResponse>, Status> {
        let capability = capability_of(&request)?;
        let message = warehouse::GetKpisRequest {
            window_days: request.get_ref().window_days,
        };
        let kpis = self
            .upstreams
            .warehouse
            .clone()
            .get_kpis(with_capability(&capability, message))
            .await?;
        let kpis = kpis.into_inner();
        Ok(Response::new(GetKpisResponse {
            kpis: kpis.kpis,
            previous: kpis.previous,
            change: kpis.change,
        }))
    }

    async fn get_history(
        &self,
        request: Request<GetHistoryRequest>,
    ) -> Result<Response<GetHistoryResponse>, Status> {
        let capability = capability_of(&request)?;
        let message = GetDailySalesRequest {
            days_back: request.get_ref().days_back,
            subject: None,
        };
        let days = self
            .upstreams
            .warehouse
            .clone()
            .get_daily_sales(with_capability(&capability, message))
            .await?;
        Ok(Response::new(GetHistoryResponse {
            days: days.into_inner().days,
        }))
    }

    async fn get_forecast(
        &self,
        request: Request<GetForecastRequest>,
    ) -> Result<Response<GetForecastResponse>, Status> {
        let capability = capability_of(&request)?;
        let GetForecastRequest { days, levels } = request.into_inner();
        let message = forecast_request(days, levels);
        let forecast = self
            .upstreams
            .forecaster
            .clone()
            .forecast_revenue(with_capability(&capability, message))
            .await?;
        Ok(Response::new(GetForecastResponse {
            forecast: forecast.into_inner().forecast,
        }))
    }

    async fn get_dashboard(
        &self,
        request: Request<GetDashboardRequest>,
    ) -> Result<Response<GetDashboardResponse>, Status> {
        let capability = capability_of(&request)?;
        let forecast_days = request.get_ref().forecast_days;
        let (mut warehouse_kpis, mut warehouse_history, mut forecaster) = (
            self.upstreams.warehouse.clone(),
            self.upstreams.warehouse.clone(),
            self.upstreams.forecaster.clone(),
        );
        let (kpis, history, forecast) = tokio::try_join!(
            warehouse_kpis.get_kpis(with_capability(
                &capability,
                warehouse::GetKpisRequest { window_days: 0 }
            )),
            warehouse_history.get_daily_sales(with_capability(
                &capability,
                GetDailySalesRequest {
                    days_back: 0,
                    subject: None
                }
            )),
            forecaster.forecast_revenue(with_capability(
                &capability,
                forecast_request(forecast_days, Vec::new())
            )),
        )?;
        Ok(Response::new(GetDashboardResponse {
            kpis: kpis.into_inner().kpis,
            history: history.into_inner().days,
            forecast: forecast.into_inner().forecast,
        }))
    }

    async fn get_telemetry_status(
        &self,
        _: Request<GetTelemetryStatusRequest>,
    ) -> Result<Response<GetTelemetryStatusResponse>, Status> {
        let trace = current_trace();
        Ok(Response::new(GetTelemetryStatusResponse {
            trace_id: trace.trace_id,
            span_id: trace.span_id,
            exporting: telemetry::is_exporting(),
        }))
    }

    async fn list_audit_logs(
        &self,
        request: Request<ListAuditLogsRequest>,
    ) -> Result<Response<ListAuditLogsResponse>, Status> {
        let capability = capability_of(&request)?;
        let ListAuditLogsRequest {
            page_size,
            page_token,
        } = request.into_inner();
        let message = ListAuditEntriesRequest {
            page_size,
            page_token,
        };
        let page = self
            .upstreams
            .store
            .clone()
            .list_audit_entries(with_capability(&capability, message))
            .await?;
        let page = page.into_inner();
        Ok(Response::new(ListAuditLogsResponse {
            entries: page.entries,
            next_page_token: page.next_page_token,
        }))
    }

    async fn run_warehouse_query(
        &self,
        request: Request<RunWarehouseQueryRequest>,
    ) -> Result<Response<RunWarehouseQueryResponse>, Status> {
        let capability = capability_of(&request)?;
        let RunWarehouseQueryRequest {
            sql,
            max_rows,
            timeout_ms,
        } = request.into_inner();
        let message = warehouse::RunQueryRequest {
            sql,
            max_rows,
            timeout_ms,
        };
        let answer = self
            .upstreams
            .warehouse
            .clone()
            .run_query(with_capability(&capability, message))
            .await?;
        let answer = answer.into_inner();
        Ok(Response::new(RunWarehouseQueryResponse {
            columns: answer.columns,
            rows: answer.rows,
            truncated: answer.truncated,
        }))
    }

    async fn get_rankings(
        &self,
        request: Request<GetRankingsRequest>,
    ) -> Result<Response<GetRankingsResponse>, Status> {
        let capability = capability_of(&request)?;
        let GetRankingsRequest { top_n, window_days } = request.into_inner();
        let message = RankSalesRequest {
            window_days,
            top_n,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
        };
        let ranked = self
            .upstreams
            .forecaster
            .clone()
            .rank_sales(with_capability(&capability, message))
            .await?;
        Ok(Response::new(GetRankingsResponse {
            ranking: ranked.into_inner().ranking,
        }))
    }

    async fn get_recommendations(
        &self,
        request: Request<GetRecommendationsRequest>,
    ) -> Result<Response<GetRecommendationsResponse>, Status> {
        let capability = capability_of(&request)?;
        let message = RecommendRequest {
            window_days: request.get_ref().window_days,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
        };
        let advised = self
            .upstreams
            .forecaster
            .clone()
            .recommend(with_capability(&capability, message))
            .await?;
        Ok(Response::new(GetRecommendationsResponse {
            run: advised.into_inner().run,
        }))
    }

    async fn forecast_series(
        &self,
        request: Request<ForecastSeriesRequest>,
    ) -> Result<Response<ForecastSeriesResponse>, Status> {
        use proto::{
            forecaster::forecast_series_request::Series,
            gateway::forecast_series_request::Series as Asked,
        };
        let capability = capability_of(&request)?;
        let ForecastSeriesRequest {
            days,
            levels,
            series,
        } = request.into_inner();
        let series = series.map(|series| match series {
            Asked::StockItemId(id) => Series::StockItemId(id),
            Asked::CustomerId(id) => Series::CustomerId(id),
            Asked::Inline(inline) => Series::Inline(inline),
        });
        let message = proto::forecaster::ForecastSeriesRequest {
            horizon_days: if days == 0 {
                DEFAULT_FORECAST_DAYS
            } else {
                days
            },
            levels,
            history_days: 0,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            series,
        };
        let forecast = self
            .upstreams
            .forecaster
            .clone()
            .forecast_series(with_capability(&capability, message))
            .await?;
        Ok(Response::new(ForecastSeriesResponse {
            forecast: forecast.into_inner().forecast,
        }))
    }
}
