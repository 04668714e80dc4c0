//! Accuracy and speed on the corpus of real series (forecaster/corpus), the
//! way the forecasting literature scores them: the last horizon of each
//! series held out (14 days, 13 weeks, 18 months, 8 quarters), MASE scaled
//! by the in-sample seasonal naive, sMAPE, and the coverage of the 95%
//! interval, over observed points only. Each model is fitted on the rest;
//! the automatic choice runs its own backtests on the rest too.
//!
//! Beside them it prints statsforecast's AutoETS, AutoTheta and
//! SeasonalNaive when `STATSFORECAST_RESULTS` names the file that
//! `forecaster/scripts/statsforecast_corpus.py` wrote on the same series in
//! the same run: `forecaster/scripts/bench-corpus.sh` does both.
//!
//! `cargo bench -p forecaster --bench corpus`

use std::{collections::BTreeMap, path::Path, time::Instant};

use forecaster::{
    calendar::Frequency,
    model::{Candidate, Problem, choose_and_forecast, detect_seasonality},
    series::{self, Missing},
};
use proto::forecaster::SeriesPoint;

type Error = Box<dyn std::error::Error + Send + Sync>;

const LEVEL: f64 = 0.95;
const AUTO: &str = "forecast-mesh automatic choice";

/// One series of the corpus, split into what is fitted and what is held out.
struct Case {
    name: String,
    frequency: Frequency,
    train: Vec<f64>,
    test: Vec<f64>,
    test_observed: Vec<bool>,
}

/// One model's scores on one series.
#[derive(Clone, Copy)]
struct Score {
    mase: f64,
    smape: f64,
    coverage: f64,
    seconds: f64,
}

fn frequency(name: &str) -> Option<Frequency> {
    Frequency::COARSEST_FIRST
        .into_iter()
        .find(|f| f.name() == name)
}

fn load(root: &Path) -> Result<Vec<Case>, Error> {
    let sources = std::fs::read_to_string(root.join("SOURCES.csv"))?;
    let mut cases = Vec::new();
    for line in sources.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let (name, frequency_name) = (fields[0], fields[1]);
        let frequency = frequency(frequency_name).ok_or("unknown frequency")?;
        let text = std::fs::read_to_string(root.join(frequency_name).join(format!("{name}.csv")))?;
        let points: Vec<SeriesPoint> = text
            .lines()
            .skip(1)
            .filter_map(|row| {
                let (date, value) = row.split_once(',')?;
                Some(SeriesPoint {
                    date: date.into(),
                    value: value.parse().unwrap_or(0.0),
                    missing: value.is_empty(),
                })
            })
            .collect();
        let series = series::inline(&points, Some(frequency), Missing::Interpolate)?;
        let h = frequency.usual_horizon();
        let split = series.values.len() - h;
        cases.push(Case {
            name: name.into(),
            frequency,
            train: series.values[..split].to_vec(),
            test: series.values[split..].to_vec(),
            test_observed: series.observed[split..].to_vec(),
        });
    }
    Ok(cases)
}

/// Scores `points` and the 95% bounds against the held-out values.
fn score(case: &Case, points: &[f64], lower: &[f64], upper: &[f64], seconds: f64) -> Score {
    let m = case.frequency.primary_season();
    let m = if case.train.len() > 2 * m { m } else { 1 };
    let naive: Vec<f64> = case
        .train
        .windows(m + 1)
        .map(|w| (w[m] - w[0]).abs())
        .collect();
    let scale = naive.iter().sum::<f64>() / naive.len().max(1) as f64;
    let scored: Vec<usize> = (0..case.test.len())
        .filter(|t| case.test_observed[*t])
        .collect();
    let count = scored.len().max(1) as f64;
    let mae = scored
        .iter()
        .map(|t| (case.test[*t] - points[*t]).abs())
        .sum::<f64>()
        / count;
    let smape = scored
        .iter()
        .map(|t| {
            let (a, p) = (case.test[*t], points[*t]);
            let d = a.abs() + p.abs();
            if d == 0.0 {
                0.0
            } else {
                2.0 * (a - p).abs() / d
            }
        })
        .sum::<f64>()
        / count;
    let inside = scored
        .iter()
        .filter(|t| lower[**t] <= case.test[**t] && case.test[**t] <= upper[**t])
        .count() as f64;
    Score {
        mase: mae / if scale > 0.0 { scale } else { 1.0 },
        smape,
        coverage: inside / count,
        seconds,
    }
}

/// Reads statsforecast's per-series scores: model -> series -> score.
fn statsforecast(path: &Path) -> Result<BTreeMap<String, BTreeMap<String, Score>>, Error> {
    let mut out: BTreeMap<String, BTreeMap<String, Score>> = BTreeMap::new();
    for line in std::fs::read_to_string(path)?.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        out.entry(format!("statsforecast {}", f[1]))
            .or_default()
            .insert(
                f[0].into(),
                Score {
                    mase: f[2].parse()?,
                    smape: f[3].parse()?,
                    coverage: f[4].parse()?,
                    seconds: f[5].parse()?,
                },
            );
    }
    Ok(out)
}

fn summary(name: &str, scores: &[Score]) {
    let n = scores.len().max(1) as f64;
    let mut mases: Vec<f64> = scores.iter().map(|s| s.mase).collect();
    mases.sort_by(f64::total_cmp);
    let median = if mases.is_empty() {
        f64::NAN
    } else if mases.len() % 2 == 1 {
        mases[mases.len() / 2]
    } else {
        (mases[mases.len() / 2 - 1] + mases[mases.len() / 2]) / 2.0
    };
    let seconds: f64 = scores.iter().map(|s| s.seconds).sum();
    println!(
        "| {name:<44} | {:>6} | {:>9.3} | {:>11.3} | {:>10.3} | {:>13.3} | {:>8.1} |",
        scores.len(),
        mases.iter().sum::<f64>() / n,
        median,
        scores.iter().map(|s| s.smape).sum::<f64>() / n,
        scores.iter().map(|s| s.coverage).sum::<f64>() / n,
        scores.len() as f64 / seconds,
    );
}

fn main() -> Result<(), Error> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let cases = load(&root)?;
    let mut results: BTreeMap<String, BTreeMap<String, Score>> = BTreeMap::new();
    for case in &cases {
        let observed = vec![true; case.train.len()];
        let h = case.test.len();
        let started = Instant::now();
        let choice = choose_and_forecast(Problem {
            history: &case.train,
            observed: &observed,
            frequency: case.frequency,
            horizon: h,
            levels: &[LEVEL],
        })?;
        let seconds = started.elapsed().as_secs_f64();
        let band = &choice.forecast.intervals[0];
        let auto = score(
            case,
            &choice.forecast.points,
            &band.lower,
            &band.upper,
            seconds,
        );
        println!(
            "{:<40} {:<9} n={:<4} chose {:<44} MASE {:>6.3} cov95 {:.2}",
            case.name,
            case.frequency.name(),
            case.train.len(),
            choice.forecast.model,
            auto.mase,
            auto.coverage
        );
        results
            .entry(AUTO.into())
            .or_default()
            .insert(case.name.clone(), auto);
        let seasons = detect_seasonality(&case.train, case.frequency);
        for candidate in Candidate::all(&seasons) {
            let started = Instant::now();
            let Ok(forecast) = candidate.forecast(&case.train, h, &[LEVEL]) else {
                continue;
            };
            let seconds = started.elapsed().as_secs_f64();
            let band = &forecast.intervals[0];
            // Names without their periods, so models pool across frequencies.
            let family = candidate.name();
            let family = family.split('(').next().unwrap_or_default().to_owned();
            results
                .entry(format!("forecast-mesh {family}"))
                .or_default()
                .insert(
                    case.name.clone(),
                    score(case, &forecast.points, &band.lower, &band.upper, seconds),
                );
        }
    }
    if let Ok(path) = std::env::var("STATSFORECAST_RESULTS") {
        results.extend(statsforecast(Path::new(&path))?);
    }
    println!(
        "\n{} series; last horizon held out; MASE scaled by in-sample seasonal naive; 95% intervals",
        cases.len()
    );
    println!(
        "| {:<44} | series | mean MASE | median MASE | mean sMAPE | mean coverage | series/s |",
        "model"
    );
    println!(
        "|{:-<46}|{:-<8}|{:-<11}|{:-<13}|{:-<12}|{:-<15}|{:-<10}|",
        "", "", "", "", "", "", ""
    );
    for (name, scores) in &results {
        summary(name, &scores.values().copied().collect::<Vec<_>>());
    }
    let (Some(auto), Some(ets)) = (results.get(AUTO), results.get("statsforecast AutoETS")) else {
        return Ok(());
    };
    println!("\nper frequency (mean MASE): automatic choice against statsforecast AutoETS");
    for frequency in Frequency::COARSEST_FIRST {
        let names: Vec<&String> = cases
            .iter()
            .filter(|c| c.frequency == frequency)
            .map(|c| &c.name)
            .collect();
        if names.is_empty() {
            continue;
        }
        let mean = |scores: &BTreeMap<String, Score>| {
            names
                .iter()
                .filter_map(|n| scores.get(*n))
                .map(|s| s.mase)
                .sum::<f64>()
                / names.len() as f64
        };
        println!(
            "  {:<10} {:>3} series: {:.3} against {:.3}",
            frequency.name(),
            names.len(),
            mean(auto),
            mean(ets)
        );
    }
    let wins = cases
        .iter()
        .filter(|c| match (auto.get(&c.name), ets.get(&c.name)) {
            (Some(a), Some(e)) => a.mase < e.mase,
            _ => false,
        })
        .count();
    println!(
        "the automatic choice beat AutoETS on {wins} of {} series",
        cases.len()
    );
    Ok(())
}
