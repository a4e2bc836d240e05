//! Command-line interface: one file per subcommand. Results go to stdout (`--json` for
//! scripts); logs and progress go to stderr.

mod common;
mod config;
mod deploy;
mod devnet;
mod feed;
mod init;
mod job;
mod keys;
mod node;
mod plot;
mod privacy;
mod rewards;
mod stake;
mod status;
mod train;

use clap::{Parser, Subcommand, ValueEnum};

/// Arcanum: a node for a marketplace of privacy-preserving compute with proofs and on-chain
/// payment.
#[derive(Debug, Parser)]
#[command(name = "arcanum", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human, env = "ARCANUM_LOG_FORMAT")]
    log_format: LogFormat,
    /// Log filter (tracing `EnvFilter` syntax, e.g. `info,net=debug`).
    #[arg(long, global = true, default_value = "info", env = "ARCANUM_LOG")]
    log: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data dir: commented config, libp2p identity, encrypted Ethereum keystore.
    Init(init::InitArgs),
    /// Show, create or import the node's keys (never prints a secret).
    Keys(keys::KeysArgs),
    /// Show the effective configuration and where each value came from.
    Config(config::ConfigArgs),
    /// Deploy the contracts and write the deployment file.
    Deploy(deploy::DeployArgs),
    /// Run the node (daemon).
    Node(node::NodeArgs),
    /// Show the running node's state.
    Status(status::StatusArgs),
    /// Deposit, unbond or withdraw stake.
    Stake(stake::StakeArgs),
    /// Show or claim rewards.
    Rewards(rewards::RewardsArgs),
    /// A data owner's privacy budgets: spent, remaining, and the ledger of releases.
    Privacy(privacy::PrivacyArgs),
    /// Submit and follow jobs (requester role).
    Job(job::JobArgs),
    /// The data oracle for dApps: feeds, requests, following a request to its end.
    Feed(feed::FeedArgs),
    /// Run a whole local system (Anvil, contracts, a requester, workers) and one job.
    Devnet(devnet::DevnetArgs),
}

/// Parses an ARC amount ("500", "0.25") into base units (18 decimals), as a decimal string.
pub(crate) fn parse_arc(amount: &str) -> eyre::Result<String> {
    let v = alloy::primitives::utils::parse_units(amount, 18).map_err(|_| {
        eyre::eyre!("{amount:?} is not an ARC amount (e.g. 500 or 0.25, at most 18 decimals)")
    })?;
    let wei: alloy::primitives::U256 = v.into();
    if wei.is_zero() {
        eyre::bail!("the amount must be positive");
    }
    Ok(wei.to_string())
}

/// Formats base units as ARC with 4 decimals.
pub(crate) fn fmt_arc(wei: &str) -> String {
    wei.parse::<alloy::primitives::U256>()
        .ok()
        .and_then(|v| alloy::primitives::utils::format_units(v, 18).ok())
        .map(|s| {
            let (whole, frac) = s.split_once('.').unwrap_or((&s, "0"));
            format!("{whole}.{:0<4}", &frac[..frac.len().min(4)])
        })
        .unwrap_or_else(|| wei.to_string())
}

impl Cli {
    /// Sets up the tracing subscriber (the only place that does).
    pub fn init_logging(&self) {
        // arkworks instruments every constraint-system operation with INFO spans (target
        // `gr1cs`); recording them makes proving thousands of times slower, so they stay off
        // unless asked for by name.
        let mut directives = self.log.clone();
        if !directives.contains("gr1cs") {
            directives.push_str(",gr1cs=off");
        }
        let filter = tracing_subscriber::EnvFilter::try_new(&directives)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,gr1cs=off"));
        use std::io::IsTerminal;
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr);
        match self.log_format {
            LogFormat::Human => builder.init(),
            LogFormat::Json => builder.json().init(),
        }
    }

    /// Runs the chosen subcommand.
    pub async fn run(self) -> eyre::Result<()> {
        match self.command {
            Command::Init(args) => args.run(),
            Command::Keys(args) => args.run(),
            Command::Config(args) => args.run(),
            Command::Deploy(args) => args.run().await,
            Command::Node(args) => args.run().await,
            Command::Status(args) => args.run().await,
            Command::Stake(args) => args.run().await,
            Command::Rewards(args) => args.run().await,
            Command::Privacy(args) => args.run().await,
            Command::Job(args) => args.run().await,
            Command::Feed(args) => args.run().await,
            Command::Devnet(args) => args.run().await,
        }
    }
}
