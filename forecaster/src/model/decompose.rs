//! Classical seasonal decomposition's seasonal indices: the series against
//! its centred moving average, averaged per phase and normalised.

/// Returns the seasonal index of each phase of `period` (phase 0 is the
/// first value's): additive ones summing to zero, or multiplicative ones
/// averaging one. None without two full seasons, or, for multiplicative
/// indices, with a moving average that is not positive.
pub(crate) fn seasonal_indices(
    history: &[f64],
    period: usize,
    multiplicative: bool,
) -> Option<Vec<f64>> {
    if period < 2 || history.len() < 2 * period {
        return None;
    }
    let half = period / 2;
    let mut sums = vec![0.0; period];
    let mut counts = vec![0usize; period];
    for t in half..history.len() - half {
        let window = &history[t - half..=t + half];
        // An even period averages period + 1 points with half weight at the ends.
        let average = if period.is_multiple_of(2) {
            (window.iter().sum::<f64>() - (window[0] + window[period]) / 2.0) / period as f64
        } else {
            window.iter().sum::<f64>() / period as f64
        };
        let ratio = if multiplicative {
            if average <= 0.0 {
                return None;
            }
            history[t] / average
        } else {
            history[t] - average
        };
        sums[t % period] += ratio;
        counts[t % period] += 1;
    }
    if counts.contains(&0) {
        return None;
    }
    let raw: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| s / *c as f64)
        .collect();
    let mean = raw.iter().sum::<f64>() / period as f64;
    Some(if multiplicative {
        raw.iter().map(|r| r / mean).collect()
    } else {
        raw.iter().map(|r| r - mean).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pure_season_is_recovered_both_ways() {
        let pattern = [10.0, 12.0, 11.0, 7.0];
        let additive: Vec<f64> = (0..16).map(|t| 100.0 + pattern[t % 4]).collect();
        let got = seasonal_indices(&additive, 4, false).unwrap_or_default();
        let mean = pattern.iter().sum::<f64>() / 4.0;
        for (g, p) in got.iter().zip(pattern) {
            assert!((g - (p - mean)).abs() < 1e-9, "{got:?}");
        }
        let factors = [1.2, 0.8, 1.1, 0.9];
        let multiplicative: Vec<f64> = (0..16).map(|t| 50.0 * factors[t % 4]).collect();
        let got = seasonal_indices(&multiplicative, 4, true).unwrap_or_default();
        for (g, f) in got.iter().zip(factors) {
            assert!((g - f).abs() < 1e-9, "{got:?}");
        }
        assert!(seasonal_indices(&additive[..7], 4, false).is_none());
    }
}
