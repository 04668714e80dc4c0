//! The gRPC face of the forecaster.

use chrono::{Duration, NaiveDate};
use mesh_core::{
    capability::Capability,
    client::{MeshChannel, capability_of, with_capability},
    trace::current_trace,
};
use proto::{
    forecaster::{
        Forecast, ForecastPoint, ForecastRevenueRequest, ForecastRevenueResponse,
        ForecastSeriesRequest, ForecastSeriesResponse, PredictionInterval, RankSalesRequest,
        RankSalesResponse, RecommendRequest, RecommendResponse, forecast_series_request,
        forecaster_service_server::ForecasterService,
    },
    store::{
        AppendForecastRunRequest, ForecastRun, ForecastRunPoint, IntervalCoverage, ModelScore,
        store_service_client::StoreServiceClient,
    },
    warehouse::{
        GetDailySalesRequest, get_daily_sales_request::Subject,
        warehouse_service_client::WarehouseServiceClient,
    },
};
use tonic::{Request, Response, Status};

use crate::{
    model::{self, MIN_HISTORY, ModelError},
    series,
};

mod insights;

pub const GRPC_SERVICE: &str = proto::methods::forecaster_service::SERVICE;

pub const MAX_HORIZON: i32 = 365;
pub const MAX_HISTORY: i32 = 3650;
pub const DEFAULT_HISTORY: i32 = 1095;
pub const DEFAULT_LEVELS: [f64; 2] = [0.8, 0.95];
pub const MAX_LEVELS: usize = 5;

/// Serves [`ForecasterService`], reading history from the warehouse and
/// recording runs in the store on the caller's behalf.
#[derive(Debug, Clone)]
pub struct Forecaster {
    warehouse: WarehouseServiceClient<MeshChannel>,
    store: StoreServiceClient<MeshChannel>,
}

impl Forecaster {
    pub fn new(
        warehouse: WarehouseServiceClient<MeshChannel>,
        store: StoreServiceClient<MeshChannel>,
    ) -> Self {
        Self { warehouse, store }
    }
}

/// A request whose every field has been checked.
#[derive(Debug)]
struct Checked {
    horizon: usize,
    history_days: i32,
    levels: Vec<f64>,
    idempotency_key: String,
}

/// The fields every forecast request has.
#[derive(Debug, Clone, Copy)]
struct Asked<'a> {
    horizon_days: i32,
    history_days: i32,
    levels: &'a [f64],
    idempotency_key: &'a str,
}

impl<'a> From<&'a ForecastRevenueRequest> for Asked<'a> {
    fn from(request: &'a ForecastRevenueRequest) -> Self {
        Self {
            horizon_days: request.horizon_days,
            history_days: request.history_days,
            levels: &request.levels,
            idempotency_key: &request.idempotency_key,
        }
    }
}

impl<'a> From<&'a ForecastSeriesRequest> for Asked<'a> {
    fn from(request: &'a ForecastSeriesRequest) -> Self {
        Self {
            horizon_days: request.horizon_days,
            history_days: request.history_days,
            levels: &request.levels,
            idempotency_key: &request.idempotency_key,
        }
    }
}

fn check(request: Asked<'_>) -> Result<Checked, Status> {
    if !(1..=MAX_HORIZON).contains(&request.horizon_days) {
        return Err(Status::invalid_argument(format!(
            "horizon_days must be between 1 and {MAX_HORIZON}, got {}",
            request.horizon_days
        )));
    }
    let history_days = match request.history_days {
        0 => DEFAULT_HISTORY,
        days if (MIN_HISTORY as i32..=MAX_HISTORY).contains(&days) => days,
        days => {
            return Err(Status::invalid_argument(format!(
                "history_days must be between {MIN_HISTORY} and {MAX_HISTORY}, got {days}"
            )));
        }
    };
    let levels = if request.levels.is_empty() {
        DEFAULT_LEVELS.to_vec()
    } else {
        request.levels.to_vec()
    };
    if levels.len() > MAX_LEVELS {
        return Err(Status::invalid_argument(format!(
            "at most {MAX_LEVELS} interval levels, got {}",
            levels.len()
        )));
    }
    if let Some(level) = levels
        .iter()
        .find(|level| !(**level > 0.0 && **level < 1.0))
    {
        return Err(Status::invalid_argument(format!(
            "interval levels must be between 0 and 1, got {level}"
        )));
    }
    let idempotency_key = match request.idempotency_key.trim() {
        "" => uuid::Uuid::new_v4().to_string(),
        key => key.to_owned(),
    };
    Ok(Checked {
        horizon: request.horizon_days as usize,
        history_days,
        levels,
        idempotency_key,
    })
}

#[tonic::async_trait]
impl ForecasterService for Forecaster {
    async fn rank_sales(
        &self,
        request: Request<RankSalesRequest>,
    ) -> Result<Response<RankSalesResponse>, Status> {
        let capability = capability_of(&request)?;
        Ok(Response::new(
            self.rank(&capability, request.into_inner()).await?,
        ))
    }

    async fn recommend(
        &self,
        request: Request<RecommendRequest>,
    ) -> Result<Response<RecommendResponse>, Status> {
        let capability = capability_of(&request)?;
        Ok(Response::new(
            self.advise(&capability, request.into_inner()).await?,
        ))
    }

    async fn forecast_revenue(
        &self,
        request: Request<ForecastRevenueRequest>,
    ) -> Result<Response<ForecastRevenueResponse>, Status> {
        let capability = capability_of(&request)?;
        let checked = check(request.get_ref().into())?;
        let history = self
            .history(&capability, checked.history_days, None)
            .await?;
        let forecast = self
            .forecast_daily(&capability, checked, history, "total revenue".into())
            .await?;
        Ok(Response::new(ForecastRevenueResponse {
            forecast: Some(forecast),
        }))
    }

    async fn forecast_series(
        &self,
        request: Request<ForecastSeriesRequest>,
    ) -> Result<Response<ForecastSeriesResponse>, Status> {
        let capability = capability_of(&request)?;
        let checked = check(request.get_ref().into())?;
        let (history, label) = match &request.get_ref().series {
            Some(forecast_series_request::Series::StockItemId(id)) => (
                self.history(
                    &capability,
                    checked.history_days,
                    Some(Subject::StockItemId(*id)),
                )
                .await?,
                format!("stock item {id}"),
            ),
            Some(forecast_series_request::Series::CustomerId(id)) => (
                self.history(
                    &capability,
                    checked.history_days,
                    Some(Subject::CustomerId(*id)),
                )
                .await?,
                format!("customer {id}"),
            ),
            Some(forecast_series_request::Series::Inline(inline)) => {
                let series = series::daily(&inline.points).map_err(Status::invalid_argument)?;
                let label = format!("inline series of {} points", inline.points.len());
                (series, label)
            }
            None => {
                return Err(Status::invalid_argument(
                    "choose a series: stock_item_id, customer_id or inline",
                ));
            }
        };
        let forecast = self
            .forecast_daily(&capability, checked, history, label)
            .await?;
        Ok(Response::new(ForecastSeriesResponse {
            forecast: Some(forecast),
        }))
    }
}

impl Forecaster {
    /// Fetches `history_days` of daily revenue (of `subject`, or the whole
    /// warehouse) on the caller's behalf.
    async fn history(
        &self,
        capability: &Capability,
        history_days: i32,
        subject: Option<Subject>,
    ) -> Result<series::DailySeries, Status> {
        let request = GetDailySalesRequest {
            days_back: history_days,
            subject,
        };
        let days = self
            .warehouse
            .clone()
            .get_daily_sales(with_capability(capability, request))
            .await?
            .into_inner()
            .days;
        let first_day = days
            .first()
            .and_then(|day| NaiveDate::parse_from_str(&day.date, "%Y-%m-%d").ok())
            .ok_or_else(|| Status::failed_precondition("the warehouse has no sales history"))?;
        Ok(series::DailySeries {
            first_day,
            values: days.iter().map(|day| day.revenue).collect(),
            filled: 0,
        })
    }

    /// Chooses a model for `history`, forecasts, records the run and answers.
    async fn forecast_daily(
        &self,
        capability: &Capability,
        checked: Checked,
        history: series::DailySeries,
        label: String,
    ) -> Result<Forecast, Status> {
        let last_day = history.first_day + Duration::days(history.values.len() as i64 - 1);
        let history_points = history.values.len() as i32;
        let (horizon, levels) = (checked.horizon, checked.levels.clone());
        let values = history.values;
        let choice = tokio::task::spawn_blocking(move || {
            model::choose_and_forecast(&values, horizon, &levels)
        })
        .await
        .map_err(|error| {
            tracing::warn!(%error, "forecast task failed");
            Status::internal("internal error")
        })?
        .map_err(model_status)?;
        let fitted = &choice.forecast;
        let points: Vec<ForecastPoint> = (0..horizon)
            .map(|step| ForecastPoint {
                date: (last_day + Duration::days(step as i64 + 1))
                    .format("%Y-%m-%d")
                    .to_string(),
                value: fitted.points[step],
                intervals: fitted
                    .intervals
                    .iter()
                    .map(|i| PredictionInterval {
                        level: i.level,
                        lower: i.lower[step],
                        upper: i.upper[step],
                    })
                    .collect(),
            })
            .collect();
        let mut forecast = Forecast {
            run_id: String::new(),
            model: fitted.model.clone(),
            history_points,
            points,
            model_parameters: fitted.parameters.clone(),
            seasonal_periods: choice.periods.iter().map(|p| *p as i32).collect(),
            accuracy: Some(score_message(&choice.chosen)),
            candidates: choice.scores.iter().map(score_message).collect(),
            series: label,
            notes: if history.filled > 0 {
                vec![format!(
                    "{} missing days were filled by linear interpolation",
                    history.filled
                )]
            } else {
                Vec::new()
            },
        };
        let run = ForecastRun {
            idempotency_key: checked.idempotency_key,
            principal: capability.principal().unwrap_or_default(),
            model: forecast.model.clone(),
            horizon_days: horizon as i32,
            history_points,
            trace_id: current_trace().trace_id,
            points: forecast
                .points
                .iter()
                .map(|p| ForecastRunPoint {
                    date: p.date.clone(),
                    value: p.value,
                })
                .collect(),
            model_parameters: forecast.model_parameters.clone(),
            seasonal_periods: forecast.seasonal_periods.clone(),
            accuracy: forecast.accuracy.clone(),
            candidates: forecast.candidates.clone(),
            series: forecast.series.clone(),
            ..Default::default()
        };
        let stored = self
            .store
            .clone()
            .append_forecast_run(with_capability(
                capability,
                AppendForecastRunRequest { run: Some(run) },
            ))
            .await?
            .into_inner()
            .run
            .ok_or_else(|| Status::internal("store returned no run"))?;
        forecast.run_id = stored.id;
        Ok(forecast)
    }
}

fn score_message(score: &model::ModelScore) -> ModelScore {
    ModelScore {
        model: score.model.clone(),
        mase: score.mase,
        smape: score.smape,
        mape: score.mape,
        coverage: score
            .coverage
            .iter()
            .map(|(level, coverage)| IntervalCoverage {
                level: *level,
                coverage: *coverage,
            })
            .collect(),
    }
}

fn model_status(error: ModelError) -> Status {
    match error {
        ModelError::Fit(_) => {
            tracing::warn!(%error, "model fit failed");
            Status::internal("internal error")
        }
        other => Status::invalid_argument(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(horizon_days: i32, history_days: i32, levels: Vec<f64>) -> ForecastRevenueRequest {
        ForecastRevenueRequest {
            horizon_days,
            history_days,
            levels,
            idempotency_key: String::new(),
        }
    }

    #[test]
    fn requests_outside_the_limits_are_invalid_arguments() {
        for bad in [
            request(0, 0, vec![]),
            request(366, 0, vec![]),
            request(30, 10, vec![]),
            request(30, 4000, vec![]),
            request(30, 0, vec![1.0]),
            request(30, 0, vec![f64::NAN]),
            request(30, 0, vec![0.5; 6]),
        ] {
            let status = check((&bad).into()).expect_err("refused");
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{bad:?}");
        }
        let ok = check((&request(30, 0, vec![])).into()).expect("accepted");
        assert_eq!(
            (ok.horizon, ok.history_days, ok.levels),
            (30, 1095, vec![0.8, 0.95])
        );
        assert!(!ok.idempotency_key.is_empty());
    }
}
