use super::common::DataDirArg;
use crate::api::client::ApiClient;
use clap::{Args, Subcommand};

/// `arcanum rewards`: earned, claimable and claimed, reconciled with chain events.
#[derive(Debug, Args)]
pub(crate) struct RewardsArgs {
    #[command(subcommand)]
    command: Option<RewardsCommand>,
    #[command(flatten)]
    dir: DataDirArg,
    /// Print as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum RewardsCommand {
    /// Withdraw the claimable credit to the node's address.
    Claim,
}

impl RewardsArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let api = ApiClient::for_data_dir(&self.dir.data_dir)?;
        match self.command {
            Some(RewardsCommand::Claim) => {
                let tx = api.claim().await?;
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&tx)?);
                } else {
                    println!("claimed in block {} (tx {})", tx.block, tx.tx_hash);
                }
            }
            None => {
                let r = api.rewards().await?;
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&r)?);
                } else {
                    println!("jobs paid:  {}", r.jobs_paid);
                    println!("earned:     {} ARC", super::fmt_arc(&r.earned_wei));
                    println!("claimable:  {} ARC", super::fmt_arc(&r.claimable_wei));
                    println!("claimed:    {} ARC", super::fmt_arc(&r.claimed_wei));
                }
            }
        }
        Ok(())
    }
}
