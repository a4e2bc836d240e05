//! Local computation of a contributor: minibatch SGD epochs (FedAvg), and the sum of
//! per-example gradients each clipped to an L2 norm bound (DP-FedSGD).

use super::{
    data::Samples,
    model::{Model, Workspace, l2_norm},
};
use rand::{RngCore, seq::SliceRandom};

/// Scales `v` in place so that its L2 norm is at most `max_norm`; returns the original norm.
pub fn clip(v: &mut [f64], max_norm: f64) -> f64 {
    let norm = l2_norm(v);
    if norm > max_norm && norm > 0.0 {
        let f = max_norm / norm;
        v.iter_mut().for_each(|x| *x *= f);
    }
    norm
}

/// `epochs` passes of minibatch SGD (mean gradient per batch of `batch_size`, rows shuffled
/// by `rng` each epoch) starting from `model`.
pub fn local_sgd(
    model: &Model,
    data: &Samples,
    lr: f64,
    epochs: usize,
    batch_size: usize,
    rng: &mut impl RngCore,
) -> Model {
    let mut m = model.clone();
    let mut grad = vec![0.0; m.params.len()];
    let mut ws = Workspace::default();
    let mut order: Vec<usize> = (0..data.len()).collect();
    let batch_size = batch_size.max(1);
    for _ in 0..epochs {
        order.shuffle(rng);
        for batch in order.chunks(batch_size) {
            grad.iter_mut().for_each(|g| *g = 0.0);
            let w = 1.0 / batch.len() as f64;
            for i in batch {
                m.accumulate_gradient(&data.x[*i], data.y[*i], w, &mut grad, &mut ws);
            }
            for (p, g) in m.params.iter_mut().zip(&grad) {
                *p -= lr * g;
            }
        }
    }
    m
}

/// The sum over `data` of per-example loss gradients, each clipped to L2 norm `max_norm`.
/// Adding or removing one example changes the result by at most `max_norm` in L2 norm.
pub fn clipped_gradient_sum(model: &Model, data: &Samples, max_norm: f64) -> Vec<f64> {
    let mut sum = vec![0.0; model.params.len()];
    let mut g = vec![0.0; model.params.len()];
    let mut ws = Workspace::default();
    for (x, y) in data.x.iter().zip(&data.y) {
        g.iter_mut().for_each(|v| *v = 0.0);
        model.accumulate_gradient(x, *y, 1.0, &mut g, &mut ws);
        clip(&mut g, max_norm);
        for (s, v) in sum.iter_mut().zip(&g) {
            *s += v;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fl::data::digits_samples;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn per_example_clipping_bounds_every_norm() {
        let (data, _) = digits_samples();
        let data = data.select(&(0..200).collect::<Vec<_>>());
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let model = Model::new(&[64, 32, 10], &mut rng).expect("model");
        let mut ws = Workspace::default();
        // Clip at the median per-example norm, so the bound binds for about half.
        let mut norms: Vec<f64> = data
            .x
            .iter()
            .zip(&data.y)
            .map(|(x, y)| {
                let mut g = vec![0.0; model.params.len()];
                model.accumulate_gradient(x, *y, 1.0, &mut g, &mut ws);
                l2_norm(&g)
            })
            .collect();
        norms.sort_by(f64::total_cmp);
        let c = norms[100];
        let (mut clipped, mut raw_total) = (0, 0.0);
        let mut expected = vec![0.0; model.params.len()];
        for (x, y) in data.x.iter().zip(&data.y) {
            let mut g = vec![0.0; model.params.len()];
            model.accumulate_gradient(x, *y, 1.0, &mut g, &mut ws);
            let before = clip(&mut g, c);
            raw_total += before;
            let after = l2_norm(&g);
            assert!(after <= c * (1.0 + 1e-12), "norm {after} > {c}");
            if before > c {
                clipped += 1;
                assert!((after - c).abs() < 1e-9);
            } else {
                assert!(
                    (after - before).abs() < 1e-12,
                    "small gradients are untouched"
                );
            }
            expected.iter_mut().zip(&g).for_each(|(e, v)| *e += v);
        }
        // The bound actually binds on this data, and not always.
        assert!(clipped > 0 && clipped < 200, "{clipped} clipped");
        let sum = clipped_gradient_sum(&model, &data, c);
        assert!(sum.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-9));
        assert!(l2_norm(&sum) <= 200.0 * c);
        assert!(l2_norm(&sum) < raw_total);
        // Removing one example moves the sum by at most c.
        let fewer = data.select(&(1..200).collect::<Vec<_>>());
        let diff: Vec<f64> = sum
            .iter()
            .zip(clipped_gradient_sum(&model, &fewer, c))
            .map(|(a, b)| a - b)
            .collect();
        assert!(l2_norm(&diff) <= c * (1.0 + 1e-9));
    }
}
