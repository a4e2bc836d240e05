use super::common::DataDirArg;
use crate::{
    api::client::ApiClient,
    store::{JobState, JobSubmission},
};
use clap::{Args, Subcommand};
use std::{path::PathBuf, time::Duration};

/// `arcanum job`: submit jobs to the node's requester and follow them.
#[derive(Debug, Args)]
pub(crate) struct JobArgs {
    #[command(subcommand)]
    command: JobCommand,
    #[command(flatten)]
    dir: DataDirArg,
    /// Print as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum JobCommand {
    /// Submit a job (a JSON file: shape, inputs, weights, reward_wei, min_stake_wei,
    /// deadline_secs).
    Submit {
        /// The job file.
        file: PathBuf,
        /// Wait until the job settles or fails (up to this many seconds).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        wait: Option<u64>,
    },
    /// Show one job.
    Get {
        /// Local job id.
        id: u64,
    },
    /// List the node's jobs.
    List,
}

impl JobArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let api = ApiClient::for_data_dir(&self.dir.data_dir)?;
        let record = match self.command {
            JobCommand::Submit { file, wait } => {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| eyre::eyre!("{}: {e}", file.display()))?;
                let job: JobSubmission = serde_json::from_str(&text).map_err(|e| {
                    eyre::eyre!(
                        "{}: not a job file ({e}); see `arcanum job submit --help`",
                        file.display()
                    )
                })?;
                let mut record = api.submit(&job).await?;
                if let Some(secs) = wait {
                    let until = std::time::Instant::now() + Duration::from_secs(secs);
                    while matches!(record.state, JobState::Submitted | JobState::Posted) {
                        if std::time::Instant::now() > until {
                            eyre::bail!(
                                "job {} still {:?} after {secs}s; follow it with `arcanum job get {}`",
                                record.id,
                                record.state,
                                record.id
                            );
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        record = api.job(record.id).await?;
                    }
                }
                record
            }
            JobCommand::Get { id } => api.job(id).await?,
            JobCommand::List => {
                let jobs = api.jobs().await?;
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&jobs)?);
                } else {
                    for j in jobs {
                        let chain_id = j
                            .posted
                            .as_ref()
                            .map(|p| p.job_id.0.to_string())
                            .unwrap_or_else(|| "-".into());
                        println!(
                            "{:>4}  {:<9?} {:<18} on-chain #{chain_id}",
                            j.id, j.state, j.submission.shape
                        );
                    }
                }
                return Ok(());
            }
        };
        if self.json {
            println!("{}", serde_json::to_string_pretty(&record)?);
        } else {
            println!("job {} is {:?}", record.id, record.state);
            if let Some(o) = &record.outcome {
                println!(
                    "on chain:   #{} settled by {} for {} ARC",
                    o.job_id,
                    o.worker,
                    super::fmt_arc(&o.ask_wei)
                );
                println!("output:     [{}]", o.output.join(", "));
            }
            if let Some(e) = &record.error {
                println!("error:      {e}");
            }
        }
        Ok(())
    }
}
