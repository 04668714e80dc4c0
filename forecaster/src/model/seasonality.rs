//! The seasons of a series: those its frequency implies (a week of days, a
//! year of months, ...), confirmed by the data, and any more the periodogram
//! finds. Both tests run on the series with its trend removed, so a trend's
//! slow swing is not taken for a season.

use augurs::seasons::{Detector, PeriodogramDetector};

use crate::calendar::Frequency;

/// The seasons of one series, in steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seasons {
    /// The frequency's primary season (1 when it has none or the series is
    /// shorter than two of them): what the baseline and MASE use.
    pub primary: usize,
    /// Whether the data shows the primary season (the autocorrelation test
    /// the M4 competition's Theta benchmark applies, at 90%).
    pub confirmed: bool,
    /// Further seasons: the frequency's others with room for two cycles
    /// (a year of days), and periods the periodogram found and the
    /// autocorrelation test confirmed.
    pub extra: Vec<usize>,
}

impl Seasons {
    /// Returns every season, the primary first; none when unconfirmed and
    /// nothing was added.
    pub fn all(&self) -> Vec<usize> {
        let mut all = Vec::new();
        if self.confirmed && self.primary > 1 {
            all.push(self.primary);
        }
        all.extend(self.extra.iter().copied());
        all
    }
}

/// Returns the seasons of `history`, a series of `frequency`.
pub fn detect(history: &[f64], frequency: Frequency) -> Seasons {
    let n = history.len();
    let primary = Some(frequency.primary_season())
        .filter(|m| *m > 1 && n >= 2 * m)
        .unwrap_or(1);
    let detrended = detrend(history, primary.max(2));
    let confirmed = primary > 1 && shows_season(&detrended, primary);
    let mut extra: Vec<usize> = frequency
        .season_lengths()
        .iter()
        .skip(1)
        .map(|length| length.round() as usize)
        .filter(|m| n >= 2 * m)
        .collect();
    let found = PeriodogramDetector::default().detect(&detrended);
    for period in found.into_iter().map(|p| p as usize) {
        let known = period.abs_diff(primary) <= 1 || extra.iter().any(|e| period.abs_diff(*e) <= 1);
        if !known && period >= 2 && 2 * period <= n && shows_season(&detrended, period) {
            extra.push(period);
        }
    }
    extra.sort_unstable();
    extra.dedup();
    Seasons {
        primary,
        confirmed,
        extra,
    }
}

/// Removes a centred moving average of `window` (a 2×window average when
/// even); the ends keep their nearest average.
fn detrend(history: &[f64], window: usize) -> Vec<f64> {
    let n = history.len();
    let half = window / 2;
    if n < window + 1 {
        let mean = history.iter().sum::<f64>() / n.max(1) as f64;
        return history.iter().map(|v| v - mean).collect();
    }
    let average = |t: usize| {
        let w = &history[t - half..=t + half];
        if window.is_multiple_of(2) {
            (w.iter().sum::<f64>() - (w[0] + w[window]) / 2.0) / window as f64
        } else {
            w.iter().sum::<f64>() / window as f64
        }
    };
    (0..n)
        .map(|t| history[t] - average(t.clamp(half, n - 1 - half)))
        .collect()
}

/// Whether the autocorrelation at `lag` exceeds its 90% band under the
/// hypothesis of no season (Bartlett's formula). One-sided: a season makes
/// the series like itself one season on, while removing a moving average
/// makes even a random walk's residuals unlike themselves a window on.
fn shows_season(series: &[f64], lag: usize) -> bool {
    let n = series.len();
    if lag >= n {
        return false;
    }
    let mean = series.iter().sum::<f64>() / n as f64;
    let variance: f64 = series.iter().map(|v| (v - mean).powi(2)).sum();
    if variance == 0.0 {
        return false;
    }
    let acf = |k: usize| {
        (0..n - k)
            .map(|t| (series[t] - mean) * (series[t + k] - mean))
            .sum::<f64>()
            / variance
    };
    let band: f64 = 1.0 + 2.0 * (1..lag).map(|k| acf(k).powi(2)).sum::<f64>();
    acf(lag) > 1.645 * (band / n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(t: usize) -> f64 {
        ((t * 7919 % 101) as f64 - 50.0) / 10.0
    }

    #[test]
    fn a_weekly_pattern_on_a_trend_is_confirmed() {
        let pattern = [100.0, 110.0, 105.0, 100.0, 120.0, 60.0, 40.0];
        let series: Vec<f64> = (0..120)
            .map(|d| pattern[d % 7] + 2.0 * d as f64 + noise(d))
            .collect();
        let seasons = detect(&series, Frequency::Daily);
        assert_eq!(
            (seasons.primary, seasons.confirmed),
            (7, true),
            "{seasons:?}"
        );
        assert_eq!(seasons.all().first(), Some(&7));
    }

    #[test]
    fn noise_on_a_trend_shows_no_season() {
        let series: Vec<f64> = (0..96).map(|t| 50.0 + t as f64 + noise(t)).collect();
        let seasons = detect(&series, Frequency::Monthly);
        assert_eq!(seasons.primary, 12);
        assert!(!seasons.confirmed, "{seasons:?}");
    }

    #[test]
    fn a_random_walk_shows_no_weekly_season() {
        // Steps from a 64-bit mixing hash: no period anywhere near a week.
        let step = |t: u64| {
            let mut x = t.wrapping_add(0x9e37_79b9_7f4a_7c15);
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((x ^ (x >> 31)) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let walk: Vec<f64> = (0..730u64)
            .scan(500.0, |level, t| {
                *level += 8.0 * step(t);
                Some(*level)
            })
            .collect();
        assert!(!detect(&walk, Frequency::Daily).confirmed);
    }

    #[test]
    fn a_short_series_has_no_primary_season() {
        let seasons = detect(&[1.0; 20], Frequency::Monthly);
        assert_eq!((seasons.primary, seasons.confirmed), (1, false));
    }
}
