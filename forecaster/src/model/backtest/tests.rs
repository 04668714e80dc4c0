use super::*;

/// A weekly pattern on a rising trend, with a little deterministic wobble.
fn weekly_series(days: usize) -> Vec<f64> {
    let pattern = [100.0, 110.0, 105.0, 100.0, 120.0, 60.0, 40.0];
    (0..days)
        .map(|d| pattern[d % 7] + 0.2 * d as f64 + ((d * 37 % 11) as f64 - 5.0))
        .collect()
}

fn daily<'a>(history: &'a [f64], observed: &'a [bool], horizon: usize) -> Problem<'a> {
    Problem {
        history,
        observed,
        frequency: Frequency::Daily,
        horizon,
        levels: &[0.8, 0.95],
    }
}

#[test]
fn the_choice_beats_or_matches_the_baseline_and_reports_every_score() -> Result<(), ModelError> {
    let history = weekly_series(280);
    let observed = vec![true; 280];
    let choice = choose_and_forecast(daily(&history, &observed, 14))?;
    assert_eq!(
        (choice.seasons.primary, choice.seasons.confirmed),
        (7, true)
    );
    assert_eq!(choice.forecast.points.len(), 14);
    assert_eq!(choice.forecast.model, choice.chosen.model);
    let baseline = choice
        .scores
        .iter()
        .find(|s| s.model == "SeasonalNaive(7)")
        .ok_or(ModelError::Fit("no baseline".into()))?;
    assert!(choice.chosen.mase <= baseline.mase);
    assert!(choice.scores.len() >= 4, "{:?}", choice.scores);
    assert!(
        choice.scores.windows(2).all(|w| w[0].mase <= w[1].mase),
        "best first"
    );
    for (level, coverage) in &choice.chosen.coverage {
        assert!((0.0..=1.0).contains(coverage), "{level}: {coverage}");
    }
    let (narrow, wide) = (&choice.forecast.intervals[0], &choice.forecast.intervals[1]);
    for step in 0..14 {
        assert!(wide.lower[step] <= narrow.lower[step] && narrow.upper[step] <= wide.upper[step]);
    }
    Ok(())
}

#[test]
fn filled_points_are_never_scored() -> Result<(), ModelError> {
    // The last stretch is a straight filled line far from the pattern: were
    // it scored, every model would look wrong by the same wide margin.
    let mut history = weekly_series(140);
    let mut observed = vec![true; 140];
    for t in 126..139 {
        history[t] = 1000.0;
        observed[t] = false;
    }
    let filled = choose_and_forecast(daily(&history, &observed, 14))?;
    let clean = weekly_series(140);
    let all = vec![true; 140];
    let truth = choose_and_forecast(daily(&clean, &all, 14))?;
    assert!(
        filled.chosen.mase < 10.0 * truth.chosen.mase.max(0.1),
        "{} against {}",
        filled.chosen.mase,
        truth.chosen.mase
    );
    Ok(())
}

#[test]
fn the_minimum_length_is_the_true_requirement() {
    let history = weekly_series(40);
    let observed = vec![true; 40];
    let error = choose_and_forecast(daily(&history, &observed, 20))
        .map(|c| c.chosen.model)
        .expect_err("too short");
    assert_eq!(
        error.to_string(),
        "the series has 40 days; forecasting 20 days needs at least 48: 28 to fit and 20 to backtest"
    );
    assert_eq!(minimum_history(Frequency::Daily, 20), 48);
    // Exactly the minimum is enough.
    let history = weekly_series(48);
    let observed = vec![true; 48];
    assert!(choose_and_forecast(daily(&history, &observed, 20)).is_ok());
    assert_eq!(minimum_history(Frequency::Monthly, 36), 42);
}

#[test]
fn bad_series_are_refused_with_reasons() {
    let mut holes = weekly_series(60);
    holes[3] = f64::NAN;
    let observed = vec![true; 60];
    assert!(matches!(
        choose_and_forecast(daily(&holes, &observed, 5)),
        Err(ModelError::NotFinite(3))
    ));
    let history = weekly_series(60);
    let problem = Problem {
        levels: &[1.5],
        ..daily(&history, &observed, 5)
    };
    assert!(matches!(
        choose_and_forecast(problem),
        Err(ModelError::BadLevel(_))
    ));
}

#[test]
fn a_member_that_cannot_be_backtested_leaves_the_combination_to_the_others()
-> Result<(), ModelError> {
    // 745 days: the year joins MSTL's seasons (two years fit), but not before
    // every backtest origin, so MSTL(7,365) drops out of the backtest.
    let history = weekly_series(745);
    let observed = vec![true; 745];
    let choice = choose_and_forecast(daily(&history, &observed, 14))?;
    assert!(choice.seasons.extra.contains(&365), "{:?}", choice.seasons);
    let names: Vec<&str> = choice.scores.iter().map(|s| s.model.as_str()).collect();
    assert!(!names.iter().any(|n| n.starts_with("MSTL")), "{names:?}");
    assert!(
        names.contains(&"Combination(AutoETS(7), AutoTheta(7), AutoARIMA(7))"),
        "{names:?}"
    );
    Ok(())
}

#[test]
fn the_longest_series_stops_at_its_deadline_within_one_fit() -> Result<(), ModelError> {
    use std::time::{Duration, Instant};

    // Ten years of days with a yearly season: every candidate, MSTL included.
    let history: Vec<f64> = weekly_series(3650)
        .iter()
        .enumerate()
        .map(|(d, v)| v + 30.0 * (d as f64 * std::f64::consts::TAU / 365.25).sin())
        .collect();
    let observed = vec![true; history.len()];
    let started = Instant::now();
    let whole = choose_and_forecast(daily(&history, &observed, 28))?;
    let unstopped = started.elapsed();
    eprintln!(
        "3650 days fitted whole in {unstopped:?}: {}",
        whole.forecast.model
    );

    let deadline = Duration::from_millis(100);
    let started = Instant::now();
    let stop = Stop::new(
        std::sync::Arc::default(),
        Some(Instant::now() + deadline),
        Duration::from_secs(60),
    );
    // On two lanes: every lane checks the stop before each fit it takes.
    let stopped = choose_and_forecast_until(daily(&history, &observed, 28), &stop, Lanes::new(2));
    let elapsed = started.elapsed();
    eprintln!("stopped at a 100 ms deadline after {elapsed:?}");
    assert!(
        matches!(stopped, Err(ModelError::DeadlineExceeded)),
        "{stopped:?}"
    );
    // Stopped long before the whole fit would have ended.
    assert!(
        elapsed < deadline + unstopped / 4,
        "{elapsed:?} of {unstopped:?}"
    );

    let stop = Stop::new(std::sync::Arc::default(), None, Duration::from_millis(100));
    let over = choose_and_forecast_until(daily(&history, &observed, 28), &stop, Lanes::ONE);
    assert!(matches!(over, Err(ModelError::OverBudget(_))), "{over:?}");
    Ok(())
}

#[test]
fn a_fit_spread_over_lanes_chooses_and_forecasts_exactly_as_on_one() -> Result<(), ModelError> {
    let history = weekly_series(745);
    let observed = vec![true; history.len()];
    let problem = daily(&history, &observed, 30);
    let one = choose_and_forecast_until(problem, &Stop::never(), Lanes::ONE)?;
    for lanes in [2, 3] {
        let many = choose_and_forecast_until(problem, &Stop::never(), Lanes::new(lanes))?;
        assert_eq!(many.forecast, one.forecast, "{lanes} lanes");
        assert_eq!(many.scores, one.scores, "{lanes} lanes");
        assert_eq!(many.chosen, one.chosen, "{lanes} lanes");
        assert_eq!(many.calibration, one.calibration, "{lanes} lanes");
    }
    Ok(())
}
