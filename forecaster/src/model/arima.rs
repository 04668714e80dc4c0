//! Seasonal ARIMA chosen as R's `auto.arima` chooses (Hyndman and
//! Khandakar, 2008), in a smaller form: the differences from tests (KPSS for
//! the first, seasonal strength for the seasonal one), then a stepwise
//! search over p, q ≤ 2 and P, Q ≤ 1 (and a constant when at most one
//! difference is taken) by AICc, each model fitted by conditional sum of
//! squares. No crate here offers a seasonal ARIMA that is kept up.
//!
//! - [`differences`]: how many differences a series needs.
//!
//! Conditional sum of squares rather than exact likelihood: R's default
//! refines CSS estimates by maximum likelihood, which a Kalman filter would
//! need; the estimates agree closely on the series tested.

mod differences;

use super::{Interval, optimize::minimise};

/// A model's orders: (p, d, q)(P, D, Q) with season `period`, and whether it
/// has a constant (a mean, or a drift once differenced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Order {
    pub(crate) p: usize,
    pub(crate) d: usize,
    pub(crate) q: usize,
    pub(crate) seasonal_p: usize,
    pub(crate) seasonal_d: usize,
    pub(crate) seasonal_q: usize,
    pub(crate) period: usize,
    pub(crate) constant: bool,
}

impl Order {
    /// Returns the name R gives the model, e.g. `ARIMA(0,1,1)(0,1,1)[12]`.
    pub(crate) fn name(&self) -> String {
        let seasonal = if self.period > 1 {
            format!(
                "({},{},{})[{}]",
                self.seasonal_p, self.seasonal_d, self.seasonal_q, self.period
            )
        } else {
            String::new()
        };
        let constant = match (self.constant, self.d + self.seasonal_d) {
            (false, _) => "",
            (true, 0) => " with mean",
            (true, _) => " with drift",
        };
        format!(
            "ARIMA({},{},{}){seasonal}{constant}",
            self.p, self.d, self.q
        )
    }

    fn coefficients(&self) -> usize {
        self.p + self.q + self.seasonal_p + self.seasonal_q + usize::from(self.constant)
    }
}

/// A fitted model.
#[derive(Clone, Debug)]
pub(crate) struct FittedArima {
    pub(crate) order: Order,
    /// φ, θ, Φ, Θ and the constant, in that order.
    pub(crate) coefficients: Vec<f64>,
    pub(crate) sigma2: f64,
    pub(crate) aicc: f64,
    /// The series and its residuals, aligned.
    history: Vec<f64>,
    residuals: Vec<f64>,
}

/// The polynomial 1 − Σ a_k B^k of a factor with `coefficients` at lags
/// `spacing`, 2·`spacing`, …, returned as the a_k (index k−1).
fn lagged(coefficients: &[f64], spacing: usize) -> Vec<f64> {
    let mut out = vec![0.0; coefficients.len() * spacing];
    for (i, c) in coefficients.iter().enumerate() {
        out[(i + 1) * spacing - 1] = *c;
    }
    out
}

/// Multiplies 1 − Σ a_k B^k by 1 − Σ b_k B^k (sign −1) or 1 + Σ a_k B^k by
/// 1 + Σ b_k B^k (sign +1), returning the product's coefficients the same way.
fn multiply(a: &[f64], b: &[f64], sign: f64) -> Vec<f64> {
    let full = |x: &[f64]| {
        let mut p = vec![1.0];
        p.extend(x.iter().map(|c| sign * c));
        p
    };
    let (fa, fb) = (full(a), full(b));
    let mut product = vec![0.0; fa.len() + fb.len() - 1];
    for (i, x) in fa.iter().enumerate() {
        for (j, y) in fb.iter().enumerate() {
            product[i + j] += x * y;
        }
    }
    product[1..].iter().map(|c| sign * c).collect()
}

/// Whether the roots of 1 − c1·B − c2·B² (a factor of degree at most two)
/// lie outside the unit circle.
fn stable(c: &[f64]) -> bool {
    match c {
        [] => true,
        [c1] => c1.abs() < 0.99,
        [c1, c2] => c2.abs() < 0.99 && c2 + c1 < 0.99 && c2 - c1 < 0.99,
        _ => false,
    }
}

/// The series differenced `d` times at lag 1 and `seasonal_d` times at `period`.
fn difference(y: &[f64], d: usize, seasonal_d: usize, period: usize) -> Vec<f64> {
    let mut w = y.to_vec();
    for _ in 0..seasonal_d {
        w = w.windows(period + 1).map(|x| x[period] - x[0]).collect();
    }
    for _ in 0..d {
        w = w.windows(2).map(|x| x[1] - x[0]).collect();
    }
    w
}

struct Split<'a> {
    ar: &'a [f64],
    ma: &'a [f64],
    seasonal_ar: &'a [f64],
    seasonal_ma: &'a [f64],
    constant: f64,
}

fn split<'a>(order: &Order, x: &'a [f64]) -> Split<'a> {
    let (ar, rest) = x.split_at(order.p);
    let (ma, rest) = rest.split_at(order.q);
    let (seasonal_ar, rest) = rest.split_at(order.seasonal_p);
    let (seasonal_ma, rest) = rest.split_at(order.seasonal_q);
    Split {
        ar,
        ma,
        seasonal_ar,
        seasonal_ma,
        constant: rest.first().copied().unwrap_or(0.0),
    }
}

/// The expanded AR and MA polynomials of the differenced series.
fn polynomials(order: &Order, s: &Split<'_>) -> (Vec<f64>, Vec<f64>) {
    let ar = multiply(s.ar, &lagged(s.seasonal_ar, order.period), -1.0);
    let ma = multiply(s.ma, &lagged(s.seasonal_ma, order.period), 1.0);
    (ar, ma)
}

/// The nonzero coefficients of a lag polynomial as (lag, coefficient), lags
/// ascending. A seasonal model's expanded polynomial is mostly zeros (for a
/// weekly season, five of nine lags at most), and the residual recursion
/// runs over every step of the series at every evaluation of the search.
fn nonzero_lags(coefficients: &[f64]) -> Vec<(usize, f64)> {
    coefficients
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != 0.0)
        .map(|(k, c)| (k + 1, *c))
        .collect()
}

/// The conditional residuals of the differenced series `w` (zero before
/// the AR part has its lags) and their sum of squares.
///
/// This runs over every step of the series at every evaluation of the
/// search, so it is written for the processor:
///
/// - Zero coefficients are skipped: a seasonal model's expanded polynomial
///   is mostly zeros (for a weekly season, five of nine lags at most).
///   Subtracting `0 · x` changes nothing for a finite `x`, and where `x` is
///   not finite the sum of squares is not finite either way.
/// - The AR part reads only the series, so it is worked out for every step
///   first, one lag at a time, as loops the compiler vectorises. Each
///   step's arithmetic is the textbook recursion's, in its order.
/// - The MA part needs the residuals before it, so it runs step by step.
///   Its terms are subtracted from the farthest lag to the nearest, and the
///   last residual is carried in a register, so a step waits on the one
///   before only for its last multiply and subtraction. That sums in
///   another order than the textbook, which may change a residual's last
///   bits (the tests bound it).
/// - The sum of squares is taken as the residuals come, in their order.
fn residuals(w: &[f64], ar: &[f64], ma: &[f64], mean: f64) -> (Vec<f64>, f64) {
    let start = ar.len();
    if start >= w.len() {
        return (vec![0.0; w.len()], 0.0);
    }
    let mut e = vec![0.0; start];
    e.extend(w[start..].iter().map(|v| v - mean));
    for (lag, a) in nonzero_lags(ar) {
        for (value, past) in e[start..].iter_mut().zip(&w[start - lag..]) {
            *value -= a * (past - mean);
        }
    }
    let mut far = nonzero_lags(ma);
    far.reverse();
    // The nearest lag's residual is carried in a register, not read back
    // from memory right after it was written.
    let near = far.pop_if(|(lag, _)| *lag == 1).map(|(_, m)| m);
    let farthest = far.first().map_or(1, |(lag, _)| *lag);
    let mut squared = 0.0;
    let mut previous = 0.0;
    for t in start..w.len() {
        let mut value = e[t];
        if t < farthest {
            // Lags past `t` reach before the series and count 0.
            for &(lag, m) in far.iter().filter(|(lag, _)| *lag <= t) {
                value -= m * e[t - lag];
            }
        } else {
            let past = &e[..t];
            for &(lag, m) in &far {
                value -= m * past[t - lag];
            }
        }
        if let Some(m) = near
            && t >= 1
        {
            value -= m * previous;
        }
        e[t] = value;
        squared += value * value;
        previous = value;
    }
    (e, squared)
}

/// Fits `order` to `y` by conditional sum of squares; None when too short
/// or no stationary and invertible coefficients were found.
pub(crate) fn fit(y: &[f64], order: Order) -> Option<FittedArima> {
    let w = difference(y, order.d, order.seasonal_d, order.period);
    let k = order.coefficients();
    let lost = order.p + order.seasonal_p * order.period;
    if w.len() <= lost + k + 4 {
        return None;
    }
    let scale = {
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / w.len() as f64)
            .sqrt()
            .max(1e-12)
    };
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    let objective = |x: &[f64]| {
        let s = split(&order, x);
        if !(stable(s.ar) && stable(s.seasonal_ar)) {
            return f64::INFINITY;
        }
        let flipped = |c: &[f64]| c.iter().map(|v| -v).collect::<Vec<_>>();
        if !(stable(&flipped(s.ma)) && stable(&flipped(s.seasonal_ma))) {
            return f64::INFINITY;
        }
        let (ar, ma) = polynomials(&order, &s);
        let (_, sum) = residuals(&w, &ar, &ma, s.constant * scale);
        if sum.is_finite() { sum } else { f64::INFINITY }
    };
    // The constant is searched in units of the differenced series' spread.
    let mut start = vec![0.0; k];
    if order.constant {
        start[k - 1] = mean / scale;
    }
    let steps = vec![0.1; k];
    let (best, _) = if k == 0 {
        (Vec::new(), objective(&[]))
    } else {
        minimise(objective, &start, &steps, 300 * k, 1e-10)
    };
    let sum = objective(&best);
    if !sum.is_finite() {
        return None;
    }
    let mut coefficients = best;
    if order.constant {
        coefficients[k - 1] *= scale;
    }
    let n = (w.len() - lost) as f64;
    let sigma2 = sum / (n - k as f64).max(1.0);
    let parameters = k as f64 + 1.0;
    let aicc = n * (sum / n).max(f64::MIN_POSITIVE).ln()
        + 2.0 * parameters
        + 2.0 * parameters * (parameters + 1.0) / (n - parameters - 1.0).max(1.0);
    let s = split(&order, &coefficients);
    let (ar, ma) = polynomials(&order, &s);
    let (e, _) = residuals(&w, &ar, &ma, s.constant);
    // Residuals line up with the end of the series.
    let mut aligned = vec![0.0; y.len() - w.len()];
    aligned.extend(e);
    Some(FittedArima {
        order,
        coefficients,
        sigma2,
        aicc,
        history: y.to_vec(),
        residuals: aligned,
    })
}

impl FittedArima {
    /// Returns the AR polynomial of the series itself (differences
    /// included), the MA polynomial, and the constant on that scale.
    fn integrated(&self) -> (Vec<f64>, Vec<f64>, f64) {
        let s = split(&self.order, &self.coefficients);
        let (mut ar, ma) = polynomials(&self.order, &s);
        let constant = s.constant * (1.0 - ar.iter().sum::<f64>());
        for _ in 0..self.order.seasonal_d {
            ar = multiply(&ar, &lagged(&[1.0], self.order.period), -1.0);
        }
        for _ in 0..self.order.d {
            ar = multiply(&ar, &[1.0], -1.0);
        }
        (ar, ma, constant)
    }

    /// Returns `horizon` point forecasts and intervals at `levels`.
    pub(crate) fn forecast(&self, horizon: usize, levels: &[f64]) -> (Vec<f64>, Vec<Interval>) {
        let (ar, ma, constant) = self.integrated();
        let mut y = self.history.clone();
        let mut e = self.residuals.clone();
        let n = y.len();
        for _ in 0..horizon {
            let t = y.len();
            let mut value = constant;
            for (k, a) in ar.iter().enumerate() {
                value += a * t.checked_sub(k + 1).map_or(0.0, |i| y[i]);
            }
            for (k, m) in ma.iter().enumerate() {
                value += m * t.checked_sub(k + 1).map_or(0.0, |i| e[i]);
            }
            y.push(value);
            e.push(0.0);
        }
        let points = y[n..].to_vec();
        // ψ weights of θ(B) / A(B), A the integrated AR polynomial.
        let mut psi = vec![1.0];
        for j in 1..horizon {
            let mut value = ma.get(j - 1).copied().unwrap_or(0.0);
            for (k, a) in ar.iter().enumerate().take(j) {
                value += a * psi[j - k - 1];
            }
            psi.push(value);
        }
        let mut cumulative = 0.0;
        let spread: Vec<f64> = psi
            .iter()
            .map(|p| {
                cumulative += p * p;
                (self.sigma2 * cumulative).sqrt()
            })
            .collect();
        let intervals = levels
            .iter()
            .map(|&level| {
                let z = distrs::Normal::ppf(0.5 + level / 2.0, 0.0, 1.0);
                Interval {
                    level,
                    lower: points.iter().zip(&spread).map(|(p, s)| p - z * s).collect(),
                    upper: points.iter().zip(&spread).map(|(p, s)| p + z * s).collect(),
                }
            })
            .collect();
        (points, intervals)
    }
}

/// Chooses the differences by test and the orders by a stepwise AICc
/// search from R's four starting models; None when nothing fits.
pub(crate) fn auto(y: &[f64], period: usize) -> Option<FittedArima> {
    let seasonal = period > 1 && y.len() >= 3 * period;
    let period = if seasonal { period } else { 1 };
    let seasonal_d = usize::from(seasonal && differences::seasonal_strength(y, period) > 0.64);
    let d = differences::ndiffs(&difference(y, 0, seasonal_d, period));
    let constant = d + seasonal_d <= 1;
    let order = |p, q, sp, sq, constant| Order {
        p,
        d,
        q,
        seasonal_p: if seasonal { sp } else { 0 },
        seasonal_d,
        seasonal_q: if seasonal { sq } else { 0 },
        period,
        constant,
    };
    let mut tried: Vec<Order> = Vec::new();
    let mut best: Option<FittedArima> = None;
    // Fits `candidate` once; true when it beats the best so far.
    let consider = |candidate: Order, tried: &mut Vec<Order>, best: &mut Option<FittedArima>| {
        if tried.contains(&candidate) {
            return false;
        }
        tried.push(candidate);
        match fit(y, candidate) {
            Some(f) if best.as_ref().is_none_or(|b| f.aicc < b.aicc) => {
                *best = Some(f);
                true
            }
            _ => false,
        }
    };
    for start in [
        order(2, 2, 1, 1, constant),
        order(0, 0, 0, 0, constant),
        order(1, 0, 1, 0, constant),
        order(0, 1, 0, 1, constant),
    ] {
        consider(start, &mut tried, &mut best);
    }
    // Move to a better neighbour while one exists (at most 30 fits).
    while tried.len() < 30 {
        let current = best.as_ref().map(|b| b.order)?;
        let mut neighbours = Vec::new();
        for (dp, dq, dsp, dsq) in [
            (1, 0, 0, 0),
            (-1, 0, 0, 0),
            (0, 1, 0, 0),
            (0, -1, 0, 0),
            (1, 1, 0, 0),
            (-1, -1, 0, 0),
            (0, 0, 1, 0),
            (0, 0, -1, 0),
            (0, 0, 0, 1),
            (0, 0, 0, -1),
        ] {
            let step = |x: usize, by: i32, most: usize| {
                let v = x as i32 + by;
                (0..=most as i32).contains(&v).then_some(v as usize)
            };
            if let (Some(p), Some(q), Some(sp), Some(sq)) = (
                step(current.p, dp, 2),
                step(current.q, dq, 2),
                step(current.seasonal_p, dsp, 1),
                step(current.seasonal_q, dsq, 1),
            ) {
                neighbours.push(order(p, q, sp, sq, current.constant));
            }
        }
        if constant {
            neighbours.push(Order {
                constant: !current.constant,
                ..current
            });
        }
        let mut moved = false;
        for neighbour in neighbours {
            if consider(neighbour, &mut tried, &mut best) {
                moved = true;
                break;
            }
        }
        if !moved {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests;
