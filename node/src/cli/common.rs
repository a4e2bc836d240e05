use clap::Args;
use std::path::PathBuf;

/// `--data-dir`, shared by the commands that own a node's files.
#[derive(Debug, Args)]
pub(crate) struct DataDirArg {
    /// The node's data dir (config, identity, keystore, deployments).
    #[arg(long, global = true, env = "ARCANUM_DATA_DIR", default_value_os_t = default_data_dir())]
    pub(crate) data_dir: PathBuf,
}

fn default_data_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".arcanum")
}
