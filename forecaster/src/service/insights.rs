//! The ranking and recommendation calls: fetch from the warehouse on the
//! caller's behalf, reason in [`crate::insights`], record in the store.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt, stream};
use mesh_core::{client::MeshChannel, trace::current_trace};
use proto::{
    forecaster::{RankSalesRequest, RankSalesResponse, RecommendRequest, RecommendResponse},
    store::{
        AppendRankingRunRequest, AppendRecommendationRunRequest, RankingRun, RecommendationRun,
    },
    warehouse::{
        DailySales, GetCustomerSalesRequest, GetDailySalesRequest, GetItemSalesRequest,
        GetStockLevelsRequest, ItemSales, get_daily_sales_request::Subject,
        warehouse_service_client::WarehouseServiceClient,
    },
};
use tonic::Status;

use super::{Call, Forecaster};
use crate::insights;

/// Days of history each entity's trend or demand is forecast from.
const SERIES_DAYS: i32 = 365;
/// Warehouse calls in flight at once while fetching per-entity series.
const CONCURRENCY: usize = 8;
const MAX_TOP_N: i32 = 100;
const MAX_WINDOW_DAYS: i32 = 365;

fn window_days(days: i32) -> Result<u32, Status> {
    match days {
        0 => Ok(30),
        1..=MAX_WINDOW_DAYS => Ok(days as u32),
        _ => Err(Status::invalid_argument(format!(
            "window_days must be between 1 and {MAX_WINDOW_DAYS}, got {days}"
        ))),
    }
}

fn key_or_fresh(key: &str) -> String {
    match key.trim() {
        "" => uuid::Uuid::new_v4().to_string(),
        key => key.to_owned(),
    }
}

/// Fetches the daily series of each subject, keyed by id.
async fn series_of(
    warehouse: &WarehouseServiceClient<MeshChannel>,
    call: &Call,
    subjects: Vec<(i64, Subject)>,
) -> Result<HashMap<i64, Vec<DailySales>>, Status> {
    stream::iter(subjects)
        .map(|(id, subject)| {
            let mut warehouse = warehouse.clone();
            let request = GetDailySalesRequest {
                days_back: SERIES_DAYS,
                subject: Some(subject),
            };
            let request = call.request(request);
            async move {
                Ok::<_, Status>((
                    id,
                    warehouse.get_daily_sales(request).await?.into_inner().days,
                ))
            }
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await
}

impl Forecaster {
    async fn item_sales(&self, call: &Call, window: u32) -> Result<Vec<ItemSales>, Status> {
        let request = GetItemSalesRequest {
            window_days: window as i32,
        };
        Ok(self
            .warehouse
            .clone()
            .get_item_sales(call.request(request))
            .await?
            .into_inner()
            .items)
    }

    pub(super) async fn rank(
        &self,
        call: &Call,
        request: RankSalesRequest,
    ) -> Result<RankSalesResponse, Status> {
        let window = window_days(request.window_days)?;
        let top_n = match request.top_n {
            0 => 10,
            1..=MAX_TOP_N => request.top_n as usize,
            n => {
                return Err(Status::invalid_argument(format!(
                    "top_n must be between 1 and {MAX_TOP_N}, got {n}"
                )));
            }
        };
        let mut warehouse = self.warehouse.clone();
        let items = self.item_sales(call, window).await?;
        let customers = warehouse
            .get_customer_sales(call.request(GetCustomerSalesRequest {
                window_days: window as i32,
            }))
            .await?
            .into_inner()
            .customers;
        let item_subjects = items
            .iter()
            .take(top_n)
            .map(|i| (i.stock_item_id, Subject::StockItemId(i.stock_item_id)));
        let customer_subjects = customers
            .iter()
            .take(top_n)
            .map(|c| (c.customer_id, Subject::CustomerId(c.customer_id)));
        let trend = |series: HashMap<i64, Vec<DailySales>>| -> HashMap<i64, Option<f64>> {
            series
                .into_iter()
                .map(|(id, days)| {
                    let revenue: Vec<f64> = days.iter().map(|d| d.revenue).collect();
                    (id, insights::forecast_trend(&revenue, window as usize))
                })
                .collect()
        };
        let item_trends = trend(series_of(&self.warehouse, call, item_subjects.collect()).await?);
        let customer_trends =
            trend(series_of(&self.warehouse, call, customer_subjects.collect()).await?);

        let mut entries = insights::rank_items(&items, top_n, &item_trends);
        entries.extend(insights::rank_customers(
            &customers,
            top_n,
            &customer_trends,
        ));
        let run = RankingRun {
            idempotency_key: key_or_fresh(&request.idempotency_key),
            principal: call.capability.principal().unwrap_or_default(),
            trace_id: current_trace().trace_id,
            window_days: window as i32,
            entries,
            ..Default::default()
        };
        let stored = self
            .store
            .clone()
            .append_ranking_run(call.request(AppendRankingRunRequest { run: Some(run) }))
            .await?
            .into_inner()
            .run;
        Ok(RankSalesResponse { ranking: stored })
    }

    pub(super) async fn advise(
        &self,
        call: &Call,
        request: RecommendRequest,
    ) -> Result<RecommendResponse, Status> {
        let window = window_days(request.window_days)?;
        let mut warehouse = self.warehouse.clone();
        let items = self.item_sales(call, window).await?;
        let stock = warehouse
            .get_stock_levels(call.request(GetStockLevelsRequest {}))
            .await?
            .into_inner()
            .items;
        let subjects = stock
            .iter()
            .map(|s| (s.stock_item_id, Subject::StockItemId(s.stock_item_id)))
            .collect();
        let series = series_of(&self.warehouse, call, subjects).await?;

        let mut recommendations = Vec::new();
        for level in &stock {
            let Some(item) = items
                .iter()
                .find(|i| i.stock_item_id == level.stock_item_id)
            else {
                continue;
            };
            let units: Vec<f64> = series
                .get(&level.stock_item_id)
                .map(|days| days.iter().map(|d| d.units as f64).collect())
                .unwrap_or_default();
            let demand =
                insights::forecast_sum(&units, level.lead_time_days.max(1) as usize).unwrap_or(0.0);
            recommendations.extend(insights::recommend(item, level, demand, window));
        }
        let run = RecommendationRun {
            idempotency_key: key_or_fresh(&request.idempotency_key),
            principal: call.capability.principal().unwrap_or_default(),
            trace_id: current_trace().trace_id,
            recommendations,
            ..Default::default()
        };
        let stored = self
            .store
            .clone()
            .append_recommendation_run(
                call.request(AppendRecommendationRunRequest { run: Some(run) }),
            )
            .await?
            .into_inner()
            .run;
        Ok(RecommendResponse { run: stored })
    }
}
