//! The client: connection, provider, and how transactions are sent, awaited and their reverts decoded.

use crate::{
    Error, Result,
    bindings::{
        ArcanumToken::{self, ArcanumTokenInstance},
        ComputeMarket::{self, ComputeMarketInstance},
        DataOracle::{self, DataOracleInstance},
        IGroth16Verifier,
    },
    deployment::Deployment,
    tx::TxManager,
    types::{ChainConfig, TxOutcome},
};
use alloy::{
    contract::Error as ContractError,
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    transports::RpcError,
};
use arcanum_protocol::MarketDomain;
use std::sync::Arc;

/// One account's view of a deployed market: sends its transactions and reads state.
/// (Its `Debug` output shows the account, never the key.)
#[derive(Clone, Debug)]
pub struct MarketClient {
    pub(crate) provider: DynProvider,
    pub(crate) chain_id: u64,
    pub(crate) account: Address,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) deployment: Deployment,
    pub(crate) config: ChainConfig,
    /// Nonces, fee bumping and receipts for this account (shared by clones).
    pub(crate) tx: Arc<TxManager>,
}

/// Decodes a contract error into the name and fields of the custom error it carries.
pub(crate) fn revert_reason(e: &ContractError) -> Option<String> {
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
    pub(crate) async fn build_provider(
        config: &ChainConfig,
        signer: PrivateKeySigner,
    ) -> Result<(DynProvider, u64)> {
        let url = config.rpc_url.parse().map_err(|e| Error::Unreachable {
            url: config.rpc_url.clone(),
            detail: format!("not a URL: {e}"),
        })?;
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| Error::Unreachable {
                url: config.rpc_url.clone(),
                detail: format!("cannot build the HTTP client: {e}"),
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
            .connect_reqwest(http, url)
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
            tx: Arc::new(TxManager::new(EthereumWallet::from(signer.clone()))),
            signer,
            provider,
            chain_id,
            account,
            deployment,
            config,
        })
    }

    /// The same deployment seen by another account.
    pub async fn with_signer(&self, signer: PrivateKeySigner) -> Result<Self> {
        Self::connect(self.config.clone(), signer, self.deployment.clone()).await
    }

    /// This client's account.
    pub fn account(&self) -> Address {
        self.account
    }

    /// The RPC endpoint.
    pub fn rpc_url(&self) -> &str {
        &self.config.rpc_url
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

    pub(crate) fn market(&self) -> ComputeMarketInstance<DynProvider> {
        ComputeMarket::new(self.deployment.market, self.provider.clone())
    }

    pub(crate) fn data_oracle(&self) -> DataOracleInstance<DynProvider> {
        DataOracle::new(self.deployment.data_oracle, self.provider.clone())
    }

    pub(crate) fn token(&self) -> ArcanumTokenInstance<DynProvider> {
        ArcanumToken::new(self.deployment.token, self.provider.clone())
    }

    /// Sends a transaction through the account's manager and waits for its receipt
    /// (see `tx`): reverts, timeouts and failures become errors naming `call`.
    pub(crate) async fn settle(
        &self,
        call: &'static str,
        tx: TransactionRequest,
    ) -> Result<TransactionReceipt> {
        self.send_managed(call, tx).await
    }

    /// Maps a contract or RPC error of `call`: a decoded revert, an unreachable endpoint,
    /// or the RPC's message.
    pub(crate) fn contract_error(&self, call: &'static str, e: ContractError) -> Error {
        match revert_reason(&e) {
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
        }
    }

    /// Maps a transport error of `call` (see [`Self::contract_error`]).
    pub(crate) fn rpc_error(
        &self,
        call: &'static str,
        e: alloy::transports::TransportError,
    ) -> Error {
        self.contract_error(call, ContractError::from(e))
    }

    /// Waits for a sent transaction (see [`Self::settle`]) and summarises its receipt.
    pub(crate) async fn transact(
        &self,
        call: &'static str,
        tx: TransactionRequest,
    ) -> Result<TxOutcome> {
        Ok(TxOutcome::from_receipt(&self.settle(call, tx).await?))
    }

    pub(crate) fn read_err(call: &'static str) -> impl Fn(ContractError) -> Error {
        move |e| match revert_reason(&e) {
            Some(reason) => Error::Reverted { call, reason },
            None => Error::Rpc {
                call,
                detail: e.to_string(),
            },
        }
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
