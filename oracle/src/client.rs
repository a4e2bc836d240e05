use crate::{
    Error, Result,
    bindings::{
        ArcanumToken::{self, ArcanumTokenInstance},
        ComputeMarket::{self, ComputeMarketInstance},
        DataOracle::{self, DataOracleInstance},
        IGroth16Verifier, verifier_bytecode,
    },
    deployment::{DeployedShape, Deployment},
};
use alloy::{
    contract::Error as ContractError,
    network::{Ethereum, EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, I256, U256},
    providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    transports::RpcError,
};
use arcanum_protocol::{JobId, JobSpec, MarketDomain, Shape, ShapeId, SignedBid};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where the chain is and how patiently to wait for it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChainConfig {
    /// HTTP JSON-RPC endpoint.
    pub rpc_url: String,
    /// How long to wait for a transaction's receipt.
    pub receipt_timeout: Duration,
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
    fn from_receipt(r: &TransactionReceipt) -> Self {
        Self {
            tx_hash: r.transaction_hash,
            gas_used: r.gas_used,
            block: r.block_number.unwrap_or_default(),
        }
    }
}

/// Gas of a `verifyProof` transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyGas {
    /// The whole transaction.
    pub tx_gas: u64,
    /// Its intrinsic part: 21,000 plus calldata (4 per zero byte, 16 per other byte).
    pub intrinsic_gas: u64,
}

impl VerifyGas {
    /// Gas spent executing the verifier.
    pub fn execution(&self) -> u64 {
        self.tx_gas.saturating_sub(self.intrinsic_gas)
    }
}

/// Intrinsic gas of a call transaction with `calldata` (EIP-2028 pricing).
pub fn intrinsic_gas(calldata: &[u8]) -> u64 {
    21_000
        + calldata
            .iter()
            .map(|b| if *b == 0 { 4 } else { 16 })
            .sum::<u64>()
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
}

/// One account's view of a deployed market: sends its transactions and reads state.
/// (Its `Debug` output shows the account, never the key.)
#[derive(Clone, Debug)]
pub struct MarketClient {
    provider: DynProvider,
    chain_id: u64,
    account: Address,
    signer: PrivateKeySigner,
    deployment: Deployment,
    config: ChainConfig,
}

/// Decodes a contract error into the name and fields of the custom error it carries.
fn revert_reason(e: &ContractError) -> Option<String> {
    if let Some(err) = e.as_decoded_interface_error::<ComputeMarket::ComputeMarketErrors>() {
        return Some(format!("{err:?}"));
    }
    if let Some(err) = e.as_decoded_interface_error::<DataOracle::DataOracleErrors>() {
        return Some(format!("{err:?}"));
    }
    if let Some(err) = e.as_decoded_interface_error::<IGroth16Verifier::IGroth16VerifierErrors>() {
        return Some(format!("{err:?}"));
    }
    if let Some(err) = e.as_decoded_interface_error::<ArcanumToken::ArcanumTokenErrors>() {
        return Some(format!("{err:?}"));
    }
    e.as_revert_data().map(|d| format!("revert data {d}"))
}

impl MarketClient {
    async fn build_provider(
        config: &ChainConfig,
        signer: PrivateKeySigner,
    ) -> Result<(DynProvider, u64)> {
        let url = config.rpc_url.parse().map_err(|e| Error::Unreachable {
            url: config.rpc_url.clone(),
            detail: format!("not a URL: {e}"),
        })?;
        // Nonces are read from the node (`pending`) for every transaction. alloy's default
        // cached nonce manager reserves a nonce while the gas filler runs concurrently, so a
        // transaction refused at estimation (a revert) leaves a nonce gap and every later
        // transaction of the account stalls in the pool. Each account here sends one
        // transaction at a time, so the node's count is always right.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| Error::Unreachable {
                url: config.rpc_url.clone(),
                detail: e.to_string(),
            })?;
        Ok((provider, chain_id))
    }

    /// Connects `signer` to an existing deployment, checking the RPC answers.
    pub async fn connect(
        config: ChainConfig,
        signer: PrivateKeySigner,
        deployment: Deployment,
    ) -> Result<Self> {
        let account = signer.address();
        let (provider, chain_id) = Self::build_provider(&config, signer.clone()).await?;
        if deployment.chain_id != chain_id {
            return Err(Error::Deploy(format!(
                "the deployment is for chain {} but {} is chain {chain_id}; use that chain's deployment file",
                deployment.chain_id, config.rpc_url
            )));
        }
        // A deployment file written by a failed or simulated deployment names addresses
        // without code: refuse it now rather than fail on the first call.
        let code =
            provider
                .get_code_at(deployment.market)
                .await
                .map_err(|e| Error::Unreachable {
                    url: config.rpc_url.clone(),
                    detail: e.to_string(),
                })?;
        if code.is_empty() {
            return Err(Error::Deploy(format!(
                "no contract at the market address {} on chain {chain_id}; the deployment file is stale or from a failed deployment: redeploy (`arcanum deploy`)",
                deployment.market
            )));
        }
        Ok(Self {
            signer,
            provider,
            chain_id,
            account,
            deployment,
            config,
        })
    }

    /// Deploys the token, one verifier per shape (by generated contract name), the market
    /// and the data oracle; registers the verifiers (with the kind each shape proves) and
    /// oracle nodes; returns a client for the deployer (the owner of everything).
    pub async fn deploy(
        config: ChainConfig,
        signer: PrivateKeySigner,
        shapes: &[Shape],
        params: &MarketParams,
    ) -> Result<Self> {
        let account = signer.address();
        let (provider, chain_id) = Self::build_provider(&config, signer.clone()).await?;
        let deploy_block = provider.get_block_number().await.map_err(|e| Error::Rpc {
            call: "eth_blockNumber",
            detail: e.to_string(),
        })?;
        let token = ArcanumToken::deploy(&provider, account)
            .await
            .map_err(|e| Error::Deploy(format!("ArcanumToken: {e}")))?;
        let market = ComputeMarket::deploy(
            &provider,
            *token.address(),
            params.unbonding_delay,
            params.min_worker_stake,
            account,
            params.treasury,
        )
        .await
        .map_err(|e| Error::Deploy(format!("ComputeMarket: {e}")))?;
        let oracle = DataOracle::deploy(&provider, *token.address(), *market.address(), account)
            .await
            .map_err(|e| Error::Deploy(format!("DataOracle: {e}")))?;
        let deployment = Deployment {
            chain_id,
            deploy_block,
            token: *token.address(),
            market: *market.address(),
            data_oracle: *oracle.address(),
            shapes: vec![],
            abi: Deployment::default_abi(),
        };
        let mut client = Self {
            provider,
            chain_id,
            account,
            signer,
            deployment,
            config,
        };
        for shape in shapes {
            let contract = shape.verifier_contract();
            let code = verifier_bytecode(&contract).ok_or_else(|| {
                Error::Deploy(format!(
                    "no artifact for verifier {contract}; run `make verifiers bindings`"
                ))
            })?;
            let tx = TransactionRequest::default().with_deploy_code(code);
            let pending = client.provider.send_transaction(tx).await;
            let receipt = client
                .settle("deploy verifier", pending.map_err(ContractError::from))
                .await?;
            let verifier = receipt.contract_address.ok_or_else(|| {
                Error::Deploy(format!("{contract}: receipt has no contract address"))
            })?;
            let pending = client
                .market()
                .setVerifier(shape.id.0, shape.kind.code(), verifier)
                .send()
                .await;
            client.settle("setVerifier", pending).await?;
            client.deployment.shapes.push(DeployedShape {
                id: shape.id,
                kind: shape.kind.code(),
                name: shape.name(),
                verifier,
            });
        }
        for node in &params.oracle_nodes {
            let pending = client.data_oracle().setOracle(*node, true).send().await;
            client.settle("setOracle", pending).await?;
        }
        Ok(client)
    }

    /// The same deployment seen by another account.
    pub async fn with_signer(&self, signer: PrivateKeySigner) -> Result<Self> {
        Self::connect(self.config.clone(), signer, self.deployment.clone()).await
    }

    /// This client's account.
    pub fn account(&self) -> Address {
        self.account
    }

    /// The chain id the RPC reported at connection.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The EIP-712 domain bids for this market are signed under.
    pub fn domain(&self) -> MarketDomain {
        MarketDomain {
            chain_id: self.chain_id,
            market: self.deployment.market,
        }
    }

    /// The deployment's addresses.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The underlying provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    fn market(&self) -> ComputeMarketInstance<DynProvider> {
        ComputeMarket::new(self.deployment.market, self.provider.clone())
    }

    fn data_oracle(&self) -> DataOracleInstance<DynProvider> {
        DataOracle::new(self.deployment.data_oracle, self.provider.clone())
    }

    fn token(&self) -> ArcanumTokenInstance<DynProvider> {
        ArcanumToken::new(self.deployment.token, self.provider.clone())
    }

    /// Waits for a sent transaction's receipt; maps reverts, timeouts and failures.
    async fn settle(
        &self,
        call: &'static str,
        sent: std::result::Result<PendingTransactionBuilder<Ethereum>, ContractError>,
    ) -> Result<TransactionReceipt> {
        let pending = sent.map_err(|e| match revert_reason(&e) {
            Some(reason) => Error::Reverted { call, reason },
            None => match &e {
                ContractError::TransportError(RpcError::Transport(t)) => Error::Unreachable {
                    url: self.config.rpc_url.clone(),
                    detail: t.to_string(),
                },
                _ => Error::Rpc {
                    call,
                    detail: e.to_string(),
                },
            },
        })?;
        let seconds = self.config.receipt_timeout.as_secs();
        let receipt = pending
            .with_timeout(Some(self.config.receipt_timeout))
            .get_receipt()
            .await
            .map_err(|e| Error::Timeout {
                call,
                seconds,
                detail: e.to_string(),
            })?;
        if !receipt.status() {
            return Err(Error::Failed {
                call,
                tx: receipt.transaction_hash.to_string(),
            });
        }
        tracing::debug!(target: "chain::tx", call, tx = %receipt.transaction_hash, gas = receipt.gas_used, "mined");
        Ok(receipt)
    }

    /// Waits for a sent transaction (see [`Self::settle`]) and summarises its receipt.
    async fn transact(
        &self,
        call: &'static str,
        sent: std::result::Result<PendingTransactionBuilder<Ethereum>, ContractError>,
    ) -> Result<TxOutcome> {
        Ok(TxOutcome::from_receipt(&self.settle(call, sent).await?))
    }

    fn read_err(call: &'static str) -> impl Fn(ContractError) -> Error {
        move |e| match revert_reason(&e) {
            Some(reason) => Error::Reverted { call, reason },
            None => Error::Rpc {
                call,
                detail: e.to_string(),
            },
        }
    }

    /// Mints tokens (the caller must own the token: devnets only).
    pub async fn mint(&self, to: Address, amount: U256) -> Result<TxOutcome> {
        self.transact("mint", self.token().mint(to, amount).send().await)
            .await
    }

    async fn approve(&self, amount: U256) -> Result<()> {
        let sent = self
            .token()
            .approve(self.deployment.market, amount)
            .send()
            .await;
        self.settle("approve", sent).await.map(|_| ())
    }

    /// Approves and stakes `amount`.
    pub async fn stake(&self, amount: U256) -> Result<TxOutcome> {
        self.approve(amount).await?;
        self.transact("stake", self.market().stake(amount).send().await)
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
            .send()
            .await;
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
            .send()
            .await;
        self.transact("assignWithBid", sent).await
    }

    /// Gives an assigned job back without slash, within the start window (assigned worker
    /// only; for a worker that did not receive inputs opening the posted commitment).
    pub async fn release(&self, job: JobId) -> Result<TxOutcome> {
        self.transact("release", self.market().release(job.0).send().await)
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
            .send()
            .await;
        self.transact("submitResult", sent).await
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
            .send()
            .await;
        self.transact("submitChunkedResult", sent).await
    }

    /// Cancels an unassigned job (requester only).
    pub async fn cancel(&self, job: JobId) -> Result<TxOutcome> {
        self.transact("cancel", self.market().cancel(job.0).send().await)
            .await
    }

    /// Expires an assigned job whose deadline passed (anyone).
    pub async fn expire(&self, job: JobId) -> Result<TxOutcome> {
        self.transact("expire", self.market().expire(job.0).send().await)
            .await
    }

    /// Withdraws the caller's credit.
    pub async fn claim(&self) -> Result<TxOutcome> {
        self.transact("claim", self.market().claim().send().await)
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

    /// The completion of `job` (from its `JobCompleted` event), if it completed.
    pub async fn completion(&self, job: JobId) -> Result<Option<Completion>> {
        let logs = self
            .market()
            .JobCompleted_filter()
            .topic1(job.0)
            .from_block(self.deployment.deploy_block)
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

    /// Rewards credited to `worker` by settlements since the deployment: (jobs, total).
    pub async fn earned(&self, worker: Address) -> Result<(usize, U256)> {
        let logs = self
            .market()
            .JobCompleted_filter()
            .topic2(worker)
            .from_block(self.deployment.deploy_block)
            .query()
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_getLogs(JobCompleted)",
                detail: e.to_string(),
            })?;
        let total = logs
            .iter()
            .fold(U256::ZERO, |acc, (e, _)| acc.saturating_add(e.reward));
        Ok((logs.len(), total))
    }

    /// Credit `account` has claimed since the deployment.
    pub async fn claimed(&self, account: Address) -> Result<U256> {
        let logs = self
            .market()
            .Claimed_filter()
            .topic1(account)
            .from_block(self.deployment.deploy_block)
            .query()
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_getLogs(Claimed)",
                detail: e.to_string(),
            })?;
        Ok(logs
            .iter()
            .fold(U256::ZERO, |acc, (e, _)| acc.saturating_add(e.amount)))
    }

    /// Latest block number.
    pub async fn block_number(&self) -> Result<u64> {
        self.provider
            .get_block_number()
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_blockNumber",
                detail: e.to_string(),
            })
    }

    /// Every market event in `from..=to` (inclusive block range), decoded, in chain order:
    /// what an indexer or a node catching up after a restart reads.
    pub async fn market_events(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, ComputeMarket::ComputeMarketEvents)>> {
        use alloy::sol_types::SolEventInterface;
        let filter = alloy::rpc::types::Filter::new()
            .address(self.deployment.market)
            .from_block(from)
            .to_block(to);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_getLogs",
                detail: e.to_string(),
            })?;
        logs.into_iter()
            .map(|log| {
                let block = log.block_number.unwrap_or_default();
                ComputeMarket::ComputeMarketEvents::decode_log(&log.inner)
                    .map(|e| (block, e.data))
                    .map_err(|e| Error::Rpc {
                        call: "decode market event",
                        detail: e.to_string(),
                    })
            })
            .collect()
    }

    /// A worker's stake figures.
    pub async fn stake_of(&self, worker: Address) -> Result<StakeInfo> {
        let s = self
            .market()
            .stakeOf(worker)
            .call()
            .await
            .map_err(Self::read_err("stakeOf"))?;
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
            self.market().requestUnbond(amount).send().await,
        )
        .await
    }

    /// Withdraws unbonded stake after the delay.
    pub async fn withdraw(&self) -> Result<TxOutcome> {
        self.transact("withdraw", self.market().withdraw().send().await)
            .await
    }

    /// Moves an open job's deadline (requester only).
    pub async fn extend_deadline(&self, job: JobId, deadline: u64) -> Result<TxOutcome> {
        let sent = self.market().extendDeadline(job.0, deadline).send().await;
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
            .send()
            .await;
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
            .send()
            .await;
        self.transact("acceptAssignment", sent).await
    }

    /// Requests a data-oracle value (approves and pays `fee`); returns the request id.
    pub async fn oracle_request(
        &self,
        feed: B256,
        fee: U256,
        callback: Address,
        callback_gas: u32,
        ttl: u64,
    ) -> Result<(U256, TxOutcome)> {
        let fee96 = alloy::primitives::Uint::<96, 2>::checked_from_limbs_slice(fee.as_limbs())
            .ok_or_else(|| Error::Rpc {
                call: "request",
                detail: format!("fee {fee} exceeds uint96"),
            })?;
        if !fee.is_zero() {
            let sent = self
                .token()
                .approve(self.deployment.data_oracle, fee)
                .send()
                .await;
            self.settle("approve", sent).await?;
        }
        let sent = self
            .data_oracle()
            .request(feed, fee96, callback, callback_gas, ttl)
            .send()
            .await;
        let r = self.settle("request", sent).await?;
        let ev = r
            .decoded_log::<DataOracle::Requested>()
            .ok_or(Error::MissingEvent {
                call: "request",
                event: "Requested",
            })?;
        Ok((ev.requestId, TxOutcome::from_receipt(&r)))
    }

    /// Fulfils a data-oracle request with a value backed by completed job `job` (oracle
    /// node only).
    pub async fn oracle_fulfill(
        &self,
        request: U256,
        value: I256,
        job: JobId,
    ) -> Result<TxOutcome> {
        let sent = self
            .data_oracle()
            .fulfill(request, value, job.0)
            .send()
            .await;
        self.transact("fulfill", sent).await
    }

    /// Cancels an expired data-oracle request (requester only).
    pub async fn oracle_cancel(&self, request: U256) -> Result<TxOutcome> {
        self.transact("cancel", self.data_oracle().cancel(request).send().await)
            .await
    }

    /// Withdraws the caller's data-oracle credit.
    pub async fn oracle_claim(&self) -> Result<TxOutcome> {
        self.transact("claim", self.data_oracle().claim().send().await)
            .await
    }

    /// A feed's latest value and provenance.
    pub async fn oracle_latest(&self, feed: B256) -> Result<FeedValue> {
        let v = self
            .data_oracle()
            .latest(feed)
            .call()
            .await
            .map_err(Self::read_err("latest"))?;
        Ok(FeedValue {
            value: v.value,
            job_id: JobId(v.jobId),
            worker: v.worker,
            block: v.blockNumber,
            request_id: v.requestId,
        })
    }

    /// Token balance of `who`.
    pub async fn balance_of(&self, who: Address) -> Result<U256> {
        self.token()
            .balanceOf(who)
            .call()
            .await
            .map_err(Self::read_err("balanceOf"))
    }

    /// Total token supply.
    pub async fn total_supply(&self) -> Result<U256> {
        self.token()
            .totalSupply()
            .call()
            .await
            .map_err(Self::read_err("totalSupply"))
    }

    /// Claimable credit of `who`.
    pub async fn credit_of(&self, who: Address) -> Result<U256> {
        self.market()
            .credit(who)
            .call()
            .await
            .map_err(Self::read_err("credit"))
    }

    /// Verifies a proof through a shape's on-chain verifier with an `eth_call` (no
    /// transaction); returns whether it verifies.
    pub async fn verify_on_chain(
        &self,
        shape: ShapeId,
        proof: [U256; 8],
        inputs: [U256; 4],
    ) -> Result<bool> {
        let verifier = self.verifier_of(shape)?;
        IGroth16Verifier::new(verifier, self.provider.clone())
            .verifyProof(proof, inputs)
            .call()
            .await
            .map_err(Self::read_err("verifyProof"))
    }

    /// Gas used by a `verifyProof` transaction to the shape's verifier (the whole
    /// transaction: 21,000 base, calldata, and verification). Measured by sending a real
    /// transaction with a generous gas limit: `eth_estimateGas` would report the least gas
    /// at which the call *returns* (false, once a precompile runs out of gas), not the cost
    /// of verifying.
    pub async fn verify_gas(
        &self,
        shape: ShapeId,
        proof: [U256; 8],
        inputs: [U256; 4],
    ) -> Result<VerifyGas> {
        let verifier = self.verifier_of(shape)?;
        let instance = IGroth16Verifier::new(verifier, self.provider.clone());
        let call = instance.verifyProof(proof, inputs).gas(1_000_000);
        let calldata = call.calldata().clone();
        let tx_gas = self
            .settle("verifyProof", call.send().await)
            .await?
            .gas_used;
        Ok(VerifyGas {
            tx_gas,
            intrinsic_gas: intrinsic_gas(&calldata),
        })
    }

    fn verifier_of(&self, shape: ShapeId) -> Result<Address> {
        self.deployment
            .verifier_of(shape)
            .ok_or_else(|| Error::Deploy(format!("no verifier deployed for {shape}")))
    }

    /// Latest block's timestamp.
    pub async fn chain_time(&self) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_getBlockByNumber",
                detail: e.to_string(),
            })?
            .ok_or(Error::Rpc {
                call: "eth_getBlockByNumber",
                detail: "no latest block".into(),
            })?;
        Ok(block.header.timestamp)
    }
}
