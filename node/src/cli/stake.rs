use super::common::DataDirArg;
use crate::api::client::ApiClient;
use clap::{Args, Subcommand};

/// `arcanum stake`: the node's stake in the market.
#[derive(Debug, Args)]
pub(crate) struct StakeArgs {
    #[command(subcommand)]
    command: StakeCommand,
    #[command(flatten)]
    dir: DataDirArg,
    /// Print the transaction as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum StakeCommand {
    /// Stake AMOUNT ARC (approves the market, then stakes).
    Deposit {
        /// Amount in ARC, e.g. 500 or 0.25.
        amount: String,
    },
    /// Start unbonding AMOUNT ARC of free stake (withdrawable after the delay).
    Unbond {
        /// Amount in ARC.
        amount: String,
    },
    /// Withdraw all unbonded stake whose delay has passed.
    Withdraw,
}

impl StakeArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let api = ApiClient::for_data_dir(&self.dir.data_dir)?;
        let tx = match self.command {
            StakeCommand::Deposit { amount } => {
                api.stake_deposit(super::parse_arc(&amount)?).await?
            }
            StakeCommand::Unbond { amount } => api.stake_unbond(super::parse_arc(&amount)?).await?,
            StakeCommand::Withdraw => api.stake_withdraw().await?,
        };
        if self.json {
            println!("{}", serde_json::to_string_pretty(&tx)?);
        } else {
            println!(
                "mined in block {} (tx {}, gas {})",
                tx.block, tx.tx_hash, tx.gas_used
            );
        }
        Ok(())
    }
}
