//! The mesh's call plan: which downstream methods a method may call on the
//! user's behalf. A caller narrowing a token for a method grants the callee
//! exactly these, and nothing else.

/// Full method names, as they appear in the HTTP/2 `:path`.
pub mod methods {
    pub const WAREHOUSE_GET_KPIS: &str = "/forecastmesh.warehouse.v1.WarehouseService/GetKpis";
    pub const WAREHOUSE_GET_DAILY_SALES: &str =
        "/forecastmesh.warehouse.v1.WarehouseService/GetDailySales";
    pub const WAREHOUSE_GET_ITEM_SALES: &str =
        "/forecastmesh.warehouse.v1.WarehouseService/GetItemSales";
    pub const WAREHOUSE_GET_CUSTOMER_SALES: &str =
        "/forecastmesh.warehouse.v1.WarehouseService/GetCustomerSales";
    pub const WAREHOUSE_GET_STOCK_LEVELS: &str =
        "/forecastmesh.warehouse.v1.WarehouseService/GetStockLevels";
    pub const WAREHOUSE_RUN_QUERY: &str = "/forecastmesh.warehouse.v1.WarehouseService/RunQuery";
    pub const FORECASTER_FORECAST_REVENUE: &str =
        "/forecastmesh.forecaster.v1.ForecasterService/ForecastRevenue";
    pub const FORECASTER_FORECAST_SERIES: &str =
        "/forecastmesh.forecaster.v1.ForecasterService/ForecastSeries";
    pub const FORECASTER_RANK_SALES: &str =
        "/forecastmesh.forecaster.v1.ForecasterService/RankSales";
    pub const FORECASTER_RECOMMEND: &str =
        "/forecastmesh.forecaster.v1.ForecasterService/Recommend";
    pub const STORE_APPEND_AUDIT_ENTRY: &str =
        "/forecastmesh.store.v1.StoreService/AppendAuditEntry";
    pub const STORE_APPEND_AUDIT_ENTRIES: &str =
        "/forecastmesh.store.v1.StoreService/AppendAuditEntries";
    pub const STORE_LIST_AUDIT_ENTRIES: &str =
        "/forecastmesh.store.v1.StoreService/ListAuditEntries";
    pub const STORE_APPEND_FORECAST_RUN: &str =
        "/forecastmesh.store.v1.StoreService/AppendForecastRun";
    pub const STORE_APPEND_RANKING_RUN: &str =
        "/forecastmesh.store.v1.StoreService/AppendRankingRun";
    pub const STORE_LIST_RANKING_RUNS: &str = "/forecastmesh.store.v1.StoreService/ListRankingRuns";
    pub const STORE_APPEND_RECOMMENDATION_RUN: &str =
        "/forecastmesh.store.v1.StoreService/AppendRecommendationRun";
    pub const STORE_LIST_RECOMMENDATION_RUNS: &str =
        "/forecastmesh.store.v1.StoreService/ListRecommendationRuns";
    pub const STORE_LIST_FORECAST_RUNS: &str =
        "/forecastmesh.store.v1.StoreService/ListForecastRuns";
}

use methods::*;

/// Returns the methods a callee serving `method` may call with the token it was given.
pub fn delegated_calls(method: &str) -> &'static [&'static str] {
    match method {
        FORECASTER_FORECAST_REVENUE | FORECASTER_FORECAST_SERIES => {
            &[WAREHOUSE_GET_DAILY_SALES, STORE_APPEND_FORECAST_RUN]
        }
        FORECASTER_RANK_SALES => &[
            WAREHOUSE_GET_ITEM_SALES,
            WAREHOUSE_GET_CUSTOMER_SALES,
            WAREHOUSE_GET_DAILY_SALES,
            STORE_APPEND_RANKING_RUN,
        ],
        FORECASTER_RECOMMEND => &[
            WAREHOUSE_GET_ITEM_SALES,
            WAREHOUSE_GET_STOCK_LEVELS,
            WAREHOUSE_GET_DAILY_SALES,
            STORE_APPEND_RECOMMENDATION_RUN,
        ],
        _ => &[],
    }
}
