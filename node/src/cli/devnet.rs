use crate::devnet::{Devnet, DevnetConfig, arc};
use clap::Args;
use std::path::PathBuf;

/// `arcanum devnet`: Anvil on a free port, contracts deployed, one requester and workers on
/// loopback, one `secagg-sum` job over the Iris data set and one `he-linear` job under a
/// threshold key; prints the outcome.
#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Number of workers competing for the job (1 to 5: Anvil's funded accounts 2..=6).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=5))]
    workers: u64,
    /// Reward in whole ARC (10 to 1,000,000: the devnet's workers ask 10 ARC and up).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
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
        let config = DevnetConfig {
            data_dir: self.data_dir,
            workers: usize::try_from(self.workers)?,
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
