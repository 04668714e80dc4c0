//! Recorded runs and audit entries, public: no idempotency key, no
//! revocation ids.

use proto::{gateway as public, store};

use super::IntoPublic;

impl IntoPublic for store::ModelScore {
    type Public = public::ModelScore;

    fn into_public(self) -> public::ModelScore {
        let store::ModelScore {
            model,
            mase,
            smape,
            mape,
            coverage,
        } = self;
        public::ModelScore {
            model,
            mase,
            smape,
            mape,
            coverage: coverage.into_public(),
        }
    }
}

impl IntoPublic for store::IntervalCoverage {
    type Public = public::IntervalCoverage;

    fn into_public(self) -> public::IntervalCoverage {
        let store::IntervalCoverage { level, coverage } = self;
        public::IntervalCoverage { level, coverage }
    }
}

impl IntoPublic for store::ForecastRun {
    type Public = public::ForecastRun;

    fn into_public(self) -> public::ForecastRun {
        let store::ForecastRun {
            id,
            idempotency_key: _,
            principal,
            model,
            horizon_days,
            history_points,
            trace_id,
            points,
            recorded_at_unix_ms,
            model_parameters,
            seasonal_periods,
            accuracy,
            candidates,
            series,
        } = self;
        public::ForecastRun {
            id,
            principal,
            model,
            horizon_days,
            history_points,
            trace_id,
            points: points
                .into_iter()
                .map(
                    |store::ForecastRunPoint { date, value }| public::ForecastRunPoint {
                        date,
                        value,
                    },
                )
                .collect(),
            recorded_at_unix_ms,
            model_parameters,
            seasonal_periods,
            accuracy: accuracy.into_public(),
            candidates: candidates.into_public(),
            series,
        }
    }
}

impl IntoPublic for store::RankingRun {
    type Public = public::RankingRun;

    fn into_public(self) -> public::RankingRun {
        let store::RankingRun {
            id,
            idempotency_key: _,
            principal,
            trace_id,
            window_days,
            entries,
            recorded_at_unix_ms,
        } = self;
        public::RankingRun {
            id,
            principal,
            trace_id,
            window_days,
            entries: entries.into_public(),
            recorded_at_unix_ms,
        }
    }
}

impl IntoPublic for store::RankedEntry {
    type Public = public::RankedEntry;

    fn into_public(self) -> public::RankedEntry {
        use proto::{gateway::RankedKind as Public, store::RankedKind as Internal};
        let store::RankedEntry {
            kind,
            entity_id,
            name,
            rank,
            revenue,
            previous_revenue,
            growth,
            forecast_trend,
        } = self;
        let kind = match Internal::try_from(kind) {
            Ok(Internal::StockItem) => Public::StockItem,
            Ok(Internal::Customer) => Public::Customer,
            Ok(Internal::Unspecified) | Err(_) => Public::Unspecified,
        };
        public::RankedEntry {
            kind: kind as i32,
            entity_id,
            name,
            rank,
            revenue,
            previous_revenue,
            growth,
            forecast_trend,
        }
    }
}

impl IntoPublic for store::RecommendationRun {
    type Public = public::RecommendationRun;

    fn into_public(self) -> public::RecommendationRun {
        let store::RecommendationRun {
            id,
            idempotency_key: _,
            principal,
            trace_id,
            recommendations,
            recorded_at_unix_ms,
        } = self;
        public::RecommendationRun {
            id,
            principal,
            trace_id,
            recommendations: recommendations.into_public(),
            recorded_at_unix_ms,
        }
    }
}

impl IntoPublic for store::Recommendation {
    type Public = public::Recommendation;

    fn into_public(self) -> public::Recommendation {
        use proto::{
            gateway::RecommendationAction as Public, store::RecommendationAction as Internal,
        };
        let store::Recommendation {
            action,
            stock_item_id,
            name,
            reason,
            figures,
        } = self;
        let action = match Internal::try_from(action) {
            Ok(Internal::Restock) => Public::Restock,
            Ok(Internal::Promote) => Public::Promote,
            Ok(Internal::Review) => Public::Review,
            Ok(Internal::Unspecified) | Err(_) => Public::Unspecified,
        };
        public::Recommendation {
            action: action as i32,
            stock_item_id,
            name,
            reason,
            figures,
        }
    }
}

impl IntoPublic for store::AuditEntry {
    type Public = public::AuditEntry;

    fn into_public(self) -> public::AuditEntry {
        let store::AuditEntry {
            id,
            idempotency_key: _,
            principal,
            method,
            status_code,
            trace_id,
            revocation_ids: _,
            recorded_at_unix_ms,
        } = self;
        public::AuditEntry {
            id,
            principal,
            method,
            status_code,
            trace_id,
            recorded_at_unix_ms,
        }
    }
}

#[cfg(test)]
mod tests;
