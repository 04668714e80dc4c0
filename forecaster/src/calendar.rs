//! Calendars: a series' frequency, the period each date falls in, the date
//! each period carries, and the frequency a set of regular dates implies
//! (the way pandas' `infer_freq` reads dates).

use chrono::{Datelike, Duration, Months, NaiveDate};

/// How often a series has a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    /// Every frequency, coarsest first: the order inference tries them in.
    pub const COARSEST_FIRST: [Self; 5] = [
        Self::Yearly,
        Self::Quarterly,
        Self::Monthly,
        Self::Weekly,
        Self::Daily,
    ];

    /// Returns the lowercase name, e.g. `monthly`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Yearly => "yearly",
        }
    }

    /// Returns the plural of one step, e.g. `months`.
    pub fn steps(self) -> &'static str {
        match self {
            Self::Daily => "days",
            Self::Weekly => "weeks",
            Self::Monthly => "months",
            Self::Quarterly => "quarters",
            Self::Yearly => "years",
        }
    }

    /// Returns the seasons a series of this frequency is known to have, in
    /// steps, the primary first: the week and year of days, the year of
    /// weeks, months and quarters.
    pub fn season_lengths(self) -> &'static [f64] {
        match self {
            Self::Daily => &[7.0, 365.25],
            Self::Weekly => &[52.18],
            Self::Monthly => &[12.0],
            Self::Quarterly => &[4.0],
            Self::Yearly => &[],
        }
    }

    /// Returns the primary season in whole steps; 1 when there is none.
    pub fn primary_season(self) -> usize {
        self.season_lengths()
            .first()
            .map_or(1, |length| length.round() as usize)
    }

    /// Returns the most steps a forecast may ask for: about three years,
    /// ten for yearly series.
    pub fn max_horizon(self) -> usize {
        match self {
            Self::Daily => 366,
            Self::Weekly => 156,
            Self::Monthly => 36,
            Self::Quarterly => 12,
            Self::Yearly => 10,
        }
    }

    /// Returns the backtest window and the literature's usual horizon (the
    /// M4 competition's): 14 days, 13 weeks, 18 months, 8 quarters, 6 years.
    pub fn usual_horizon(self) -> usize {
        match self {
            Self::Daily => 14,
            Self::Weekly => 13,
            Self::Monthly => 18,
            Self::Quarterly => 8,
            Self::Yearly => 6,
        }
    }

    /// Returns the index of the period `date` falls in, counted in steps
    /// from an origin shared by all dates (weeks start on `week_start`'s
    /// weekday).
    pub fn period_of(self, date: NaiveDate, week_start: NaiveDate) -> i64 {
        let months = i64::from(date.year()) * 12 + i64::from(date.month0());
        match self {
            Self::Daily => i64::from(date.num_days_from_ce()),
            Self::Weekly => (date - week_start).num_days().div_euclid(7),
            Self::Monthly => months,
            Self::Quarterly => months.div_euclid(3),
            Self::Yearly => i64::from(date.year()),
        }
    }
}

/// How the dates of a series sit in their periods, so that forecast periods
/// carry dates of the same kind: the first of a month, its last day, or the
/// day of the month the series uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    pub frequency: Frequency,
    /// The first date of the series: the anchor of every later step.
    pub anchor: NaiveDate,
    /// Every date was the last day of its month.
    pub month_end: bool,
}

impl Calendar {
    /// Returns the date of the period `steps` after the anchor's.
    pub fn date_after(&self, steps: usize) -> Option<NaiveDate> {
        let steps32 = u32::try_from(steps).ok()?;
        let months = |n: u32| {
            let date = self.anchor.checked_add_months(Months::new(n))?;
            if self.month_end {
                last_of_month(date)
            } else {
                Some(date)
            }
        };
        match self.frequency {
            Frequency::Daily => self.anchor.checked_add_signed(Duration::days(steps as i64)),
            Frequency::Weekly => self
                .anchor
                .checked_add_signed(Duration::days(7 * steps as i64)),
            Frequency::Monthly => months(steps32),
            Frequency::Quarterly => months(steps32.checked_mul(3)?),
            Frequency::Yearly => months(steps32.checked_mul(12)?),
        }
    }
}

/// Returns the last day of `date`'s month.
fn last_of_month(date: NaiveDate) -> Option<NaiveDate> {
    let first = date.with_day(1)?;
    first.checked_add_months(Months::new(1))?.pred_opt()
}

fn is_month_end(date: NaiveDate) -> bool {
    last_of_month(date) == Some(date)
}

/// Returns whether `dates` (sorted, distinct) all sit on the grid of
/// `frequency` anchored at the first, so that each is a whole number of steps
/// from it, and whether that grid is of month ends.
pub fn fits(frequency: Frequency, dates: &[NaiveDate]) -> Option<bool> {
    let first = *dates.first()?;
    let all_month_ends = dates.iter().all(|d| is_month_end(*d));
    let same_day = dates.iter().all(|d| d.day() == first.day());
    let monthly_grid = |months: u32| {
        (same_day || all_month_ends)
            && dates.iter().all(|d| {
                (i64::from(d.year()) * 12 + i64::from(d.month0())
                    - i64::from(first.year()) * 12
                    - i64::from(first.month0()))
                .rem_euclid(i64::from(months))
                    == 0
            })
    };
    let fits = match frequency {
        Frequency::Daily => true,
        Frequency::Weekly => dates
            .iter()
            .all(|d| (*d - first).num_days().rem_euclid(7) == 0),
        Frequency::Monthly => monthly_grid(1),
        Frequency::Quarterly => monthly_grid(3),
        Frequency::Yearly => monthly_grid(12),
    };
    fits.then_some(all_month_ends && !same_day)
}

/// Infers the frequency of `dates` (sorted, distinct, at least two): the
/// coarsest whose grid every date sits on and whose most common gap is one
/// step. None when no frequency fits.
pub fn infer(dates: &[NaiveDate]) -> Option<Frequency> {
    if dates.len() < 2 {
        return None;
    }
    Frequency::COARSEST_FIRST.into_iter().find(|frequency| {
        fits(*frequency, dates).is_some() && most_common_gap(*frequency, dates) == Some(1)
    })
}

/// Returns the most common gap between consecutive dates, in steps of
/// `frequency`; the shortest among equally common gaps.
pub fn most_common_gap(frequency: Frequency, dates: &[NaiveDate]) -> Option<i64> {
    let first = *dates.first()?;
    let mut gaps: Vec<i64> = dates
        .windows(2)
        .map(|w| frequency.period_of(w[1], first) - frequency.period_of(w[0], first))
        .collect();
    gaps.sort_unstable();
    let mut best: Option<(i64, usize)> = None;
    for run in gaps.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, count)| run.len() > count) {
            best = Some((run[0], run.len()));
        }
    }
    best.map(|(gap, _)| gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(list: &[&str]) -> Vec<NaiveDate> {
        list.iter()
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .collect()
    }

    #[test]
    fn regular_dates_imply_their_frequency() {
        let cases = [
            (
                vec!["2020-01-01", "2020-02-01", "2020-03-01", "2020-05-01"],
                Some(Frequency::Monthly),
            ),
            (
                vec!["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"],
                Some(Frequency::Monthly),
            ),
            (
                vec!["2020-01-01", "2020-04-01", "2020-07-01", "2020-10-01"],
                Some(Frequency::Quarterly),
            ),
            (
                vec!["2018-06-30", "2019-06-30", "2020-06-30"],
                Some(Frequency::Yearly),
            ),
            (
                vec!["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-29"],
                Some(Frequency::Weekly),
            ),
            (
                vec!["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"],
                Some(Frequency::Daily),
            ),
            // Gaps of three days: no frequency's most common gap is one step.
            (vec!["2024-01-01", "2024-01-04", "2024-01-07"], None),
            // Months on changing days: not monthly, and not daily either.
            (vec!["2024-01-03", "2024-02-17", "2024-03-09"], None),
        ];
        for (list, expected) in cases {
            assert_eq!(infer(&dates(&list)), expected, "{list:?}");
        }
    }

    #[test]
    fn periods_carry_dates_of_the_series_kind() {
        let month_ends = Calendar {
            frequency: Frequency::Monthly,
            anchor: dates(&["2023-11-30"])[0],
            month_end: true,
        };
        let got: Vec<String> = (1..=3)
            .filter_map(|k| month_ends.date_after(k))
            .map(|d| d.to_string())
            .collect();
        assert_eq!(got, ["2023-12-31", "2024-01-31", "2024-02-29"]);
        let quarters = Calendar {
            frequency: Frequency::Quarterly,
            anchor: dates(&["2023-10-01"])[0],
            month_end: false,
        };
        assert_eq!(
            quarters.date_after(2).map(|d| d.to_string()),
            Some("2024-04-01".into())
        );
    }

    #[test]
    fn season_lengths_follow_the_frequency() {
        assert_eq!(Frequency::Daily.primary_season(), 7);
        assert_eq!(Frequency::Weekly.primary_season(), 52);
        assert_eq!(Frequency::Monthly.primary_season(), 12);
        assert_eq!(Frequency::Quarterly.primary_season(), 4);
        assert_eq!(Frequency::Yearly.primary_season(), 1);
    }
}
