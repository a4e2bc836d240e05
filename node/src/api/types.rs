//! Request and response bodies of the control API (`/v1/...`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GET /v1/status`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Status {
    /// Roles this node runs.
    pub roles: Vec<String>,
    /// Its Ethereum address.
    pub address: String,
    /// Its libp2p peer id.
    pub peer_id: String,
    /// Addresses it listens on.
    pub listen: Vec<String>,
    /// Connected peers.
    pub peers: usize,
    /// Chain id.
    pub chain_id: u64,
    /// Latest block.
    pub head: u64,
    /// Stake, base units: total (free plus locked).
    pub stake_wei: String,
    /// Stake locked by assigned jobs.
    pub locked_wei: String,
    /// Stake free for new jobs.
    pub free_wei: String,
    /// Stake unbonding.
    pub unbonding_wei: String,
    /// Requester jobs by state.
    pub jobs: BTreeMap<String, usize>,
    /// Worker jobs by state (accepted, settled, abandoned).
    #[serde(default)]
    pub work: BTreeMap<String, usize>,
}

/// `GET /v1/rewards`: reconciled with chain events.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rewards {
    /// Jobs this node's address was paid for.
    pub jobs_paid: usize,
    /// Sum of `JobCompleted` rewards to this address since the deployment.
    pub earned_wei: String,
    /// Claimable credit now (rewards, plus any refunds as a requester).
    pub claimable_wei: String,
    /// Sum of `Claimed` events of this address since the deployment.
    pub claimed_wei: String,
    /// The ledger's figures (earned, claimed) include every confirmed event up to this block.
    pub confirmed_through_block: u64,
}

/// `POST /v1/stake/{deposit,unbond}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Amount {
    /// Amount, token base units, decimal.
    pub amount_wei: String,
}

/// A mined transaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tx {
    /// Hash.
    pub tx_hash: String,
    /// Gas used.
    pub gas_used: u64,
    /// Block.
    pub block: u64,
}

impl From<arcanum_chain::TxOutcome> for Tx {
    fn from(t: arcanum_chain::TxOutcome) -> Self {
        Self {
            tx_hash: t.tx_hash.to_string(),
            gas_used: t.gas_used,
            block: t.block,
        }
    }
}

/// An error body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong and what to do.
    pub error: String,
}

/// `GET /v1/jobs/{id}/committee`: a joint statistic's clerk draw, recomputed from the chain.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommitteeReport {
    /// The draw as the requester made it.
    pub draw: arcanum_protocol::CommitteeDraw,
    /// The clerks it chose, in Shamir index order.
    pub clerks: Vec<String>,
    /// For an he-linear job: the group key recomputed from the committee's DKG transcript
    /// (every dealing's signature checked against the drawn member), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_key: Option<String>,
    /// The dealers that qualified in the DKG.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qualified: Vec<u32>,
    /// Whether it recomputes identically from the chain (and the group key from the
    /// transcript).
    pub verified: bool,
    /// The first discrepancy, when it does not.
    pub problem: Option<String>,
}

/// `GET /v1/privacy`: one dataset's privacy budget and ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivacyReport {
    /// The dataset.
    pub dataset: String,
    /// Its budget's epsilon.
    pub budget_epsilon: f64,
    /// Its budget's delta (every charge is composed at it).
    pub budget_delta: f64,
    /// Epsilon spent so far.
    pub spent_epsilon: f64,
    /// What remains.
    pub remaining_epsilon: f64,
    /// The releases charged, in order.
    pub entries: Vec<crate::store::PrivacyEntry>,
}

/// `POST /v1/feeds/requests`: ask the data oracle for a feed's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedRequestBody {
    /// The feed's name (`iris/sepal_length/mean`) or its `0x` id.
    pub feed: String,
    /// Fee for the oracle node, token base units (decimal).
    pub fee_wei: String,
    /// Seconds until the request may be cancelled and refunded.
    pub ttl_secs: u64,
    /// Contract to call back (`IDataOracleConsumer`), if any.
    #[serde(default)]
    pub callback: Option<alloy::primitives::Address>,
    /// Gas for the callback.
    #[serde(default)]
    pub callback_gas: u32,
}

/// Where a data-oracle request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedRequestState {
    /// Open, before its expiry: an oracle node may fulfil it.
    Open,
    /// Fulfilled with a value.
    Fulfilled,
    /// Open past its expiry: its requester may cancel it for a refund.
    Expired,
    /// Cancelled and refunded.
    Cancelled,
}

/// `GET /v1/feeds/requests/{id}`: a request, its state and its events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedRequestReport {
    /// The request.
    pub request_id: String,
    /// Its state.
    pub state: FeedRequestState,
    /// The stored request.
    pub request: arcanum_chain::OracleRequest,
    /// Its events in chain order (requested, fulfilled, callback, cancelled).
    pub events: Vec<arcanum_chain::OracleLog>,
}

/// `GET /v1/feeds`: a feed's latest value and provenance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedReport {
    /// The feed id.
    pub feed: alloy::primitives::B256,
    /// Its latest value (fixed point at the feed's scale).
    pub value: String,
    /// The completed job backing it.
    pub job_id: String,
    /// The worker that proved that job.
    pub worker: alloy::primitives::Address,
    /// The request it fulfilled.
    pub request_id: String,
    /// Block of the fulfilment.
    pub block: u64,
    /// Fulfilments of this feed so far.
    pub fulfilments: usize,
}
