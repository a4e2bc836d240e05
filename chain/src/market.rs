//! The compute market: stake, jobs, bids and assignments, settlement, events.

use crate::{
    Error, Result,
    bindings::ComputeMarket::{self},
    client::MarketClient,
    types::{Completion, JobInfo, JobStatus, StakeInfo, TxOutcome},
};
use alloy::primitives::{Address, U256};
use arcanum_protocol::{JobId, JobSpec, ShapeId, SignedBid};

impl MarketClient {
    /// Approves and stakes `amount`.
    pub async fn stake(&self, amount: U256) -> Result<TxOutcome> {
        self.approve(amount).await?;
        self.transact(
            "stake",
            self.market().stake(amount).into_transaction_request(),
        )
        .await
    }

    /// Approves the reward plus the market's posting fee and posts a job; returns its id.
    pub async fn post_job(&self, spec: &JobSpec, min_stake: U256) -> Result<(JobId, TxOutcome)> {
        let fee_bps = self
            .market()
            .feeBps()
            .call()
            .await
            .map_err(Self::read_err("feeBps"))?;
        let bps = U256::from(10_000u64);
        let fee = spec
            .reward
            .checked_mul(fee_bps)
            .map(|f| f / bps)
            .ok_or_else(|| Error::Rpc {
                call: "postJob",
                detail: format!("reward {} times fee {fee_bps} bps overflows", spec.reward),
            })?;
        let total = spec.reward.checked_add(fee).ok_or_else(|| Error::Rpc {
            call: "postJob",
            detail: format!("reward {} plus fee {fee} overflows", spec.reward),
        })?;
        self.approve(total).await?;
        let sent = self
            .market()
            .postJob(
                spec.shape.kind.code(),
                spec.shape.id.0,
                spec.input_commitment,
                spec.reward,
                spec.deadline,
                min_stake,
            )
            .into_transaction_request();
        let r = self.settle("postJob", sent).await?;
        let posted = r
            .decoded_log::<ComputeMarket::JobPosted>()
            .ok_or(Error::MissingEvent {
                call: "postJob",
                event: "JobPosted",
            })?;
        Ok((JobId(posted.jobId), TxOutcome::from_receipt(&r)))
    }

    /// Assigns a job to the worker that signed `bid` (requester only): the worker's
    /// consent; it is paid its ask.
    pub async fn assign_with_bid(&self, bid: &SignedBid) -> Result<TxOutcome> {
        let b = &bid.bid;
        let sol_bid = ComputeMarket::Bid {
            jobId: b.job_id.0,
            worker: b.worker,
            attempt: b.attempt,
            ask: b.ask,
            maxLockedStake: b.max_locked_stake,
            deadlineAtLeast: b.deadline_at_least,
            expiresAt: b.expires_at,
        };
        let sent = self
            .market()
            .assignWithBid(sol_bid, bid.signature.clone().into())
            .into_transaction_request();
        self.transact("assignWithBid", sent).await
    }

    /// Gives an assigned job back without slash, within the start window (assigned worker
    /// only; for a worker that did not receive inputs opening the posted commitment).
    pub async fn release(&self, job: JobId) -> Result<TxOutcome> {
        self.transact(
            "release",
            self.market().release(job.0).into_transaction_request(),
        )
        .await
    }

    /// Seconds after assignment during which the worker may release.
    pub async fn start_window(&self) -> Result<u64> {
        self.market()
            .startWindow()
            .call()
            .await
            .map(u64::from)
            .map_err(Self::read_err("startWindow"))
    }

    /// Stake every worker must hold free to take any job.
    pub async fn min_worker_stake(&self) -> Result<U256> {
        self.market()
            .minWorkerStake()
            .call()
            .await
            .map_err(Self::read_err("minWorkerStake"))
    }

    /// Submits a result with its proof (assigned worker only).
    pub async fn submit_result(
        &self,
        job: JobId,
        output_commitment: U256,
        proof: [U256; 8],
    ) -> Result<TxOutcome> {
        let sent = self
            .market()
            .submitResult(job.0, output_commitment, proof)
            .into_transaction_request();
        self.transact("submitResult", sent).await
    }

    /// Settles several of this account's assigned jobs, all pinned to one verifier, in one
    /// transaction with one batched pairing check (`submitResults`); all or nothing.
    pub async fn submit_results(
        &self,
        jobs: &[JobId],
        output_commitments: Vec<U256>,
        proofs: Vec<[U256; 8]>,
    ) -> Result<TxOutcome> {
        let sent = self
            .market()
            .submitResults(
                jobs.iter().map(|j| j.0).collect(),
                output_commitments,
                proofs,
            )
            .into_transaction_request();
        self.transact("submitResults", sent).await
    }

    /// Settles a chunked job: each chunk's input and output commitments and proof, in
    /// chunk order (see `arcanum_zk::chunks`); the job's input commitment must be their
    /// combination.
    pub async fn submit_chunked_result(
        &self,
        job: JobId,
        input_commitments: Vec<U256>,
        output_commitments: Vec<U256>,
        proofs: Vec<[U256; 8]>,
    ) -> Result<TxOutcome> {
        let sent = self
            .market()
            .submitChunkedResult(job.0, input_commitments, output_commitments, proofs)
            .into_transaction_request();
        self.transact("submitChunkedResult", sent).await
    }

    /// Cancels an unassigned job (requester only).
    pub async fn cancel(&self, job: JobId) -> Result<TxOutcome> {
        self.transact(
            "cancel",
            self.market().cancel(job.0).into_transaction_request(),
        )
        .await
    }

    /// Expires an assigned job whose deadline passed (anyone).
    pub async fn expire(&self, job: JobId) -> Result<TxOutcome> {
        self.transact(
            "expire",
            self.market().expire(job.0).into_transaction_request(),
        )
        .await
    }

    /// Withdraws the caller's credit.
    pub async fn claim(&self) -> Result<TxOutcome> {
        self.transact("claim", self.market().claim().into_transaction_request())
            .await
    }

    /// Reads a job.
    pub async fn job(&self, job: JobId) -> Result<JobInfo> {
        let j = self
            .market()
            .jobs(job.0)
            .call()
            .await
            .map_err(Self::read_err("jobs"))?;
        Ok(JobInfo {
            fee_left: U256::from(j.feeLeft),
            budget: U256::from(j.budget),
            assigned_at: u64::from(j.assignedAt),
            requester: j.requester,
            worker: j.worker,
            status: JobStatus::from(j.status),
            shape: ShapeId(j.shape),
            kind: j.kind,
            attempts: j.attempts,
            reward: U256::from(j.reward),
            min_stake: U256::from(j.minStake),
            deadline: u64::from(j.deadline),
            input_commitment: j.inputCommitment,
        })
    }

    /// The completion of `job` (from its `JobCompleted` event, looked up by its indexed
    /// job id from block `from`, the job's posting block), if it completed.
    pub async fn completion(&self, job: JobId, from: u64) -> Result<Option<Completion>> {
        let logs = self
            .market()
            .JobCompleted_filter()
            .topic1(job.0)
            .from_block(from.max(self.deployment.deploy_block))
            .query()
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_getLogs(JobCompleted)",
                detail: e.to_string(),
            })?;
        Ok(logs.into_iter().next().map(|(event, log)| Completion {
            worker: event.worker,
            output_commitment: event.outputCommitment,
            reward: event.reward,
            block: log.block_number.unwrap_or_default(),
            tx_hash: log.transaction_hash.unwrap_or_default(),
        }))
    }

    /// The job `requester` posted with `input_commitment` at or after block `from`, if any:
    /// a requester restarted between its post being mined and recorded finds it here
    /// instead of posting twice.
    pub async fn find_posted(
        &self,
        requester: Address,
        input_commitment: U256,
        from: u64,
    ) -> Result<Option<(JobId, TxOutcome)>> {
        let logs = self
            .market()
            .JobPosted_filter()
            .topic2(requester)
            .from_block(from)
            .query()
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_getLogs(JobPosted)",
                detail: e.to_string(),
            })?;
        Ok(logs
            .into_iter()
            .find(|(e, _)| e.inputCommitment == input_commitment)
            .map(|(e, log)| {
                (
                    JobId(e.jobId),
                    TxOutcome {
                        tx_hash: log.transaction_hash.unwrap_or_default(),
                        gas_used: 0,
                        block: log.block_number.unwrap_or_default(),
                    },
                )
            }))
    }

    /// Every market event in `from..=to` (inclusive block range), decoded, in chain order:
    /// what an indexer or a node catching up after a restart reads.
    pub async fn market_events(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, ComputeMarket::ComputeMarketEvents)>> {
        Ok(self
            .market_logs(from, to)
            .await?
            .into_iter()
            .map(|(l, _)| (l.block, l.event))
            .collect())
    }

    /// A worker's stake figures.
    pub async fn stake_of(&self, worker: Address) -> Result<StakeInfo> {
        self.stake_at(worker, None).await
    }

    /// `worker`'s stake as of `block` (the latest when `None`); a committee draw weighs
    /// candidates by their stake at the block that seeds it.
    pub async fn stake_at(&self, worker: Address, block: Option<u64>) -> Result<StakeInfo> {
        let market = self.market();
        let call = market.stakeOf(worker);
        let call = match block {
            Some(b) => call.block(alloy::eips::BlockId::number(b)),
            None => call,
        };
        let s = call.call().await.map_err(Self::read_err("stakeOf"))?;
        Ok(StakeInfo {
            staked: s.staked,
            locked: s.locked,
            unbonding: s.unbonding,
            ready_at: s.readyAt,
            releases: s.releases,
        })
    }

    /// Starts unbonding `amount` of free stake.
    pub async fn request_unbond(&self, amount: U256) -> Result<TxOutcome> {
        self.transact(
            "requestUnbond",
            self.market()
                .requestUnbond(amount)
                .into_transaction_request(),
        )
        .await
    }

    /// Withdraws unbonded stake after the delay.
    pub async fn withdraw(&self) -> Result<TxOutcome> {
        self.transact(
            "withdraw",
            self.market().withdraw().into_transaction_request(),
        )
        .await
    }

    /// Moves an open job's deadline (requester only).
    pub async fn extend_deadline(&self, job: JobId, deadline: u64) -> Result<TxOutcome> {
        let sent = self
            .market()
            .extendDeadline(job.0, deadline)
            .into_transaction_request();
        self.transact("extendDeadline", sent).await
    }

    /// Sets the market's economic parameters (owner only).
    pub async fn set_parameters(
        &self,
        min_worker_stake: U256,
        fee_bps: u64,
        slash_to_requester_bps: u64,
        treasury: Address,
    ) -> Result<TxOutcome> {
        let sent = self
            .market()
            .setParameters(
                min_worker_stake,
                U256::from(fee_bps),
                U256::from(slash_to_requester_bps),
                treasury,
            )
            .into_transaction_request();
        self.transact("setParameters", sent).await
    }

    /// Signs (as the requester) an EIP-712 assignment letting `worker` take the current
    /// attempt of `job` at price `ask` until `accept_by`; the worker submits it with
    /// [`MarketClient::accept_assignment`].
    pub async fn sign_assignment(
        &self,
        job: JobId,
        worker: Address,
        ask: U256,
        accept_by: u64,
    ) -> Result<Vec<u8>> {
        use alloy::signers::SignerSync;
        let attempt = self.job(job).await?.attempts;
        let digest = self
            .market()
            .assignmentDigest(job.0, worker, attempt, ask, accept_by)
            .call()
            .await
            .map_err(Self::read_err("assignmentDigest"))?;
        let sig = self
            .signer
            .sign_hash_sync(&digest)
            .map_err(|e| Error::Rpc {
                call: "sign assignment",
                detail: e.to_string(),
            })?;
        Ok(sig.as_bytes().to_vec())
    }

    /// Takes a job with a requester-signed assignment at price `ask` (worker side: this
    /// transaction is the worker's consent).
    pub async fn accept_assignment(
        &self,
        job: JobId,
        ask: U256,
        accept_by: u64,
        signature: Vec<u8>,
    ) -> Result<TxOutcome> {
        let sent = self
            .market()
            .acceptAssignment(job.0, ask, accept_by, signature.into())
            .into_transaction_request();
        self.transact("acceptAssignment", sent).await
    }

    /// Claimable credit of `who`.
    pub async fn credit_of(&self, who: Address) -> Result<U256> {
        self.market()
            .credit(who)
            .call()
            .await
            .map_err(Self::read_err("credit"))
    }
}
