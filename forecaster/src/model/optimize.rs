//! Nelder–Mead minimisation (Nelder and Mead, 1965, with the usual
//! coefficients), the derivative-free search R's `ets` and statsforecast's
//! AutoETS fit smoothing weights with. Infeasible points return infinity.

/// Minimises `f` from `start`, each coordinate first stepped by `steps`;
/// stops after `max_evaluations` or once the simplex's values agree within
/// `tolerance`. Returns the best point and its value.
pub(crate) fn minimise(
    f: impl Fn(&[f64]) -> f64,
    start: &[f64],
    steps: &[f64],
    max_evaluations: usize,
    tolerance: f64,
) -> (Vec<f64>, f64) {
    let dims = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(dims + 1);
    simplex.push((start.to_vec(), f(start)));
    for (i, step) in steps.iter().enumerate() {
        let mut vertex = start.to_vec();
        vertex[i] += step;
        let value = f(&vertex);
        simplex.push((vertex, value));
    }
    let mut evaluations = dims + 1;
    while evaluations < max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[dims].1);
        if (worst - best).abs() <= tolerance * (best.abs() + tolerance) && best.is_finite() {
            break;
        }
        let centroid: Vec<f64> = (0..dims)
            .map(|j| simplex[..dims].iter().map(|v| v.0[j]).sum::<f64>() / dims as f64)
            .collect();
        let toward = |coefficient: f64| -> Vec<f64> {
            (0..dims)
                .map(|j| centroid[j] + coefficient * (simplex[dims].0[j] - centroid[j]))
                .collect()
        };
        let reflected = toward(-1.0);
        let reflected_value = f(&reflected);
        evaluations += 1;
        if reflected_value < simplex[0].1 {
            let expanded = toward(-2.0);
            let expanded_value = f(&expanded);
            evaluations += 1;
            simplex[dims] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
            continue;
        }
        if reflected_value < simplex[dims - 1].1 {
            simplex[dims] = (reflected, reflected_value);
            continue;
        }
        let contracted = if reflected_value < worst {
            toward(-0.5)
        } else {
            toward(0.5)
        };
        let contracted_value = f(&contracted);
        evaluations += 1;
        if contracted_value < worst.min(reflected_value) {
            simplex[dims] = (contracted, contracted_value);
            continue;
        }
        // Shrink every vertex toward the best.
        let best_point = simplex[0].0.clone();
        for vertex in simplex.iter_mut().skip(1) {
            for (x, b) in vertex.0.iter_mut().zip(&best_point) {
                *x = b + 0.5 * (*x - b);
            }
            vertex.1 = f(&vertex.0);
            evaluations += 1;
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (point, value) = simplex.swap_remove(0);
    (point, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rosenbrock_valley_is_followed_to_its_minimum() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let (point, value) = minimise(rosenbrock, &[-1.2, 1.0], &[0.1, 0.1], 5000, 1e-14);
        assert!(value < 1e-8, "{value}");
        assert!((point[0] - 1.0).abs() < 1e-3 && (point[1] - 1.0).abs() < 1e-3);
    }

    #[test]
    fn infeasible_points_are_walked_away_from() {
        let bounded = |x: &[f64]| {
            if x[0] < 0.0 {
                f64::INFINITY
            } else {
                (x[0] - 0.3).powi(2)
            }
        };
        let (point, _) = minimise(bounded, &[0.05], &[0.1], 500, 1e-12);
        assert!((point[0] - 0.3).abs() < 1e-4, "{point:?}");
    }
}
