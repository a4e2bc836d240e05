use crate::{
    Error, Result,
    bindings::{
        ArcanumToken::{self, ArcanumTokenInstance},
        ComputeMarket::{self, ComputeMarketInstance},
        IGroth16Verifier, verifier_bytecode,
    },
};
use alloy::{
    contract::Error as ContractError,
    network::{Ethereum, EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    transports::RpcError,
};
use arcanum_protocol::{JobId, JobSpec, ShapeId};
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

/// Addresses of a deployed Arcanum system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Reward and stake token.
    pub token: Address,
    /// The compute market.
    pub market: Address,
    /// Verifier contract per registered shape.
    pub verifiers: Vec<(ShapeId, Address)>,
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

/// A job's on-chain state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    /// No such job.
    None,
    /// Posted, waiting for assignment.
    Open,
    /// Assigned to a worker.
    Assigned,
    /// Proof verified, worker credited.
    Completed,
    /// Cancelled before assignment.
    Cancelled,
    /// Deadline missed; refunded and slashed.
    Expired,
}

impl From<u8> for JobStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Open,
            2 => Self::Assigned,
            3 => Self::Completed,
            4 => Self::Cancelled,
            5 => Self::Expired,
            _ => Self::None,
        }
    }
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
    /// Escrowed reward.
    pub reward: U256,
    /// Stake locked by the worker.
    pub min_stake: U256,
    /// Deadline, unix seconds.
    pub deadline: u64,
    /// Input commitment.
    pub input_commitment: U256,
    /// Output commitment (zero until completed).
    pub output_commitment: U256,
}

/// One account's view of a deployed market: sends its transactions and reads state.
#[derive(Clone, Debug)]
pub struct MarketClient {
    provider: DynProvider,
    account: Address,
    deployment: Deployment,
    config: ChainConfig,
}

/// Decodes a contract error into the name and fields of the custom error it carries.
fn revert_reason(e: &ContractError) -> Option<String> {
    if let Some(err) = e.as_decoded_interface_error::<ComputeMarket::ComputeMarketErrors>() {
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
    async fn build_provider(config: &ChainConfig, signer: PrivateKeySigner) -> Result<DynProvider> {
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
        provider
            .get_chain_id()
            .await
            .map_err(|e| Error::Unreachable {
                url: config.rpc_url.clone(),
                detail: e.to_string(),
            })?;
        Ok(provider)
    }

    /// Connects `signer` to an existing deployment, checking the RPC answers.
    pub async fn connect(
        config: ChainConfig,
        signer: PrivateKeySigner,
        deployment: Deployment,
    ) -> Result<Self> {
        let account = signer.address();
        let provider = Self::build_provider(&config, signer).await?;
        Ok(Self {
            provider,
            account,
            deployment,
            config,
        })
    }

    /// Deploys the token, one verifier per shape (by generated contract name), and the
    /// market, registers the verifiers, and returns a client for the deployer (the owner).
    pub async fn deploy(
        config: ChainConfig,
        signer: PrivateKeySigner,
        shapes: &[(ShapeId, String)],
        unbonding_delay: u64,
        min_worker_stake: U256,
    ) -> Result<Self> {
        let account = signer.address();
        let provider = Self::build_provider(&config, signer).await?;
        let token = ArcanumToken::deploy(&provider, account)
            .await
            .map_err(|e| Error::Deploy(format!("ArcanumToken: {e}")))?;
        let market = ComputeMarket::deploy(
            &provider,
            *token.address(),
            unbonding_delay,
            min_worker_stake,
            account,
        )
        .await
        .map_err(|e| Error::Deploy(format!("ComputeMarket: {e}")))?;
        let deployment = Deployment {
            token: *token.address(),
            market: *market.address(),
            verifiers: vec![],
        };
        let mut client = Self {
            provider,
            account,
            deployment,
            config,
        };
        for (shape, contract) in shapes {
            let code = verifier_bytecode(contract).ok_or_else(|| {
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
            let pending = client.market().setVerifier(shape.0, verifier).send().await;
            client.settle("setVerifier", pending).await?;
            client.deployment.verifiers.push((*shape, verifier));
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
        let r = self
            .settle("mint", self.token().mint(to, amount).send().await)
            .await?;
        Ok(TxOutcome::from_receipt(&r))
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
        let r = self
            .settle("stake", self.market().stake(amount).send().await)
            .await?;
        Ok(TxOutcome::from_receipt(&r))
    }

    /// Approves the reward and posts a job; returns its id.
    pub async fn post_job(&self, spec: &JobSpec, min_stake: U256) -> Result<(JobId, TxOutcome)> {
        self.approve(spec.reward).await?;
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

    /// Assigns a job to a worker (requester only).
    pub async fn assign(&self, job: JobId, worker: Address) -> Result<TxOutcome> {
        let r = self
            .settle("assign", self.market().assign(job.0, worker).send().await)
            .await?;
        Ok(TxOutcome::from_receipt(&r))
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
        let r = self.settle("submitResult", sent).await?;
        Ok(TxOutcome::from_receipt(&r))
    }

    /// Cancels an unassigned job (requester only).
    pub async fn cancel(&self, job: JobId) -> Result<TxOutcome> {
        let r = self
            .settle("cancel", self.market().cancel(job.0).send().await)
            .await?;
        Ok(TxOutcome::from_receipt(&r))
    }

    /// Expires an assigned job whose deadline passed (anyone).
    pub async fn expire(&self, job: JobId) -> Result<TxOutcome> {
        let r = self
            .settle("expire", self.market().expire(job.0).send().await)
            .await?;
        Ok(TxOutcome::from_receipt(&r))
    }

    /// Withdraws the caller's credit.
    pub async fn claim(&self) -> Result<TxOutcome> {
        let r = self
            .settle("claim", self.market().claim().send().await)
            .await?;
        Ok(TxOutcome::from_receipt(&r))
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
            requester: j.requester,
            worker: j.worker,
            status: JobStatus::from(j.status),
            shape: ShapeId(j.shape),
            kind: j.kind,
            reward: j.reward,
            min_stake: j.minStake,
            deadline: j.deadline,
            input_commitment: j.inputCommitment,
            output_commitment: j.outputCommitment,
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
    ) -> Result<u64> {
        let verifier = self.verifier_of(shape)?;
        let sent = IGroth16Verifier::new(verifier, self.provider.clone())
            .verifyProof(proof, inputs)
            .gas(1_000_000)
            .send()
            .await;
        Ok(self.settle("verifyProof", sent).await?.gas_used)
    }

    fn verifier_of(&self, shape: ShapeId) -> Result<Address> {
        self.deployment
            .verifiers
            .iter()
            .find(|(s, _)| *s == shape)
            .map(|(_, a)| *a)
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
