//! Combining forecasts: the mean of the members' points and of their
//! interval bounds. The M4 competition found a plain mean of a few
//! statistical models hard to beat; the backtest decides whether it is.

use super::{Interval, SeriesForecast};

/// Returns the mean of `forecasts` (all of one horizon and levels).
pub(crate) fn mean(forecasts: &[SeriesForecast], model: String) -> SeriesForecast {
    let count = forecasts.len().max(1) as f64;
    let horizon = forecasts.first().map_or(0, |f| f.points.len());
    let average = |pick: &dyn Fn(&SeriesForecast) -> &[f64]| -> Vec<f64> {
        (0..horizon)
            .map(|t| forecasts.iter().map(|f| pick(f)[t]).sum::<f64>() / count)
            .collect()
    };
    let levels: Vec<f64> = forecasts
        .first()
        .map(|f| f.intervals.iter().map(|i| i.level).collect())
        .unwrap_or_default();
    let intervals = levels
        .iter()
        .enumerate()
        .map(|(k, level)| Interval {
            level: *level,
            lower: average(&|f| &f.intervals[k].lower),
            upper: average(&|f| &f.intervals[k].upper),
        })
        .collect();
    SeriesForecast {
        model,
        parameters: forecasts
            .iter()
            .map(|f| f.parameters.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
        points: average(&|f| &f.points),
        intervals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forecast(points: [f64; 2], half: f64) -> SeriesForecast {
        SeriesForecast {
            model: "m".into(),
            parameters: "p".into(),
            points: points.to_vec(),
            intervals: vec![Interval {
                level: 0.9,
                lower: points.iter().map(|p| p - half).collect(),
                upper: points.iter().map(|p| p + half).collect(),
            }],
        }
    }

    #[test]
    fn points_and_bounds_are_averaged() {
        let combined = mean(
            &[forecast([1.0, 2.0], 1.0), forecast([3.0, 6.0], 3.0)],
            "c".into(),
        );
        assert_eq!(combined.points, [2.0, 4.0]);
        assert_eq!(combined.intervals[0].lower, [0.0, 2.0]);
        assert_eq!(combined.intervals[0].upper, [4.0, 6.0]);
        assert_eq!(combined.parameters, "p + p");
    }
}
