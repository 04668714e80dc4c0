//! Series an operator sends inline: dated points, checked and made daily.
//! Duplicate or unordered dates and non-finite values are refused with a
//! message naming the point; missing days are filled by linear
//! interpolation, and the answer says how many.

use chrono::NaiveDate;
use proto::forecaster::SeriesPoint;

/// The most points an inline series may hold.
pub const MAX_POINTS: usize = 3650;

/// A daily series from its first day, gaps filled.
#[derive(Clone, Debug, PartialEq)]
pub struct DailySeries {
    pub first_day: NaiveDate,
    pub values: Vec<f64>,
    /// Days that were missing and were interpolated.
    pub filled: usize,
}

/// Checks `points` and returns them as a daily series, or says what is wrong.
pub fn daily(points: &[SeriesPoint]) -> Result<DailySeries, String> {
    if points.len() > MAX_POINTS {
        return Err(format!(
            "an inline series holds at most {MAX_POINTS} points, got {}",
            points.len()
        ));
    }
    let mut dated: Vec<(NaiveDate, f64)> = Vec::with_capacity(points.len());
    for (index, point) in points.iter().enumerate() {
        let day = NaiveDate::parse_from_str(&point.date, "%Y-%m-%d")
            .map_err(|_| format!("point {index}: date {:?} is not YYYY-MM-DD", point.date))?;
        if !point.value.is_finite() {
            return Err(format!(
                "point {index} ({day}): value is not a finite number"
            ));
        }
        if let Some((previous, _)) = dated.last() {
            if day == *previous {
                return Err(format!("point {index}: date {day} appears twice"));
            }
            if day < *previous {
                return Err(format!(
                    "point {index}: date {day} comes after {previous}; send dates in order"
                ));
            }
        }
        dated.push((day, point.value));
    }
    let Some(&(first_day, first_value)) = dated.first() else {
        return Err("the inline series holds no points".into());
    };
    let mut values = vec![first_value];
    let mut filled = 0;
    for pair in dated.windows(2) {
        let ((from, a), (to, b)) = (pair[0], pair[1]);
        let days = (to - from).num_days();
        for step in 1..days {
            values.push(a + (b - a) * step as f64 / days as f64);
            filled += 1;
        }
        values.push(b);
    }
    Ok(DailySeries {
        first_day,
        values,
        filled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(date: &str, value: f64) -> SeriesPoint {
        SeriesPoint {
            date: date.into(),
            value,
        }
    }

    #[test]
    fn gaps_are_interpolated_and_counted() -> Result<(), String> {
        let series = daily(&[
            point("2025-01-01", 10.0),
            point("2025-01-04", 40.0),
            point("2025-01-05", 50.0),
        ])?;
        assert_eq!(series.values, [10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(series.filled, 2);
        assert_eq!(series.first_day.to_string(), "2025-01-01");
        Ok(())
    }

    #[test]
    fn bad_points_are_named() {
        let cases = [
            (
                vec![point("2025-01-01", 1.0), point("2025-01-01", 2.0)],
                "point 1: date 2025-01-01 appears twice",
            ),
            (
                vec![point("2025-01-02", 1.0), point("2025-01-01", 2.0)],
                "point 1: date 2025-01-01 comes after 2025-01-02",
            ),
            (
                vec![point("2025-01-01", f64::NAN)],
                "point 0 (2025-01-01): value is not a finite number",
            ),
            (
                vec![point("01/02/2025", 1.0)],
                "point 0: date \"01/02/2025\" is not YYYY-MM-DD",
            ),
            (vec![], "the inline series holds no points"),
        ];
        for (points, expected) in cases {
            let error = daily(&points).expect_err(expected);
            assert!(error.starts_with(expected), "{error}");
        }
    }
}
