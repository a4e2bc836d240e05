//! Round-level tests: secure aggregation, FedAvg weighting, accuracy, DP budget.

use super::*;
use crate::{
    dp::{Accountant, DpError, PrivacyBudget, noise_multiplier_for},
    secagg::Committee,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const COMMITTEE: Committee = Committee::plain(3, 2);

/// Digits, stratified 80/20 split (seed 42), training rows dealt IID to 10 contributors.
fn setup(parties: usize) -> (Vec<Samples>, Samples) {
    let (data, classes) = digits_samples();
    let (train, test) =
        stratified_split(&data, classes, 0.2, &mut ChaCha20Rng::seed_from_u64(42)).expect("split");
    let parts = split(
        &train,
        parties,
        Split::Iid,
        &mut ChaCha20Rng::seed_from_u64(43),
    )
    .expect("deal");
    (parts, test)
}

fn dp_config(z: f64) -> FlConfig {
    FlConfig {
        algorithm: Algorithm::DpFedSgd,
        lr: 2.0,
        max_grad_norm: 1.0,
        noise_multiplier: z,
        contributors: 10,
        quant_bits: 16,
        server_momentum: 0.5,
        ..FlConfig::default()
    }
}

#[test]
fn secure_aggregation_gives_exactly_the_plaintext_sum_of_quantized_updates() {
    let (parts, _) = setup(10);
    let model = Model::new(&[64, 32, 10], &mut ChaCha20Rng::seed_from_u64(1)).expect("model");
    let cfg = dp_config(1.0);
    let ints: Vec<Vec<i64>> = parts
        .iter()
        .enumerate()
        .map(|(k, p)| {
            local_integers(
                &model,
                p,
                &cfg,
                &mut ChaCha20Rng::seed_from_u64(100 + k as u64),
            )
            .expect("local")
        })
        .collect();
    // The parameters, then the (weighted, noised) example count.
    let plain: Vec<i64> = (0..=model.params.len())
        .map(|j| ints.iter().map(|v| v[j]).sum())
        .collect();
    // fl_round with the same seeds encodes the same integers.
    let encoded: Vec<Vec<crate::Fr>> = parts
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let u = fl_round(
                &model,
                p,
                &cfg,
                &mut ChaCha20Rng::seed_from_u64(100 + k as u64),
            )
            .expect("round");
            assert_eq!(u.examples, p.len() as u64);
            u.encoded
        })
        .collect();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let via_secagg =
        crate::secagg::aggregate_with_dropouts(&encoded, COMMITTEE, &[], &[1], &mut rng)
            .expect("secagg");
    assert_eq!(via_secagg, quantize::encode(&plain).expect("encode"));
    // Masked vectors are not the values.
    let c = crate::secagg::contribute(&encoded[0], COMMITTEE, &mut rng).expect("mask");
    assert!(c.masked.iter().zip(&encoded[0]).all(|(m, v)| m != v));
}

#[test]
fn fedavg_weights_local_models_by_example_counts() {
    let (parts, _) = setup(10);
    // Two contributors of very different sizes.
    let small = parts[0].select(&(0..15).collect::<Vec<_>>());
    let big = parts[1].clone();
    let (ns, nb) = (small.len() as f64, big.len() as f64);
    let global = Model::new(&[64, 10], &mut ChaCha20Rng::seed_from_u64(2)).expect("model");
    let cfg = FlConfig {
        algorithm: Algorithm::FedAvg,
        lr: 0.2,
        local_epochs: 2,
        batch_size: 8,
        contributors: 2,
        quant_bits: 24,
        ..FlConfig::default()
    };
    let local = |d: &Samples, seed| {
        training::local_sgd(
            &global,
            d,
            cfg.lr,
            cfg.local_epochs,
            cfg.batch_size,
            &mut ChaCha20Rng::seed_from_u64(seed),
        )
    };
    let (ls, lb) = (local(&small, 7), local(&big, 8));
    let us = fl_round(&global, &small, &cfg, &mut ChaCha20Rng::seed_from_u64(7)).expect("s");
    let ub = fl_round(&global, &big, &cfg, &mut ChaCha20Rng::seed_from_u64(8)).expect("b");
    let agg = crate::secagg::aggregate_with_dropouts(
        &[us.encoded, ub.encoded],
        COMMITTEE,
        &[],
        &[],
        &mut ChaCha20Rng::seed_from_u64(9),
    )
    .expect("secagg");
    let (next, count) = apply_aggregate(&global, &agg, &cfg, &mut Vec::new()).expect("apply");
    // Non-private: the count rides along exactly.
    assert_eq!(count, (us.examples + ub.examples) as f64);
    let mut worst_weighted: f64 = 0.0;
    let mut dist_uniform = 0.0;
    for j in 0..global.params.len() {
        let weighted = (ns * ls.params[j] + nb * lb.params[j]) / (ns + nb);
        let uniform = 0.5 * (ls.params[j] + lb.params[j]);
        worst_weighted = worst_weighted.max((next.params[j] - weighted).abs());
        dist_uniform += (next.params[j] - uniform).powi(2);
    }
    // Quantization at 2^-24 of n_k-scaled deltas: error below (n_s + n_b) 2^-24 / N.
    assert!(
        worst_weighted < 1e-6,
        "off the weighted mean by {worst_weighted}"
    );
    assert!(
        dist_uniform.sqrt() > 1e-2,
        "indistinguishable from the uniform mean"
    );
    // Swapping the sizes changes the result (the weights are the counts).
    let agg2 = crate::secagg::aggregate_with_dropouts(
        &[
            fl_round(&global, &small, &cfg, &mut ChaCha20Rng::seed_from_u64(7))
                .expect("s")
                .encoded,
        ],
        COMMITTEE,
        &[],
        &[],
        &mut ChaCha20Rng::seed_from_u64(9),
    )
    .expect("secagg");
    let (alone, _) = apply_aggregate(&global, &agg2, &cfg, &mut Vec::new()).expect("apply");
    assert!(
        alone
            .params
            .iter()
            .zip(&ls.params)
            .all(|(a, b)| (a - b).abs() < 1e-6)
    );
}

#[test]
fn nonprivate_fedavg_on_digits_reaches_reference_accuracy() {
    let (parts, test) = setup(10);
    let cfg = FlConfig {
        algorithm: Algorithm::FedAvg,
        lr: 0.3,
        local_epochs: 2,
        batch_size: 16,
        contributors: 10,
        ..FlConfig::default()
    };
    let run = |layers: &[usize], rounds| {
        let init = Model::new(layers, &mut ChaCha20Rng::seed_from_u64(44)).expect("model");
        let r = train(
            init,
            &parts,
            &test,
            &cfg,
            rounds,
            COMMITTEE,
            None,
            &mut ChaCha20Rng::seed_from_u64(45),
        )
        .expect("train");
        assert!(r.spent.is_none());
        r.accuracy.last().copied().unwrap_or(0.0)
    };
    let mlp = run(&[64, 32, 10], 20);
    let softmax = run(&[64, 10], 20);
    eprintln!("fedavg accuracy: mlp {mlp:.4}, softmax {softmax:.4}");
    assert!(mlp >= 0.96, "mlp accuracy {mlp}");
    assert!(softmax >= 0.94, "softmax accuracy {softmax}");
}

#[test]
fn dp_fedsgd_at_epsilon_3_learns_and_never_exceeds_its_budget() {
    let (parts, test) = setup(10);
    let budget = PrivacyBudget {
        epsilon: 3.0,
        delta: 1e-5,
    };
    let rounds = 40;
    let z = noise_multiplier_for(budget, rounds).expect("z");
    let cfg = dp_config(z);
    let mut acc = Accountant::new(budget).expect("budget");
    let init = Model::new(&[64, 32, 10], &mut ChaCha20Rng::seed_from_u64(44)).expect("model");
    let mut rng = ChaCha20Rng::seed_from_u64(46);
    let r = train(
        init,
        &parts,
        &test,
        &cfg,
        rounds,
        COMMITTEE,
        Some(&mut acc),
        &mut rng,
    )
    .expect("train");
    let accuracy = r.accuracy.last().copied().unwrap_or(0.0);
    let spent = acc.spent().expect("spent");
    eprintln!(
        "dp accuracy {accuracy:.4}, z {z:.3}, epsilon {:.4}",
        spent.epsilon
    );
    assert!(accuracy >= 0.85, "DP accuracy {accuracy}");
    assert!(
        spent.epsilon <= 3.0 && spent.epsilon > 2.9,
        "spent {spent:?}"
    );
    assert_eq!(acc.charges().len(), rounds);
    // One more round does not fit: refused, nothing charged, model untouched.
    let before = acc.clone();
    let err = run_round(
        &r.model,
        &mut Vec::new(),
        &parts,
        &cfg,
        COMMITTEE,
        Some(&mut acc),
        &mut rng,
    )
    .expect_err("over budget");
    assert!(
        matches!(err, FlError::Dp(DpError::BudgetExceeded { .. })),
        "{err}"
    );
    assert_eq!(acc, before);
}

#[test]
fn private_rounds_need_an_accountant_and_enough_noise() {
    let (parts, _) = setup(10);
    let model = Model::new(&[64, 10], &mut ChaCha20Rng::seed_from_u64(1)).expect("model");
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let cfg = dp_config(1.0);
    let err = run_round(
        &model,
        &mut Vec::new(),
        &parts,
        &cfg,
        COMMITTEE,
        None,
        &mut rng,
    )
    .expect_err("no accountant");
    assert!(err.to_string().contains("accountant"));
    let tiny = FlConfig {
        quant_bits: 0,
        noise_multiplier: 0.1,
        ..cfg
    };
    let err = fl_round(&model, &parts[0], &tiny, &mut rng).expect_err("too little noise");
    assert!(err.to_string().contains("raise quant_bits"), "{err}");
    // The round config travels with the job: it is serde-serialisable.
    fn assert_serde<T: serde::Serialize + for<'de> serde::Deserialize<'de>>(_: &T) {}
    assert_serde(&cfg);
}

#[test]
fn one_record_moves_the_integer_update_by_at_most_the_accounted_sensitivity() {
    // Same seed: the rounding uniforms and the noise are coupled, as in the proof.
    let (parts, _) = setup(10);
    let model = Model::new(&[64, 32, 10], &mut ChaCha20Rng::seed_from_u64(3)).expect("model");
    let cfg = FlConfig {
        quant_bits: 10,
        ..dp_config(1.0)
    };
    let full = &parts[0];
    let without = full.select(&(1..full.len()).collect::<Vec<_>>());
    let a = local_integers(&model, full, &cfg, &mut ChaCha20Rng::seed_from_u64(8)).expect("a");
    let b = local_integers(&model, &without, &cfg, &mut ChaCha20Rng::seed_from_u64(8)).expect("b");
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let bound = cfg.sensitivity(model.params.len());
    assert!(diff > 0.0 && diff <= bound, "moved {diff}, bound {bound}");
    // The clipped-gradient part alone is at most 2^10 C.
    assert!(diff > 0.5 * 1024.0, "{diff}");
}

#[test]
fn dropped_contributors_are_accounted_with_the_noise_actually_present() {
    let cfg = dp_config(2.0);
    let dims = 2410;
    let rho = |present| {
        cfg.round_charge(dims, present)
            .expect("private")
            .rho()
            .expect("rho")
    };
    assert!((rho(10) - 1.0 / (2.0 * 4.0)).abs() < 1e-9);
    assert!((rho(8) - rho(10) * 10.0 / 8.0).abs() < 1e-9);
    assert!(
        FlConfig {
            algorithm: Algorithm::FedAvg,
            ..cfg
        }
        .round_charge(dims, 10)
        .is_none()
    );
}

#[test]
fn contributor_level_dp_fedavg_runs_through_secure_aggregation_and_is_charged() {
    let (parts, test) = setup(10);
    let cfg = FlConfig {
        algorithm: Algorithm::ContributorDpFedAvg,
        lr: 0.3,
        local_epochs: 1,
        batch_size: 16,
        max_grad_norm: 2.0,
        noise_multiplier: 0.5,
        contributors: 10,
        quant_bits: 16,
        server_momentum: 0.0,
        sample_rate: 1.0,
    };
    let mut acc = Accountant::new(PrivacyBudget {
        epsilon: 50.0,
        delta: 1e-5,
    })
    .expect("budget");
    let init = Model::new(&[64, 10], &mut ChaCha20Rng::seed_from_u64(4)).expect("model");
    let before = init.accuracy(&test.x, &test.y);
    let r = train(
        init,
        &parts,
        &test,
        &cfg,
        5,
        COMMITTEE,
        Some(&mut acc),
        &mut ChaCha20Rng::seed_from_u64(6),
    )
    .expect("train");
    // Unit = contributor, z = 0.5: each round is rho = 2, so five rounds are rho = 10.
    let spent = acc.spent().expect("spent");
    assert!((spent.rho - 10.0).abs() < 1e-6, "{spent:?}");
    let after = r.accuracy.last().copied().unwrap_or(0.0);
    assert!(after > before + 0.3, "{before} -> {after}");
}

#[test]
fn private_counts_are_noised_and_contributors_sample_themselves_in_secret() {
    let (parts, _) = setup(10);
    let model = Model::new(&[64, 10], &mut ChaCha20Rng::seed_from_u64(1)).expect("model");
    let n = model.params.len();
    // Every owner takes part: the count comes back with the noise, within 6 sigma.
    let cfg = dp_config(1.0);
    let encoded: Vec<Vec<crate::Fr>> = parts
        .iter()
        .enumerate()
        .map(|(k, p)| {
            fl_round(&model, p, &cfg, &mut ChaCha20Rng::seed_from_u64(k as u64))
                .expect("round")
                .encoded
        })
        .collect();
    let agg = crate::secagg::aggregate_with_dropouts(
        &encoded,
        COMMITTEE,
        &[],
        &[],
        &mut ChaCha20Rng::seed_from_u64(3),
    )
    .expect("secagg");
    let (_, count) = apply_aggregate(&model, &agg, &cfg, &mut Vec::new()).expect("apply");
    let total: usize = parts.iter().map(Samples::len).sum();
    let sigma = cfg.aggregate_noise_std(n) / cfg.count_weight();
    assert!(sigma > 1.0, "the count is noised: sigma {sigma}");
    assert!(
        (count - total as f64).abs() < 6.0 * sigma && count != total as f64,
        "{count} vs {total} (sigma {sigma})"
    );
    // At rate 1/2 an owner's own coin decides; one that sits out sends its noise share
    // alone (its count coordinate is noise around 0, not around n w).
    let sampled = FlConfig {
        sample_rate: 0.5,
        ..cfg
    };
    let share = sampled.noise_share_std(n);
    let took_part = (0..40u64)
        .filter(|s| {
            let ints = local_integers(
                &model,
                &parts[0],
                &sampled,
                &mut ChaCha20Rng::seed_from_u64(*s),
            )
            .expect("local");
            let c = ints[n] as f64;
            assert!(
                c.abs() < 8.0 * share
                    || (c - parts[0].len() as f64 * sampled.count_weight()).abs() < 8.0 * share
            );
            c.abs() >= 8.0 * share
        })
        .count();
    assert!((10..=30).contains(&took_part), "{took_part} of 40");
    // Its rounds are charged as subsampled Gaussians.
    assert!(matches!(
        sampled.round_charge(n, 10),
        Some(crate::dp::Charge::SampledGaussian { rate, .. }) if rate == 0.5
    ));
}
