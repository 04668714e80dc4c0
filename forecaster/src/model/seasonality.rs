//! Seasonal periods detected from the data with augurs' periodogram, kept
//! only where the series holds at least two full cycles of them.

use augurs::seasons::{Detector, PeriodogramDetector};

/// Returns the detected periods, shortest first.
pub fn detect(history: &[f64]) -> Vec<usize> {
    let mut periods: Vec<usize> = PeriodogramDetector::default()
        .detect(history)
        .into_iter()
        .map(|period| period as usize)
        .filter(|period| *period >= 2 && 2 * period <= history.len())
        .collect();
    periods.sort_unstable();
    periods.dedup();
    periods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weekly_pattern_is_found() {
        let pattern = [100.0, 110.0, 105.0, 100.0, 120.0, 60.0, 40.0];
        let series: Vec<f64> = (0..364)
            .map(|d| pattern[d % 7] + ((d * 37 % 11) as f64 - 5.0))
            .collect();
        assert!(detect(&series).contains(&7), "{:?}", detect(&series));
    }

    #[test]
    fn noise_has_no_strong_season() {
        let series: Vec<f64> = (0..200)
            .map(|d| 100.0 + ((d * 7919 % 101) as f64 - 50.0) / 10.0)
            .collect();
        assert!(!detect(&series).contains(&7));
    }
}
