use super::common::DataDirArg;
use crate::api::client::ApiClient;
use clap::{Args, Subcommand};
use std::time::Duration;
use tokio::time::Instant;

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
    Claim {
        /// Seconds to wait for the chain watcher to confirm the claim, so that `arcanum
        /// rewards` shows it as claimed (0 = do not wait).
        #[arg(long, default_value_t = 120)]
        wait: u64,
    },
}

impl RewardsArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let api = ApiClient::for_data_dir(&self.dir.data_dir)?;
        match self.command {
            Some(RewardsCommand::Claim { wait }) => {
                let tx = api.claim().await?;
                if wait > 0 && !confirmed_within(&api, tx.block, Duration::from_secs(wait)).await? {
                    eprintln!(
                        "the claim is mined in block {} but not yet confirmed by the chain \
                         watcher; `arcanum rewards` shows it once it is",
                        tx.block
                    );
                }
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

/// Whether the node's chain watcher reaches `block` within `wait`.
async fn confirmed_within(api: &ApiClient, block: u64, wait: Duration) -> eyre::Result<bool> {
    let deadline = Instant::now() + wait;
    loop {
        if api.rewards().await?.confirmed_through_block >= block {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
