//! The node's durable state: a redb database (`store.redb` in the data dir; every commit is
//! durable before it returns) holding the requester's jobs and their state machine. Inputs
//! are kept with the job so a restarted node resumes it exactly where it stopped: a job is
//! recorded before it is posted, its on-chain id the moment the post is mined, and its
//! outcome when it settles, so nothing is posted twice and nothing is lost.

use crate::services::requester::PostedJob;
use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::Path, sync::Arc};

/// Requester jobs by local id (big-endian u64 keys keep them in submission order).
const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("requester_jobs");
/// Worker jobs by on-chain job id (decimal).
const WORKER_JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("worker_jobs");
/// A key-committee member's key shares by session (hex).
const COMMITTEE_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("committee_keys");
/// A data owner's privacy ledgers by dataset name.
const PRIVACY: TableDefinition<&str, &[u8]> = TableDefinition::new("privacy_ledgers");
/// An oracle node's requests, by request id (decimal), and its scan position.
const ORACLE: TableDefinition<&str, &[u8]> = TableDefinition::new("oracle_tasks");
/// Key of the last block the oracle scanned (in [`ORACLE`], beside the requests).
const ORACLE_SCANNED: &str = "scanned";
/// A data owner's training jobs joined, by job id (hex).
const TRAINING: TableDefinition<&str, &[u8]> = TableDefinition::new("training_jobs");

/// A training job a data owner joined: its plan, for whom, and the rounds it answered
/// (each at most once: a second answer to a round would release a second noisy update).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingJoin {
    /// The requester's peer id.
    pub requester: String,
    /// The plan as joined.
    pub plan: arcanum_protocol::TrainPlan,
    /// Rounds answered.
    pub answered: Vec<u32>,
    /// The last answer (a requester that restarted mid-round asks the same round and
    /// session again, and gets the same bytes: nothing new is released).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<TrainingAnswer>,
}

/// Where an oracle node's work on one data-oracle request stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OracleState {
    /// Its feed's job runs as this local job.
    Running,
    /// Fulfilled by this node.
    Fulfilled,
    /// Fulfilled (or cancelled) by someone else first: this node stopped.
    Lost,
    /// Expired before it could be fulfilled (its requester may cancel it for a refund).
    Expired,
    /// Not for this node (an unknown feed, or a fee below the feed's minimum).
    Ignored,
    /// The job failed; the request will expire and be refunded.
    Failed,
}

/// An oracle node's work on one data-oracle request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleTask {
    /// The request (decimal).
    pub request_id: String,
    /// Its feed id.
    pub feed: arcanum_protocol::B256,
    /// The feed's name, when this node serves it.
    pub name: Option<String>,
    /// Unix seconds after which it may be cancelled.
    pub expires_at: u64,
    /// State.
    pub state: OracleState,
    /// The local job computing the value.
    pub local_job: Option<u64>,
    /// The value fulfilled (decimal `int256`).
    pub value: Option<String>,
    /// The settled on-chain job backing it.
    pub job_id: Option<String>,
    /// The fulfilment transaction.
    pub tx: Option<String>,
    /// Why it was ignored, lost or failed.
    pub detail: Option<String>,
}

/// An owner's answer to one round, kept to answer a repeated request identically.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingAnswer {
    /// The round.
    pub round: u32,
    /// Its session at the clerks.
    pub session: arcanum_protocol::B256,
    /// The masked update sent.
    pub masked: Vec<arcanum_protocol::U256>,
    /// The clerks that hold its pad shares.
    pub clerks: Vec<u64>,
}

/// A key-committee member's outcome of one DKG: its secret share (hex; the data dir is
/// the node's secret, like its keys), the public group key, and what it decrypted.
#[derive(Clone, Serialize, Deserialize)]
pub struct CommitteeKey {
    /// The member's index.
    pub index: u32,
    /// `KeyShare::to_secret_bytes`, hex.
    pub secret: String,
    /// The group key (JSON of `compute::elgamal::GroupKey`).
    pub group: serde_json::Value,
    /// The requester (peer id) that ran the DKG: the only one it decrypts for.
    pub requester: String,
    /// Fewest contributions it decrypts a sum of.
    pub min_set: u32,
    /// The one job whose summed inputs it decrypted, once it has.
    pub decrypted: Option<String>,
}

impl std::fmt::Debug for CommitteeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitteeKey")
            .field("index", &self.index)
            .field("secret", &"<redacted>")
            .field("requester", &self.requester)
            .field("decrypted", &self.decrypted)
            .finish()
    }
}

/// One release charged to a dataset's privacy budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivacyEntry {
    /// The collection.
    pub session: String,
    /// The requester's peer id.
    pub requester: String,
    /// The query.
    pub query: String,
    /// The release's own `(epsilon, delta)`.
    pub epsilon: f64,
    /// Its delta.
    pub delta: f64,
    /// Rounds of a training job (all charged when the owner joined it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    /// Epsilon spent on the dataset after it, at the budget's delta.
    pub spent_after: f64,
    /// Unix seconds.
    pub at: u64,
}

/// A data owner's privacy ledger for one dataset: the budget and every release charged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivacyLedger {
    /// The dataset's name.
    pub dataset: String,
    /// The budget and the charges (composed exactly for Gaussian releases).
    pub accountant: arcanum_compute::dp::Accountant,
    /// The releases, in order.
    pub entries: Vec<PrivacyEntry>,
}

/// Where a worker's job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkState {
    /// Inputs received and checked against the posted commitment; being proven.
    Accepted,
    /// Proven; the proof is kept here and (re)submitted until the chain watcher confirms
    /// the settlement.
    Proven,
    /// Settled on chain, confirmed by the chain watcher.
    Settled,
    /// Given up (no longer assigned to this worker, or refused).
    Abandoned,
}

/// A worker's job: the request with its inputs, kept until it settles, so a restarted
/// worker proves and submits it (once: the chain is checked first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkRecord {
    /// The request as received.
    pub request: arcanum_protocol::JobRequest,
    /// State.
    pub state: WorkState,
    /// The settlement transaction.
    pub tx: Option<String>,
    /// The proof, kept until the settlement is confirmed.
    #[serde(default)]
    pub proof: Option<KeptProof>,
}

/// A worker's proof of a job as submitted on chain, kept for resubmission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptProof {
    /// The output, as the requester receives it.
    pub output: Vec<arcanum_protocol::U256>,
    /// The output commitment (combined, for a chunked job).
    pub output_commitment: arcanum_protocol::U256,
    /// Per chunk: input commitments (empty for a single proof).
    pub chunk_inputs: Vec<arcanum_protocol::U256>,
    /// Per chunk: output commitments (empty for a single proof).
    pub chunk_outputs: Vec<arcanum_protocol::U256>,
    /// The proofs, EVM calldata words.
    pub proofs: Vec<[arcanum_protocol::U256; 8]>,
    /// Seconds proving took.
    pub prove_seconds: f64,
}

/// A store error, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("store {path}: {detail}; if the file is corrupt, restore the data dir from a backup")]
pub struct StoreError {
    path: String,
    detail: String,
}

/// What a requester asked for: the job as submitted through the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSubmission {
    /// Shape name, e.g. `secagg-sum-4x8`.
    pub shape: String,
    /// One vector per contributor: decimal field elements (masked values, or ciphertext
    /// coordinates for `he-linear`). Empty for a joint statistic (`stats`): the node
    /// collects the data owners' masked contributions into it before posting.
    #[serde(default)]
    pub inputs: Vec<Vec<String>>,
    /// Per-contributor weights (`he-linear`).
    #[serde(default)]
    pub weights: Vec<i64>,
    /// Per-contributor share anchors (a joint statistic over `secagg-sum`), decimal field
    /// elements; empty: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anchors: Vec<String>,
    /// Reward (the most any worker is paid), token base units, decimal.
    pub reward_wei: String,
    /// Stake the worker locks, token base units, decimal.
    pub min_stake_wei: String,
    /// Seconds each attempt has to settle.
    pub deadline_secs: u64,
    /// A joint statistic over data owners' datasets (`secagg-sum` shapes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsSpec>,
    /// A federated training job over data owners' datasets (`secagg-sum` shapes; the
    /// reward is per round).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fl: Option<FlSpec>,
}

impl JobSubmission {
    /// The share anchors as field elements.
    pub fn anchor_fields(&self) -> eyre::Result<Vec<arcanum_zk::Fr>> {
        self.anchors
            .iter()
            .map(|a| {
                let v = arcanum_protocol::U256::from_str_radix(a, 10)
                    .map_err(|e| eyre::eyre!("anchor {a:?}: {e}"))?;
                Ok(arcanum_zk::field::fr_from_u256(v)?)
            })
            .collect()
    }
}

/// A federated training job: the model, the data, the rounds, the privacy, the parties.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlSpec {
    /// The dataset, by the name in the owners' configs.
    pub dataset: String,
    /// Feature columns, in order.
    pub features: Vec<String>,
    /// The label column: class indices `0..classes`.
    pub label: String,
    /// Layer widths: `[features, classes]` is softmax regression, `[features, hidden..,
    /// classes]` an MLP with ReLU hidden layers.
    pub model: Vec<usize>,
    /// Rounds.
    pub rounds: u32,
    /// Local epochs per round (FedAvg and contributor-level DP).
    #[serde(default = "one")]
    pub local_epochs: u32,
    /// Local minibatch size.
    #[serde(default = "default_batch")]
    pub batch_size: u32,
    /// Learning rate.
    pub lr: f64,
    /// Probability that an owner takes part in a round (Poisson sampling, seeded by a
    /// block hash anyone can check); 1 = every owner every round.
    #[serde(default = "one_f64")]
    pub sample_fraction: f64,
    /// Target epsilon over the whole job (at `delta`): the noise multiplier is solved from
    /// it when `noise_multiplier` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// Delta.
    #[serde(default = "default_delta")]
    pub delta: f64,
    /// Aggregate noise std over the quantized sensitivity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_multiplier: Option<f64>,
    /// L2 clipping bound: per example (`unit = "record"`) or per owner update.
    #[serde(default = "one_f64")]
    pub max_grad_norm: f64,
    /// The unit of privacy (`record` or `contributor`); required with `epsilon` or
    /// `noise_multiplier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<arcanum_protocol::PrivacyUnit>,
    /// Quantization bits (scale `2^quant_bits`).
    #[serde(default = "default_quant_bits")]
    pub quant_bits: u32,
    /// Momentum of the requester's update across rounds, in `[0, 1)` (post-processing of
    /// the released aggregates: free in privacy).
    #[serde(default)]
    pub server_momentum: f64,
    /// The requester's held-out split (a CSV with the same columns, read by the node; a
    /// relative path is resolved against the spec file by `arcanum job submit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_csv: Option<String>,
    /// Seed of the initial model (random when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The data owners: multiaddrs ending in `/p2p/<peer id>`.
    pub contributors: Vec<String>,
    /// Fewest owners in every round (they share the noise; clerks sum no fewer).
    pub min_contributors: u32,
    /// The clerks, or the pool they are drawn from.
    pub clerks: Vec<String>,
    /// Draw this many clerks from `clerks` by stake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clerks_sampled: Option<u32>,
    /// Clerk sums needed to unmask a round.
    pub threshold: u32,
}

fn one() -> u32 {
    1
}
fn one_f64() -> f64 {
    1.0
}
fn default_batch() -> u32 {
    16
}
fn default_delta() -> f64 {
    1e-5
}
fn default_quant_bits() -> u32 {
    16
}

/// A federated training job as it runs: the owners, the clerks, the model, every round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlRun {
    /// The job's id at the owners.
    pub job: arcanum_protocol::B256,
    /// The plan the owners joined.
    pub plan: arcanum_protocol::TrainPlan,
    /// Owners that joined, as multiaddrs.
    pub joined: Vec<String>,
    /// Owners that refused to join, with their reasons.
    pub refused: Vec<String>,
    /// The clerks, in Shamir index order.
    pub clerks: Vec<String>,
    /// Clerk sums needed to unmask a round.
    pub threshold: u32,
    /// Their draw, when drawn by stake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<arcanum_protocol::CommitteeDraw>,
    /// The current global model.
    pub model: arcanum_compute::fl::Model,
    /// Requester-side momentum state.
    #[serde(default)]
    pub velocity: Vec<f64>,
    /// The privacy charges of the rounds run, with the noise actually present.
    #[serde(default)]
    pub charges: Vec<arcanum_compute::dp::Charge>,
    /// Test accuracy of the initial model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_accuracy: Option<f64>,
    /// Rounds completed.
    pub rounds: Vec<RoundRecord>,
    /// The round in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<RoundInFlight>,
}

/// A round being collected, posted or settled (kept so a restart resumes it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundInFlight {
    /// 1-based.
    pub round: u32,
    /// The collection at the clerks.
    pub session: arcanum_protocol::B256,
    /// Unix seconds it started.
    pub started_at: f64,
    /// Owners asked (sampled), as multiaddrs.
    pub asked: Vec<String>,
    /// Peer ids of the owners whose updates are the job's inputs.
    pub contributors: Vec<String>,
    /// Owners that did not contribute, with their reasons.
    pub refused: Vec<String>,
    /// The job's inputs (decimal field elements), once collected.
    pub inputs: Vec<Vec<String>>,
    /// The chain block before posting.
    pub posting_from_block: Option<u64>,
    /// The posted job.
    pub posted: Option<PostedJob>,
}

/// A round that completed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// 1-based.
    pub round: u32,
    /// The on-chain job that proved its aggregate.
    pub job_id: String,
    /// The settlement transaction.
    pub settle_tx: String,
    /// Seconds the worker proved.
    pub prove_seconds: f64,
    /// Peer ids of the owners whose updates it aggregated.
    pub contributors: Vec<String>,
    /// Owners asked that did not contribute.
    pub refused: Vec<String>,
    /// Examples behind the aggregate, summed under the masks: exact for FedAvg, noised
    /// with the update for a private job (contributor-level: the owners that took part).
    pub examples: f64,
    /// Clerks whose sums unmasked it.
    pub clerks_answered: Vec<u64>,
    /// Epsilon spent by the job after this round, at the plan's delta (private jobs).
    pub epsilon: Option<f64>,
    /// Standard deviation of the noise in the aggregate, in quantized units.
    pub noise_std: f64,
    /// Test accuracy of the model after it, on the requester's held-out split.
    pub accuracy: Option<f64>,
    /// The model after it: blake3 of its safetensors file.
    pub model_id: String,
    /// Wall seconds from its start to the updated model.
    pub seconds: f64,
}

/// A joint statistic: which owners, which of their data, which clerks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsSpec {
    /// The dataset, by the name in the owners' configs.
    pub dataset: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// The statistic.
    pub query: arcanum_protocol::Query,
    /// Bucket edges, ascending (`histogram`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
    /// Only the rows this keeps count, e.g. `{ column = "petal_length", op = "ge", value =
    /// 2.5 }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<arcanum_protocol::Filter>,
    /// Differential privacy of the release (`count`, `histogram`): the owners add noise
    /// calibrated to it, enough when `min_contributors` contribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<arcanum_protocol::Dp>,
    /// Fixed-point fractional bits.
    #[serde(default = "default_scale_bits")]
    pub scale_bits: u32,
    /// The data owners: multiaddrs ending in `/p2p/<peer id>` (may be empty with
    /// `enroll_secs`).
    #[serde(default)]
    pub contributors: Vec<String>,
    /// An open call: gossip a call for contributions and take the owners (whose policy
    /// answers it) that enrol within this many seconds, up to the shape's room, besides
    /// those listed; fewer than `min_contributors` and nothing is posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enroll_secs: Option<u64>,
    /// Fewest owners that must contribute, or nothing is posted.
    pub min_contributors: u32,
    /// The clerks (for an `he-linear` shape, the key committee; `committee` is accepted
    /// too): multiaddrs ending in `/p2p/<peer id>`; with `clerks_sampled`, the pool they
    /// are drawn from.
    #[serde(alias = "committee")]
    pub clerks: Vec<String>,
    /// Draw this many clerks from `clerks`, weighted by their stake at the current block,
    /// seeded by its hash and the collection's session (anyone can recompute it:
    /// `arcanum job committee N`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "committee_sampled"
    )]
    pub clerks_sampled: Option<u32>,
    /// Clerk sums needed to remove the pads, or decryption shares needed (2..=clerks).
    pub threshold: u32,
    /// Ask the clerks to prove their sums against the owners' share anchors, so that the
    /// result can back a data-oracle value (the oracle role sets it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prove_clerks: bool,
    /// The data-oracle request this statistic answers (the oracle role sets it): the
    /// owners sign their anchors for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle_request: Option<arcanum_protocol::U256>,
    /// The data-oracle feed's statistic, packed (the oracle role sets it): an he-linear
    /// key committee proves its shares of the two sums it reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle_statistic: Option<u64>,
}

fn default_scale_bits() -> u32 {
    16
}

/// A clerk's sum of a collection's shares with its proof (for a data-oracle value), or a
/// key-committee member's decryption shares of the two sums a feed's statistic reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProvenClerkSum {
    /// The clerk's Shamir index (the member's index).
    pub index: u64,
    /// Its sum (the member's shares `[D_num.x, D_num.y, D_den.x, D_den.y]`).
    pub sum: Vec<arcanum_protocol::U256>,
    /// Its commitment and proof.
    pub proof: arcanum_protocol::ClerkSumProof,
}

/// A joint statistic as it ran: the collection and, once unmasked, the result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatsRun {
    /// The collection's id at the clerks.
    pub session: arcanum_protocol::B256,
    /// The owners asked (listed, and enrolled in an open call), as multiaddrs.
    #[serde(default)]
    pub asked: Vec<String>,
    /// Peer ids of the owners that contributed (their vectors are the job's first inputs).
    pub contributors: Vec<String>,
    /// Owners asked that did not contribute, with their reasons.
    pub refused: Vec<String>,
    /// Length of one contribution vector.
    pub len: usize,
    /// The clerks used, in Shamir index order.
    #[serde(default)]
    pub clerks: Vec<String>,
    /// Their draw, when they were drawn from a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draw: Option<arcanum_protocol::CommitteeDraw>,
    /// Shamir indices of the clerks whose sums unmasked the total.
    pub clerks_answered: Vec<u64>,
    /// Owners that checked their contribution is inside the posted input commitment.
    #[serde(default)]
    pub included_confirmed: Vec<String>,
    /// The released statistics.
    pub statistics: Option<arcanum_compute::stats::Statistics>,
    /// Standard deviation, in rows, of the noise in each released value (with `dp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_std: Option<f64>,
    /// For an `he-linear` job: the key committee's DKG transcript (the group key follows
    /// from it; `clerks` are the members and `clerks_answered` those whose decryption
    /// shares were combined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<arcanum_protocol::KeyTranscript>,
    /// Wall time of the DKG over the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dkg_seconds: Option<f64>,
    /// The owners' share anchors, in the job's input order (empty: not anchored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anchors: Vec<arcanum_protocol::U256>,
    /// The owners' signatures of their anchors for the data-oracle request (empty bytes:
    /// none), in the same order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anchor_signatures: Vec<alloy::primitives::Bytes>,
    /// The query tag the owners anchored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_tag: Option<arcanum_protocol::U256>,
    /// The clerks' proven sums (with `prove_clerks`), or the key committee's proven
    /// decryption shares (he-linear, with `oracle_statistic`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proven_clerks: Vec<ProvenClerkSum>,
    /// The threshold decryption of the proven total (he-linear), before decoding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decrypted: Vec<i64>,
    /// Each contributor's proof that it knows its ciphertexts' randomness (he-linear; in
    /// contributor order), sent to the committee with the decryption request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<String>,
}

/// Where a requester job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Recorded; not yet posted.
    Submitted,
    /// Posted on chain; being placed and followed.
    Posted,
    /// Proven, settled, and checked against its inputs.
    Settled,
    /// Gave up (with the reason in `error`); the escrow was refunded when it could be.
    Failed,
    /// Cancelled by its requester before assignment; the escrow was refunded.
    Cancelled,
}

/// A requester job and everything known about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Local id.
    pub id: u64,
    /// State.
    pub state: JobState,
    /// What was asked.
    pub submission: JobSubmission,
    /// The posted job, once mined.
    pub posted: Option<PostedJob>,
    /// The chain block before posting: a restart in `Submitted` looks for its post from
    /// here before posting again.
    pub posting_from_block: Option<u64>,
    /// The settled outcome.
    pub outcome: Option<JobSummary>,
    /// A joint statistic's collection and result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsRun>,
    /// A training job's rounds and model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fl: Option<FlRun>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The settled outcome of a job, as the API reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    /// On-chain job id.
    pub job_id: String,
    /// The worker paid.
    pub worker: String,
    /// Its libp2p peer id (empty when recovered from the chain).
    #[serde(default)]
    pub worker_peer: String,
    /// Its ask (what it was paid), base units.
    pub ask_wei: String,
    /// The output, decimal field elements.
    pub output: Vec<String>,
    /// The proven output commitment.
    pub output_commitment: String,
    /// The settlement transaction.
    pub settle_tx: String,
    /// Failed attempts before this one.
    pub failed_attempts: Vec<String>,
    /// Seconds the worker reported proving (0 when recovered from the chain).
    #[serde(default)]
    pub prove_seconds: f64,
    /// The worker's proofs in EVM calldata order, decimal words (empty when recovered
    /// from the chain).
    #[serde(default)]
    pub proofs: Vec<Vec<String>>,
    /// Gas of the assignment transaction.
    #[serde(default)]
    pub assign_gas: u64,
    /// Seconds from posting to assignment.
    #[serde(default)]
    pub bid_to_assignment_seconds: f64,
    /// Offers heard when placing.
    #[serde(default)]
    pub offers_seen: usize,
    /// Signed bids received.
    #[serde(default)]
    pub bids_seen: usize,
    /// The posted input commitment.
    #[serde(default)]
    pub input_commitment: String,
}

/// The node's store (cheap to clone).
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Arc<Database>,
    path: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) `store.redb` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join("store.redb");
        let shown = path.display().to_string();
        let db = Database::create(&path).map_err(|e| StoreError {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        let store = Self {
            db: Arc::new(db),
            path: shown,
        };
        // Create the tables so that readers never meet a missing table.
        let tx = store.db.begin_write().map_err(|e| store.err(e))?;
        tx.open_table(JOBS).map_err(|e| store.err(e))?;
        tx.open_table(WORKER_JOBS).map_err(|e| store.err(e))?;
        tx.open_table(COMMITTEE_KEYS).map_err(|e| store.err(e))?;
        tx.open_table(PRIVACY).map_err(|e| store.err(e))?;
        tx.open_table(TRAINING).map_err(|e| store.err(e))?;
        tx.open_table(ORACLE).map_err(|e| store.err(e))?;
        store.create_ledger_tables(&tx)?;
        tx.commit().map_err(|e| store.err(e))?;
        Ok(store)
    }

    pub(crate) fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.path.clone(),
            detail: e.to_string(),
        }
    }

    /// Records a new job; returns it with its id.
    pub fn insert_job(&self, submission: JobSubmission) -> Result<JobRecord, StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        let record = {
            let mut table = tx.open_table(JOBS).map_err(|e| self.err(e))?;
            let id = table
                .last()
                .map_err(|e| self.err(e))?
                .map_or(1, |(k, _)| k.value() + 1);
            let record = JobRecord {
                id,
                state: JobState::Submitted,
                submission,
                posted: None,
                posting_from_block: None,
                outcome: None,
                stats: None,
                fl: None,
                error: None,
            };
            let bytes = serde_json::to_vec(&record).map_err(|e| self.err(e))?;
            table
                .insert(id, bytes.as_slice())
                .map_err(|e| self.err(e))?;
            record
        };
        tx.commit().map_err(|e| self.err(e))?;
        Ok(record)
    }

    /// Replaces a job's record (durably).
    pub fn put_job(&self, record: &JobRecord) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(JOBS).map_err(|e| self.err(e))?;
            let bytes = serde_json::to_vec(record).map_err(|e| self.err(e))?;
            table
                .insert(record.id, bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Keeps a dataset's privacy ledger (durably).
    pub fn put_privacy_ledger(&self, ledger: &PrivacyLedger) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(PRIVACY).map_err(|e| self.err(e))?;
            let bytes = serde_json::to_vec(ledger).map_err(|e| self.err(e))?;
            table
                .insert(ledger.dataset.as_str(), bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Every dataset's privacy ledger, by name.
    pub fn privacy_ledgers(&self) -> Result<Vec<PrivacyLedger>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(PRIVACY).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in table.iter().map_err(|e| self.err(e))? {
            let (_, v) = row.map_err(|e| self.err(e))?;
            out.push(serde_json::from_slice(v.value()).map_err(|e| self.err(e))?);
        }
        Ok(out)
    }

    /// Keeps a training job this owner joined (durably).
    pub fn put_training(&self, job: &str, join: &TrainingJoin) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(TRAINING).map_err(|e| self.err(e))?;
            let bytes = serde_json::to_vec(join).map_err(|e| self.err(e))?;
            table
                .insert(job, bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Keeps an oracle task (durably).
    pub fn put_oracle_task(&self, task: &OracleTask) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(ORACLE).map_err(|e| self.err(e))?;
            let bytes = serde_json::to_vec(task).map_err(|e| self.err(e))?;
            table
                .insert(task.request_id.as_str(), bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// The oracle task of request `id` (decimal), if any.
    pub fn oracle_task(&self, id: &str) -> Result<Option<OracleTask>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(ORACLE).map_err(|e| self.err(e))?;
        table
            .get(id)
            .map_err(|e| self.err(e))?
            .filter(|_| id != ORACLE_SCANNED)
            .map(|v| serde_json::from_slice(v.value()).map_err(|e| self.err(e)))
            .transpose()
    }

    /// Every oracle task.
    pub fn oracle_tasks(&self) -> Result<Vec<OracleTask>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(ORACLE).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in table.iter().map_err(|e| self.err(e))? {
            let (k, v) = row.map_err(|e| self.err(e))?;
            if k.value() != ORACLE_SCANNED {
                out.push(serde_json::from_slice(v.value()).map_err(|e| self.err(e))?);
            }
        }
        Ok(out)
    }

    /// The last block the oracle scanned for requests.
    pub fn oracle_scanned(&self) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(ORACLE).map_err(|e| self.err(e))?;
        table
            .get(ORACLE_SCANNED)
            .map_err(|e| self.err(e))?
            .map(|v| serde_json::from_slice(v.value()).map_err(|e| self.err(e)))
            .transpose()
    }

    /// Records the oracle's scan up to `block`, with the tasks it opened there, in one
    /// transaction (a restart neither misses nor repeats a request).
    pub fn oracle_scanned_to(&self, block: u64, tasks: &[OracleTask]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(ORACLE).map_err(|e| self.err(e))?;
            for task in tasks {
                let bytes = serde_json::to_vec(task).map_err(|e| self.err(e))?;
                table
                    .insert(task.request_id.as_str(), bytes.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            let bytes = serde_json::to_vec(&block).map_err(|e| self.err(e))?;
            table
                .insert(ORACLE_SCANNED, bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Forgets a training job this owner left.
    pub fn remove_training(&self, job: &str) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(TRAINING).map_err(|e| self.err(e))?;
            table.remove(job).map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// A training job this owner joined.
    pub fn training(&self, job: &str) -> Result<Option<TrainingJoin>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(TRAINING).map_err(|e| self.err(e))?;
        table
            .get(job)
            .map_err(|e| self.err(e))?
            .map(|v| serde_json::from_slice(v.value()).map_err(|e| self.err(e)))
            .transpose()
    }

    /// Keeps a committee member's key for `session` (durably).
    pub fn put_committee_key(&self, session: &str, key: &CommitteeKey) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(COMMITTEE_KEYS).map_err(|e| self.err(e))?;
            let bytes = serde_json::to_vec(key).map_err(|e| self.err(e))?;
            table
                .insert(session, bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// A committee member's key for `session`.
    pub fn committee_key(&self, session: &str) -> Result<Option<CommitteeKey>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(COMMITTEE_KEYS).map_err(|e| self.err(e))?;
        table
            .get(session)
            .map_err(|e| self.err(e))?
            .map(|v| serde_json::from_slice(v.value()).map_err(|e| self.err(e)))
            .transpose()
    }

    /// One job.
    pub fn job(&self, id: u64) -> Result<Option<JobRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(JOBS).map_err(|e| self.err(e))?;
        let Some(v) = table.get(id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| self.err(e))
    }

    /// Every job, in submission order.
    pub fn jobs(&self) -> Result<Vec<JobRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(JOBS).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.err(e))? {
            let (_, v) = entry.map_err(|e| self.err(e))?;
            out.push(serde_json::from_slice(v.value()).map_err(|e| self.err(e))?);
        }
        Ok(out)
    }

    /// Records (or updates) a worker job, durably.
    pub fn put_work(&self, job_id: &str, record: &WorkRecord) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = tx.open_table(WORKER_JOBS).map_err(|e| self.err(e))?;
            let bytes = serde_json::to_vec(record).map_err(|e| self.err(e))?;
            table
                .insert(job_id, bytes.as_slice())
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// One worker job.
    pub fn work(&self, job_id: &str) -> Result<Option<WorkRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(WORKER_JOBS).map_err(|e| self.err(e))?;
        let Some(v) = table.get(job_id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| self.err(e))
    }

    /// Worker jobs in a state.
    pub fn work_in(&self, state: WorkState) -> Result<Vec<(String, WorkRecord)>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(WORKER_JOBS).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.err(e))? {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            let record: WorkRecord = serde_json::from_slice(v.value()).map_err(|e| self.err(e))?;
            if record.state == state {
                out.push((k.value().to_string(), record));
            }
        }
        Ok(out)
    }

    /// Number of worker jobs per state.
    pub fn work_counts(&self) -> Result<BTreeMap<WorkState, usize>, StoreError> {
        let mut counts = BTreeMap::new();
        for state in [
            WorkState::Accepted,
            WorkState::Proven,
            WorkState::Settled,
            WorkState::Abandoned,
        ] {
            let n = self.work_in(state)?.len();
            if n > 0 {
                counts.insert(state, n);
            }
        }
        Ok(counts)
    }

    /// Number of jobs per state.
    pub fn job_counts(&self) -> Result<BTreeMap<JobState, usize>, StoreError> {
        let mut counts = BTreeMap::new();
        for j in self.jobs()? {
            *counts.entry(j.state).or_insert(0) += 1;
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_survive_a_reopen_in_order() {
        let dir = std::env::temp_dir().join(format!("arcanum-store-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let sub = JobSubmission {
            shape: "secagg-sum-4x8".into(),
            inputs: vec![vec!["1".into()]],
            weights: vec![],
            anchors: vec![],
            reward_wei: "10".into(),
            min_stake_wei: "1".into(),
            deadline_secs: 60,
            stats: None,
            fl: None,
        };
        {
            let store = Store::open(&dir).expect("open");
            let a = store.insert_job(sub.clone()).expect("insert");
            let mut b = store.insert_job(sub.clone()).expect("insert");
            assert_eq!((a.id, b.id), (1, 2));
            b.state = JobState::Failed;
            b.error = Some("nobody bid".into());
            store.put_job(&b).expect("put");
        }
        let store = Store::open(&dir).expect("reopen");
        let jobs = store.jobs().expect("jobs");
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[1].state, JobState::Failed);
        assert_eq!(store.job(1).expect("get").expect("some").submission, sub);
        assert_eq!(store.job_counts().expect("counts")[&JobState::Submitted], 1);
        assert!(store.job(9).expect("get").is_none());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
