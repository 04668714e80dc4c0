//! Accuracy over one backtest window: MAPE, sMAPE, MASE, interval coverage.

/// Errors of one forecast against what happened, summed for averaging.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    points: usize,
    absolute: f64,
    symmetric: f64,
    percentage: f64,
    nonzero_actuals: usize,
    scaled: f64,
    windows: usize,
    /// Per level: the actuals inside the interval.
    inside: Vec<(f64, usize)>,
}

impl Tally {
    /// Adds one backtest window: `actual` against `predicted`, with the
    /// `intervals` (level, lower, upper) and the MASE `scale` of its training
    /// data. Only the actuals `observed` says were sent are scored.
    pub(crate) fn add(
        &mut self,
        actual: &[f64],
        observed: &[bool],
        predicted: &[f64],
        intervals: &[(f64, &[f64], &[f64])],
        scale: f64,
    ) {
        let scored: Vec<usize> = (0..actual.len().min(predicted.len()))
            .filter(|t| observed.get(*t).copied().unwrap_or(false))
            .collect();
        if scored.is_empty() {
            return;
        }
        let mut window_absolute = 0.0;
        for (a, p) in scored.iter().map(|t| (&actual[*t], &predicted[*t])) {
            let error = (a - p).abs();
            window_absolute += error;
            let denominator = a.abs() + p.abs();
            self.symmetric += if denominator == 0.0 {
                0.0
            } else {
                2.0 * error / denominator
            };
            if *a != 0.0 {
                self.percentage += error / a.abs();
                self.nonzero_actuals += 1;
            }
        }
        self.points += scored.len();
        self.absolute += window_absolute;
        self.scaled += window_absolute / scored.len() as f64 / scale;
        self.windows += 1;
        for (level, lower, upper) in intervals {
            let hits = scored
                .iter()
                .filter(|t| lower[**t] <= actual[**t] && actual[**t] <= upper[**t])
                .count();
            match self.inside.iter_mut().find(|(l, _)| l == level) {
                Some((_, inside)) => *inside += hits,
                None => self.inside.push((*level, hits)),
            }
        }
    }

    /// Returns the number of actuals scored.
    pub(crate) fn points(&self) -> usize {
        self.points
    }

    pub(crate) fn mase(&self) -> f64 {
        self.scaled / self.windows.max(1) as f64
    }

    pub(crate) fn smape(&self) -> f64 {
        self.symmetric / self.points.max(1) as f64
    }

    /// None when every actual was zero.
    pub(crate) fn mape(&self) -> Option<f64> {
        (self.nonzero_actuals > 0).then(|| self.percentage / self.nonzero_actuals as f64)
    }

    /// Per level, the fraction of actuals inside the interval.
    pub(crate) fn coverage(&self) -> Vec<(f64, f64)> {
        self.inside
            .iter()
            .map(|(level, hits)| (*level, *hits as f64 / self.points.max(1) as f64))
            .collect()
    }
}

/// The mean absolute error of the seasonal naive forecast within `train`:
/// what MASE divides by. Falls back to the one-step naive, then to 1, so a
/// flat series cannot divide by zero.
pub(crate) fn mase_scale(train: &[f64], period: usize) -> f64 {
    let naive = |lag: usize| {
        let differences: Vec<f64> = train
            .windows(lag + 1)
            .map(|w| (w[lag] - w[0]).abs())
            .collect();
        differences.iter().sum::<f64>() / differences.len().max(1) as f64
    };
    [naive(period.max(1)), naive(1)]
        .into_iter()
        .find(|scale| *scale > 0.0)
        .unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_follow_their_definitions() {
        let mut tally = Tally::default();
        let (lower, upper) = ([0.0; 5], [15.0; 5]);
        tally.add(
            &[10.0, 20.0, 0.0, 10.0, 99.0],
            &[true, true, true, true, false],
            &[12.0, 20.0, 0.0, 5.0, 0.0],
            &[(0.8, &lower, &upper)],
            2.0,
        );
        // The filled last point is not scored.
        // |errors| = 2, 0, 0, 5: MAE 1.75, scaled by 2.
        assert!((tally.mase() - 0.875).abs() < 1e-12);
        // sMAPE: 2*2/22 + 0 + 0 (0/0 counts as exact) + 2*5/15, over 4 points.
        assert!((tally.smape() - (4.0 / 22.0 + 10.0 / 15.0) / 4.0).abs() < 1e-12);
        // MAPE skips the zero actual: (0.2 + 0 + 0.5) / 3.
        assert!((tally.mape().unwrap_or_default() - 0.7 / 3.0).abs() < 1e-12);
        assert_eq!(
            tally.coverage(),
            vec![(0.8, 0.75)],
            "20 falls outside [0, 15]"
        );
    }

    #[test]
    fn the_scale_never_divides_by_zero() {
        assert_eq!(mase_scale(&[5.0; 20], 7), 1.0);
        assert_eq!(
            mase_scale(&[0.0, 1.0, 0.0, 1.0, 0.0, 1.0], 2),
            1.0,
            "seasonal naive is exact: one-step naive scales"
        );
        assert_eq!(mase_scale(&[1.0, 3.0, 5.0], 1), 2.0);
    }
}
