//! The node's configuration: defaults < `config.toml` in the data dir < `ARCANUM_*`
//! environment variables (`ARCANUM_CHAIN__RPC_URL` sets `chain.rpc_url`) < command-line
//! flags, merged with the `config` crate. Unknown keys are errors that name the file and
//! the key. [`Effective`] keeps, for every key, the layer its value came from, which is what
//! `arcanum config show` prints (with secrets redacted).

use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// Name of the config file inside the data dir.
pub const FILE_NAME: &str = "config.toml";
/// Prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "ARCANUM";
/// Separator between section and key in environment variable names.
pub const ENV_SEPARATOR: &str = "__";
/// Keys whose environment values are comma-separated lists.
const LIST_KEYS: &[&str] = &["p2p.listen", "p2p.bootstrap", "worker.shapes"];

/// Everything a node reads at start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// The chain.
    pub chain: ChainSection,
    /// The Ethereum key.
    pub keystore: KeystoreSection,
    /// The libp2p network.
    pub p2p: P2pSection,
    /// The worker role.
    pub worker: WorkerSection,
    /// The requester role.
    pub requester: RequesterSection,
    /// The data owner role: datasets and the policy it contributes under.
    pub contributor: ContributorSection,
    /// The data-oracle role: the feeds it answers.
    pub oracle: OracleSection,
    /// The local control API.
    pub api: ApiSection,
}

/// `[oracle]`: the data-oracle role answers `DataOracle` requests for its feeds by running
/// each feed's joint statistic through this node's requester and fulfilling with the
/// settled job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OracleSection {
    /// Feeds (`[[oracle.feeds]]`).
    pub feeds: Vec<FeedConfig>,
    /// Seconds between scans of the chain for requests.
    pub poll_secs: u64,
}

impl Default for OracleSection {
    fn default() -> Self {
        Self {
            feeds: vec![],
            poll_secs: 2,
        }
    }
}

/// One feed an oracle node answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// The feed's name; its id on chain is `keccak256(name)`.
    pub name: String,
    /// The job spec (TOML with a `[stats]` table, as `arcanum job submit` takes), relative
    /// to the data dir.
    pub spec: String,
    /// Which statistic of the result is the value: `count`, `sum`, `mean` or `variance`.
    pub statistic: arcanum_protocol::Query,
    /// Its column (not for `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The value is the statistic times `10^decimals`, rounded, as an `int256`.
    #[serde(default = "default_feed_decimals")]
    pub decimals: u32,
    /// The least fee a request must pay, token base units (decimal).
    #[serde(default = "zero_wei")]
    pub min_fee_wei: String,
}

fn default_feed_decimals() -> u32 {
    18
}

fn zero_wei() -> String {
    "0".into()
}

/// `[api]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSection {
    /// Address the control API listens on (loopback only: it moves the node's funds).
    pub listen: String,
}

impl Default for ApiSection {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8645".into(),
        }
    }
}

/// `[chain]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainSection {
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// Deployment file; empty: `<data-dir>/deployments/<chain-id>.json`.
    pub deployment: String,
    /// Seconds to wait for a receipt.
    pub receipt_timeout_secs: u64,
    /// Seconds any one RPC request may take.
    pub request_timeout_secs: u64,
    /// Blocks on top of an event's block before the node counts it (completions,
    /// payments). Ignored on chain 31337 (a local dev chain that mines on demand): 0.
    pub confirmations: u64,
    /// Seconds a sent transaction may wait unmined before it is replaced with higher fees.
    pub fee_bump_secs: u64,
}

/// `[keystore]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeystoreSection {
    /// Encrypted JSON keystore, relative to the data dir.
    pub path: String,
    /// File holding the keystore password; empty: the `ARCANUM_PASSWORD` variable.
    pub password_file: String,
}

/// `[p2p]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pSection {
    /// Multiaddrs to listen on.
    pub listen: Vec<String>,
    /// Multiaddrs of peers dialled at start.
    pub bootstrap: Vec<String>,
    /// Kademlia peer routing (peers learnt from the bootstrap peers are dialled).
    pub kademlia: bool,
    /// mDNS discovery on the local network.
    pub mdns: bool,
    /// Most connections at once.
    pub max_connections: u32,
    /// Job requests a peer may send per minute (a quarter of it in a burst).
    pub requests_per_minute: u32,
}

/// `[worker]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerSection {
    /// Ask per job in token base units (a decimal string: amounts exceed 64 bits).
    pub ask_wei: String,
    /// Jobs run at once.
    pub capacity: u32,
    /// Shapes it proves (names); their dev keys are set up on first start.
    pub shapes: Vec<String>,
    /// How long a proven job waits for others to settle with it in one `submitResults`
    /// transaction (milliseconds; 0: batch only the proofs already waiting).
    pub batch_window_ms: u64,
    /// How often the worker re-advertises its offer (seconds); each offer stays valid six
    /// times as long. Peers that connect later get it at once from any peer that holds it.
    pub offer_interval_secs: u64,
}

/// `[contributor]`: what a data owner holds and whom it answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContributorSection {
    /// Datasets (`[[contributor.datasets]]`).
    pub datasets: Vec<DatasetConfig>,
    /// Peer ids of the requesters it answers; `"*"`: any.
    pub requesters: Vec<String>,
    /// Queries it answers (`count`, `sum`, `mean`, `variance`); empty: none.
    pub queries: Vec<arcanum_protocol::Query>,
    /// Fewest owners a job must ask, and fewest whose pads a clerk may sum, for this owner
    /// to contribute.
    pub min_contributors: u32,
    /// When set, the owner contributes only to differentially private releases (count,
    /// histogram) of at most this epsilon per job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_epsilon: Option<f64>,
    /// Whether it joins federated training jobs on its datasets (the label column must be
    /// offered too).
    pub training: bool,
}

/// One dataset a data owner holds: a CSV with a header row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetConfig {
    /// Name jobs ask for.
    pub name: String,
    /// The CSV, relative to the data dir.
    pub path: String,
    /// Columns jobs may use.
    pub columns: Vec<String>,
    /// A privacy budget over every release of this dataset, ever: it then answers only
    /// differentially private releases, charges each to its ledger in the store (composed
    /// at this delta) and refuses one that would exceed the budget (`arcanum privacy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<arcanum_protocol::Dp>,
}

/// `[requester]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequesterSection {
    /// Submitted jobs followed at once (posted, placed, watched); the rest wait their turn.
    pub max_concurrent_jobs: u32,
    /// Assignments tried per job before it is cancelled (each failed worker is excluded).
    pub max_attempts: u16,
    /// Seconds a job waits for a bid while every fitting worker is busy or silent, before it
    /// is cancelled and its escrow refunded.
    pub placement_patience_secs: u64,
}

impl Default for RequesterSection {
    fn default() -> Self {
        Self {
            max_concurrent_jobs: 16,
            max_attempts: 3,
            placement_patience_secs: 600,
        }
    }
}

impl Default for ChainSection {
    fn default() -> Self {
        Self {
            rpc_url: "http://127.0.0.1:8545".into(),
            deployment: String::new(),
            receipt_timeout_secs: 30,
            request_timeout_secs: 10,
            confirmations: 2,
            fee_bump_secs: 15,
        }
    }
}

impl Default for KeystoreSection {
    fn default() -> Self {
        Self {
            path: "keystore/key.json".into(),
            password_file: String::new(),
        }
    }
}

impl Default for P2pSection {
    fn default() -> Self {
        Self {
            listen: vec![
                "/ip4/0.0.0.0/tcp/4001".into(),
                "/ip4/0.0.0.0/udp/4001/quic-v1".into(),
            ],
            bootstrap: vec![],
            kademlia: true,
            mdns: false,
            max_connections: 128,
            requests_per_minute: 600,
        }
    }
}

impl Default for WorkerSection {
    fn default() -> Self {
        Self {
            ask_wei: "1000000000000000000".into(),
            capacity: 1,
            shapes: arcanum_zk::shapes::ALL.iter().map(|s| s.name()).collect(),
            batch_window_ms: 0,
            offer_interval_secs: 10,
        }
    }
}

/// A configuration problem, naming the file, the key and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read or is not TOML.
    #[error("{path}: {detail}; fix the file (`arcanum init` writes a commented template)")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A key is unknown or a value has the wrong type or range.
    #[error(
        "{path}: {detail}; see the keys `arcanum config show` prints, and set them in the file, as ARCANUM_<SECTION>__<KEY>, or by flag"
    )]
    BadValue {
        /// The file (or the environment, when it has no file).
        path: PathBuf,
        /// What is wrong (names the key).
        detail: String,
    },
    /// No config file in the data dir.
    #[error("no {0}; run `arcanum init --data-dir {1}` first")]
    Missing(PathBuf, String),
}

/// The effective configuration and where each value came from.
#[derive(Clone, Debug, Serialize)]
pub struct Effective {
    /// The merged configuration.
    pub config: NodeConfig,
    /// For each dotted key: `default`, `file <path>`, `env <NAME>` or `flag`.
    pub sources: BTreeMap<String, String>,
}

impl NodeConfig {
    /// Validates ranges and formats, naming the key at fault.
    pub fn validate(&self) -> Result<(), String> {
        if self.worker.capacity == 0 || self.worker.capacity > 64 {
            return Err(format!(
                "worker.capacity = {} is out of range 1..=64",
                self.worker.capacity
            ));
        }
        if self.worker.batch_window_ms > 600_000 {
            return Err(format!(
                "worker.batch_window_ms = {} is out of range 0..=600000 (a proof waits at most ten minutes for others)",
                self.worker.batch_window_ms
            ));
        }
        if !(1..=300).contains(&self.worker.offer_interval_secs) {
            return Err(format!(
                "worker.offer_interval_secs = {} is out of range 1..=300",
                self.worker.offer_interval_secs
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for d in &self.contributor.datasets {
            if d.name.is_empty() || !names.insert(d.name.as_str()) {
                return Err(format!(
                    "contributor.datasets: name {:?} is empty or used twice",
                    d.name
                ));
            }
            if d.columns.is_empty() || d.path.is_empty() {
                return Err(format!(
                    "contributor.datasets {:?}: needs a path and at least one column",
                    d.name
                ));
            }
            if let Some(b) = d.budget
                && !(b.epsilon.is_finite() && b.epsilon > 0.0 && b.delta > 0.0 && b.delta < 1.0)
            {
                return Err(format!(
                    "contributor.datasets {:?}: budget needs epsilon > 0 and delta in (0, 1), e.g. {{ epsilon = 3.0, delta = 1e-5 }}",
                    d.name
                ));
            }
        }
        if self
            .contributor
            .max_epsilon
            .is_some_and(|e| !(e.is_finite() && e > 0.0))
        {
            return Err("contributor.max_epsilon must be a positive number".into());
        }
        if !self.contributor.datasets.is_empty() && self.contributor.min_contributors < 2 {
            return Err(format!(
                "contributor.min_contributors = {}: at least 2, or the requester learns this owner's statistic alone",
                self.contributor.min_contributors
            ));
        }
        let mut feeds = std::collections::BTreeSet::new();
        for f in &self.oracle.feeds {
            if f.name.is_empty() || !feeds.insert(f.name.as_str()) {
                return Err(format!(
                    "oracle.feeds: name {:?} is empty or used twice",
                    f.name
                ));
            }
            if f.decimals > 30 || f.min_fee_wei.parse::<alloy::primitives::U256>().is_err() {
                return Err(format!(
                    "oracle.feeds {:?}: decimals must be at most 30 and min_fee_wei a decimal amount",
                    f.name
                ));
            }
            if f.statistic == arcanum_protocol::Query::Histogram
                || (f.statistic != arcanum_protocol::Query::Count) == f.column.is_none()
            {
                return Err(format!(
                    "oracle.feeds {:?}: the value is a count (no column) or a column's sum, mean or variance",
                    f.name
                ));
            }
        }
        if self.oracle.poll_secs == 0 || self.oracle.poll_secs > 3_600 {
            return Err(format!(
                "oracle.poll_secs = {} is out of range 1..=3600",
                self.oracle.poll_secs
            ));
        }
        if self.requester.max_concurrent_jobs == 0 || self.requester.max_concurrent_jobs > 1024 {
            return Err(format!(
                "requester.max_concurrent_jobs = {} is out of range 1..=1024",
                self.requester.max_concurrent_jobs
            ));
        }
        if self.requester.max_attempts == 0 || self.requester.max_attempts > 32 {
            return Err(format!(
                "requester.max_attempts = {} is out of range 1..=32",
                self.requester.max_attempts
            ));
        }
        if self.requester.placement_patience_secs > 7 * 24 * 3600 {
            return Err(format!(
                "requester.placement_patience_secs = {} is more than a week",
                self.requester.placement_patience_secs
            ));
        }
        if self
            .worker
            .ask_wei
            .parse::<alloy::primitives::U256>()
            .is_err()
        {
            return Err(format!(
                "worker.ask_wei = {:?} is not a decimal amount of base units",
                self.worker.ask_wei
            ));
        }
        for name in &self.worker.shapes {
            if !arcanum_zk::shapes::ALL.iter().any(|s| s.name() == *name) {
                return Err(format!(
                    "worker.shapes entry {name:?} is not a known shape ({})",
                    arcanum_zk::shapes::ALL
                        .iter()
                        .map(|s| s.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        match self.api.listen.parse::<std::net::SocketAddr>() {
            Ok(a) if a.ip().is_loopback() => {}
            Ok(a) => {
                return Err(format!(
                    "api.listen = {a} is not a loopback address: the API moves the node's funds, keep it on 127.0.0.1"
                ));
            }
            Err(_) => {
                return Err(format!(
                    "api.listen = {:?} is not host:port",
                    self.api.listen
                ));
            }
        }
        if !(1..=300).contains(&self.chain.request_timeout_secs) {
            return Err(format!(
                "chain.request_timeout_secs = {} is out of range 1..=300",
                self.chain.request_timeout_secs
            ));
        }
        if !(1..=3600).contains(&self.chain.receipt_timeout_secs) {
            return Err(format!(
                "chain.receipt_timeout_secs = {} is out of range 1..=3600",
                self.chain.receipt_timeout_secs
            ));
        }
        if !(2..=10_000).contains(&self.p2p.max_connections) {
            return Err(format!(
                "p2p.max_connections = {} is out of range 2..=10000",
                self.p2p.max_connections
            ));
        }
        if !(4..=1_000_000).contains(&self.p2p.requests_per_minute) {
            return Err(format!(
                "p2p.requests_per_minute = {} is out of range 4..=1000000",
                self.p2p.requests_per_minute
            ));
        }
        if self.chain.confirmations > 1_000 {
            return Err(format!(
                "chain.confirmations = {} is out of range 0..=1000",
                self.chain.confirmations
            ));
        }
        if !(1..=3600).contains(&self.chain.fee_bump_secs) {
            return Err(format!(
                "chain.fee_bump_secs = {} is out of range 1..=3600",
                self.chain.fee_bump_secs
            ));
        }
        if !self.chain.rpc_url.starts_with("http://") && !self.chain.rpc_url.starts_with("https://")
        {
            return Err(format!(
                "chain.rpc_url = {:?} is not an http(s) URL",
                self.chain.rpc_url
            ));
        }
        for (key, addrs) in [
            ("p2p.listen", &self.p2p.listen),
            ("p2p.bootstrap", &self.p2p.bootstrap),
        ] {
            for a in addrs {
                if a.parse::<arcanum_p2p::Multiaddr>().is_err() {
                    return Err(format!("{key} entry {a:?} is not a multiaddr"));
                }
            }
        }
        Ok(())
    }

    /// Loads `<data_dir>/config.toml` over the defaults, then the environment, then
    /// `overrides` (flags, as dotted key -> value), and validates the result.
    pub fn load(data_dir: &Path, overrides: &[(&str, String)]) -> Result<Effective, ConfigError> {
        Self::load_with_env(data_dir, overrides, config_env())
    }

    /// [`Self::load`] with an explicit set of `ARCANUM_<SECTION>__<KEY>` variables.
    pub fn load_with_env(
        data_dir: &Path,
        overrides: &[(&str, String)],
        env: config::Map<String, String>,
    ) -> Result<Effective, ConfigError> {
        let path = data_dir.join(FILE_NAME);
        if !path.exists() {
            return Err(ConfigError::Missing(path, data_dir.display().to_string()));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::BadFile {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let file: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::BadFile {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
        let bad = |detail: String| ConfigError::BadValue {
            path: path.clone(),
            detail,
        };
        let defaults =
            config::Config::try_from(&NodeConfig::default()).map_err(|e| bad(e.to_string()))?;
        let mut builder = config::Config::builder()
            .add_source(defaults)
            .add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml));
        // ARCANUM_<SECTION>__<KEY> variables, applied as overrides so that values stay
        // strings (amounts exceed 2^64: no float parsing) and lists split on commas.
        for (var, value) in &env {
            let Some(key) = var
                .strip_prefix(ENV_PREFIX)
                .and_then(|r| r.strip_prefix('_'))
                .map(|r| r.to_lowercase().replacen(ENV_SEPARATOR, ".", 1))
            else {
                continue;
            };
            builder = if LIST_KEYS.contains(&key.as_str()) {
                let items: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                builder.set_override(key.as_str(), items)
            } else {
                builder.set_override(key.as_str(), value.clone())
            }
            .map_err(|e| bad(format!("{var}: {e}")))?;
        }
        for (key, value) in overrides {
            builder = builder
                .set_override(*key, value.clone())
                .map_err(|e| bad(format!("flag for {key}: {e}")))?;
        }
        let merged = builder.build().map_err(|e| bad(e.to_string()))?;
        let config: NodeConfig = merged.try_deserialize().map_err(|e| bad(e.to_string()))?;
        config.validate().map_err(bad)?;

        let mut sources = BTreeMap::new();
        let defaults =
            toml::Table::try_from(NodeConfig::default()).map_err(|e| bad(e.to_string()))?;
        for (section, keys) in &defaults {
            let Some(keys) = keys.as_table() else {
                continue;
            };
            for key in keys.keys() {
                let dotted = format!("{section}.{key}");
                let var = format!(
                    "{ENV_PREFIX}_{}{ENV_SEPARATOR}{}",
                    section.to_uppercase(),
                    key.to_uppercase()
                );
                let source = if overrides.iter().any(|(k, _)| *k == dotted) {
                    "flag".to_string()
                } else if env.contains_key(&var) {
                    format!("env {var}")
                } else if file
                    .get(section)
                    .and_then(|s| s.as_table())
                    .is_some_and(|s| s.contains_key(key))
                {
                    format!("file {}", path.display())
                } else {
                    "default".to_string()
                };
                sources.insert(dotted, source);
            }
        }
        Ok(Effective { config, sources })
    }
}

impl Effective {
    /// `key = value  # source` lines. The config holds no secret: the keystore password
    /// comes from a file or the environment and is never printed.
    pub fn render(&self) -> Result<String, toml::ser::Error> {
        let table = toml::Table::try_from(&self.config)?;
        let mut out = String::new();
        for (section, keys) in &table {
            out.push_str(&format!("[{section}]\n"));
            let Some(keys) = keys.as_table() else {
                continue;
            };
            for (key, value) in keys {
                let dotted = format!("{section}.{key}");
                let source = self.sources.get(&dotted).map_or("default", String::as_str);
                out.push_str(&format!("{key} = {value}  # {source}\n"));
            }
            out.push('\n');
        }
        Ok(out)
    }
}

/// The `ARCANUM_<SECTION>__<KEY>` variables of the environment.
fn config_env() -> config::Map<String, String> {
    std::env::vars().filter(|(k, _)| is_config_var(k)).collect()
}

/// Whether an environment variable is config (`ARCANUM_<SECTION>__<KEY>`), not one of the
/// CLI's own (`ARCANUM_LOG`, `ARCANUM_PASSWORD`, `ARCANUM_DATA_DIR`, ...).
fn is_config_var(name: &str) -> bool {
    name.strip_prefix(ENV_PREFIX)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|rest| rest.contains(ENV_SEPARATOR))
}

/// The commented `config.toml` that `arcanum init` writes.
pub fn template(listen_port: u16) -> String {
    format!(
        r#"# Arcanum node configuration. Precedence: defaults < this file < ARCANUM_* environment
# variables (ARCANUM_<SECTION>__<KEY>, e.g. ARCANUM_CHAIN__RPC_URL) < command-line flags.
# `arcanum config show` prints the effective values and where each came from.

[chain]
# JSON-RPC endpoint of any EVM chain the Arcanum contracts are deployed on.
rpc_url = "http://127.0.0.1:8545"
# Deployment file written by `arcanum deploy` (addresses, deploy block, shapes). Empty: the
# node looks for <data-dir>/deployments/<chain-id>.json.
deployment = ""
# Seconds to wait for a transaction receipt (1..=3600).
receipt_timeout_secs = 30
# Seconds any one RPC request may take before it fails with an error (1..=300); a node
# whose RPC is down or hung for 30 s warns once a minute until it answers again.
request_timeout_secs = 10
# Blocks on top of an event before the node counts it (a completion, a payment); a reorg
# shallower than this is never seen. 0 on chain 31337 (local Anvil mines on demand).
confirmations = 2
# Seconds a transaction may wait unmined before it is re-sent with fees raised >= 12.5%.
fee_bump_secs = 15

[keystore]
# Encrypted Ethereum key (JSON keystore, scrypt), relative to the data dir.
path = "keystore/key.json"
# File holding the keystore password. Empty: read the ARCANUM_PASSWORD variable.
password_file = ""

[p2p]
# Multiaddrs to listen on.
listen = ["/ip4/0.0.0.0/tcp/{listen_port}", "/ip4/0.0.0.0/udp/{listen_port}/quic-v1"]
# Peers to dial at start, e.g. "/ip4/203.0.113.7/tcp/4001"; one is enough with Kademlia.
bootstrap = []
# Kademlia peer routing: peers known to the bootstrap peers are found and dialled.
kademlia = true
# mDNS discovery of peers on the local network (LANs and devnets).
mdns = false
# Most connections at once (at most 2 per peer; half are kept for inbound peers).
max_connections = 128
# Job requests one peer may send per minute (a quarter of it in a burst); the rest are
# answered "rate limited".
requests_per_minute = 600

[worker]
# Ask per job in token base units (1 ARC = 1000000000000000000).
ask_wei = "1000000000000000000"
# Jobs run at once (1..=64). While they all run the worker declines to bid; a job assigned
# to it meanwhile waits for a free slot.
capacity = 1
# Shapes this worker proves. Their development keys (INSECURE, deterministic setup) are
# generated on first start under <data-dir>/keys.
shapes = ["secagg-sum-4x8", "he-linear-4x8", "secagg-sum-16x64"]
# Proofs ready at once settle in one submitResults transaction (one batched pairing check,
# about a third of the gas per job at 16). A proof also waits this long (ms) for others;
# 0 batches only the proofs already waiting, adding no delay.
batch_window_ms = 0
# The offer is re-gossiped this often (seconds, 1..=300) and stays valid six times as
# long; a peer that connects later gets it at once from any peer holding it.
offer_interval_secs = 10

[requester]
# Submitted jobs followed at once (1..=1024); later submissions wait their turn.
max_concurrent_jobs = 16
# Assignments tried per job before it is cancelled and its escrow refunded (1..=32); each
# worker that fails is excluded, and one that misses its deadline is expired and slashed.
max_attempts = 3
# Seconds a job waits for a bid while every fitting worker is busy or silent, before it is
# cancelled and its escrow refunded.
placement_patience_secs = 600

# [contributor]
# Data owner role (`--roles contributor`): the datasets it holds and whom it answers. Rows
# never leave the node: it sends one masked vector of per-column sums per job, and shares of
# the mask to the job's clerks (secagg-sum), or the vector encrypted under the job's key
# committee's group key (he-linear). The `clerk` and `committee` roles (staked) hold mask
# shares and key shares for other owners' jobs.
# requesters = ["12D3KooW..."]        # peer ids it answers ("*": any)
# queries = ["mean", "variance"]      # count, sum, mean, variance, histogram
# min_contributors = 3                # fewest owners per job (at least 2)
# max_epsilon = 1.0                   # contribute only to DP releases of at most this epsilon
# training = true                     # join federated training jobs (features and label offered)
# [[contributor.datasets]]
# name = "iris"
# path = "data/iris.csv"              # relative to the data dir; a header row names columns
# columns = ["sepal_length", "sepal_width"]
# budget = {{ epsilon = 3.0, delta = 1e-5 }}  # over all releases: only DP ones, charged to a ledger

# [oracle]
# Data-oracle role (`--roles requester,oracle`; its account must be authorised on the
# DataOracle by its owner): answers requests for these feeds by running the feed's joint
# statistic through this node's requester and fulfilling with the settled job.
# poll_secs = 2
# [[oracle.feeds]]
# name = "iris/sepal_length/mean"     # the feed id on chain is keccak256(name)
# spec = "feeds/iris.toml"            # a job spec with [stats] (deploy/examples), relative to the data dir
# statistic = "mean"                  # count, sum, mean or variance (of `column`)
# column = "sepal_length"
# decimals = 18                       # value = statistic * 10^decimals, an int256
# min_fee_wei = "0"                   # requests paying less are left alone

[api]
# Local control API (HTTP/JSON, cookie auth: <data-dir>/api.cookie) and Prometheus /metrics.
# Loopback only.
listen = "127.0.0.1:8645"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(text: &str) -> tempdir::Dir {
        let d = tempdir::Dir::new();
        std::fs::write(d.path().join(FILE_NAME), text).expect("write");
        d
    }

    /// A throwaway directory removed on drop.
    mod tempdir {
        pub(super) struct Dir(std::path::PathBuf);
        impl Dir {
            pub(super) fn new() -> Self {
                let p = std::env::temp_dir().join(format!(
                    "arcanum-config-test-{}-{}",
                    std::process::id(),
                    rand::random::<u64>()
                ));
                std::fs::create_dir_all(&p).expect("mkdir");
                Self(p)
            }
            pub(super) fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn template_parses_to_the_defaults_but_its_port() {
        let d = dir_with(&template(4001));
        let e = NodeConfig::load(d.path(), &[]).expect("template loads");
        assert_eq!(e.config, NodeConfig::default());
        assert!(e.sources["chain.rpc_url"].starts_with("file "));
    }

    #[test]
    fn the_example_worker_config_in_deploy_loads() {
        let d = dir_with(include_str!("../../deploy/worker.config.toml"));
        let e = NodeConfig::load_with_env(d.path(), &[], Default::default())
            .expect("deploy/worker.config.toml is a valid config");
        assert!(e.sources["chain.rpc_url"].starts_with("file "));
    }

    #[test]
    fn flags_beat_the_file_and_sources_say_so() {
        let d = dir_with("[worker]\ncapacity = 3\n[chain]\nrpc_url = \"http://10.0.0.1:8545\"\n");
        let e = NodeConfig::load(d.path(), &[("worker.capacity", "5".into())]).expect("load");
        assert_eq!(e.config.worker.capacity, 5);
        assert_eq!(e.sources["worker.capacity"], "flag");
        assert_eq!(e.config.chain.rpc_url, "http://10.0.0.1:8545");
        assert!(e.sources["chain.rpc_url"].contains("config.toml"));
        assert_eq!(e.sources["p2p.listen"], "default");
        let shown = e.render().expect("render");
        assert!(shown.contains("capacity = 5  # flag"), "{shown}");
    }

    #[test]
    fn environment_overrides_the_file_but_cli_variables_are_not_config() {
        let env: config::Map<String, String> = [
            ("ARCANUM_WORKER__ASK_WEI", "25000000000000000001"),
            ("ARCANUM_WORKER__CAPACITY", "3"),
            (
                "ARCANUM_P2P__BOOTSTRAP",
                "/ip4/127.0.0.1/tcp/1,/ip4/127.0.0.1/tcp/2",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let d = dir_with("[worker]\ncapacity = 2\n");
        let e = NodeConfig::load_with_env(d.path(), &[], env).expect("load");
        assert_eq!(
            e.config.worker.ask_wei, "25000000000000000001",
            "no float rounding"
        );
        assert_eq!(e.config.worker.capacity, 3);
        assert_eq!(e.config.p2p.bootstrap.len(), 2);
        assert_eq!(e.sources["worker.capacity"], "env ARCANUM_WORKER__CAPACITY");
    }

    #[test]
    fn only_section_key_variables_are_config() {
        for cli in [
            "ARCANUM_LOG",
            "ARCANUM_LOG_FORMAT",
            "ARCANUM_PASSWORD",
            "ARCANUM_DATA_DIR",
        ] {
            assert!(!is_config_var(cli), "{cli}");
        }
        assert!(is_config_var("ARCANUM_CHAIN__RPC_URL"));
        assert!(!is_config_var("OTHER_CHAIN__RPC_URL"));
    }

    #[test]
    fn unknown_keys_bad_values_and_bad_toml_name_file_and_key() {
        let d = dir_with("[worker]\ncapcity = 3\n");
        let err = NodeConfig::load(d.path(), &[])
            .expect_err("unknown key")
            .to_string();
        assert!(
            err.contains("capcity") && err.contains("config.toml"),
            "{err}"
        );

        let d = dir_with("[worker]\ncapacity = 0\n");
        let err = NodeConfig::load(d.path(), &[])
            .expect_err("range")
            .to_string();
        assert!(
            err.contains("worker.capacity") && err.contains("1..=64"),
            "{err}"
        );

        let d = dir_with("[worker\n");
        let err = NodeConfig::load(d.path(), &[])
            .expect_err("toml")
            .to_string();
        assert!(
            err.contains("config.toml") && err.contains("arcanum init"),
            "{err}"
        );

        let empty = tempdir::Dir::new();
        let err = NodeConfig::load(empty.path(), &[])
            .expect_err("missing")
            .to_string();
        assert!(err.contains("arcanum init --data-dir"), "{err}");
    }
}
