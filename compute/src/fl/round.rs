//! The two sides of an `fl-round` job ([`fl_round`] for a contributor, [`apply_aggregate`]
//! for the requester), an in-memory round through secure aggregation ([`run_round`]) and a
//! training loop over rounds ([`train`]).

use super::{
    Algorithm, FlConfig, FlError, MIN_SHARE_STD,
    data::Samples,
    model::Model,
    quantize,
    training::{clip, clipped_gradient_sum, local_sgd},
};
use crate::{
    Fr,
    dp::{Accountant, DiscreteGaussian, Spent},
    secagg::{self, Committee},
};
use rand::{Rng, RngCore};
use std::time::Instant;

/// A contributor's output for one round: the vector to feed into secure aggregation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalUpdate {
    /// Quantized, noised update encoded in `Fr`.
    pub encoded: Vec<Fr>,
    /// Local example count (public; weights FedAvg).
    pub examples: u64,
}

/// The contributor's real-valued update before quantization.
fn local_values(
    global: &Model,
    data: &Samples,
    cfg: &FlConfig,
    rng: &mut impl RngCore,
) -> Vec<f64> {
    match cfg.algorithm {
        Algorithm::FedAvg => {
            let local = local_sgd(global, data, cfg.lr, cfg.local_epochs, cfg.batch_size, rng);
            let n = data.len() as f64;
            local
                .params
                .iter()
                .zip(&global.params)
                .map(|(a, b)| n * (a - b))
                .collect()
        }
        Algorithm::DpFedSgd => clipped_gradient_sum(global, data, cfg.max_grad_norm),
        Algorithm::ContributorDpFedAvg => {
            let local = local_sgd(global, data, cfg.lr, cfg.local_epochs, cfg.batch_size, rng);
            let mut delta: Vec<f64> = local
                .params
                .iter()
                .zip(&global.params)
                .map(|(a, b)| a - b)
                .collect();
            clip(&mut delta, cfg.max_grad_norm);
            delta
        }
    }
}

fn check_inputs(global: &Model, data: &Samples, cfg: &FlConfig) -> Result<(), FlError> {
    cfg.validate()?;
    if data.is_empty() {
        return Err(FlError::Config(
            "a contributor has no examples; leave it out of the round".into(),
        ));
    }
    global.check(data.x[0].len())?;
    if data.x.len() != data.y.len() || data.x.iter().any(|r| r.len() != global.inputs()) {
        return Err(FlError::Shape(format!(
            "local data must have one label per row and {} features in every row",
            global.inputs()
        )));
    }
    if let Some(bad) = data.y.iter().find(|y| **y >= global.classes()) {
        return Err(FlError::Shape(format!(
            "label {bad} is out of range for a model with {} classes; relabel the data or use \
             a model with more outputs",
            global.classes()
        )));
    }
    if cfg.is_private() {
        let share = cfg.noise_share_std(global.params.len());
        if share < MIN_SHARE_STD {
            return Err(FlError::Config(format!(
                "noise share std {share:.3} (quantized units) is below {MIN_SHARE_STD}; raise \
                 quant_bits so the distributed discrete Gaussian can be accounted"
            )));
        }
    }
    Ok(())
}

/// The contributor's quantized integer update including its noise share (what
/// [`fl_round`] encodes): the model's parameters, then the example count (weighted by
/// [`FlConfig::count_weight`]). A contributor whose secret coin sits the round out
/// (`sample_rate`) sends zeros under its noise share.
pub fn local_integers(
    global: &Model,
    data: &Samples,
    cfg: &FlConfig,
    rng: &mut impl RngCore,
) -> Result<Vec<i64>, FlError> {
    check_inputs(global, data, cfg)?;
    let takes_part = cfg.sample_rate >= 1.0 || rng.r#gen::<f64>() < cfg.sample_rate;
    let mut values = if takes_part {
        local_values(global, data, cfg, rng)
    } else {
        vec![0.0; global.params.len()]
    };
    let count = match (takes_part, cfg.algorithm) {
        (false, _) => 0.0,
        (true, Algorithm::ContributorDpFedAvg) => 1.0,
        (true, _) => data.len() as f64,
    };
    // The count at scale 2^quant_bits, so that it decodes with the rest.
    values.push(count * cfg.count_weight() / f64::from(cfg.quant_bits).exp2());
    let mut ints = quantize::stochastic_round(&values, cfg.quant_bits, rng)?;
    if cfg.is_private() {
        let noise = DiscreteGaussian::new(cfg.noise_share_std(global.params.len()))?;
        for v in ints.iter_mut() {
            *v += noise.sample(rng);
        }
    }
    Ok(ints)
}

/// Contributor side of `fl-round`: trains on `data` from the published `global` model and
/// returns the encoded update (quantized, clipped and noised as `cfg` says, its count
/// last) with the local example count.
pub fn fl_round(
    global: &Model,
    data: &Samples,
    cfg: &FlConfig,
    rng: &mut impl RngCore,
) -> Result<LocalUpdate, FlError> {
    let ints = local_integers(global, data, cfg, rng)?;
    Ok(LocalUpdate {
        encoded: quantize::encode(&ints)?,
        examples: data.len() as u64,
    })
}

/// Requester side of `fl-round`: decodes the unmasked `aggregate` (the parameters' sum,
/// then the count's) and returns the next model with the count it used: examples (the
/// exact total for FedAvg, a noisy one for DP-FedSGD) or, for contributor-level DP, the
/// (noisy) number of contributors that took part.
///
/// `velocity` carries requester-side momentum between rounds (pass an empty vector at the
/// start; it is left untouched when `cfg.server_momentum` is 0).
pub fn apply_aggregate(
    global: &Model,
    aggregate: &[Fr],
    cfg: &FlConfig,
    velocity: &mut Vec<f64>,
) -> Result<(Model, f64), FlError> {
    cfg.validate()?;
    let n = global.params.len();
    if aggregate.len() != n + 1 {
        return Err(FlError::Shape(format!(
            "aggregate has {} values, the model has {n} parameters and a count; the \
             contributors used a different model",
            aggregate.len(),
        )));
    }
    let mut sum = quantize::decode(aggregate, cfg.quant_bits);
    let count = sum.pop().unwrap_or(0.0) * f64::from(cfg.quant_bits).exp2() / cfg.count_weight();
    if !(count.is_finite() && count >= 0.5) {
        return Err(FlError::Config(format!(
            "the aggregate counts {count:.1} examples: too few contributions (or too much \
             noise) to update the model; wait for contributions before unmasking"
        )));
    }
    let factor = match cfg.algorithm {
        Algorithm::FedAvg => 1.0 / count,
        Algorithm::DpFedSgd => -cfg.lr / count,
        Algorithm::ContributorDpFedAvg => 1.0 / count,
    };
    let mut next = global.clone();
    if cfg.server_momentum > 0.0 {
        velocity.resize(sum.len(), 0.0);
        for ((p, v), s) in next.params.iter_mut().zip(velocity.iter_mut()).zip(&sum) {
            *v = cfg.server_momentum * *v + factor * s;
            *p += *v;
        }
    } else {
        for (p, s) in next.params.iter_mut().zip(&sum) {
            *p += factor * s;
        }
    }
    Ok((next, count))
}

/// The outcome of one in-memory round.
#[derive(Clone, Debug)]
pub struct RoundReport {
    /// The next global model.
    pub model: Model,
    /// Examples behind the aggregate.
    pub examples: u64,
    /// Privacy spent after this round (private rounds).
    pub spent: Option<Spent>,
}

/// One whole round in memory: every party in `parties` runs [`fl_round`], its update goes
/// through [`secagg::contribute`], the aggregator sums masked vectors
/// ([`crate::executor::secagg_sum`]), `committee` clerks sum pad shares, the requester charges the
/// round to `accountant` (private rounds; refused rounds change nothing and release
/// nothing), unmasks and applies the aggregate.
pub fn run_round(
    global: &Model,
    velocity: &mut Vec<f64>,
    parties: &[Samples],
    cfg: &FlConfig,
    committee: Committee,
    accountant: Option<&mut Accountant>,
    rng: &mut impl RngCore,
) -> Result<RoundReport, FlError> {
    cfg.validate()?;
    if parties.is_empty() {
        return Err(FlError::Config(
            "a round needs at least one contributor".into(),
        ));
    }
    let dims = global.params.len();
    let charge = cfg.round_charge(dims, parties.len());
    // Refuse before anyone computes anything.
    let accountant = match (charge, accountant) {
        (Some(c), Some(acc)) => {
            acc.check(c)?;
            Some(acc)
        }
        (Some(_), None) => {
            return Err(FlError::Config(
                "a private round needs a privacy accountant for the dataset".into(),
            ));
        }
        (None, acc) => acc,
    };
    let mut updates = Vec::with_capacity(parties.len());
    let mut examples = 0u64;
    for p in parties {
        let update = fl_round(global, p, cfg, rng)?;
        examples += update.examples;
        updates.push(update.encoded);
    }
    let masked = secagg::mask_and_sum(&updates, committee, &[], &[], rng)?;
    // The requester is about to see the noised aggregate: charge it now.
    let spent = match (charge, accountant) {
        (Some(c), Some(acc)) => Some(acc.charge(c)?),
        _ => None,
    };
    let plain = secagg::unmask(&masked.aggregate, &masked.clerks, committee)?;
    let (model, _) = apply_aggregate(global, &plain, cfg, velocity)?;
    Ok(RoundReport {
        model,
        examples,
        spent,
    })
}

/// The outcome of [`train`].
#[derive(Clone, Debug)]
pub struct TrainReport {
    /// Final model.
    pub model: Model,
    /// Test accuracy after each round.
    pub accuracy: Vec<f64>,
    /// Wall-clock seconds of each round.
    pub round_seconds: Vec<f64>,
    /// Privacy spent at the end (private runs).
    pub spent: Option<Spent>,
}

/// Runs `rounds` rounds of [`run_round`] from `init`, measuring accuracy on `test` after
/// each. Stops with the accountant's error if a round would exceed the budget.
#[allow(clippy::too_many_arguments)]
pub fn train(
    init: Model,
    parties: &[Samples],
    test: &Samples,
    cfg: &FlConfig,
    rounds: usize,
    committee: Committee,
    mut accountant: Option<&mut Accountant>,
    rng: &mut impl RngCore,
) -> Result<TrainReport, FlError> {
    let mut model = init;
    let mut velocity = Vec::new();
    let mut report = TrainReport {
        model: model.clone(),
        accuracy: Vec::with_capacity(rounds),
        round_seconds: Vec::with_capacity(rounds),
        spent: None,
    };
    for _ in 0..rounds {
        let t = Instant::now();
        let r = run_round(
            &model,
            &mut velocity,
            parties,
            cfg,
            committee,
            accountant.as_deref_mut(),
            rng,
        )?;
        report.round_seconds.push(t.elapsed().as_secs_f64());
        model = r.model;
        report.spent = r.spent.or(report.spent);
        report.accuracy.push(model.accuracy(&test.x, &test.y));
    }
    report.model = model;
    Ok(report)
}
