//! The gRPC face of the forecaster.
//!
//! - `memo`: fits computed once per input and shared by the calls that ask
//!   for them.
//! - `fit_metrics`: fits and memo lookups, counted.
//! - `insights`: rankings and recommendations over the warehouse's sales.

use std::time::Duration;

use chrono::NaiveDate;
use mesh_core::{
    capability::Capability,
    client::{MeshChannel, capability_of, with_capability},
    server::Deadline,
    trace::current_trace,
};
use proto::{
    forecaster::{
        self as api, Forecast, ForecastPoint, ForecastRevenueRequest, ForecastRevenueResponse,
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
    calendar::Frequency,
    config::DEFAULT_UPSTREAM_TIMEOUT,
    fit::{FitLimits, FitPool},
    model::{self, ModelError, Problem},
    series::{self, Missing, Series},
};

mod fit_metrics;
mod insights;
mod memo;

use memo::MemoizedFits;

pub const GRPC_SERVICE: &str = proto::methods::forecaster_service::SERVICE;

/// The most days `horizon_days` may ask for.
pub const MAX_HORIZON_DAYS: i32 = 365;
pub const MAX_HISTORY: i32 = 3650;
pub const MIN_HISTORY: i32 = 28;
pub const DEFAULT_HISTORY: i32 = 1095;
pub const DEFAULT_LEVELS: [f64; 2] = [0.8, 0.95];
pub const MAX_LEVELS: usize = 5;

/// Serves [`ForecasterService`], reading history from the warehouse and
/// recording runs in the store on the caller's behalf.
#[derive(Debug, Clone)]
pub struct Forecaster {
    warehouse: WarehouseServiceClient<MeshChannel>,
    store: StoreServiceClient<MeshChannel>,
    fits: MemoizedFits,
    upstream_timeout: Duration,
}

impl Forecaster {
    /// A forecaster fitting on a pool of the default size, its upstream
    /// calls given the default timeout when the caller gave no deadline.
    pub fn new(
        warehouse: WarehouseServiceClient<MeshChannel>,
        store: StoreServiceClient<MeshChannel>,
    ) -> Self {
        Self::with_limits(
            warehouse,
            store,
            FitLimits::default(),
            DEFAULT_UPSTREAM_TIMEOUT,
        )
    }

    pub fn with_limits(
        warehouse: WarehouseServiceClient<MeshChannel>,
        store: StoreServiceClient<MeshChannel>,
        fits: FitLimits,
        upstream_timeout: Duration,
    ) -> Self {
        Self {
            warehouse,
            store,
            fits: MemoizedFits::new(FitPool::new(fits)),
            upstream_timeout,
        }
    }

    /// Counts fits in `metrics`: by model, with duration and backtest MASE,
    /// and how often a remembered fit answered.
    pub fn counted_in(mut self, metrics: &mesh_core::metrics::Metrics) -> Self {
        self.fits = self
            .fits
            .counted_in(fit_metrics::FitMetrics::register(metrics));
        self
    }

    /// Returns who `request` is for and when its caller stops waiting.
    fn call<T>(&self, request: &Request<T>) -> Result<Call, Status> {
        Ok(Call {
            capability: capability_of(request)?,
            deadline: request.extensions().get::<Deadline>().copied(),
            default_timeout: self.upstream_timeout,
        })
    }
}

/// A call being served: the capability it was authorized with and its
/// caller's deadline, both carried to every upstream call it makes.
#[derive(Clone, Debug)]
struct Call {
    capability: Capability,
    deadline: Option<Deadline>,
    /// The timeout of an upstream call when the caller gave no deadline.
    default_timeout: Duration,
}

impl Call {
    /// Returns `message` as an upstream request carrying the capability and
    /// what is left of the caller's deadline (or the default timeout), so
    /// upstream work stops when the caller stops waiting.
    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = with_capability(&self.capability, message);
        request.set_timeout(
            self.deadline
                .map_or(self.default_timeout, |deadline| deadline.remaining()),
        );
        request
    }
}

/// How far ahead a request asks: in periods of the series, or in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Horizon {
    Periods(usize),
    Days(usize),
}

impl Horizon {
    /// Returns the steps of `frequency` asked for, or why they cannot be.
    fn steps(self, frequency: Frequency) -> Result<usize, Status> {
        match self {
            Self::Days(days) if frequency == Frequency::Daily => Ok(days),
            Self::Days(_) => Err(Status::invalid_argument(format!(
                "horizon_days counts days but the series is {}; send horizon in {}",
                frequency.name(),
                frequency.steps()
            ))),
            Self::Periods(periods) if periods <= frequency.max_horizon() => Ok(periods),
            Self::Periods(periods) => Err(Status::invalid_argument(format!(
                "horizon must be between 1 and {} for a {} series, got {periods}",
                frequency.max_horizon(),
                frequency.name()
            ))),
        }
    }
}

/// A request whose every field has been checked.
#[derive(Debug)]
struct Checked {
    horizon: Horizon,
    history_days: i32,
    levels: Vec<f64>,
    idempotency_key: String,
    /// The frequency the warehouse's daily totals are summed into.
    frequency: Frequency,
}

/// The fields every forecast request has.
#[derive(Debug, Clone, Copy)]
struct Asked<'a> {
    horizon: i32,
    horizon_days: i32,
    history_days: i32,
    levels: &'a [f64],
    idempotency_key: &'a str,
    frequency: i32,
}

impl<'a> From<&'a ForecastRevenueRequest> for Asked<'a> {
    fn from(request: &'a ForecastRevenueRequest) -> Self {
        Self {
            horizon: request.horizon,
            horizon_days: request.horizon_days,
            history_days: request.history_days,
            levels: &request.levels,
            idempotency_key: &request.idempotency_key,
            frequency: request.frequency,
        }
    }
}

impl<'a> From<&'a ForecastSeriesRequest> for Asked<'a> {
    fn from(request: &'a ForecastSeriesRequest) -> Self {
        Self {
            horizon: request.horizon,
            horizon_days: request.horizon_days,
            history_days: request.history_days,
            levels: &request.levels,
            idempotency_key: &request.idempotency_key,
            frequency: request.frequency,
        }
    }
}

/// Reads a frequency sent as a proto enum; None when unspecified.
fn frequency_of(value: i32, field: &str) -> Result<Option<Frequency>, Status> {
    match api::Frequency::try_from(value) {
        Ok(api::Frequency::Unspecified) => Ok(None),
        Ok(api::Frequency::Daily) => Ok(Some(Frequency::Daily)),
        Ok(api::Frequency::Weekly) => Ok(Some(Frequency::Weekly)),
        Ok(api::Frequency::Monthly) => Ok(Some(Frequency::Monthly)),
        Ok(api::Frequency::Quarterly) => Ok(Some(Frequency::Quarterly)),
        Ok(api::Frequency::Yearly) => Ok(Some(Frequency::Yearly)),
        Err(_) => Err(Status::invalid_argument(format!(
            "{field} {value} is not a known frequency"
        ))),
    }
}

/// Returns the proto enum of `frequency`.
fn frequency_message(frequency: Frequency) -> api::Frequency {
    match frequency {
        Frequency::Daily => api::Frequency::Daily,
        Frequency::Weekly => api::Frequency::Weekly,
        Frequency::Monthly => api::Frequency::Monthly,
        Frequency::Quarterly => api::Frequency::Quarterly,
        Frequency::Yearly => api::Frequency::Yearly,
    }
}

fn check(request: Asked<'_>) -> Result<Checked, Status> {
    let most = Frequency::Daily.max_horizon() as i32;
    let horizon = match (request.horizon, request.horizon_days) {
        (0, days) if (1..=MAX_HORIZON_DAYS).contains(&days) => Horizon::Days(days as usize),
        (0, days) => {
            return Err(Status::invalid_argument(format!(
                "horizon_days must be between 1 and {MAX_HORIZON_DAYS} when horizon is 0, got {days}"
            )));
        }
        (periods, _) if (1..=most).contains(&periods) => Horizon::Periods(periods as usize),
        (periods, _) => {
            return Err(Status::invalid_argument(format!(
                "horizon must be between 1 and {most}, got {periods}"
            )));
        }
    };
    let history_days = match request.history_days {
        0 => DEFAULT_HISTORY,
        days if (MIN_HISTORY..=MAX_HISTORY).contains(&days) => days,
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
    let frequency = frequency_of(request.frequency, "frequency")?.unwrap_or(Frequency::Daily);
    Ok(Checked {
        horizon,
        history_days,
        levels,
        idempotency_key,
        frequency,
    })
}

/// Checks the inline series of `request`, which must leave the request's
/// own frequency (that of the warehouse's series) unset.
fn asked_inline(
    request: &ForecastSeriesRequest,
    inline: &api::InlineSeries,
) -> Result<Series, Status> {
    if request.frequency != 0 {
        return Err(Status::invalid_argument(
            "frequency applies to a stock item or customer; set inline.frequency for an inline series",
        ));
    }
    inline_series(inline)
}

/// Checks an inline series and puts it on its calendar.
fn inline_series(inline: &api::InlineSeries) -> Result<Series, Status> {
    let frequency = frequency_of(inline.frequency, "inline.frequency")?;
    let missing = match api::MissingValues::try_from(inline.missing_values) {
        Ok(api::MissingValues::Unspecified | api::MissingValues::Refuse) => Missing::Refuse,
        Ok(api::MissingValues::Interpolate) => Missing::Interpolate,
        Err(_) => {
            return Err(Status::invalid_argument(format!(
                "inline.missing_values {} is not known",
                inline.missing_values
            )));
        }
    };
    series::inline(&inline.points, frequency, missing)
        .map_err(|error| Status::invalid_argument(error.to_string()))
}

#[tonic::async_trait]
impl ForecasterService for Forecaster {
    async fn rank_sales(
        &self,
        request: Request<RankSalesRequest>,
    ) -> Result<Response<RankSalesResponse>, Status> {
        let call = self.call(&request)?;
        Ok(Response::new(self.rank(&call, request.into_inner()).await?))
    }

    async fn recommend(
        &self,
        request: Request<RecommendRequest>,
    ) -> Result<Response<RecommendResponse>, Status> {
        let call = self.call(&request)?;
        Ok(Response::new(
            self.advise(&call, request.into_inner()).await?,
        ))
    }

    async fn forecast_revenue(
        &self,
        request: Request<ForecastRevenueRequest>,
    ) -> Result<Response<ForecastRevenueResponse>, Status> {
        let call = self.call(&request)?;
        let checked = check(request.get_ref().into())?;
        let history = self.history(&call, &checked, None).await?;
        let forecast = self
            .forecast_run(&call, checked, history, "total revenue".into())
            .await?;
        Ok(Response::new(ForecastRevenueResponse {
            forecast: Some(forecast),
        }))
    }

    async fn forecast_series(
        &self,
        request: Request<ForecastSeriesRequest>,
    ) -> Result<Response<ForecastSeriesResponse>, Status> {
        let call = self.call(&request)?;
        let checked = check(request.get_ref().into())?;
        let (history, label) = match &request.get_ref().series {
            Some(forecast_series_request::Series::StockItemId(id)) => (
                self.history(&call, &checked, Some(Subject::StockItemId(*id)))
                    .await?,
                format!("stock item {id}"),
            ),
            Some(forecast_series_request::Series::CustomerId(id)) => (
                self.history(&call, &checked, Some(Subject::CustomerId(*id)))
                    .await?,
                format!("customer {id}"),
            ),
            Some(forecast_series_request::Series::Inline(inline)) => {
                let series = asked_inline(request.get_ref(), inline)?;
                let label = format!("inline series of {} points", inline.points.len());
                (series, label)
            }
            None => {
                return Err(Status::invalid_argument(
                    "choose a series: stock_item_id, customer_id or inline",
                ));
            }
        };
        let forecast = self.forecast_run(&call, checked, history, label).await?;
        Ok(Response::new(ForecastSeriesResponse {
            forecast: Some(forecast),
        }))
    }
}

impl Forecaster {
    /// Fetches `history_days` of daily revenue (of `subject`, or the whole
    /// warehouse) on the caller's behalf, summed into the asked frequency.
    async fn history(
        &self,
        call: &Call,
        checked: &Checked,
        subject: Option<Subject>,
    ) -> Result<Series, Status> {
        let request = GetDailySalesRequest {
            days_back: checked.history_days,
            subject,
        };
        let days = self
            .warehouse
            .clone()
            .get_daily_sales(call.request(request))
            .await?
            .into_inner()
            .days;
        let first_day = days
            .first()
            .and_then(|day| NaiveDate::parse_from_str(&day.date, "%Y-%m-%d").ok())
            .ok_or_else(|| Status::failed_precondition("the warehouse has no sales history"))?;
        let values: Vec<f64> = days.iter().map(|day| day.revenue).collect();
        series::totals(first_day, &values, checked.frequency).ok_or_else(|| {
            Status::failed_precondition(format!(
                "{} days of history hold no whole {}; ask for more history_days",
                values.len(),
                checked.frequency.steps()
            ))
        })
    }

    /// Chooses a model for `history` (or finds it chosen for the same
    /// input), forecasts, records the run and answers: every call is its
    /// own run, with its own id, even when its fit was shared.
    async fn forecast_run(
        &self,
        call: &Call,
        checked: Checked,
        history: Series,
        label: String,
    ) -> Result<Forecast, Status> {
        let frequency = history.calendar.frequency;
        let horizon = checked.horizon.steps(frequency)?;
        let history_points = history.values.len() as i32;
        let deadline = call.deadline.map(|deadline| deadline.0.into_std());
        let problem = Problem {
            history: &history.values,
            observed: &history.observed,
            frequency,
            horizon,
            levels: &checked.levels,
        };
        let choice = self.fits.choose(problem, deadline).await?;
        let fitted = &choice.forecast;
        let points = dated_points(&history, fitted)?;
        let mut notes = history.notes.clone();
        for (level, factor) in &choice.calibration {
            if (factor - 1.0).abs() > 0.05 {
                notes.push(format!(
                    "{}% intervals scaled by {factor:.2} to cover as the backtests showed",
                    level * 100.0
                ));
            }
        }
        let horizon_days = history
            .date_after_last(horizon)
            .zip(history.date_after_last(0))
            .map_or(0, |(end, last)| (end - last).num_days() as i32);
        let mut forecast = Forecast {
            run_id: String::new(),
            model: fitted.model.clone(),
            history_points,
            points,
            model_parameters: fitted.parameters.clone(),
            seasonal_periods: choice.seasons.all().iter().map(|p| *p as i32).collect(),
            accuracy: Some(score_message(&choice.chosen)),
            candidates: choice.scores.iter().map(score_message).collect(),
            series: label,
            notes,
            frequency: frequency_message(frequency).into(),
            horizon: horizon as i32,
        };
        let run = ForecastRun {
            idempotency_key: checked.idempotency_key,
            principal: call.capability.principal().unwrap_or_default(),
            model: forecast.model.clone(),
            horizon_days,
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
            .append_forecast_run(call.request(AppendForecastRunRequest { run: Some(run) }))
            .await?
            .into_inner()
            .run
            .ok_or_else(|| Status::internal("store returned no run"))?;
        forecast.run_id = stored.id;
        Ok(forecast)
    }
}

/// Returns the forecast's points, each dated by its period on the history's
/// calendar (the first of the month after a series of firsts, and so on).
fn dated_points(
    history: &Series,
    fitted: &model::SeriesForecast,
) -> Result<Vec<ForecastPoint>, Status> {
    (0..fitted.points.len())
        .map(|step| {
            let date = history.date_after_last(step + 1).ok_or_else(|| {
                Status::invalid_argument("the forecast would run past the last representable date")
            })?;
            Ok(ForecastPoint {
                date: date.format("%Y-%m-%d").to_string(),
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
        })
        .collect()
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
        ModelError::Cancelled => Status::cancelled(error.to_string()),
        ModelError::DeadlineExceeded => Status::deadline_exceeded(error.to_string()),
        ModelError::OverBudget(_) => Status::deadline_exceeded(format!(
            "{error}, the fit time limit (FORECASTER_FIT_BUDGET_MS)"
        )),
        other => Status::invalid_argument(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
