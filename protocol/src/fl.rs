//! Federated training jobs: what a requester asks data owners for. Before the first round
//! the requester sends each owner the job's [`TrainPlan`]; the owner checks it against its
//! policy and charges the whole job to its dataset's privacy budget (or refuses, naming
//! what remains). Each round the requester sends a [`TrainRound`] naming the global model
//! by its blake3 id (fetched with `JobRequest::FetchBlob`); the owner trains on its rows,
//! clips, quantizes, adds its share of the noise, masks with pads shared to the round's
//! clerks, and answers with the masked update, whose last element is its example count.

use crate::{B256, CommitteeDraw};
use serde::{Deserialize, Serialize};

/// Whose privacy the noise protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyUnit {
    /// One row of one owner's data (DP-FedSGD: per-example clipped gradients).
    Record,
    /// An owner's whole dataset (DP-FedAvg: each owner's clipped model delta).
    Contributor,
}

impl PrivacyUnit {
    /// Its name in specs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Record => "record",
            Self::Contributor => "contributor",
        }
    }
}

/// The differential privacy of a training job.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainPrivacy {
    /// The unit of privacy.
    pub unit: PrivacyUnit,
    /// Aggregate noise std over the quantized sensitivity, with `min_contributors` shares.
    pub noise_multiplier: f64,
    /// L2 clipping bound (per example, or per owner's update).
    pub max_grad_norm: f64,
    /// The delta every epsilon is reported at.
    pub delta: f64,
}

/// A training job, as each owner sees it before the first round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainPlan {
    /// The job (random; names it in every round and on the owner's ledger).
    pub job: B256,
    /// The owner's dataset, by the name in its config.
    pub dataset: String,
    /// Feature columns, in order.
    pub features: Vec<String>,
    /// The label column (class indices `0..classes`).
    pub label: String,
    /// Layer widths, features first, classes last.
    pub layers: Vec<usize>,
    /// Rounds.
    pub rounds: u32,
    /// Probability that an owner takes part in a round, by its own secret coin (Poisson
    /// sampling; one that sits a round out answers a zero update under its noise share, so
    /// nobody learns who took part).
    pub sample_rate: f64,
    /// Learning rate (local SGD, or the requester's step for record-level DP).
    pub lr: f64,
    /// Local epochs per round (not used by record-level DP, which sends one gradient).
    pub local_epochs: u32,
    /// Local minibatch size.
    pub batch_size: u32,
    /// Differential privacy; `None` for plain FedAvg.
    pub privacy: Option<TrainPrivacy>,
    /// Quantization scale `2^quant_bits`.
    pub quant_bits: u32,
    /// Fewest owners in a round (their noise shares make up the noise; the clerks sum no
    /// fewer).
    pub min_contributors: u32,
    /// Owners asked to join.
    pub contributors: u32,
}

/// One round of a training job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainRound {
    /// The job.
    pub job: B256,
    /// 1-based.
    pub round: u32,
    /// This round's collection at the clerks.
    pub session: B256,
    /// The global model: blake3 of its safetensors file.
    pub model: B256,
    /// The clerks, as multiaddrs ending in `/p2p/<peer id>`.
    pub clerks: Vec<String>,
    /// Clerk sums needed to unmask.
    pub threshold: u32,
    /// The clerks' draw, when drawn by stake (the owner recomputes it).
    #[serde(default)]
    pub draw: Option<CommitteeDraw>,
}
