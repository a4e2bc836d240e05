use super::common::DataDirArg;
use crate::api::client::ApiClient;
use clap::Args;

/// `arcanum status`: what the running node is and has.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    dir: DataDirArg,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

impl StatusArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let s = ApiClient::for_data_dir(&self.dir.data_dir)?
            .status()
            .await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&s)?);
            return Ok(());
        }
        println!("roles:      {}", s.roles.join(", "));
        println!("address:    {}", s.address);
        println!("peer id:    {} ({} peers)", s.peer_id, s.peers);
        println!("listen:     {}", s.listen.join(", "));
        println!("chain:      {} at block {}", s.chain_id, s.head);
        println!(
            "stake:      {} ARC ({} free, {} locked, {} unbonding)",
            super::fmt_arc(&s.stake_wei),
            super::fmt_arc(&s.free_wei),
            super::fmt_arc(&s.locked_wei),
            super::fmt_arc(&s.unbonding_wei)
        );
        let jobs: Vec<String> = s.jobs.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "jobs:       {}",
            if jobs.is_empty() {
                "none".into()
            } else {
                jobs.join(", ")
            }
        );
        Ok(())
    }
}
