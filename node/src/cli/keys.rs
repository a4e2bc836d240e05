use super::common::DataDirArg;
use crate::{config::NodeConfig, identity};
use clap::{Args, Subcommand};

/// `arcanum keys`: the node's Ethereum key and libp2p identity. Nothing here prints a
/// secret.
#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Print the address and peer id.
    Show {
        #[command(flatten)]
        dir: DataDirArg,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a new Ethereum key in the configured keystore path (refuses to overwrite).
    New {
        #[command(flatten)]
        dir: DataDirArg,
    },
    /// Import a hex private key from a file into the configured keystore path.
    Import {
        #[command(flatten)]
        dir: DataDirArg,
        /// File holding the 0x-prefixed hex private key (never pass keys as arguments).
        #[arg(long)]
        private_key_file: std::path::PathBuf,
    },
}

impl KeysArgs {
    pub(crate) fn run(self) -> eyre::Result<()> {
        match self.command {
            KeysCommand::Show { dir, json } => {
                let public = identity::read_public(&dir.data_dir)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&public)?);
                } else {
                    println!("address: {}", public.address);
                    println!("peer id: {}", public.peer_id);
                }
                Ok(())
            }
            KeysCommand::New { dir } => store(&dir.data_dir, None),
            KeysCommand::Import {
                dir,
                private_key_file,
            } => store(&dir.data_dir, Some(read_key_file(&private_key_file)?)),
        }
    }
}

/// Reads a hex private key from a file (keys never travel as arguments).
pub(crate) fn read_key_file(
    file: &std::path::Path,
) -> eyre::Result<alloy::signers::local::PrivateKeySigner> {
    let text = std::fs::read_to_string(file).map_err(|e| eyre::eyre!("{}: {e}", file.display()))?;
    text.trim().parse().map_err(|_| {
        eyre::eyre!(
            "{}: not a hex private key (expected 0x followed by 64 hex digits)",
            file.display()
        )
    })
}

fn store(
    dir: &std::path::Path,
    key: Option<alloy::signers::local::PrivateKeySigner>,
) -> eyre::Result<()> {
    let cfg = NodeConfig::load(dir, &[])?.config;
    let password = identity::read_password(&cfg.keystore.password_file)?;
    let address = identity::write_keystore(&dir.join(&cfg.keystore.path), &password, key)?;
    let p2p = identity::load_or_create_p2p(dir)?;
    identity::write_public(
        dir,
        &identity::PublicIdentity {
            address,
            peer_id: identity::peer_id(&p2p).to_base58(),
        },
    )?;
    println!("address: {address}");
    Ok(())
}
