use super::*;

fn request(horizon_days: i32, history_days: i32, levels: Vec<f64>) -> ForecastRevenueRequest {
    ForecastRevenueRequest {
        horizon_days,
        history_days,
        levels,
        ..Default::default()
    }
}

#[test]
fn requests_outside_the_limits_are_invalid_arguments() {
    for bad in [
        request(0, 0, vec![]),
        request(366, 0, vec![]),
        request(30, 10, vec![]),
        request(30, 4000, vec![]),
        request(30, 0, vec![1.0]),
        request(30, 0, vec![f64::NAN]),
        request(30, 0, vec![0.5; 6]),
        ForecastRevenueRequest {
            horizon: 367,
            ..request(0, 0, vec![])
        },
        ForecastRevenueRequest {
            horizon: -1,
            ..request(30, 0, vec![])
        },
        ForecastRevenueRequest {
            frequency: 42,
            ..request(30, 0, vec![])
        },
    ] {
        let status = check((&bad).into()).expect_err("refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{bad:?}");
    }
    let ok = check((&request(30, 0, vec![])).into()).expect("accepted");
    assert_eq!(
        (ok.horizon, ok.history_days, ok.levels, ok.frequency),
        (Horizon::Days(30), 1095, vec![0.8, 0.95], Frequency::Daily)
    );
    assert!(!ok.idempotency_key.is_empty());
}

#[test]
fn horizons_are_counted_in_the_series_steps() {
    let monthly = ForecastRevenueRequest {
        horizon: 18,
        frequency: api::Frequency::Monthly.into(),
        ..request(0, 0, vec![])
    };
    let checked = check((&monthly).into()).expect("accepted");
    assert_eq!(checked.frequency, Frequency::Monthly);
    assert_eq!(checked.horizon.steps(Frequency::Monthly).ok(), Some(18));
    let too_far = Horizon::Periods(37)
        .steps(Frequency::Monthly)
        .expect_err("36 at most");
    assert_eq!(
        too_far.message(),
        "horizon must be between 1 and 36 for a monthly series, got 37"
    );
    let days = Horizon::Days(30)
        .steps(Frequency::Monthly)
        .expect_err("days");
    assert_eq!(
        days.message(),
        "horizon_days counts days but the series is monthly; send horizon in months"
    );
}

#[test]
fn an_inline_series_states_or_implies_its_calendar() {
    let point = |date: &str, value: f64| api::SeriesPoint {
        date: date.into(),
        value,
        missing: false,
    };
    let inline = api::InlineSeries {
        points: vec![point("2024-01-31", 1.0), point("2024-02-29", 2.0)],
        ..Default::default()
    };
    let series = inline_series(&inline).expect("month ends");
    assert_eq!(series.calendar.frequency, Frequency::Monthly);
    assert_eq!(
        series.date_after_last(1).map(|d| d.to_string()),
        Some("2024-03-31".into())
    );
    let both = ForecastSeriesRequest {
        frequency: api::Frequency::Monthly.into(),
        ..Default::default()
    };
    assert_eq!(
        asked_inline(&both, &inline)
            .map(|_| ())
            .expect_err("two frequencies")
            .message(),
        "frequency applies to a stock item or customer; set inline.frequency for an inline series"
    );
    let unknown = api::InlineSeries {
        missing_values: 9,
        ..inline.clone()
    };
    assert_eq!(
        inline_series(&unknown)
            .map(|_| ())
            .expect_err("unknown")
            .message(),
        "inline.missing_values 9 is not known"
    );
}

#[test]
fn a_monthly_series_with_its_real_dates_is_forecast_in_months() -> Result<(), Status> {
    // fpp2's a10 from the corpus, sent with its real dates (firsts of months).
    let points: Vec<api::SeriesPoint> = include_str!("../../corpus/monthly/a10.csv")
        .lines()
        .skip(1)
        .filter_map(|row| {
            let (date, value) = row.split_once(',')?;
            Some(api::SeriesPoint {
                date: date.into(),
                value: value.parse().ok()?,
                missing: false,
            })
        })
        .collect();
    let series = inline_series(&api::InlineSeries {
        points,
        ..Default::default()
    })?;
    assert_eq!(series.calendar.frequency, Frequency::Monthly);
    let horizon = Horizon::Periods(18).steps(series.calendar.frequency)?;
    let choice = model::choose_and_forecast(Problem {
        history: &series.values,
        observed: &series.observed,
        frequency: series.calendar.frequency,
        horizon,
        levels: &DEFAULT_LEVELS,
    })
    .map_err(model_status)?;
    let points = dated_points(&series, &choice.forecast)?;
    let dates: Vec<&str> = points.iter().map(|p| p.date.as_str()).collect();
    assert_eq!(dates.len(), 18);
    // The last month sent is 2008-06.
    assert_eq!(&dates[..3], ["2008-07-01", "2008-08-01", "2008-09-01"]);
    assert_eq!(dates[17], "2009-12-01");
    assert_eq!(choice.seasons.all().first(), Some(&12));
    Ok(())
}

#[test]
fn a_daily_series_with_missing_days_keeps_its_week() -> Result<(), Status> {
    // Eight weeks of a weekly pattern from a Monday, three days not sent.
    let pattern = [10.0, 12.0, 11.0, 10.0, 14.0, 5.0, 3.0];
    let start = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap_or_default();
    let points: Vec<api::SeriesPoint> = (0..56)
        .filter(|d| ![20, 21, 22].contains(d))
        .map(|d| api::SeriesPoint {
            date: (start + chrono::Duration::days(d)).to_string(),
            value: 100.0 + pattern[d as usize % 7],
            missing: false,
        })
        .collect();
    let series = inline_series(&api::InlineSeries {
        points,
        ..Default::default()
    })?;
    assert_eq!(series.values.len(), 56);
    assert_eq!(
        series.notes,
        ["3 missing days were filled by linear interpolation"]
    );
    let choice = model::choose_and_forecast(Problem {
        history: &series.values,
        observed: &series.observed,
        frequency: series.calendar.frequency,
        horizon: 7,
        levels: &DEFAULT_LEVELS,
    })
    .map_err(model_status)?;
    let points = dated_points(&series, &choice.forecast)?;
    assert_eq!(points[0].date, "2025-03-03");
    for (step, point) in points.iter().enumerate() {
        let expected = 100.0 + pattern[step];
        assert!((point.value - expected).abs() < 3.0, "{step}: {point:?}");
    }
    Ok(())
}
