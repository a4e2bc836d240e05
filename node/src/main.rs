//! The `arcanum` binary: see `arcanum --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let cli = arcanum_node::cli::Cli::parse();
    cli.init_logging();
    cli.run().await
}
