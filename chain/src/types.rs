//! Values the chain client returns and takes.

use alloy::{
    primitives::{Address, B256, I256, U256},
    rpc::types::TransactionReceipt,
};
use arcanum_protocol::{JobId, ShapeId};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where the chain is and how patiently to wait for it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChainConfig {
    /// HTTP JSON-RPC endpoint.
    pub rpc_url: String,
    /// How long to wait for a transaction's receipt.
    pub receipt_timeout: Duration,
    /// How long any one RPC request (a read, an estimate, a send) may take before it fails
    /// with an error naming the endpoint: a hung RPC is never a silent hang.
    pub request_timeout: Duration,
    /// How long a sent transaction may wait unmined before it is replaced with higher
    /// fees.
    #[serde(default = "default_fee_bump_after")]
    pub fee_bump_after: Duration,
}

fn default_fee_bump_after() -> Duration {
    Duration::from_secs(15)
}

impl ChainConfig {
    /// `rpc_url` with the default patience: 30 s for a receipt, 10 s per request.
    pub fn new(rpc_url: impl Into<String>) -> Self {
        Self {
            rpc_url: rpc_url.into(),
            receipt_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            fee_bump_after: default_fee_bump_after(),
        }
    }
}

/// A mined, successful transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOutcome {
    /// Transaction hash.
    pub tx_hash: B256,
    /// Gas the transaction used.
    pub gas_used: u64,
    /// Block it was mined in.
    pub block: u64,
}

impl TxOutcome {
    pub(crate) fn from_receipt(r: &TransactionReceipt) -> Self {
        Self {
            tx_hash: r.transaction_hash,
            gas_used: r.gas_used,
            block: r.block_number.unwrap_or_default(),
        }
    }
}

/// A job's on-chain state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    /// No such job.
    None,
    /// Posted (or reopened after an expiry), waiting for assignment.
    Open,
    /// Assigned to a worker.
    Assigned,
    /// Proof verified, worker credited.
    Completed,
    /// Cancelled; reward refunded.
    Cancelled,
}

impl From<u8> for JobStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Open,
            2 => Self::Assigned,
            3 => Self::Completed,
            4 => Self::Cancelled,
            _ => Self::None,
        }
    }
}

/// A job's completion, from its `JobCompleted` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The paid worker.
    pub worker: Address,
    /// The proven output commitment.
    pub output_commitment: U256,
    /// Reward credited.
    pub reward: U256,
    /// Block of the `submitResult` transaction.
    pub block: u64,
    /// Its hash.
    pub tx_hash: B256,
}

/// A worker's stake held by the market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakeInfo {
    /// Total stake, free plus locked.
    pub staked: U256,
    /// Locked by assigned jobs.
    pub locked: U256,
    /// Waiting for the unbonding delay.
    pub unbonding: U256,
    /// When `unbonding` can be withdrawn.
    pub ready_at: u64,
    /// Jobs the worker released within the start window.
    pub releases: u32,
}

impl StakeInfo {
    /// Stake not locked by any job: what a new job may lock.
    pub fn free(&self) -> U256 {
        self.staked.saturating_sub(self.locked)
    }
}

/// A data-oracle feed value and its provenance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedValue {
    /// The value (fixed point, 1e18 = 1.0, by convention).
    pub value: I256,
    /// The completed job backing it.
    pub job_id: JobId,
    /// The worker that proved the job.
    pub worker: Address,
    /// Block of fulfilment.
    pub block: u64,
    /// The request it fulfilled.
    pub request_id: U256,
}

/// A job as stored on chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobInfo {
    /// Who posted it.
    pub requester: Address,
    /// Assigned worker, or zero.
    pub worker: Address,
    /// Status.
    pub status: JobStatus,
    /// Shape id.
    pub shape: ShapeId,
    /// Kind code.
    pub kind: u8,
    /// Times the job was reopened (expired or released).
    pub attempts: u16,
    /// Escrow: the posted reward until assignment, then the assigned worker's ask.
    pub reward: U256,
    /// Stake locked by the worker.
    pub min_stake: U256,
    /// Deadline, unix seconds.
    pub deadline: u64,
    /// Input commitment.
    pub input_commitment: U256,
    /// Posting fee not yet paid back to the requester out of slashes.
    pub fee_left: U256,
    /// The posted reward: the most any attempt may pay a worker.
    pub budget: U256,
    /// When the current assignment was made (unix seconds; 0 if never assigned).
    pub assigned_at: u64,
}

/// Parameters of a new deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketParams {
    /// Seconds between `requestUnbond` and `withdraw`.
    pub unbonding_delay: u64,
    /// Stake every worker must hold.
    pub min_worker_stake: U256,
    /// Receiver of fees and of the treasury share of slashes.
    pub treasury: Address,
    /// Addresses allowed to fulfil data-oracle requests.
    pub oracle_nodes: Vec<Address>,
    /// The data oracle's circuits whose verifiers to deploy (feeds name them).
    #[serde(default)]
    pub oracle_circuits: Vec<OracleCircuit>,
}

/// A data-oracle circuit pair: the clerk-sum and finalize verifiers of a job shape at a
/// threshold (`arcanum_zk::oracle::OracleShape`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleCircuit {
    /// Name, e.g. `secagg-sum-4x8-c5-t2`.
    pub name: String,
    /// The job shape.
    pub shape: u32,
    /// Most clerks a contribution's shares are anchored for.
    pub clerks: u32,
    /// Clerk sums the value combines.
    pub threshold: u32,
    /// Generated clerk-sum verifier contract, e.g. `ClerkSum4x8C5Verifier`.
    pub clerk_contract: String,
    /// Generated finalize verifier contract, e.g. `FinalizeSecaggSum8T2Verifier`.
    pub finalize_contract: String,
}

/// A deployed [`OracleCircuit`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedOracleCircuit {
    /// What was deployed.
    #[serde(flatten)]
    pub circuit: OracleCircuit,
    /// The clerk-sum verifier.
    pub clerk_verifier: Address,
    /// The finalize verifier.
    pub finalize_verifier: Address,
}
