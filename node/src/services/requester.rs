//! The requester role: post a job with escrow, ask the workers whose offers fit it for
//! signed bids, pick the cheapest bid whose signer's free stake (read from the chain) covers
//! the job, assign it with that bid (the worker's consent), send the worker the inputs, and
//! check the settled result against the chain. A worker whose assignment reverts, who
//! refuses, fails or goes silent is excluded; once its deadline passes the job is expired
//! (slashing it) and assigned to the next-best bid, a bounded number of times; a job nobody
//! can do is cancelled and its escrow refunded. Every step is logged with its reason.

use arcanum_chain::{JobInfo, JobStatus, MarketClient, TxOutcome};
use arcanum_p2p::{Client, PeerId};
use arcanum_protocol::{
    Address, JobId, JobRequest, JobResponse, JobResult, JobSpec, Shape, SignedBid, U256,
};
use arcanum_scheduler::{AttemptTerms, index::OfferIndex};
use arcanum_zk::{
    Fr,
    chunks::{ChunkedJob, is_chunked},
    field, kind,
};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Errors of the requester flow.
#[derive(Debug, thiserror::Error)]
pub enum RequesterError {
    /// Chain interaction failed.
    #[error(transparent)]
    Chain(#[from] arcanum_chain::Error),
    /// The job's inputs do not fit its shape (or its chunking).
    #[error(transparent)]
    Inputs(#[from] arcanum_zk::Error),
    /// Network interaction failed.
    #[error(transparent)]
    Net(#[from] arcanum_p2p::Error),
    /// No worker could complete the job within the allowed attempts; it was cancelled and
    /// its escrow credited back (`arcanum rewards claim` / `claim()` withdraws it).
    #[error(
        "{job} abandoned after {attempts} attempt(s) and cancelled, escrow refunded: {reasons}; raise the reward, lower the stake, or wait for more workers"
    )]
    Abandoned {
        /// The job.
        job: JobId,
        /// Attempts made.
        attempts: u16,
        /// What happened at each attempt.
        reasons: String,
    },
    /// The expected output could not be computed from the inputs.
    #[error("cannot compute the job's output locally: {0}")]
    Local(String),
    /// The worker's report disagrees with the chain.
    #[error("worker {worker}'s result for {job} does not match the chain: {detail}")]
    Mismatch {
        /// The worker.
        worker: Address,
        /// The job.
        job: JobId,
        /// What differs.
        detail: String,
    },
}

/// Least time between two rebuilds of the offer index.
const INDEX_REFRESH: Duration = Duration::from_millis(500);
/// First pause before asking for bids again when no worker bid; doubled up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(15);

/// How patiently the requester places a job.
#[derive(Clone, Debug)]
pub struct RequesterConfig {
    /// Assignments tried before the job is cancelled (each failure excludes its worker).
    pub max_attempts: u16,
    /// How long a worker has to answer a bid request.
    pub bid_timeout: Duration,
    /// Most workers asked for a bid per attempt (the cheapest offers first).
    pub max_bid_requests: usize,
    /// How long to wait for a fitting offer when none has been heard yet (a node that just
    /// started has heard nobody).
    pub offer_wait: Duration,
    /// How long a job keeps waiting for an eligible bid while every fitting worker is busy,
    /// declines or is silent (retrying with backoff) before it is cancelled.
    pub patience: Duration,
}

impl Default for RequesterConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            bid_timeout: Duration::from_secs(10),
            max_bid_requests: 16,
            offer_wait: Duration::from_secs(30),
            patience: Duration::from_secs(600),
        }
    }
}

/// A job that was assigned, computed, proven and settled.
#[derive(Clone, Debug)]
pub struct JobOutcome {
    /// Job id on chain.
    pub job_id: JobId,
    /// The chosen worker.
    pub worker: Address,
    /// Its peer id.
    pub worker_peer: String,
    /// The worker's result (its output checked against the on-chain commitment). When the
    /// job was found already settled (a restart), rebuilt from the chain: no proofs.
    pub result: JobResult,
    /// Output decoded to field elements.
    pub output: Vec<Fr>,
    /// The `postJob` transaction.
    pub posted: TxOutcome,
    /// The successful `assignWithBid` transaction.
    pub assigned: TxOutcome,
    /// The worker's ask: what it is paid (the rest of the escrow was credited back).
    pub ask: U256,
    /// From the job posted to its first successful assignment.
    pub bid_to_assignment: Duration,
    /// Offers heard when choosing.
    pub offers_seen: usize,
    /// Signed bids received over all attempts.
    pub bids_seen: usize,
    /// Failed attempts before the successful one, each with its reason.
    pub failed_attempts: Vec<String>,
}

/// A requester node. Clones share the offer book and the stake cache, so one requester
/// places many jobs at once (the chain client's transaction manager orders their nonces).
#[derive(Clone)]
pub struct Requester {
    chain: MarketClient,
    net: Client,
    config: RequesterConfig,
    /// The network's offers indexed by kind and shape: (table generation, built at).
    index: Arc<Mutex<(u64, Instant, Arc<OfferIndex>)>>,
    /// Free stake per worker, valid for the block it was read at (older blocks pruned).
    stake_cache: Arc<Mutex<HashMap<Address, (u64, U256)>>>,
    /// Data owners enrolled in this requester's open calls.
    enrollments: super::joint::Enrollments,
    /// Blobs it serves (training jobs' global models).
    blobs: super::fl::Blobs,
}

impl Requester {
    /// A requester on a running network; the offers it places jobs with are the network's
    /// (`Client::offers`).
    pub fn new(chain: MarketClient, net: Client) -> Self {
        Self {
            chain,
            net,
            index: Arc::new(Mutex::new((u64::MAX, Instant::now(), Arc::default()))),
            config: RequesterConfig::default(),
            stake_cache: Arc::default(),
            enrollments: Default::default(),
            blobs: Default::default(),
        }
    }

    /// The blobs (global models) this requester serves.
    pub fn blobs(&self) -> &super::fl::Blobs {
        &self.blobs
    }

    /// The data owners enrolled in this requester's open calls for contributions.
    pub fn enrollments(&self) -> &super::joint::Enrollments {
        &self.enrollments
    }

    /// Replaces the placement policy.
    pub fn set_config(&mut self, config: RequesterConfig) {
        self.config = config;
    }

    /// The requester's chain client.
    pub fn chain(&self) -> &MarketClient {
        &self.chain
    }

    /// The requester's network client.
    pub fn net(&self) -> &Client {
        &self.net
    }

    /// Waits until `count` distinct workers have advertised, or `timeout` passes.
    pub async fn wait_for_offers(&self, count: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        loop {
            let heard = self.net.offers().len(arcanum_protocol::unix_now());
            if heard >= count || Instant::now() >= deadline {
                return heard;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Posts a job over `inputs` (one vector per contributor: masked values, or ciphertexts
    /// as coordinates for `he-linear`, with its per-contributor `weights`), places it with
    /// the cheapest consenting staked worker (retrying with the next bid when one fails),
    /// sends the inputs and returns the settled result.
    pub async fn run_job(
        &self,
        shape: Shape,
        inputs: &[Vec<Fr>],
        weights: &[i64],
        reward: U256,
        deadline_in: Duration,
        min_stake: U256,
    ) -> Result<JobOutcome, RequesterError> {
        let job = self
            .post(
                shape,
                JobInputs {
                    vectors: inputs,
                    weights,
                    anchors: &[],
                },
                reward,
                deadline_in,
                min_stake,
            )
            .await?;
        self.place(&job).await
    }

    /// Posts a job: its (combined, for a job larger than its shape) input commitment, the
    /// reward in escrow and the deadline. The returned record is everything [`Self::place`]
    /// needs, and can be persisted to resume after a restart.
    pub async fn post(
        &self,
        shape: Shape,
        job: JobInputs<'_>,
        reward: U256,
        deadline_in: Duration,
        min_stake: U256,
    ) -> Result<PostedJob, RequesterError> {
        let JobInputs {
            vectors: inputs,
            weights,
            anchors,
        } = job;
        let input_commitment = input_commitment(shape, inputs, weights, anchors)?;
        let chain_now = self.chain.chain_time().await?;
        let spec = JobSpec {
            shape,
            input_commitment,
            reward,
            deadline: chain_now + deadline_in.as_secs(),
        };
        let (job_id, posted) = self.chain.post_job(&spec, min_stake).await?;
        tracing::info!(target: "requester", %job_id, shape = %shape.name(), %reward, "job posted");
        Ok(PostedJob {
            job_id,
            shape,
            inputs: inputs.iter().map(|v| field::vec_to_u256(v)).collect(),
            weights: weights.to_vec(),
            anchors: field::vec_to_u256(anchors),
            input_commitment,
            reward,
            deadline_in_secs: deadline_in.as_secs(),
            posted,
        })
    }

    /// Places a posted job and follows it to settlement, from whatever state the chain
    /// holds: open (bid, assign), assigned (send the inputs to the assigned worker, e.g.
    /// after a restart), or completed (check the proven output against the inputs).
    pub async fn place(&self, job: &PostedJob) -> Result<JobOutcome, RequesterError> {
        let (job_id, shape, posted) = (job.job_id, job.shape, job.posted);
        let deadline_in = Duration::from_secs(job.deadline_in_secs);
        let inputs: Vec<Vec<Fr>> = job
            .inputs
            .iter()
            .map(|v| field::vec_from_u256(v))
            .collect::<Result<_, _>>()?;
        let spec = JobSpec {
            shape,
            input_commitment: job.input_commitment,
            reward: job.reward,
            deadline: 0,
        };
        let posted_at = Instant::now();
        let request = JobRequest::Run {
            job_id,
            shape,
            inputs: job.inputs.clone(),
            weights: job.weights.clone(),
            anchors: job.anchors.clone(),
        };
        let mut excluded: Vec<Address> = Vec::new();
        let mut failed: Vec<String> = Vec::new();
        let mut bids_seen = 0;
        let mut first_assignment = None;
        let mut attempts = 0;
        let (mut waiting_since, mut retry) = (None::<Instant>, FIRST_RETRY);
        while attempts < self.config.max_attempts {
            attempts += 1;
            let info = self.chain.job(job_id).await?;
            match info.status {
                JobStatus::Completed => {
                    // Settled while we were away (a restart): check it against the inputs.
                    let p = Placement::recovered(&info, posted);
                    return self.finish(job, &inputs, p, bids_seen, failed).await;
                }
                JobStatus::Cancelled | JobStatus::None => {
                    return Err(RequesterError::Abandoned {
                        job: job_id,
                        attempts: info.attempts,
                        reasons: format!("job is {:?} on chain", info.status),
                    });
                }
                JobStatus::Assigned => {
                    // Assigned before a restart: resend the inputs if the worker is known,
                    // else let the deadline pass and reassign.
                    let worker = info.worker;
                    let peer = self.peer_of(worker).await;
                    let why = match peer {
                        Some(peer) => match self.net.request(peer, request.clone()).await {
                            Ok(JobResponse::Done(result)) => {
                                let p = Placement {
                                    peer: Some(peer),
                                    result: Some(*result),
                                    ..Placement::recovered(&info, posted)
                                };
                                return self.finish(job, &inputs, p, bids_seen, failed).await;
                            }
                            Ok(other) => format!("answered {other:?}"),
                            Err(e) => format!("did not answer: {e}"),
                        },
                        None => "not heard on the network".into(),
                    };
                    tracing::warn!(target: "requester", %job_id, %worker, "assigned worker failed after a restart ({why})");
                    failed.push(format!("attempt {}: {worker} {why}", info.attempts));
                    excluded.push(worker);
                    self.reopen(job_id, worker).await?;
                    continue;
                }
                JobStatus::Open => {}
            }
            let info = self.ready_for_assignment(job_id, deadline_in).await?;
            let (bids, offers_seen) = self.collect_bids(&spec, &info, job_id, &excluded).await;
            bids_seen += bids.len();
            let Some((bid, peer, assigned)) = self
                .assign_best(&info, job_id, &bids, &mut excluded)
                .await?
            else {
                let why = format!(
                    "no eligible bid ({} received from {offers_seen} fitting offers)",
                    bids.len()
                );
                // Nothing was assigned, so this was no attempt: while the patience lasts,
                // wait for a worker to free up (busy workers decline) and ask again.
                let waited = waiting_since.get_or_insert_with(Instant::now).elapsed();
                if waited < self.config.patience {
                    tracing::info!(target: "requester", %job_id, ?waited, "{why}; asking again in {retry:?}");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(MAX_RETRY);
                    attempts -= 1;
                    continue;
                }
                failed.push(format!("attempt {}: {why} for {waited:?}", info.attempts));
                break;
            };
            (waiting_since, retry) = (None, FIRST_RETRY);
            let since_post = *first_assignment.get_or_insert(posted_at.elapsed());
            let worker = bid.bid.worker;
            tracing::info!(target: "requester", %job_id, %worker, %peer, ask = %bid.bid.ask, attempt = info.attempts, "assigned with the worker's signed bid");
            let why = match self.net.request(peer, request.clone()).await {
                Ok(JobResponse::Done(result)) => {
                    let p = Placement {
                        worker,
                        peer: Some(peer),
                        result: Some(*result),
                        ask: bid.bid.ask,
                        assigned,
                        bid_to_assignment: since_post,
                        offers_seen,
                    };
                    return self.finish(job, &inputs, p, bids_seen, failed).await;
                }
                Ok(JobResponse::Rejected(reason)) => format!("refused: {reason:?}"),
                Ok(other) => format!("answered a run request with {other:?}"),
                Err(e) => format!("did not answer: {e}"),
            };
            tracing::warn!(target: "requester", %job_id, %worker, attempt = info.attempts, "worker failed ({why}); excluding it");
            failed.push(format!("attempt {}: {worker} {why}", info.attempts));
            excluded.push(worker);
            self.reopen(job_id, worker).await?;
        }
        // Nobody could do it: take the escrow back (unless the last worker settled after
        // all, its answer lost).
        let info = self.chain.job(job_id).await?;
        if info.status == JobStatus::Completed {
            let p = Placement::recovered(&info, posted);
            return self.finish(job, &inputs, p, bids_seen, failed).await;
        }
        if info.status == JobStatus::Open {
            self.chain.cancel(job_id).await?;
        }
        tracing::warn!(target: "requester", %job_id, attempts, "job abandoned and cancelled");
        Err(RequesterError::Abandoned {
            job: job_id,
            attempts,
            reasons: failed.join("; "),
        })
    }

    /// The job's current terms, with its deadline moved forward when an earlier attempt
    /// used it up (an expired job reopens with its old, passed deadline).
    async fn ready_for_assignment(
        &self,
        job_id: JobId,
        deadline_in: Duration,
    ) -> Result<JobInfo, RequesterError> {
        let info = self.chain.job(job_id).await?;
        let now = self.chain.chain_time().await?;
        if info.deadline < now + deadline_in.as_secs() / 2 {
            let deadline = now + deadline_in.as_secs();
            self.chain.extend_deadline(job_id, deadline).await?;
            tracing::info!(target: "requester", %job_id, deadline, "deadline moved for the next attempt");
            return Ok(self.chain.job(job_id).await?);
        }
        Ok(info)
    }

    /// Asks the workers whose offers fit the job for signed bids on its current attempt, in
    /// parallel, each bounded by the bid timeout. Keeps the bids whose signature recovers
    /// to the worker that offered through that peer. Returns them and the offers asked.
    async fn collect_bids(
        &self,
        spec: &JobSpec,
        info: &JobInfo,
        job_id: JobId,
        excluded: &[Address],
    ) -> (Vec<(PeerId, SignedBid)>, usize) {
        let spec = JobSpec {
            reward: info.budget,
            ..spec.clone()
        };
        let seed = job_id.0.to_be_bytes::<32>();
        let wait_until = Instant::now() + self.config.offer_wait;
        let asked: Vec<(Address, PeerId)> = loop {
            let index = self.offer_index();
            let now = arcanum_protocol::unix_now();
            let asked: Vec<(Address, PeerId)> = index
                .candidates(&spec, excluded, now, &seed, self.config.max_bid_requests)
                .into_iter()
                .filter_map(|o| Some((o.offer.worker, o.offer.peer_id.parse().ok()?)))
                .collect();
            if !asked.is_empty() || Instant::now() >= wait_until {
                break asked;
            }
            tracing::debug!(target: "requester", %job_id, "no fitting offer heard yet; waiting");
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let timeout = self.config.bid_timeout;
        let replies = futures::future::join_all(asked.iter().map(|(worker, peer)| {
            let net = self.net.clone();
            let (worker, peer) = (*worker, *peer);
            async move {
                let reply = tokio::time::timeout(
                    timeout,
                    net.request(peer, JobRequest::BidRequest { job_id }),
                )
                .await;
                (worker, peer, reply)
            }
        }))
        .await;
        let domain = self.chain.domain();
        let mut bids = Vec::new();
        for (worker, peer, reply) in replies {
            match reply {
                Ok(Ok(JobResponse::Bid(bid))) => {
                    if bid.bid.worker != worker {
                        tracing::warn!(target: "requester", %job_id, %peer, %worker, "bid names another worker than the peer's offer; dropped");
                    } else if let Err(e) = bid.verify(&domain) {
                        tracing::warn!(target: "requester", %job_id, %worker, "bid signature invalid ({e}); dropped");
                    } else {
                        bids.push((peer, *bid));
                    }
                }
                Ok(Ok(JobResponse::Rejected(reason))) => {
                    tracing::info!(target: "requester", %job_id, %worker, ?reason, "worker declined to bid");
                }
                Ok(Ok(other)) => {
                    tracing::warn!(target: "requester", %job_id, %worker, ?other, "answered a bid request with something else; ignored");
                }
                Ok(Err(e)) => {
                    tracing::info!(target: "requester", %job_id, %worker, "bid request failed: {e}")
                }
                Err(_) => {
                    tracing::info!(target: "requester", %job_id, %worker, ?timeout, "no bid in time")
                }
            }
        }
        (bids, asked.len())
    }

    /// The network's live offers indexed by kind and shape, rebuilt when the table changed
    /// (at most every [`INDEX_REFRESH`] once built: re-advertisements change it all the
    /// time, while an offer waiting that long to be asked costs nothing).
    fn offer_index(&self) -> Arc<OfferIndex> {
        let table = self.net.offers();
        let generation = table.generation();
        let mut cached = self.index.lock().unwrap_or_else(|e| e.into_inner());
        let stale =
            cached.0 != generation && (cached.2.is_empty() || cached.1.elapsed() >= INDEX_REFRESH);
        if stale {
            let index = OfferIndex::new(table.live(arcanum_protocol::unix_now()));
            *cached = (generation, Instant::now(), Arc::new(index));
        }
        cached.2.clone()
    }

    /// Free stake of `worker`, read from the chain once per block.
    async fn free_stake(&self, worker: Address, block: u64) -> Result<U256, RequesterError> {
        let cached = self
            .stake_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&worker)
            .copied();
        if let Some((at, free)) = cached
            && at == block
        {
            return Ok(free);
        }
        let free = self.chain.stake_of(worker).await?.free();
        let mut cache = self.stake_cache.lock().unwrap_or_else(|e| e.into_inner());
        // A read serves its block only: older ones go, so the cache holds at most the
        // workers asked about in the latest block.
        cache.retain(|_, (at, _)| *at >= block);
        cache.insert(worker, (block, free));
        Ok(free)
    }

    /// Runs the reverse auction over `bids` and assigns the best one that the chain accepts;
    /// a bid whose assignment reverts excludes its worker and the next one is tried.
    async fn assign_best(
        &self,
        info: &JobInfo,
        job_id: JobId,
        bids: &[(PeerId, SignedBid)],
        excluded: &mut Vec<Address>,
    ) -> Result<Option<(SignedBid, PeerId, TxOutcome)>, RequesterError> {
        use alloy::providers::Provider;
        let block = self
            .chain
            .provider()
            .get_block_number()
            .await
            .map_err(|e| arcanum_chain::Error::Rpc {
                call: "eth_blockNumber",
                detail: e.to_string(),
            })?;
        let mut stakes = HashMap::new();
        for (_, b) in bids {
            let free = self.free_stake(b.bid.worker, block).await?;
            stakes.insert(b.bid.worker, free);
        }
        let terms = AttemptTerms {
            job_id,
            attempt: info.attempts,
            budget: info.budget,
            min_stake: info.min_stake,
            min_worker_stake: self.chain.min_worker_stake().await?,
            deadline: info.deadline,
            now: self.chain.chain_time().await?,
        };
        let signed: Vec<SignedBid> = bids.iter().map(|(_, b)| b.clone()).collect();
        let (ranked, skipped) = arcanum_scheduler::rank_bids(
            &terms,
            &signed,
            |w| stakes.get(&w).copied(),
            excluded,
            &job_id.0.to_be_bytes::<32>(),
        );
        for (bid, why) in skipped {
            tracing::info!(target: "requester", %job_id, worker = %bid.bid.worker, ask = %bid.bid.ask, "bid skipped: {why}");
        }
        let ranked: Vec<SignedBid> = ranked.into_iter().cloned().collect();
        for bid in ranked {
            let Some(peer) = bids
                .iter()
                .find(|(_, b)| b.bid.worker == bid.bid.worker)
                .map(|(p, _)| *p)
            else {
                continue;
            };
            match self.chain.assign_with_bid(&bid).await {
                Ok(tx) => return Ok(Some((bid, peer, tx))),
                Err(e) => {
                    tracing::warn!(target: "requester", %job_id, worker = %bid.bid.worker, "assignment reverted ({e}); excluding the worker, trying the next bid");
                    excluded.push(bid.bid.worker);
                }
            }
        }
        Ok(None)
    }

    /// After `worker` failed: if it released the job, it is open already; otherwise wait
    /// for its deadline and expire it (the contract slashes the worker's locked stake).
    async fn reopen(&self, job_id: JobId, worker: Address) -> Result<(), RequesterError> {
        loop {
            let info = self.chain.job(job_id).await?;
            match info.status {
                // Completed: the worker settled although its answer was lost; the caller
                // checks the settlement.
                JobStatus::Open | JobStatus::Completed => return Ok(()),
                JobStatus::Assigned => {}
                status => {
                    return Err(RequesterError::Mismatch {
                        worker,
                        job: job_id,
                        detail: format!("job is {status:?} though the worker reported no result"),
                    });
                }
            }
            let now = arcanum_protocol::unix_now();
            if now <= info.deadline {
                // Poll rather than sleep to the deadline: a worker that restarts and
                // settles from its store completes the job before it.
                tracing::debug!(target: "requester", %job_id, %worker, in_secs = info.deadline - now + 1, "waiting for the worker to settle or its deadline to pass");
                tokio::time::sleep(
                    Duration::from_secs(2).min(Duration::from_secs(info.deadline - now + 1)),
                )
                .await;
                continue;
            }
            match self.chain.expire(job_id).await {
                Ok(tx) => {
                    tracing::warn!(target: "requester", %job_id, %worker, tx = %tx.tx_hash, "expired: the worker missed its deadline and was slashed");
                    return Ok(());
                }
                // The chain's clock lags the wall clock by up to a block: try again shortly.
                Err(arcanum_chain::Error::Reverted { reason, .. })
                    if reason.contains("DeadlineNotPassed") =>
                {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Checks a settlement against the output the job's own inputs give and reports it.
    async fn finish(
        &self,
        job: &PostedJob,
        inputs: &[Vec<Fr>],
        p: Placement,
        bids_seen: usize,
        failed_attempts: Vec<String>,
    ) -> Result<JobOutcome, RequesterError> {
        let (output, commitment) = local_output(job.shape, inputs, &job.weights)?;
        let completion = check_settlement(
            &self.chain,
            job.job_id,
            job.posted.block,
            p.worker,
            commitment,
        )
        .await?;
        let result = p.result.unwrap_or_else(|| JobResult {
            job_id: job.job_id,
            output: field::vec_to_u256(&output),
            output_commitment: completion.output_commitment,
            proofs: vec![],
            tx_hash: completion.tx_hash,
            prove_seconds: 0.0,
        });
        Ok(JobOutcome {
            job_id: job.job_id,
            worker: p.worker,
            worker_peer: p.peer.map(|p| p.to_base58()).unwrap_or_default(),
            result,
            output,
            posted: job.posted,
            assigned: p.assigned,
            ask: p.ask,
            bid_to_assignment: p.bid_to_assignment,
            offers_seen: p.offers_seen,
            bids_seen,
            failed_attempts,
        })
    }

    /// The peer of `worker`, from its offers (waiting up to the bid timeout to hear one).
    async fn peer_of(&self, worker: Address) -> Option<PeerId> {
        let deadline = Instant::now() + self.config.bid_timeout;
        loop {
            if let Some(peer) = self.net.offers().peer_of(worker) {
                return Some(peer);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            tokio::time::sleep(left.min(Duration::from_millis(200))).await;
        }
    }
}

/// How a job came to be settled: what [`Requester::finish`] reports beside the check.
struct Placement {
    worker: Address,
    peer: Option<PeerId>,
    /// The worker's report; `None` when the settlement was found on chain.
    result: Option<JobResult>,
    ask: U256,
    assigned: TxOutcome,
    bid_to_assignment: Duration,
    offers_seen: usize,
}

impl Placement {
    /// A settlement found on chain (after a restart, or a worker whose answer was lost):
    /// the assignment happened before this run, so it has no figures of its own.
    fn recovered(info: &JobInfo, posted: TxOutcome) -> Self {
        Self {
            worker: info.worker,
            peer: None,
            result: None,
            ask: info.reward,
            assigned: posted,
            bid_to_assignment: Duration::ZERO,
            offers_seen: 0,
        }
    }
}

/// What a job is posted over: one vector per contributor (masked values, or ciphertexts as
/// coordinates), with its weight (`he-linear`) or share anchor (`secagg-sum`; empty:
/// none), all bound by the input commitment.
#[derive(Clone, Copy, Debug)]
pub struct JobInputs<'a> {
    /// The vectors.
    pub vectors: &'a [Vec<Fr>],
    /// Per-vector weights (`he-linear`; empty otherwise).
    pub weights: &'a [i64],
    /// Per-vector share anchors (empty: none).
    pub anchors: &'a [Fr],
}

/// A job posted on chain, with what placing and checking it needs; serialisable, so a
/// requester node persists it and resumes after a restart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedJob {
    /// On-chain id.
    pub job_id: JobId,
    /// Its shape.
    pub shape: Shape,
    /// Inputs as field elements (one vector per contributor).
    pub inputs: Vec<Vec<U256>>,
    /// Per-contributor weights (`he-linear`).
    pub weights: Vec<i64>,
    /// Per-contributor share anchors (`secagg-sum`; empty: none).
    #[serde(default)]
    pub anchors: Vec<U256>,
    /// The posted input commitment.
    pub input_commitment: U256,
    /// The posted reward (the budget).
    pub reward: U256,
    /// Deadline given to each attempt, seconds.
    pub deadline_in_secs: u64,
    /// The `postJob` transaction.
    pub posted: TxOutcome,
}

/// The input commitment a job is posted with: Poseidon over the inputs (with their
/// weights or share anchors), or for a job larger than its shape the combination of its
/// chunks' commitments.
pub fn input_commitment(
    shape: Shape,
    inputs: &[Vec<Fr>],
    weights: &[i64],
    anchors: &[Fr],
) -> Result<U256, RequesterError> {
    Ok(field::fr_to_u256(if is_chunked(shape, inputs) {
        ChunkedJob::split_anchored(shape, inputs, weights, anchors)?.input_commitment()
    } else {
        kind::of(shape.kind).input_commitment_anchored(inputs, weights, anchors)
    }))
}

/// The output the job must have, computed locally from its inputs, and its commitment: the
/// requester checks the chain's proven commitment against this, so it needs nothing from
/// the worker but the proof the contract already verified.
pub fn local_output(
    shape: Shape,
    inputs: &[Vec<Fr>],
    weights: &[i64],
) -> Result<(Vec<Fr>, U256), RequesterError> {
    let exec = |inputs: Vec<Vec<Fr>>, weights: &[i64]| {
        kind::of(shape.kind)
            .execute(shape.dims, &inputs, weights)
            .map_err(|e| RequesterError::Local(e.to_string()))
    };
    if is_chunked(shape, inputs) {
        let job = ChunkedJob::split(shape, inputs, weights)?;
        let outputs = job
            .chunks
            .iter()
            .map(|c| exec(c.inputs.clone(), &c.weights))
            .collect::<Result<Vec<_>, _>>()?;
        let output = job.join_output(&outputs);
        let commitment = field::fr_to_u256(job.output_commitment(&output)?);
        Ok((output, commitment))
    } else {
        let output = exec(inputs.to_vec(), weights)?;
        let commitment = field::fr_to_u256(kind::of(shape.kind).output_commitment(&output));
        Ok((output, commitment))
    }
}

/// Trust the chain, not the worker: the job must be completed by `worker` with exactly the
/// output commitment the inputs give.
async fn check_settlement(
    chain: &MarketClient,
    job_id: JobId,
    from_block: u64,
    worker: Address,
    expected: U256,
) -> Result<arcanum_chain::Completion, RequesterError> {
    let mismatch = |detail: String| RequesterError::Mismatch {
        worker,
        job: job_id,
        detail,
    };
    let info = chain.job(job_id).await?;
    if info.status != JobStatus::Completed {
        return Err(mismatch(format!("status is {:?}", info.status)));
    }
    let completion = chain
        .completion(job_id, from_block)
        .await?
        .ok_or_else(|| mismatch("no JobCompleted event".into()))?;
    if completion.worker != worker {
        return Err(mismatch(format!("completed by {}", completion.worker)));
    }
    if completion.output_commitment != expected {
        return Err(mismatch(
            "the proven output commitment is not that of the job's inputs".into(),
        ));
    }
    Ok(completion)
}

/// Cancellations asked for through the API, by local job id: the job's follower is woken
/// and stops (a cancellation asked before the job's turn is kept until then).
#[derive(Default)]
pub struct Cancels {
    asked: Mutex<HashMap<u64, Arc<tokio::sync::Notify>>>,
}

impl Cancels {
    /// The signal job `id`'s follower waits on.
    pub fn signal(&self, id: u64) -> Arc<tokio::sync::Notify> {
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }

    /// Asks job `id`'s follower to stop.
    pub fn cancel(&self, id: u64) {
        self.signal(id).notify_one();
    }

    /// Forgets job `id` (its follower ended).
    pub fn done(&self, id: u64) {
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}
