//! The warehouse's figures, public.

use proto::{gateway as public, warehouse};

use super::IntoPublic;

impl IntoPublic for warehouse::Kpis {
    type Public = public::Kpis;

    fn into_public(self) -> public::Kpis {
        let warehouse::Kpis {
            window_start,
            window_end,
            revenue,
            orders,
            customers,
            average_order_value,
            units,
        } = self;
        public::Kpis {
            window_start,
            window_end,
            revenue,
            orders,
            customers,
            average_order_value,
            units,
        }
    }
}

impl IntoPublic for warehouse::KpiChange {
    type Public = public::KpiChange;

    fn into_public(self) -> public::KpiChange {
        let warehouse::KpiChange {
            revenue,
            orders,
            customers,
            average_order_value,
            units,
        } = self;
        public::KpiChange {
            revenue,
            orders,
            customers,
            average_order_value,
            units,
        }
    }
}

impl IntoPublic for warehouse::DailySales {
    type Public = public::DailySales;

    fn into_public(self) -> public::DailySales {
        let warehouse::DailySales {
            date,
            revenue,
            orders,
            units,
        } = self;
        public::DailySales {
            date,
            revenue,
            orders,
            units,
        }
    }
}

impl IntoPublic for warehouse::QueryColumn {
    type Public = public::QueryColumn;

    fn into_public(self) -> public::QueryColumn {
        use proto::{gateway::QueryColumnType as Public, warehouse::QueryColumnType as Internal};
        let warehouse::QueryColumn { name, r#type } = self;
        let public = match Internal::try_from(r#type) {
            Ok(Internal::Integer) => Public::Integer,
            Ok(Internal::Real) => Public::Real,
            Ok(Internal::Text) => Public::Text,
            Ok(Internal::Blob) => Public::Blob,
            Ok(Internal::Unspecified) | Err(_) => Public::Unspecified,
        };
        public::QueryColumn {
            name,
            r#type: public as i32,
        }
    }
}

impl IntoPublic for warehouse::QueryRow {
    type Public = public::QueryRow;

    fn into_public(self) -> public::QueryRow {
        let warehouse::QueryRow { cells } = self;
        public::QueryRow {
            cells: cells.into_public(),
        }
    }
}

impl IntoPublic for warehouse::QueryCell {
    type Public = public::QueryCell;

    fn into_public(self) -> public::QueryCell {
        use proto::{
            gateway::query_cell::Value as Public, warehouse::query_cell::Value as Internal,
        };
        let warehouse::QueryCell { value } = self;
        public::QueryCell {
            value: value.map(|value| match value {
                Internal::Integer(v) => Public::Integer(v),
                Internal::Real(v) => Public::Real(v),
                Internal::Text(v) => Public::Text(v),
                Internal::Blob(v) => Public::Blob(v),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use proto::gateway::{QueryColumnType, query_cell::Value};

    use super::*;

    #[test]
    fn figures_keep_every_value() {
        let kpis = warehouse::Kpis {
            window_start: "2025-12-02".into(),
            window_end: "2025-12-31".into(),
            revenue: 10.5,
            orders: 3,
            customers: 2,
            average_order_value: 3.5,
            units: 7,
        }
        .into_public();
        assert_eq!(kpis.window_end, "2025-12-31");
        assert_eq!((kpis.orders, kpis.customers, kpis.units), (3, 2, 7));
        assert_eq!((kpis.revenue, kpis.average_order_value), (10.5, 3.5));
        let change = warehouse::KpiChange {
            revenue: Some(0.1),
            ..Default::default()
        }
        .into_public();
        assert_eq!(change.revenue, Some(0.1));
        assert_eq!(change.orders, None, "unset stays unset");
    }

    #[test]
    fn query_answers_keep_types_and_nulls() {
        let column = warehouse::QueryColumn {
            name: "n".into(),
            r#type: warehouse::QueryColumnType::Real as i32,
        }
        .into_public();
        assert_eq!(column.r#type, QueryColumnType::Real as i32);
        let unknown = warehouse::QueryColumn {
            name: "n".into(),
            r#type: 99,
        }
        .into_public();
        assert_eq!(unknown.r#type, QueryColumnType::Unspecified as i32);
        let row = warehouse::QueryRow {
            cells: vec![
                warehouse::QueryCell {
                    value: Some(warehouse::query_cell::Value::Text("a".into())),
                },
                warehouse::QueryCell { value: None },
            ],
        }
        .into_public();
        assert_eq!(row.cells[0].value, Some(Value::Text("a".into())));
        assert_eq!(row.cells[1].value, None, "NULL stays NULL");
    }
}
