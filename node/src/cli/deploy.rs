use super::common::DataDirArg;
use crate::{config::NodeConfig, identity};
use arcanum_chain::{ChainConfig, Deployment, MarketClient, MarketParams};
use clap::Args;
use std::time::Duration;

/// `arcanum deploy`: deploys token, market, data oracle and one verifier per shape with the
/// data dir's key as owner, and writes `<data-dir>/deployments/<chain-id>.json` (the same
/// file `contracts/script/Deploy.s.sol` writes).
#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    dir: DataDirArg,
    /// JSON-RPC endpoint.
    #[arg(long)]
    rpc: String,
    /// Seconds between `requestUnbond` and `withdraw`.
    #[arg(long, default_value_t = 604_800, value_parser = clap::value_parser!(u64).range(0..=31_536_000))]
    unbonding_delay: u64,
    /// Stake every worker must hold, in ARC.
    #[arg(long, default_value = "100")]
    min_worker_stake: String,
    /// Treasury (fees and slashes); default: the deployer.
    #[arg(long)]
    treasury: Option<alloy::primitives::Address>,
    /// Addresses allowed to fulfil data-oracle requests (comma-separated).
    #[arg(long, value_delimiter = ',')]
    oracle: Vec<alloy::primitives::Address>,
    /// Print the deployment as JSON.
    #[arg(long)]
    json: bool,
}

impl DeployArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let dir = &self.dir.data_dir;
        let min_worker_stake = super::parse_arc(&self.min_worker_stake)?.parse()?;
        let cfg = NodeConfig::load(dir, &[])?.config;
        let password = identity::read_password(&cfg.keystore.password_file)?;
        let signer = identity::unlock(&dir.join(&cfg.keystore.path), &password)?;
        let chain = ChainConfig {
            rpc_url: self.rpc.clone(),
            receipt_timeout: Duration::from_secs(cfg.chain.receipt_timeout_secs),
            request_timeout: Duration::from_secs(cfg.chain.request_timeout_secs),
            fee_bump_after: Duration::from_secs(cfg.chain.fee_bump_secs),
        };
        let params = MarketParams {
            unbonding_delay: self.unbonding_delay,
            min_worker_stake,
            treasury: self.treasury.unwrap_or(signer.address()),
            oracle_nodes: self.oracle.clone(),
            oracle_circuits: crate::services::oracle::oracle_circuits(),
        };
        let client = MarketClient::deploy(chain, signer, arcanum_zk::shapes::ALL, &params).await?;
        let deployment = client.deployment().clone();
        let path = Deployment::path_for(dir, deployment.chain_id);
        deployment.save(&path)?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&deployment)?);
        } else {
            println!(
                "deployed on chain {} from block {}",
                deployment.chain_id, deployment.deploy_block
            );
            println!("market:      {}", deployment.market);
            println!("token:       {}", deployment.token);
            println!("data oracle: {}", deployment.data_oracle);
            for s in &deployment.shapes {
                println!("verifier:    {} (shape {}) {}", s.name, s.id.0, s.verifier);
            }
            println!("written to   {}", path.display());
        }
        Ok(())
    }
}
