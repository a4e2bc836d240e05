//! Command-line interface: one file per subcommand. Results go to stdout (`--json` for
//! scripts); logs and progress go to stderr.

mod devnet;

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
    /// Run a whole local system (Anvil, contracts, a requester, workers) and one job.
    Devnet(devnet::DevnetArgs),
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
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        match self.log_format {
            LogFormat::Human => builder.init(),
            LogFormat::Json => builder.json().init(),
        }
    }

    /// Runs the chosen subcommand.
    pub async fn run(self) -> eyre::Result<()> {
        match self.command {
            Command::Devnet(args) => args.run().await,
        }
    }
}
