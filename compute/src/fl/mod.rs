//! Federated learning rounds (`fl-round` jobs) over secure aggregation, with distributed
//! differential privacy.
//!
//! # A round
//!
//! 1. The requester publishes the global [`Model`] and the round's [`FlConfig`].
//! 2. Each contributor calls [`fl_round`] on its own [`Samples`]: it trains locally (or
//!    computes clipped per-example gradients), quantizes by stochastic rounding at scale
//!    `2^quant_bits`, adds its share of discrete Gaussian noise, and encodes the integers
//!    into `Fr`. The result goes into [`crate::secagg::contribute`] (masked vector to the
//!    aggregator, pad shares to the clerks).
//! 3. The aggregator sums masked vectors, clerks sum shares, the requester unmasks the sum
//!    ([`crate::secagg::unmask`]) and calls [`apply_aggregate`] to get the next model.
//!
//! [`run_round`] does all of that in memory (used by tests, the benchmark and devnets);
//! [`train`] runs many rounds against a privacy [`Accountant`](crate::dp::Accountant).
//!
//! # Algorithms and the unit of privacy
//!
//! - [`Algorithm::FedAvg`]: the non-private baseline. Local SGD epochs; contributor `k`
//!   sends `n_k * (w_k - w)`; the requester adds `sum / sum(n_k)` (FedAvg weighted by
//!   example counts).
//! - [`Algorithm::DpFedSgd`]: **record-level** DP (the default private algorithm). Each
//!   contributor sums its per-example gradients, each clipped to `max_grad_norm = C`, over
//!   its whole local data (full batch, no subsampling, so no amplification is claimed).
//!   Adding or removing one record anywhere changes the aggregate by at most `C`; with
//!   quantization at scale `s = 2^quant_bits` and stochastic rounding the integer
//!   aggregate's L2 sensitivity is at most `s C + sqrt(d)` (couple the rounding of
//!   neighbouring inputs on the same uniforms: each coordinate moves by less than one
//!   more unit). The aggregate carries discrete Gaussian noise of standard deviation
//!   `noise_multiplier * (s C + sqrt(d))`, so one round is `rho = 1 / (2 z^2)`-zCDP, and
//!   rounds compose in zCDP. The requester steps `w -= lr * sum / sum(n_k)`.
//! - [`Algorithm::ContributorDpFedAvg`]: **contributor-level** DP (DP-FedAvg, McMahan et
//!   al. 2018): local epochs, each contributor's model delta clipped to `C`, uniform
//!   average over contributors. Meaningful only with many contributors: with ten, the
//!   noise needed at epsilon 3 swamps the signal.
//!
//! Each update carries its example count as one more coordinate, summed under the same
//! masks: exact for FedAvg; for private rounds weighted by [`COUNT_WEIGHT`] `2^quant_bits
//! C` and noised with the rest (the sensitivity counts it), so the requester learns only
//! a noisy total, which weights FedAvg and normalises DP-FedSGD's step.
//!
//! With `sample_rate < 1` each contributor takes part in a round by its own secret coin
//! and otherwise answers a zero update with its noise share; the round is accounted as a
//! Poisson-subsampled Gaussian (Rényi DP with amplification).
//!
//! # Distributed noise
//!
//! Each of the `contributors` adds independent discrete Gaussian noise of variance
//! `sigma^2 / n` ([`crate::dp::DiscreteGaussian`], exact, seeded by the caller's RNG). The
//! sum of `n` discrete Gaussians is not exactly a discrete Gaussian, but Kairouz, Liu and
//! Steinke (ICML 2021, "The Distributed Discrete Gaussian Mechanism", Thm. 1) bound the
//! extra divergence by a term in `exp(-2 pi^2 sigma_share^2 / 2)`; we require
//! `sigma_share >= 8`, where that term is below `1e-270` and vanishes in `f64`. If
//! contributors drop out, the requester accounts the noise actually present (`m` shares:
//! standard deviation `sigma_share * sqrt(m)`). Noise shares assume honest-but-curious
//! contributors: `k` colluding contributors who reveal their own noise leave the others
//! protected only by the remaining `n - k` shares.

pub mod data;
pub mod model;
pub mod quantize;
pub mod round;
pub mod training;

pub use data::{
    Samples, Split, digits_columns, digits_samples, label_skew, read_csv, split, stratified_split,
    write_csv,
};
pub use model::Model;
pub use round::{
    LocalUpdate, RoundReport, TrainReport, apply_aggregate, fl_round, local_integers, run_round,
    train,
};

use crate::dp::DpError;
use serde::{Deserialize, Serialize};

/// Errors from federated rounds.
#[derive(Debug, thiserror::Error)]
pub enum FlError {
    /// The round configuration is invalid.
    #[error("invalid federated-learning config: {0}")]
    Config(String),
    /// A data file is missing or malformed.
    #[error("training data: {0}")]
    Data(String),
    /// A model file is malformed.
    #[error("model file: {0}")]
    ModelFile(String),
    /// Model, data or aggregate shapes disagree.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A value does not fit the quantization range.
    #[error("quantization range: {0}")]
    Range(String),
    /// Encoding or secure aggregation failed.
    #[error(transparent)]
    Compute(#[from] crate::Error),
    /// Noise sampling or privacy accounting failed (including a refused round).
    #[error(transparent)]
    Dp(#[from] DpError),
}

/// What a round computes and how it is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    /// Non-private FedAvg weighted by example counts.
    FedAvg,
    /// Record-level DP-FedSGD: sums of per-example clipped gradients, noised in aggregate.
    DpFedSgd,
    /// Contributor-level DP-FedAvg: clipped local model deltas, uniform average, noised in
    /// aggregate.
    ContributorDpFedAvg,
}

/// The configuration of a round, published by the requester with the global model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlConfig {
    /// Algorithm.
    pub algorithm: Algorithm,
    /// Learning rate: local SGD for the FedAvg variants, the requester's step for
    /// DP-FedSGD.
    pub lr: f64,
    /// Local epochs (FedAvg variants).
    pub local_epochs: usize,
    /// Local minibatch size (FedAvg variants).
    pub batch_size: usize,
    /// L2 clipping bound `C`: per example (DP-FedSGD) or per contributor delta
    /// (contributor-level DP).
    pub max_grad_norm: f64,
    /// Aggregate noise standard deviation divided by the quantized sensitivity.
    pub noise_multiplier: f64,
    /// Number of contributors sharing the noise.
    pub contributors: usize,
    /// Quantization scale `2^quant_bits`.
    pub quant_bits: u32,
    /// Requester-side momentum on the aggregated step (0 = plain; post-processing, free
    /// in privacy).
    pub server_momentum: f64,
    /// The probability that a contributor takes part in a round, decided by its own
    /// secret coin (Poisson sampling). One that sits a round out still answers, with a zero
    /// update and count under its noise share: under secure aggregation nobody learns who
    /// took part, which is what amplification by sampling needs.
    #[serde(default = "every_round")]
    pub sample_rate: f64,
}

fn every_round() -> f64 {
    1.0
}

/// Weight of the example count in a private update, as a fraction of the clipped
/// update's scale `2^quant_bits C`: one record moves the count coordinate by this much,
/// so the count is released under the same noise (std `noise / weight` examples) for a
/// few percent more sensitivity.
pub const COUNT_WEIGHT: f64 = 0.25;

impl Default for FlConfig {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::FedAvg,
            lr: 0.1,
            local_epochs: 1,
            batch_size: 16,
            max_grad_norm: 1.0,
            noise_multiplier: 0.0,
            contributors: 10,
            quant_bits: 16,
            server_momentum: 0.0,
            sample_rate: 1.0,
        }
    }
}

/// Smallest noise share standard deviation for which the distributed discrete Gaussian is
/// accounted as a Gaussian (see the module docs).
pub const MIN_SHARE_STD: f64 = 8.0;

impl FlConfig {
    /// Whether rounds are differentially private.
    pub fn is_private(&self) -> bool {
        self.algorithm != Algorithm::FedAvg
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), FlError> {
        let bad = |m: String| Err(FlError::Config(m));
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr must be positive (e.g. 0.1), got {}", self.lr));
        }
        if self.contributors == 0 {
            return bad("contributors must be at least 1".into());
        }
        if self.quant_bits > 40 {
            return bad(format!(
                "quant_bits {} leaves no headroom in 52-bit integers; use at most 40",
                self.quant_bits
            ));
        }
        if !(self.sample_rate > 0.0 && self.sample_rate <= 1.0) {
            return bad(format!(
                "sample_rate must be in (0, 1], got {}",
                self.sample_rate
            ));
        }
        if !(0.0..1.0).contains(&self.server_momentum) {
            return bad(format!(
                "server_momentum must be in [0, 1), got {}",
                self.server_momentum
            ));
        }
        if self.algorithm != Algorithm::DpFedSgd && (self.local_epochs == 0 || self.batch_size == 0)
        {
            return bad("local_epochs and batch_size must be at least 1".into());
        }
        if self.is_private() {
            if !(self.max_grad_norm.is_finite() && self.max_grad_norm > 0.0) {
                return bad(format!(
                    "max_grad_norm must be positive for DP, got {}",
                    self.max_grad_norm
                ));
            }
            if !(self.noise_multiplier.is_finite() && self.noise_multiplier > 0.0) {
                return bad(format!(
                    "noise_multiplier must be positive for DP, got {}; pick it with \
                     dp::noise_multiplier_for",
                    self.noise_multiplier
                ));
            }
        }
        Ok(())
    }

    /// Quantized units per example in the count coordinate: `COUNT_WEIGHT 2^quant_bits C`
    /// for a private round (per record for DP-FedSGD, per taking part for contributor-level
    /// DP), 1 (the exact count) for FedAvg.
    pub fn count_weight(&self) -> f64 {
        if self.is_private() {
            COUNT_WEIGHT * f64::from(self.quant_bits).exp2() * self.max_grad_norm
        } else {
            1.0
        }
    }

    /// L2 sensitivity, in quantized units, of the integer aggregate (`dims` parameters and
    /// the count) to one unit of privacy (a record for DP-FedSGD, a contributor for
    /// contributor-level DP): `sqrt((2^quant_bits C + sqrt(dims + 1))^2 + w^2)`, the clipped
    /// update and every coordinate's rounding, and the count's weight `w`.
    pub fn sensitivity(&self, dims: usize) -> f64 {
        let update =
            f64::from(self.quant_bits).exp2() * self.max_grad_norm + ((dims + 1) as f64).sqrt();
        let w = self.count_weight();
        (update * update + w * w).sqrt()
    }

    /// Standard deviation of the aggregate noise, in quantized units (0 when not private).
    pub fn aggregate_noise_std(&self, dims: usize) -> f64 {
        if self.is_private() {
            self.noise_multiplier * self.sensitivity(dims)
        } else {
            0.0
        }
    }

    /// Standard deviation of one contributor's noise share, in quantized units.
    pub fn noise_share_std(&self, dims: usize) -> f64 {
        self.aggregate_noise_std(dims) / (self.contributors as f64).sqrt()
    }

    /// The privacy charge of a round whose aggregate holds `present` noise shares, or `None`
    /// for a non-private round (a subsampled Gaussian when contributors sample themselves).
    pub fn round_charge(&self, dims: usize, present: usize) -> Option<crate::dp::Charge> {
        self.is_private().then(|| {
            crate::dp::Charge::sampled(
                self.sensitivity(dims),
                self.noise_share_std(dims) * (present as f64).sqrt(),
                self.sample_rate,
            )
        })
    }
}

#[cfg(test)]
mod tests;
