use super::*;

/// Deterministic standard-ish noise from a 64-bit mixing hash.
fn noise(t: u64) -> f64 {
    let mut x = t.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (((x ^ (x >> 31)) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * 1.7
}

fn corpus(csv: &str) -> Vec<f64> {
    csv.lines()
        .skip(1)
        .filter_map(|line| line.split(',').nth(1)?.parse().ok())
        .collect()
}

#[test]
fn polynomials_multiply_with_their_signs() {
    // (1 − 0.5B)(1 − 0.3B²) = 1 − 0.5B − 0.3B² + 0.15B³.
    let product = multiply(&[0.5], &[0.0, 0.3], -1.0);
    let expected = [0.5, 0.3, -0.15];
    for (p, e) in product.iter().zip(expected) {
        assert!((p - e).abs() < 1e-12, "{product:?}");
    }
    // (1 + 0.5B)(1 + 0.3B) = 1 + 0.8B + 0.15B².
    assert_eq!(multiply(&[0.5], &[0.3], 1.0).len(), 2);
    assert!((multiply(&[0.5], &[0.3], 1.0)[1] - 0.15).abs() < 1e-12);
}

#[test]
fn an_autoregression_is_estimated_near_its_coefficient() {
    let mut y = vec![0.0];
    for t in 1..600u64 {
        let previous = y[y.len() - 1];
        y.push(0.6 * previous + noise(t));
    }
    let order = Order {
        p: 1,
        d: 0,
        q: 0,
        seasonal_p: 0,
        seasonal_d: 0,
        seasonal_q: 0,
        period: 1,
        constant: false,
    };
    let fitted = fit(&y, order).expect("fits");
    assert!(
        (fitted.coefficients[0] - 0.6).abs() < 0.08,
        "{:?}",
        fitted.coefficients
    );
    // The h-step forecast of an AR(1) decays geometrically toward zero.
    let (points, intervals) = fitted.forecast(3, &[0.95]);
    let last = y[y.len() - 1];
    let phi = fitted.coefficients[0];
    assert!((points[0] - phi * last).abs() < 1e-9);
    assert!((points[2] - phi.powi(3) * last).abs() < 1e-9);
    assert!(intervals[0].upper[2] - points[2] > intervals[0].upper[0] - points[0]);
}

// Reference: statsforecast 2.1.1's ARIMA(0,1,1)(0,1,1)[12] fitted by CSS to
// fpp2's h02 (corticosteroid drug subsidies, monthly): ma1 −0.7635, sma1
// −0.5572.
#[test]
fn the_airline_model_on_h02_matches_statsforecasts_css_estimates() {
    let y = corpus(include_str!("../../../corpus/monthly/h02.csv"));
    let order = Order {
        p: 0,
        d: 1,
        q: 1,
        seasonal_p: 0,
        seasonal_d: 1,
        seasonal_q: 1,
        period: 12,
        constant: false,
    };
    let fitted = fit(&y, order).expect("fits");
    assert!(
        (fitted.coefficients[0] + 0.7635).abs() < 0.02,
        "{:?}",
        fitted.coefficients
    );
    assert!(
        (fitted.coefficients[1] + 0.5572).abs() < 0.02,
        "{:?}",
        fitted.coefficients
    );
    assert_eq!(order.name(), "ARIMA(0,1,1)(0,1,1)[12]");
}

#[test]
fn differences_follow_the_tests() {
    let walk: Vec<f64> = (0..300u64)
        .scan(0.0, |level, t| {
            *level += noise(t);
            Some(*level)
        })
        .collect();
    assert_eq!(differences::ndiffs(&walk), 1);
    let white: Vec<f64> = (0..300u64).map(noise).collect();
    assert_eq!(differences::ndiffs(&white), 0);
    let a10 = corpus(include_str!("../../../corpus/monthly/a10.csv"));
    assert!(differences::seasonal_strength(&a10, 12) > 0.64);
    assert!(differences::seasonal_strength(&white, 12) < 0.64);
}

#[test]
fn the_automatic_choice_on_a10_is_seasonally_differenced() {
    let a10 = corpus(include_str!("../../../corpus/monthly/a10.csv"));
    let fitted = auto(&a10, 12).expect("fits");
    assert_eq!(fitted.order.seasonal_d, 1, "{}", fitted.order.name());
    let (points, _) = fitted.forecast(12, &[0.95]);
    // The January drop after the December peak, as every year of a10 shows.
    assert!(points.iter().all(|p| p.is_finite()));
}

/// The textbook residual recursion over every lag, zeros included, nearest
/// lag first: the reference the faster one must match.
fn residuals_over_every_lag(w: &[f64], ar: &[f64], ma: &[f64], mean: f64) -> Vec<f64> {
    let mut e = vec![0.0; w.len()];
    for t in ar.len()..w.len() {
        let mut value = w[t] - mean;
        for (k, a) in ar.iter().enumerate() {
            value -= a * (w[t - k - 1] - mean);
        }
        for (k, m) in ma.iter().enumerate() {
            if t > k {
                value -= m * e[t - k - 1];
            }
        }
        e[t] = value;
    }
    e
}

#[test]
fn residuals_equal_the_textbook_recursion_but_for_rounding() {
    let w: Vec<f64> = (0..400u64)
        .map(|t| 50.0 + 10.0 * ((t % 7) as f64) + noise(t))
        .collect();
    let weekly = |p: &[f64], q: &[f64], sp: &[f64], sq: &[f64]| {
        let order = Order {
            p: p.len(),
            d: 0,
            q: q.len(),
            seasonal_p: sp.len(),
            seasonal_d: 0,
            seasonal_q: sq.len(),
            period: 7,
            constant: true,
        };
        let coefficients: Vec<f64> = [p, q, sp, sq, &[0.3]].concat();
        polynomials(&order, &split(&order, &coefficients))
    };
    for (ar, ma) in [
        weekly(&[0.4, -0.2], &[0.3, 0.1], &[0.5], &[-0.4]),
        weekly(&[0.6], &[], &[], &[0.7]),
        weekly(&[], &[0.9, -0.3], &[0.2], &[]),
        weekly(&[], &[], &[], &[]),
        weekly(&[0.6, 0.2], &[], &[0.3], &[]),
    ] {
        let (fast, squared) = residuals(&w, &ar, &ma, 51.5);
        let full = residuals_over_every_lag(&w, &ar, &ma, 51.5);
        assert_eq!(fast.len(), full.len());
        let textbook_squared: f64 = full[ar.len()..].iter().map(|v| v * v).sum();
        assert!(
            (squared - textbook_squared).abs() <= 1e-12 * textbook_squared,
            "sum of squares {squared} against {textbook_squared}"
        );
        // The MA terms are summed in another order: the last bits may differ.
        let scale = full.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
        for (t, (f, r)) in fast.iter().zip(&full).enumerate() {
            assert!(
                (f - r).abs() <= 1e-12 * scale,
                "step {t}: {f} against {r}, ar {ar:?} ma {ma:?}"
            );
        }
        if ma.iter().all(|m| *m == 0.0) {
            // Without an MA part nothing is reordered: equal bit for bit.
            assert_eq!(fast, full, "ar {ar:?}");
        }
    }
}
