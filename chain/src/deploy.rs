//! Deployment of the token, market, data oracle and one verifier per shape.

use crate::{
    Error, Result,
    bindings::{
        ArcanumToken::{self},
        ComputeMarket::{self},
        DataOracle::{self},
        verifier_bytecode,
    },
    client::MarketClient,
    deployment::{DeployedShape, Deployment},
    types::{ChainConfig, MarketParams},
};
use alloy::{
    contract::Error as ContractError, network::TransactionBuilder, providers::Provider,
    rpc::types::TransactionRequest, signers::local::PrivateKeySigner,
};
use arcanum_protocol::Shape;

impl MarketClient {
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
}
