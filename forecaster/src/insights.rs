//! Rankings and recommendations: what sells, what is rising or falling, and
//! what to restock — each with the numbers behind it. Pure functions; the
//! service fetches the data and records the runs.
//!
//! Trends and demand use the Theta model directly rather than a backtested
//! choice per item: it is thousands of times faster (see the benchmark), and
//! dozens of items are forecast per request.

use std::collections::HashMap;

use proto::{
    store::{RankedEntry, RankedKind, Recommendation, RecommendationAction},
    warehouse::{CustomerSales, ItemSales, StockLevel},
};

use crate::model::Candidate;

/// Growth at or above this promotes an item; at or below its negative, reviews it.
pub const NOTABLE_GROWTH: f64 = 0.2;
/// The weekly season the per-item forecasts adjust for.
const WEEK: usize = 7;

/// Relative change against the previous window; none when it sold nothing.
pub fn growth(now: f64, before: f64) -> Option<f64> {
    (before > 0.0).then(|| (now - before) / before)
}

/// The relative change the forecast expects over the next `window` days
/// against the last `window` days of `daily` values; none without sales.
pub fn forecast_trend(daily: &[f64], window: usize) -> Option<f64> {
    let recent: f64 = daily.iter().rev().take(window).sum();
    let ahead: f64 = forecast_sum(daily, window)?;
    growth(ahead, recent)
}

/// The forecast total of the next `days` days; none for a series too short.
pub fn forecast_sum(daily: &[f64], days: usize) -> Option<f64> {
    let forecast = Candidate::Theta { period: WEEK }
        .forecast(daily, days.max(1), &[])
        .ok()?;
    Some(forecast.points.iter().map(|p| p.max(0.0)).sum())
}

/// Ranks the first `top_n` items (already ordered by revenue) with their
/// growth and the trend from `trends` (by id).
pub fn rank_items(
    items: &[ItemSales],
    top_n: usize,
    trends: &HashMap<i64, Option<f64>>,
) -> Vec<RankedEntry> {
    let rows = items.iter().map(|i| {
        (
            i.stock_item_id,
            i.name.as_str(),
            i.revenue,
            i.previous_revenue,
        )
    });
    rank(RankedKind::StockItem, rows, top_n, trends)
}

/// Ranks the first `top_n` customers, as [`rank_items`] does items.
pub fn rank_customers(
    customers: &[CustomerSales],
    top_n: usize,
    trends: &HashMap<i64, Option<f64>>,
) -> Vec<RankedEntry> {
    let rows = customers.iter().map(|c| {
        (
            c.customer_id,
            c.name.as_str(),
            c.revenue,
            c.previous_revenue,
        )
    });
    rank(RankedKind::Customer, rows, top_n, trends)
}

/// Numbers `(id, name, revenue, previous revenue)` rows from one.
fn rank<'a>(
    kind: RankedKind,
    rows: impl Iterator<Item = (i64, &'a str, f64, f64)>,
    top_n: usize,
    trends: &HashMap<i64, Option<f64>>,
) -> Vec<RankedEntry> {
    rows.take(top_n)
        .enumerate()
        .map(
            |(index, (id, name, revenue, previous_revenue))| RankedEntry {
                kind: kind as i32,
                entity_id: id,
                name: name.to_owned(),
                rank: index as i32 + 1,
                revenue,
                previous_revenue,
                growth: growth(revenue, previous_revenue),
                forecast_trend: trends.get(&id).copied().flatten(),
            },
        )
        .collect()
}

/// Recommends for one item: restock when forecast demand over its lead time
/// exceeds what is on hand; promote when its revenue rose notably; review
/// when it fell notably.
pub fn recommend(
    item: &ItemSales,
    stock: &StockLevel,
    demand_over_lead_time: f64,
    window_days: u32,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let on_hand = stock.quantity_on_hand as f64;
    if demand_over_lead_time > on_hand {
        out.push(Recommendation {
            action: RecommendationAction::Restock as i32,
            stock_item_id: item.stock_item_id,
            name: item.name.clone(),
            reason: format!(
                "Forecast demand over the {}-day lead time is {:.0} units, more than the {} on hand (reorder level {}).",
                stock.lead_time_days, demand_over_lead_time, stock.quantity_on_hand, stock.reorder_level
            ),
            figures: HashMap::from([
                ("demand_over_lead_time".into(), demand_over_lead_time),
                ("quantity_on_hand".into(), on_hand),
                ("reorder_level".into(), stock.reorder_level as f64),
                ("lead_time_days".into(), f64::from(stock.lead_time_days)),
            ]),
        });
    }
    if let Some(change) = growth(item.revenue, item.previous_revenue) {
        let (action, verb) = if change >= NOTABLE_GROWTH {
            (RecommendationAction::Promote, "rose")
        } else if change <= -NOTABLE_GROWTH {
            (RecommendationAction::Review, "fell")
        } else {
            return out;
        };
        out.push(Recommendation {
            action: action as i32,
            stock_item_id: item.stock_item_id,
            name: item.name.clone(),
            reason: format!(
                "Revenue {verb} {:.0}% against the previous {window_days} days ({:.2} to {:.2}).",
                change.abs() * 100.0,
                item.previous_revenue,
                item.revenue
            ),
            figures: HashMap::from([
                ("growth".into(), change),
                ("revenue".into(), item.revenue),
                ("previous_revenue".into(), item.previous_revenue),
            ]),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(revenue: f64, previous_revenue: f64) -> ItemSales {
        ItemSales {
            stock_item_id: 7,
            name: "USB food flash drive".into(),
            revenue,
            previous_revenue,
            ..Default::default()
        }
    }

    fn stock(on_hand: i64) -> StockLevel {
        StockLevel {
            stock_item_id: 7,
            quantity_on_hand: on_hand,
            reorder_level: 20,
            lead_time_days: 14,
            ..Default::default()
        }
    }

    #[test]
    fn restock_when_demand_over_the_lead_time_exceeds_stock() {
        let out = recommend(&item(100.0, 100.0), &stock(42), 61.5, 30);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].action, RecommendationAction::Restock as i32);
        assert!(
            out[0]
                .reason
                .contains("14-day lead time is 62 units, more than the 42 on hand"),
            "{}",
            out[0].reason
        );
        assert_eq!(out[0].figures.get("quantity_on_hand"), Some(&42.0));
        assert!(
            recommend(&item(100.0, 100.0), &stock(80), 61.5, 30).is_empty(),
            "enough on hand, flat sales"
        );
    }

    #[test]
    fn notable_growth_promotes_and_notable_decline_reviews() {
        let rising = recommend(&item(150.0, 100.0), &stock(1000), 10.0, 30);
        assert_eq!(rising[0].action, RecommendationAction::Promote as i32);
        assert!(
            rising[0]
                .reason
                .starts_with("Revenue rose 50% against the previous 30 days"),
            "{}",
            rising[0].reason
        );
        let falling = recommend(&item(70.0, 100.0), &stock(1000), 10.0, 30);
        assert_eq!(falling[0].action, RecommendationAction::Review as i32);
        assert!(
            recommend(&item(110.0, 100.0), &stock(1000), 10.0, 30).is_empty(),
            "10% is not notable"
        );
        assert!(
            recommend(&item(110.0, 0.0), &stock(1000), 10.0, 30).is_empty(),
            "no growth from nothing"
        );
    }

    #[test]
    fn trends_follow_the_series() {
        let rising: Vec<f64> = (0..120).map(|d| 100.0 + d as f64).collect();
        assert!(
            forecast_trend(&rising, 30).is_some_and(|t| t > 0.1),
            "{:?}",
            forecast_trend(&rising, 30)
        );
        let silent = vec![0.0; 120];
        assert_eq!(forecast_trend(&silent, 30), None);
    }

    #[test]
    fn rankings_number_from_one_and_keep_the_order() {
        let items = vec![item(300.0, 200.0), item(100.0, 0.0)];
        let ranked = rank_items(&items, 5, &HashMap::from([(7, Some(0.05))]));
        assert_eq!(ranked.iter().map(|e| e.rank).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(ranked[0].growth, Some(0.5));
        assert_eq!(ranked[1].growth, None);
        assert_eq!(ranked[0].forecast_trend, Some(0.05));
    }
}
