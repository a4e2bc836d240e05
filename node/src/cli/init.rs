use super::common::DataDirArg;
use crate::{config, identity};
use clap::Args;
use eyre::WrapErr;

/// `arcanum init`: creates a data dir with a commented `config.toml`, a persistent libp2p
/// identity and a new Ethereum key in an encrypted keystore (password from
/// `--password-file` or `ARCANUM_PASSWORD`). Prints the address and peer id.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    dir: DataDirArg,
    /// File holding the keystore password (else `ARCANUM_PASSWORD`). Recorded in the config.
    #[arg(long)]
    password_file: Option<std::path::PathBuf>,
    /// Import this hex private key file instead of creating a new key.
    #[arg(long)]
    import_key_file: Option<std::path::PathBuf>,
    /// TCP port the node listens on (written into the config).
    #[arg(long, default_value_t = 4001, value_parser = clap::value_parser!(u16).range(1..))]
    port: u16,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

impl InitArgs {
    pub(crate) fn run(self) -> eyre::Result<()> {
        let dir = &self.dir.data_dir;
        let cfg_path = dir.join(config::FILE_NAME);
        if cfg_path.exists() {
            eyre::bail!(
                "{} already exists: this data dir is initialised (`arcanum keys show --data-dir {}`)",
                cfg_path.display(),
                dir.display()
            );
        }
        std::fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
        let password_file = self
            .password_file
            .as_ref()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let password = identity::read_password(&password_file)?;
        let p2p = identity::load_or_create_p2p(dir)?;
        let defaults = config::NodeConfig::default();
        let key = match &self.import_key_file {
            Some(file) => Some(super::keys::read_key_file(file)?),
            None => None,
        };
        let address = identity::write_keystore(&dir.join(&defaults.keystore.path), &password, key)?;
        let mut text = config::template(self.port);
        if !password_file.is_empty() {
            text = text.replace(
                "password_file = \"\"",
                &format!("password_file = {:?}", password_file),
            );
        }
        std::fs::write(&cfg_path, text)
            .wrap_err_with(|| format!("writing {}", cfg_path.display()))?;
        let public = identity::PublicIdentity {
            address,
            peer_id: identity::peer_id(&p2p).to_base58(),
        };
        identity::write_public(dir, &public)?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&public)?);
        } else {
            println!("data dir: {}", dir.display());
            println!("address:  {}", public.address);
            println!("peer id:  {}", public.peer_id);
            println!("next:     fund the address, then `arcanum deploy` or set chain.deployment");
        }
        Ok(())
    }
}
