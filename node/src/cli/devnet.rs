use crate::devnet::{Devnet, DevnetConfig, arc};
use clap::Args;
use std::path::PathBuf;

/// `arcanum devnet`: Anvil on a free port, contracts deployed, one requester and workers on
/// loopback, one `secagg-sum` job over the Iris data set and one `he-linear` job under a
/// threshold key; prints the outcome.
#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Number of workers competing for the job.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Reward in whole ARC.
    #[arg(long, default_value_t = 25)]
    reward: u64,
    /// Where dev keys are cached.
    #[arg(long, default_value = ".arcanum/devnet", env = "ARCANUM_DATA_DIR")]
    data_dir: PathBuf,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl DevnetArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        if self.workers == 0 {
            eyre::bail!("--workers must be at least 1");
        }
        let config = DevnetConfig {
            data_dir: self.data_dir,
            workers: self.workers,
            reward: arc(self.reward),
            ..DevnetConfig::default()
        };
        let mut devnet = Devnet::start(config).await?;
        let mut report = devnet.run_iris_job().await?;
        report.he_linear = Some(devnet.run_he_job().await?);
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!("{report}");
        }
        Ok(())
    }
}
