//! Series to forecast: inline points checked and put on their calendar, or
//! the warehouse's daily totals summed into weeks or months.
//!
//! Unordered points are sorted; a date twice, a value that is not a finite
//! number, or a missing value the caller did not ask to fill is refused with
//! a message naming the point. Periods with no point are filled by linear
//! interpolation and counted; they are never scored in backtests.
//!
//! - [`totals`]: daily totals summed into complete weeks or months.

mod totals;

use chrono::NaiveDate;
use proto::forecaster::SeriesPoint;

use crate::calendar::{self, Calendar, Frequency};

pub use totals::totals;

/// The most points an inline series may hold.
pub const MAX_POINTS: usize = 3650;

/// The most periods an inline series may span, first date to last: gaps are
/// filled, so this, not the points sent, bounds a fit's work. Checked before
/// anything is filled.
pub const MAX_SPAN: i64 = 3650;

/// A series on its calendar, every period present.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub calendar: Calendar,
    pub values: Vec<f64>,
    /// Whether each value was sent (true) or filled (false).
    pub observed: Vec<bool>,
    /// What was done to the input, for the caller.
    pub notes: Vec<String>,
}

impl Series {
    /// Returns the date of the period `steps` after the last one.
    pub fn date_after_last(&self, steps: usize) -> Option<NaiveDate> {
        self.calendar.date_after(self.values.len() - 1 + steps)
    }
}

/// What to do with a point whose value is missing (`null`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    Refuse,
    Interpolate,
}

/// Why an inline series was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SeriesError {
    #[error("the inline series holds no points")]
    Empty,
    #[error("an inline series holds at most {MAX_POINTS} points, got {0}")]
    TooManyPoints(usize),
    #[error("points[{index}].date {date:?} is not YYYY-MM-DD")]
    BadDate { index: usize, date: String },
    #[error("points[{index}].value ({date}) is not a finite number")]
    NotFinite { index: usize, date: NaiveDate },
    #[error(
        "points[{index}].value ({date}) is missing; send a number or set missing_values to interpolate"
    )]
    MissingValue { index: usize, date: NaiveDate },
    #[error(
        "points[{first}] and points[{second}] fall in the same {period} ({date}): a {period} appears twice"
    )]
    Duplicate {
        first: usize,
        second: usize,
        period: &'static str,
        date: NaiveDate,
    },
    #[error(
        "the dates are irregular: no daily, weekly, monthly, quarterly or yearly step fits them; state the frequency"
    )]
    Irregular,
    #[error("the dates are not {frequency}: most are {gap} {steps} apart")]
    NotOfFrequency {
        frequency: &'static str,
        gap: i64,
        steps: &'static str,
    },
    #[error(
        "the series spans {span} {steps} once gaps are filled; the span limit is {MAX_SPAN} {steps}"
    )]
    SpanTooLong { span: i64, steps: &'static str },
    #[error("the series holds no value that is not missing")]
    NothingObserved,
}

/// Checks `points` and puts them on the calendar of `frequency`, inferred
/// from the dates when None, filling missing values as `missing` says.
pub fn inline(
    points: &[SeriesPoint],
    frequency: Option<Frequency>,
    missing: Missing,
) -> Result<Series, SeriesError> {
    if points.len() > MAX_POINTS {
        return Err(SeriesError::TooManyPoints(points.len()));
    }
    let mut dated: Vec<(NaiveDate, Option<f64>, usize)> = Vec::with_capacity(points.len());
    for (index, point) in points.iter().enumerate() {
        let date = NaiveDate::parse_from_str(&point.date, "%Y-%m-%d").map_err(|_| {
            SeriesError::BadDate {
                index,
                date: point.date.clone(),
            }
        })?;
        let value = if point.missing {
            match missing {
                Missing::Refuse => return Err(SeriesError::MissingValue { index, date }),
                Missing::Interpolate => None,
            }
        } else if point.value.is_finite() {
            Some(point.value)
        } else {
            return Err(SeriesError::NotFinite { index, date });
        };
        dated.push((date, value, index));
    }
    let sorted = dated.windows(2).all(|w| w[0].0 <= w[1].0);
    dated.sort_by_key(|(date, _, _)| *date);
    let dates: Vec<NaiveDate> = dated.iter().map(|(date, _, _)| *date).collect();
    let Some(&first) = dates.first() else {
        return Err(SeriesError::Empty);
    };
    let frequency = match frequency {
        Some(frequency) => frequency,
        None if dates.len() == 1 => Frequency::Daily,
        None => infer(&dates, &dated)?,
    };
    let periods: Vec<i64> = dates
        .iter()
        .map(|date| frequency.period_of(*date, first) - frequency.period_of(first, first))
        .collect();
    let span = periods.last().copied().unwrap_or_default() + 1;
    if span > MAX_SPAN {
        return Err(SeriesError::SpanTooLong {
            span,
            steps: frequency.steps(),
        });
    }
    for (pair, dated_pair) in periods.windows(2).zip(dated.windows(2)) {
        if pair[0] == pair[1] {
            let (a, b) = (dated_pair[0].2, dated_pair[1].2);
            return Err(SeriesError::Duplicate {
                first: a.min(b),
                second: a.max(b),
                period: period_word(frequency),
                date: dated_pair[1].0,
            });
        }
    }
    if dates.len() > 2 && calendar::most_common_gap(frequency, &dates) != Some(1) {
        return Err(SeriesError::NotOfFrequency {
            frequency: frequency.name(),
            gap: calendar::most_common_gap(frequency, &dates).unwrap_or_default(),
            steps: frequency.steps(),
        });
    }
    let mut slots: Vec<Option<f64>> = vec![None; span as usize];
    for (period, (_, value, _)) in periods.iter().zip(&dated) {
        slots[*period as usize] = *value;
    }
    let sent_missing = dated.iter().filter(|(_, value, _)| value.is_none()).count();
    let gaps = span as usize - dated.len();
    let mut calendar = Calendar {
        frequency,
        anchor: first,
        month_end: calendar::fits(frequency, &dates).unwrap_or(false),
    };
    let (values, observed, trimmed) = fill(&slots).ok_or(SeriesError::NothingObserved)?;
    if trimmed > 0 {
        calendar.anchor = calendar
            .date_after(trimmed)
            .ok_or(SeriesError::SpanTooLong {
                span,
                steps: frequency.steps(),
            })?;
    }
    let mut notes = Vec::new();
    if !sorted {
        notes.push("points were sorted by date".to_owned());
    }
    if gaps > 0 {
        notes.push(format!(
            "{gaps} missing {} were filled by linear interpolation",
            frequency.steps()
        ));
    }
    if sent_missing > 0 {
        notes.push(format!(
            "{sent_missing} missing values were filled by linear interpolation, or dropped at the ends"
        ));
    }
    Ok(Series {
        calendar,
        values,
        observed,
        notes,
    })
}

fn infer(
    dates: &[NaiveDate],
    dated: &[(NaiveDate, Option<f64>, usize)],
) -> Result<Frequency, SeriesError> {
    if let Some(pair) = dated.windows(2).find(|w| w[0].0 == w[1].0) {
        let (a, b) = (pair[0].2, pair[1].2);
        return Err(SeriesError::Duplicate {
            first: a.min(b),
            second: a.max(b),
            period: "day",
            date: pair[0].0,
        });
    }
    calendar::infer(dates).ok_or(SeriesError::Irregular)
}

fn period_word(frequency: Frequency) -> &'static str {
    match frequency {
        Frequency::Daily => "day",
        Frequency::Weekly => "week",
        Frequency::Monthly => "month",
        Frequency::Quarterly => "quarter",
        Frequency::Yearly => "year",
    }
}

/// Fills the empty slots between values by linear interpolation and drops
/// empty slots at the ends; returns the values, which were observed, and how
/// many slots were dropped at the start. None when every slot is empty.
fn fill(slots: &[Option<f64>]) -> Option<(Vec<f64>, Vec<bool>, usize)> {
    let start = slots.iter().position(Option::is_some)?;
    let end = slots.iter().rposition(Option::is_some)?;
    let slots = &slots[start..=end];
    let mut values = Vec::with_capacity(slots.len());
    let mut previous: Option<(usize, f64)> = None;
    for (t, slot) in slots.iter().enumerate() {
        if let Some(value) = slot {
            if let Some((from, a)) = previous {
                let gap = (t - from) as f64;
                for step in 1..t - from {
                    values.push(a + (value - a) * step as f64 / gap);
                }
            }
            values.push(*value);
            previous = Some((t, *value));
        }
    }
    Some((values, slots.iter().map(Option::is_some).collect(), start))
}

#[cfg(test)]
mod tests;
