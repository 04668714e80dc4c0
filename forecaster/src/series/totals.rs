//! Daily totals summed into weeks (Monday to Sunday) or calendar months;
//! periods the days do not wholly cover are left out, so no partial week or
//! month is taken for a slump.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::Series;
use crate::calendar::{Calendar, Frequency};

/// Sums `values`, one a day from `first_day`, into complete periods of
/// `frequency` (daily is returned as it is; only weeks and months are
/// summed). None when no period is complete.
pub fn totals(first_day: NaiveDate, values: &[f64], frequency: Frequency) -> Option<Series> {
    let day = |t: usize| first_day + Duration::days(t as i64);
    let starts_period = |date: NaiveDate| match frequency {
        Frequency::Weekly => date.weekday() == Weekday::Mon,
        Frequency::Monthly => date.day() == 1,
        Frequency::Quarterly => date.day() == 1 && date.month0().is_multiple_of(3),
        Frequency::Yearly => date.ordinal() == 1,
        Frequency::Daily => true,
    };
    let start = (0..values.len()).find(|t| starts_period(day(*t)))?;
    let mut sums: Vec<f64> = Vec::new();
    for (t, value) in values.iter().enumerate().skip(start) {
        if starts_period(day(t)) {
            sums.push(0.0);
        }
        if let Some(sum) = sums.last_mut() {
            *sum += value;
        }
    }
    // The last period is whole only when the day after the data starts a new one.
    if !starts_period(day(values.len())) {
        sums.pop();
    }
    if sums.is_empty() {
        return None;
    }
    Some(Series {
        calendar: Calendar {
            frequency,
            anchor: day(start),
            month_end: false,
        },
        observed: vec![true; sums.len()],
        values: sums,
        notes: vec![format!(
            "daily totals summed into {}; partial {} at either end left out",
            match frequency {
                Frequency::Weekly => "weeks from Monday to Sunday",
                _ => frequency.steps(),
            },
            frequency.steps()
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_months_are_summed() {
        // 2024-01-30 to 2024-04-02: January and April are partial.
        let first = NaiveDate::from_ymd_opt(2024, 1, 30).unwrap_or_default();
        let values = vec![1.0; 64];
        let series = totals(first, &values, Frequency::Monthly);
        let series = series.expect("two whole months");
        assert_eq!(series.values, [29.0, 31.0]);
        assert_eq!(series.calendar.anchor.to_string(), "2024-02-01");
    }

    #[test]
    fn weeks_run_monday_to_sunday() {
        // 2024-01-03 is a Wednesday: days 5 to 11 and 12 to 18 are whole
        // weeks from Monday; day 19 (Monday 22nd) starts a partial one.
        let first = NaiveDate::from_ymd_opt(2024, 1, 3).unwrap_or_default();
        let values: Vec<f64> = (0..20).map(|t| t as f64).collect();
        let series = totals(first, &values, Frequency::Weekly).expect("two whole weeks");
        assert_eq!(series.values, [56.0, 105.0]);
        assert_eq!(series.calendar.anchor.to_string(), "2024-01-08");
        assert!(totals(first, &values[..5], Frequency::Weekly).is_none());
    }
}
