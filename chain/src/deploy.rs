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
    types::{ChainConfig, DeployedOracleCircuit, MarketParams},
};
use alloy::{
    network::TransactionBuilder, providers::Provider, rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
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
            oracle_circuits: vec![],
            abi: Deployment::default_abi(),
        };
        let signer_for_tx = signer.clone();
        let mut client = Self {
            provider,
            chain_id,
            account,
            signer,
            deployment,
            config,
            tx: std::sync::Arc::new(crate::tx::TxManager::new(
                alloy::network::EthereumWallet::from(signer_for_tx),
            )),
        };
        for shape in shapes {
            let verifier = client.deploy_verifier(&shape.verifier_contract()).await?;
            let pending = client
                .market()
                .setVerifier(shape.id.0, shape.kind.code(), verifier)
                .into_transaction_request();
            client.settle("setVerifier", pending).await?;
            client.deployment.shapes.push(DeployedShape {
                id: shape.id,
                kind: shape.kind.code(),
                name: shape.name(),
                verifier,
            });
        }
        for circuit in &params.oracle_circuits {
            let clerk_verifier = client.deploy_verifier(&circuit.clerk_contract).await?;
            let finalize_verifier = client.deploy_verifier(&circuit.finalize_contract).await?;
            client
                .deployment
                .oracle_circuits
                .push(DeployedOracleCircuit {
                    circuit: circuit.clone(),
                    clerk_verifier,
                    finalize_verifier,
                });
        }
        for node in &params.oracle_nodes {
            let pending = client
                .data_oracle()
                .setOracle(*node, true)
                .into_transaction_request();
            client.settle("setOracle", pending).await?;
        }
        Ok(client)
    }

    /// Deploys a generated verifier contract by name; returns its address.
    async fn deploy_verifier(&self, contract: &str) -> Result<alloy::primitives::Address> {
        let code = verifier_bytecode(contract).ok_or_else(|| {
            Error::Deploy(format!(
                "no artifact for verifier {contract}; run `make verifiers bindings`"
            ))
        })?;
        let tx = TransactionRequest::default().with_deploy_code(code);
        let receipt = self.settle("deploy verifier", tx).await?;
        receipt
            .contract_address
            .ok_or_else(|| Error::Deploy(format!("{contract}: receipt has no contract address")))
    }
}
