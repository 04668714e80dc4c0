//! Forecasts, public; and the caller's inline series, inbound.

use proto::{forecaster, gateway as public};

use super::IntoPublic;

impl IntoPublic for forecaster::Forecast {
    type Public = public::Forecast;

    fn into_public(self) -> public::Forecast {
        let forecaster::Forecast {
            run_id,
            model,
            history_points,
            points,
            model_parameters,
            seasonal_periods,
            accuracy,
            candidates,
            series,
            notes,
            frequency,
            horizon,
        } = self;
        public::Forecast {
            // The public enum numbers its values as the forecaster's does.
            frequency,
            horizon,
            run_id,
            model,
            history_points,
            points: points.into_public(),
            model_parameters,
            seasonal_periods,
            accuracy: accuracy.into_public(),
            candidates: candidates.into_public(),
            series,
            notes,
        }
    }
}

impl IntoPublic for forecaster::ForecastPoint {
    type Public = public::ForecastPoint;

    fn into_public(self) -> public::ForecastPoint {
        let forecaster::ForecastPoint {
            date,
            value,
            intervals,
        } = self;
        public::ForecastPoint {
            date,
            value,
            intervals: intervals.into_public(),
        }
    }
}

impl IntoPublic for forecaster::PredictionInterval {
    type Public = public::PredictionInterval;

    fn into_public(self) -> public::PredictionInterval {
        let forecaster::PredictionInterval {
            level,
            lower,
            upper,
        } = self;
        public::PredictionInterval {
            level,
            lower,
            upper,
        }
    }
}

/// Returns the forecaster's form of a series the caller sent.
pub fn inline_series(series: public::InlineSeries) -> forecaster::InlineSeries {
    let public::InlineSeries {
        points,
        frequency,
        missing_values,
    } = series;
    forecaster::InlineSeries {
        points: points
            .into_iter()
            .map(
                |public::SeriesPoint {
                     date,
                     value,
                     missing,
                 }| forecaster::SeriesPoint {
                    date,
                    value,
                    missing,
                },
            )
            .collect(),
        // The public enums number their values as the forecaster's do.
        frequency,
        missing_values,
    }
}

#[cfg(test)]
mod tests {
    use proto::store::ModelScore;

    use super::*;

    #[test]
    fn forecasts_keep_points_intervals_and_scores() {
        let forecast = forecaster::Forecast {
            run_id: "r1".into(),
            model: "ETS".into(),
            points: vec![forecaster::ForecastPoint {
                date: "2026-01-01".into(),
                value: 2.0,
                intervals: vec![forecaster::PredictionInterval {
                    level: 0.9,
                    lower: 1.0,
                    upper: 3.0,
                }],
            }],
            accuracy: Some(ModelScore {
                model: "ETS".into(),
                mase: 0.8,
                mape: None,
                ..Default::default()
            }),
            candidates: vec![ModelScore::default(), ModelScore::default()],
            seasonal_periods: vec![7],
            notes: vec!["filled 3 days".into()],
            ..Default::default()
        }
        .into_public();
        assert_eq!(forecast.run_id, "r1");
        assert_eq!(forecast.points[0].intervals[0].upper, 3.0);
        assert_eq!(forecast.accuracy.map(|a| a.mase), Some(0.8));
        assert_eq!(forecast.candidates.len(), 2);
        assert_eq!(forecast.seasonal_periods, vec![7]);
        assert_eq!(forecast.notes, vec!["filled 3 days".to_owned()]);
    }

    #[test]
    fn inline_series_keep_their_points_in_order() {
        let sent = public::InlineSeries {
            points: vec![
                public::SeriesPoint {
                    date: "2025-01-01".into(),
                    value: 1.0,
                    missing: false,
                },
                public::SeriesPoint {
                    date: "2025-01-02".into(),
                    value: 0.0,
                    missing: true,
                },
            ],
            frequency: public::Frequency::Monthly as i32,
            missing_values: public::MissingValues::Interpolate as i32,
        };
        let internal = inline_series(sent);
        let dates: Vec<_> = internal.points.iter().map(|p| p.date.as_str()).collect();
        assert_eq!(dates, ["2025-01-01", "2025-01-02"]);
        assert!(internal.points[1].missing);
        assert_eq!(internal.frequency, forecaster::Frequency::Monthly as i32);
        assert_eq!(
            internal.missing_values,
            forecaster::MissingValues::Interpolate as i32
        );
    }

    #[test]
    fn public_and_internal_enums_number_their_values_alike() {
        for value in 0..=5 {
            let public = public::Frequency::try_from(value).map(|f| f.as_str_name());
            let internal = forecaster::Frequency::try_from(value).map(|f| f.as_str_name());
            assert_eq!(public.ok(), internal.ok(), "frequency {value}");
        }
        for value in 0..=2 {
            let public = public::MissingValues::try_from(value).map(|f| f.as_str_name());
            let internal = forecaster::MissingValues::try_from(value).map(|f| f.as_str_name());
            assert_eq!(public.ok(), internal.ok(), "missing values {value}");
        }
    }
}
