use crate::devnet::{
    arc,
    cluster::{Cluster, ClusterConfig},
};
use clap::Args;
use std::path::PathBuf;

/// `arcanum devnet`: Anvil on a free port, the contracts deployed, a requester and workers
/// each running as its own `arcanum node run` process on loopback; one `secagg-sum` job
/// over the Iris data set and one `he-linear` job under a threshold key, driven through the
/// nodes' APIs; prints the outcome. `--keep-running` leaves it up for other commands.
#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Number of worker nodes competing for the jobs (1 to 5: Anvil's funded accounts 2..=6).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=5))]
    workers: u64,
    /// Reward in whole ARC (10 to 1,000,000: the devnet's workers ask 10 ARC and up).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
    reward: u64,
    /// Root of the nodes' data dirs (recreated at each run; dev keys cached).
    #[arg(long, default_value = ".arcanum/devnet", env = "ARCANUM_DEVNET_DIR")]
    dir: PathBuf,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// After the demo jobs, keep the devnet up (print where everything is) until Ctrl-C.
    #[arg(long)]
    keep_running: bool,
    /// Also run the federated training job `deploy/examples/digits-fl.toml` (five proven
    /// rounds over the owners' digits data; workers also prove `secagg-sum-16x64`).
    #[arg(long)]
    fl: bool,
}

impl DevnetArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let config = ClusterConfig {
            root: self.dir,
            workers: usize::try_from(self.workers)?,
            reward: arc(self.reward),
            worker_stake: arc(500),
            job_stake: arc(100),
            exe: std::env::current_exe()?,
            worker_capacity: 1,
            owners: 4,
            fl: self.fl,
        };
        let mut cluster = Cluster::start(config).await?;
        let mut report = cluster.run_iris_job().await?;
        report.he_linear = Some(cluster.run_he_job().await?);
        if self.fl {
            report.fl = Some(cluster.run_fl_job().await?);
        }
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!("{report}");
        }
        if self.keep_running {
            let env_file = cluster.requester.dir.parent().map(|p| p.join("devnet.env"));
            let lines = cluster.env_lines();
            if let Some(f) = &env_file {
                std::fs::write(f, lines.join("\n") + "\n")?;
            }
            eprintln!("devnet running; Ctrl-C stops it");
            for l in &lines {
                eprintln!("  {l}");
            }
            if let Some(f) = env_file {
                eprintln!(
                    "  (also in {}; e.g. `arcanum status --data-dir $ARCANUM_WORKER0_DIR`)",
                    f.display()
                );
            }
            let _ = tokio::signal::ctrl_c().await;
        }
        cluster.stop()
    }
}
