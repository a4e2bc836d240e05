use super::common::DataDirArg;
use crate::daemon::{self, Role};
use clap::{Args, Subcommand};

/// `arcanum node`: the long-running node.
#[derive(Debug, Args)]
pub(crate) struct NodeArgs {
    #[command(subcommand)]
    command: NodeCommand,
}

#[derive(Debug, Subcommand)]
enum NodeCommand {
    /// Run the node until SIGINT or SIGTERM.
    Run(RunArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    dir: DataDirArg,
    /// Roles to run.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "worker")]
    roles: Vec<Role>,
    /// JSON-RPC endpoint (overrides chain.rpc_url).
    #[arg(long)]
    rpc: Option<String>,
    /// Control API address (overrides api.listen).
    #[arg(long)]
    api: Option<String>,
}

impl NodeArgs {
    pub(crate) async fn run(self) -> eyre::Result<()> {
        let NodeCommand::Run(args) = self.command;
        let mut overrides = Vec::new();
        if let Some(rpc) = args.rpc {
            overrides.push(("chain.rpc_url", rpc));
        }
        if let Some(api) = args.api {
            overrides.push(("api.listen", api));
        }
        daemon::run(args.dir.data_dir, args.roles, overrides).await
    }
}
