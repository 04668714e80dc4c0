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
            "the series spans 365243 days once gaps are filled; the span limit is 3650 days",
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

/// 31 points (the first 30 on consecutive days, the last `span` days after
/// the first), as a caller could send in under a kilobyte.
fn wide(span: i64) -> Vec<SeriesPoint> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
    (0..30)
        .chain([span - 1])
        .map(|day| SeriesPoint {
            date: (first + chrono::Duration::days(day))
                .format("%Y-%m-%d")
                .to_string(),
            value: 100.0 + day as f64 % 7.0,
            missing: false,
        })
        .collect()
}

#[test]
fn a_few_points_spanning_decades_are_refused_before_anything_is_filled() {
    for span in [40_000, 200_000] {
        for frequency in [None, Some(Frequency::Daily)] {
            let started = std::time::Instant::now();
            let error = inline(&wide(span), frequency, Missing::Refuse)
                .map(|s| format!("accepted {} values", s.values.len()))
                .unwrap_or_else(|e| e.to_string());
            assert_eq!(
                error,
                format!(
                    "the series spans {span} days once gaps are filled; the span limit is 3650 days"
                )
            );
            assert!(started.elapsed() < std::time::Duration::from_millis(50));
        }
    }
    // Evenly spread points state the span limit too, not only the gaps.
    let spread: Vec<SeriesPoint> = (0..31)
        .map(|k| point(&format!("{}-01-01", 1900 + 3 * k), 1.0))
        .collect();
    let error = inline(&spread, Some(Frequency::Daily), Missing::Refuse).map(|_| ());
    assert!(
        matches!(error, Err(SeriesError::SpanTooLong { span, .. }) if span > 3650),
        "{error:?}"
    );
    // The control: the same points within the limit are filled and kept.
    let series = inline(&wide(MAX_SPAN), None, Missing::Refuse).expect("within the limit");
    assert_eq!(series.values.len(), MAX_SPAN as usize);
}
