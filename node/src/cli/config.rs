use super::common::DataDirArg;
use crate::config::NodeConfig;
use clap::{Args, Subcommand};

/// `arcanum config`: the node's effective configuration.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective config (defaults < file < ARCANUM_* env) with each value's source.
    Show {
        #[command(flatten)]
        dir: DataDirArg,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl ConfigArgs {
    pub(crate) fn run(self) -> eyre::Result<()> {
        let ConfigCommand::Show { dir, json } = self.command;
        let effective = NodeConfig::load(&dir.data_dir, &[])?;
        if json {
            println!("{}", serde_json::to_string_pretty(&effective)?);
        } else {
            print!("{}", effective.render()?);
        }
        Ok(())
    }
}
