use super::*;

fn point(date: &str, value: f64) -> SeriesPoint {
    SeriesPoint {
        date: date.into(),
        value,
        missing: false,
    }
}

fn null(date: &str) -> SeriesPoint {
    SeriesPoint {
        date: date.into(),
        value: 0.0,
        missing: true,
    }
}

#[test]
fn gaps_are_interpolated_counted_and_not_observed() -> Result<(), SeriesError> {
    let series = inline(
        &[
            point("2025-01-01", 10.0),
            point("2025-01-04", 40.0),
            point("2025-01-05", 50.0),
        ],
        None,
        Missing::Refuse,
    )?;
    assert_eq!(series.values, [10.0, 20.0, 30.0, 40.0, 50.0]);
    assert_eq!(series.observed, [true, false, false, true, true]);
    assert_eq!(series.calendar.frequency, Frequency::Daily);
    assert_eq!(
        series.notes,
        ["2 missing days were filled by linear interpolation"]
    );
    Ok(())
}

#[test]
fn a_monthly_series_keeps_its_months() -> Result<(), SeriesError> {
    let series = inline(
        &[
            point("2024-03-01", 3.0),
            point("2024-01-01", 1.0),
            point("2024-02-01", 2.0),
            point("2024-05-01", 5.0),
        ],
        None,
        Missing::Refuse,
    )?;
    assert_eq!(series.calendar.frequency, Frequency::Monthly);
    assert_eq!(series.values, [1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(
        series.date_after_last(1).map(|d| d.to_string()),
        Some("2024-06-01".into())
    );
    assert!(
        series
            .notes
            .iter()
            .any(|n| n == "points were sorted by date")
    );
    Ok(())
}

#[test]
fn missing_values_are_filled_only_when_asked() -> Result<(), SeriesError> {
    let points = [
        null("2024-01-01"),
        point("2024-02-01", 2.0),
        null("2024-03-01"),
        point("2024-04-01", 4.0),
    ];
    let series = inline(&points, Some(Frequency::Monthly), Missing::Interpolate)?;
    assert_eq!(series.values, [2.0, 3.0, 4.0]);
    assert_eq!(series.observed, [true, false, true]);
    assert_eq!(series.calendar.anchor.to_string(), "2024-02-01");
    assert_eq!(
        inline(&points, Some(Frequency::Monthly), Missing::Refuse),
        Err(SeriesError::MissingValue {
            index: 0,
            date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        })
    );
    Ok(())
}

#[test]
fn bad_points_are_named() {
    let monthly = |n: usize| -> Vec<SeriesPoint> {
        (0..n)
            .map(|m| point(&format!("{}-{:02}-01", 2000 + m / 12, m % 12 + 1), 1.0))
            .collect()
    };
    let cases: Vec<(Vec<SeriesPoint>, Option<Frequency>, &str)> = vec![
        (
            vec![point("2025-01-01", 1.0), point("2025-01-01", 2.0)],
            None,
            "points[0] and points[1] fall in the same day (2025-01-01): a day appears twice",
        ),
        (
            vec![point("2025-01-01", 1.0), point("2025-01-20", 2.0)],
            Some(Frequency::Monthly),
            "points[0] and points[1] fall in the same month (2025-01-20): a month appears twice",
        ),
        (
            vec![point("2025-01-01", f64::NAN)],
            None,
            "points[0].value (2025-01-01) is not a finite number",
        ),
        (
            vec![null("2025-01-01")],
            None,
            "points[0].value (2025-01-01) is missing; send a number or set missing_values to interpolate",
        ),
        (
            vec![point("01/02/2025", 1.0)],
            None,
            "points[0].date \"01/02/2025\" is not YYYY-MM-DD",
        ),
        (vec![], None, "the inline series holds no points"),
        (
            vec![null("2025-01-01"), null("2025-01-02")],
            None,
            "the series holds no value that is not missing",
        ),
        (
            vec![
                point("2024-01-03", 1.0),
                point("2024-02-17", 1.0),
                point("2024-03-09", 1.0),
            ],
            None,
            "the dates are irregular: no daily, weekly, monthly, quarterly or yearly step fits them; state the frequency",
        ),
        (
            monthly(6),
            Some(Frequency::Daily),
            "the dates are not daily: most are 31 days apart",
        ),
        (
            vec![
                point("1000-01-01", 1.0),
                point("1000-01-02", 1.0),
                point("2000-01-01", 1.0),
            ],
            None,
            "the series spans 365243 days; at most 3650 are allowed",
        ),
        (
            vec![point("2000-01-01", 1.0); MAX_POINTS + 1],
            None,
            "an inline series holds at most 3650 points, got 3651",
        ),
    ];
    for (points, frequency, expected) in cases {
        let missing = if expected.contains("not missing") {
            Missing::Interpolate
        } else {
            Missing::Refuse
        };
        let error = inline(&points, frequency, missing)
            .map(|s| format!("accepted: {s:?}"))
            .unwrap_or_else(|e| e.to_string());
        assert_eq!(error, expected);
    }
}
