//! `arcanum devnet`: Anvil, `deploy`, then a requester and N workers, each an
//! `arcanum node run` child process with its own data dir, on loopback; the demo jobs are
//! driven through the nodes' APIs. The data owners (who are also the clerks and, with the
//! workers, the key committee) are node processes too; with `--fl` they also hold digits
//! rows and train. Every child is killed by its pid when the cluster is dropped, Ctrl-C
//! included.

use super::{
    DAPP, DevnetReport, FIRST_OWNER, FIRST_WORKER, FlReport, HeReport, IRIS_FEED, ORACLE_NODE,
    OWNER, PAIRING_FLOOR_GAS, REQUESTER, arc, worker_ask,
};
use crate::{
    api::{COOKIE_FILE, client::ApiClient},
    config, identity,
    store::{JobRecord, JobState, JobSubmission, JobSummary, StatsRun},
    tools,
};
use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::I256,
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use arcanum_chain::{ChainConfig, Deployment, MarketClient, MarketParams};
use arcanum_compute::dataset;
use arcanum_protocol::{Address, U256};
use arcanum_zk::shapes;
use eyre::{WrapErr, eyre};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    str::FromStr,
    time::{Duration, Instant},
};

/// The example joint statistic the demo runs.
const IRIS_SPEC: &str = include_str!("../../../deploy/examples/iris-variance.toml");
/// The he-linear joint statistic the devnet runs (its peers filled in).
const HE_SPEC: &str = include_str!("../../../deploy/examples/iris-histogram-he.toml");
/// The training job `arcanum devnet --fl` runs (its peers filled in).
const FL_SPEC: &str = include_str!("../../../deploy/examples/digits-fl.toml");
/// The requester's held-out digits split, in the devnet's root.
const FL_TEST_CSV: &str = "digits-test.csv";
/// The Iris columns its owners hold (variance over 3 columns fits one 4x8 proof).
const IRIS_COLUMNS: [&str; 3] = ["sepal_length", "sepal_width", "petal_length"];

/// Settings of `arcanum devnet`.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Root of the nodes' data dirs (recreated at each start; dev keys cached in `keys/`).
    pub root: PathBuf,
    /// Worker nodes.
    pub workers: usize,
    /// Reward per job.
    pub reward: U256,
    /// Stake each worker deposits.
    pub worker_stake: U256,
    /// Stake a worker locks per job.
    pub job_stake: U256,
    /// The `arcanum` executable the nodes run.
    pub exe: PathBuf,
    /// Jobs each worker runs at once.
    pub worker_capacity: u32,
    /// Data-owner nodes (`contributor,clerk`), each holding a share of the Iris rows.
    pub owners: usize,
    /// Also a federated training job: owners hold a non-IID share of the digits data, and
    /// workers prove `secagg-sum-16x64` too.
    pub fl: bool,
}

/// One node process.
pub struct NodeProcess {
    /// Its name (`requester`, `worker-0`, ...).
    pub name: String,
    /// Its data dir.
    pub dir: PathBuf,
    /// Its Ethereum address.
    pub address: Address,
    /// Its API address.
    pub api_addr: String,
    /// Its libp2p listen address.
    pub p2p_addr: String,
    /// Its libp2p peer id.
    pub peer_id: String,
    /// Its API client.
    pub api: ApiClient,
    /// From spawn to its API answering.
    pub started_in: Duration,
    exe: PathBuf,
    role: String,
    ports: (u16, u16),
    child: Child,
}

impl NodeProcess {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The node's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("node.log")
    }

    /// Kills the process with SIGKILL (a crash: nothing is flushed or released).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the node again on its data dir and ports (after [`Self::kill`] or
    /// [`Self::stop`]) and waits for its API.
    pub async fn restart(&mut self) -> eyre::Result<()> {
        self.kill();
        let (p2p, api) = self.ports;
        *self = start_node(
            &self.exe,
            &self.name,
            &self.dir,
            &self.role,
            self.address,
            p2p,
            api,
        )
        .await?;
        Ok(())
    }

    /// Sends SIGTERM and waits up to 5 s; returns whether it exited cleanly.
    pub fn stop(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running devnet of node processes. (Fields drop in order: the nodes and the chain
/// client before Anvil, so nothing polls a dead chain.)
pub struct Cluster {
    /// The requester node.
    pub requester: NodeProcess,
    /// The worker nodes.
    pub workers: Vec<NodeProcess>,
    /// The data-owner nodes.
    pub owners: Vec<NodeProcess>,
    /// The oracle node (requester and oracle roles), with data owners.
    pub oracle: Option<NodeProcess>,
    /// The owner's (deployer's) chain client.
    pub owner: MarketClient,
    /// Its RPC URL.
    pub rpc_url: String,
    /// The deployment file (in the owner's data dir).
    pub deployment_file: PathBuf,
    config: ClusterConfig,
    /// The chain (killed on drop).
    pub anvil: AnvilInstance,
}

pub(super) fn free_port() -> eyre::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Writes a fresh random keystore password to `path` (mode 0600).
pub(super) fn write_password(path: &Path) -> eyre::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    std::io::Write::write_all(
        &mut f,
        alloy::hex::encode(rand::random::<[u8; 16]>()).as_bytes(),
    )?;
    Ok(())
}

/// What a worker node's `[worker]` section says.
pub(super) struct WorkerFiles<'a> {
    pub(super) ask: U256,
    pub(super) capacity: u32,
    pub(super) shapes: &'a [arcanum_protocol::Shape],
    /// Seconds between advertisements.
    pub(super) offer_interval_secs: u64,
}

impl WorkerFiles<'_> {
    /// The section of a node that runs no worker.
    pub(super) const NONE: WorkerFiles<'static> = WorkerFiles {
        ask: U256::from_limbs([1, 0, 0, 0]),
        capacity: 1,
        shapes: &[],
        offer_interval_secs: 10,
    };
}

/// Creates a node's data dir: keystore of `key`, identity, and a config naming the chain,
/// its ports, its peers (bootstrap addresses; mDNS on a devnet, off in a scale network)
/// and (for workers) its ask and shapes.
#[allow(clippy::too_many_arguments)]
pub(super) fn prepare_node(
    dir: &Path,
    keys_cache: &Path,
    password_file: &Path,
    key: &PrivateKeySigner,
    rpc: &str,
    p2p: u16,
    api: u16,
    bootstrap: &[String],
    mdns: bool,
    worker: &WorkerFiles<'_>,
    extra: &str,
) -> eyre::Result<()> {
    std::fs::create_dir_all(dir)?;
    let password = identity::read_password(&password_file.display().to_string())?;
    let p2p_key = identity::load_or_create_p2p(dir)?;
    let defaults = config::NodeConfig::default();
    let address = identity::write_keystore(
        &dir.join(&defaults.keystore.path),
        &password,
        Some(key.clone()),
    )?;
    identity::write_public(
        dir,
        &identity::PublicIdentity {
            address,
            peer_id: identity::peer_id(&p2p_key).to_base58(),
        },
    )?;
    std::os::unix::fs::symlink(keys_cache, dir.join("keys"))?;
    let bootstrap: Vec<String> = bootstrap.iter().map(|b| format!("{b:?}")).collect();
    let text = format!(
        r#"# Written by `arcanum devnet`.
[chain]
rpc_url = "{rpc}"
[keystore]
password_file = "{}"
[p2p]
listen = ["/ip4/127.0.0.1/tcp/{p2p}"]
bootstrap = [{}]
mdns = {mdns}
[worker]
ask_wei = "{}"
capacity = {}
shapes = [{}]
offer_interval_secs = {}
[api]
listen = "127.0.0.1:{api}"
{extra}"#,
        password_file.display(),
        bootstrap.join(", "),
        worker.ask,
        worker.capacity,
        worker
            .shapes
            .iter()
            .map(|s| format!("{:?}", s.name()))
            .collect::<Vec<_>>()
            .join(", "),
        worker.offer_interval_secs,
    );
    std::fs::write(dir.join(config::FILE_NAME), text)?;
    Ok(())
}

/// The example spec `deploy/examples/iris-variance.toml` over the data owners at `addrs`
/// (contributors and clerk candidates).
fn iris_job(addrs: &[String], reward: U256, job_stake: U256) -> eyre::Result<JobSubmission> {
    let mut job: JobSubmission = toml::from_str(IRIS_SPEC)?;
    let spec = job
        .stats
        .as_mut()
        .ok_or_else(|| eyre!("the example spec has no [stats]"))?;
    spec.contributors = addrs.to_vec();
    spec.clerks = addrs.to_vec();
    let n = addrs.len() as u32;
    spec.min_contributors = spec.min_contributors.min(n);
    spec.clerks_sampled = spec.clerks_sampled.map(|k| k.min(n));
    spec.threshold = spec.threshold.min(spec.clerks_sampled.unwrap_or(n));
    job.reward_wei = reward.to_string();
    job.min_stake_wei = job_stake.to_string();
    Ok(job)
}

/// Deals the digits training rows to `owners` with Dirichlet(1) label skew (fixed seeds)
/// and writes the held-out 20% to the devnet root for the requester.
fn digits_parts(root: &Path, owners: usize) -> eyre::Result<Vec<arcanum_compute::fl::Samples>> {
    use arcanum_compute::fl;
    use rand::SeedableRng;
    let (data, classes) = fl::digits_samples();
    let (train, test) = fl::stratified_split(
        &data,
        classes,
        0.2,
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(42),
    )?;
    fl::write_csv(
        &test,
        &fl::digits_columns(),
        "label",
        &root.join(FL_TEST_CSV),
    )?;
    Ok(fl::split(
        &train,
        owners,
        fl::Split::Dirichlet { alpha: 1.0 },
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(43),
    )?)
}

/// Starts `arcanum node run` for `dir` and waits for its API.
pub(super) async fn start_node(
    exe: &Path,
    name: &str,
    dir: &Path,
    role: &str,
    address: Address,
    p2p: u16,
    api: u16,
) -> eyre::Result<NodeProcess> {
    // Appended to: a restarted node's log follows its earlier run's.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("node.log"))?;
    let spawned = Instant::now();
    let child = Command::new(exe)
        .args([
            "node",
            "run",
            "--data-dir",
            &dir.display().to_string(),
            "--roles",
            role,
        ])
        .env_remove("ARCANUM_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .wrap_err("starting `arcanum node run`")?;
    let mut node = NodeProcess {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        address,
        api_addr: format!("127.0.0.1:{api}"),
        p2p_addr: format!("/ip4/127.0.0.1/tcp/{p2p}"),
        peer_id: identity::read_public(dir)?.peer_id,
        api: ApiClient::new(&format!("127.0.0.1:{api}"), ""),
        started_in: Duration::ZERO,
        exe: exe.to_path_buf(),
        role: role.to_string(),
        ports: (p2p, api),
        child,
    };
    let until = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(Some(status)) = node.child.try_wait() {
            return Err(eyre!(
                "{name} exited ({status}) before it was ready; see {}",
                node.log_path().display()
            ));
        }
        if let Ok(cookie) = std::fs::read_to_string(dir.join(COOKIE_FILE)) {
            let api = ApiClient::new(&node.api_addr, cookie.trim());
            if api.status().await.is_ok() {
                node.api = api;
                node.started_in = spawned.elapsed();
                return Ok(node);
            }
        }
        if Instant::now() > until {
            return Err(eyre!(
                "{name} not ready within 180 s; see {}",
                node.log_path().display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Cluster {
    /// Starts Anvil, deploys, and starts the requester and worker processes; funds and
    /// stakes the workers through their APIs.
    pub async fn start(config: ClusterConfig) -> eyre::Result<Self> {
        let anvil = Anvil::new()
            .path(tools::find("anvil")?)
            // Owners, workers, the requester, the deployer and a dApp each need a key.
            .args(["--accounts", "20"])
            .try_spawn()
            .wrap_err("cannot start anvil; is tools/bin/anvil executable? (`make tools`)")?;
        let rpc_url = anvil.endpoint();
        let signer = |i: usize| -> PrivateKeySigner { anvil.keys()[i].clone().into() };
        let root = std::path::absolute(&config.root)?;
        let keys_cache = root.join("keys");
        let nodes_dir = root.join("nodes");
        let _ = std::fs::remove_dir_all(&nodes_dir);
        std::fs::create_dir_all(&nodes_dir)?;
        std::fs::create_dir_all(&keys_cache)?;
        let password_file = nodes_dir.join("password");
        write_password(&password_file)?;

        let owner = MarketClient::deploy(
            ChainConfig::new(rpc_url.clone()),
            signer(OWNER),
            shapes::ALL,
            &MarketParams {
                unbonding_delay: 3600,
                min_worker_stake: config.job_stake,
                treasury: signer(OWNER).address(),
                // The oracle node's key fulfils data-oracle requests.
                oracle_nodes: vec![signer(ORACLE_NODE).address()],
                oracle_circuits: crate::services::oracle::oracle_circuits(),
            },
        )
        .await
        .wrap_err("deploying contracts")?;
        let deployment = owner.deployment().clone();
        let deployment_file = Deployment::path_for(&nodes_dir.join("owner"), deployment.chain_id);
        deployment.save(&deployment_file)?;
        tracing::info!(target: "devnet", rpc = %rpc_url, market = %deployment.market, "anvil up, contracts deployed");

        let (rp2p, rapi) = (free_port()?, free_port()?);
        let rdir = nodes_dir.join("requester");
        prepare_node(
            &rdir,
            &keys_cache,
            &password_file,
            &signer(REQUESTER),
            &rpc_url,
            rp2p,
            rapi,
            &[],
            true,
            &WorkerFiles::NONE,
            "",
        )?;
        deployment.save(&Deployment::path_for(&rdir, deployment.chain_id))?;
        owner.mint(signer(REQUESTER).address(), arc(10_000)).await?;
        let requester = start_node(
            &config.exe,
            "requester",
            &rdir,
            "requester",
            signer(REQUESTER).address(),
            rp2p,
            rapi,
        )
        .await?;

        // The 16x64 shape's prover tables take memory: only when a training job runs.
        let mut worker_shapes = vec![shapes::SECAGG_SUM_4X8, shapes::HE_LINEAR_4X8];
        if config.fl {
            worker_shapes.push(shapes::SECAGG_SUM_16X64);
        }
        let mut workers = Vec::new();
        for i in 0..config.workers {
            let key = signer(FIRST_WORKER + i);
            let (p2p, api) = (free_port()?, free_port()?);
            let dir = nodes_dir.join(format!("worker-{i}"));
            prepare_node(
                &dir,
                &keys_cache,
                &password_file,
                &key,
                &rpc_url,
                p2p,
                api,
                std::slice::from_ref(&requester.p2p_addr),
                true,
                &WorkerFiles {
                    ask: worker_ask(i),
                    capacity: config.worker_capacity,
                    shapes: &worker_shapes,
                    offer_interval_secs: config::WorkerSection::default().offer_interval_secs,
                },
                "",
            )?;
            deployment.save(&Deployment::path_for(&dir, deployment.chain_id))?;
            owner.mint(key.address(), config.worker_stake).await?;
            let node = start_node(
                &config.exe,
                &format!("worker-{i}"),
                &dir,
                "worker,committee",
                key.address(),
                p2p,
                api,
            )
            .await?;
            node.api
                .stake_deposit(config.worker_stake.to_string())
                .await?;
            tracing::info!(target: "devnet", worker = %key.address(), api = %node.api_addr, "worker up and staked");
            workers.push(node);
        }
        // The oracle node (requester and oracle roles) runs the feed's job over the owners:
        // prepared now (the owners' policies name its peer id), started after them (its
        // feed's spec names theirs).
        let odir = nodes_dir.join("oracle");
        let (op2p, oapi) = (free_port()?, free_port()?);
        let oracle_config = format!(
            "[oracle]\npoll_secs = 1\n[[oracle.feeds]]\nname = {:?}\nspec = \"feeds/iris.toml\"\nstatistic = \"mean\"\ncolumn = \"sepal_length\"\n",
            String::from_utf8_lossy(IRIS_FEED)
        );
        prepare_node(
            &odir,
            &keys_cache,
            &password_file,
            &signer(ORACLE_NODE),
            &rpc_url,
            op2p,
            oapi,
            std::slice::from_ref(&requester.p2p_addr),
            true,
            &WorkerFiles::NONE,
            &oracle_config,
        )?;
        deployment.save(&Deployment::path_for(&odir, deployment.chain_id))?;
        let oracle_peer = identity::peer_id(&identity::load_or_create_p2p(&odir)?).to_base58();
        let iris = dataset::iris();
        let parts = dataset::partition(&iris.rows, config.owners.max(1));
        let digits = if config.fl {
            Some(digits_parts(&root, config.owners.max(1))?)
        } else {
            None
        };
        let mut owners = Vec::new();
        for (i, rows) in parts.iter().enumerate().take(config.owners) {
            let (p2p, api) = (free_port()?, free_port()?);
            let dir = nodes_dir.join(format!("owner-{i}"));
            let rows: Vec<Vec<f64>> = rows
                .iter()
                .map(|r| r[..IRIS_COLUMNS.len()].to_vec())
                .collect();
            let mut policy = format!(
                "[contributor]\nrequesters = [{:?}, {oracle_peer:?}]\nqueries = [\"mean\", \"variance\", \"histogram\"]\nmin_contributors = {}\ntraining = {}\n[[contributor.datasets]]\nname = \"iris\"\npath = \"iris.csv\"\ncolumns = {:?}\n",
                requester.peer_id,
                config.owners.max(2),
                config.fl,
                IRIS_COLUMNS,
            );
            if let Some(parts) = &digits {
                let mut columns = arcanum_compute::fl::digits_columns();
                columns.push("label".into());
                policy += &format!(
                    "[[contributor.datasets]]\nname = \"digits\"\npath = \"digits.csv\"\ncolumns = {columns:?}\nbudget = {{ epsilon = 10.0, delta = 1e-5 }}\n"
                );
                std::fs::create_dir_all(&dir)?;
                arcanum_compute::fl::write_csv(
                    &parts[i],
                    &arcanum_compute::fl::digits_columns(),
                    "label",
                    &dir.join("digits.csv"),
                )?;
            }
            // Owners stake as clerk candidates: an Anvil key each (it has the gas).
            let key = signer(FIRST_OWNER + i);
            owner.mint(key.address(), config.worker_stake).await?;
            prepare_node(
                &dir,
                &keys_cache,
                &password_file,
                &key,
                &rpc_url,
                p2p,
                api,
                &[],
                true,
                &WorkerFiles::NONE,
                &policy,
            )?;
            std::fs::write(dir.join("iris.csv"), dataset::to_csv(&IRIS_COLUMNS, &rows))?;
            deployment.save(&Deployment::path_for(&dir, deployment.chain_id))?;
            let address = key.address();
            let node = start_node(
                &config.exe,
                &format!("owner-{i}"),
                &dir,
                "contributor,clerk,committee",
                address,
                p2p,
                api,
            )
            .await?;
            // Unequal stakes, so the clerk draw is weighted.
            let stake = config.job_stake * U256::from(i as u64 + 1);
            node.api.stake_deposit(stake.to_string()).await?;
            tracing::info!(target: "devnet", owner = %node.peer_id, rows = rows.len(), %stake, "data owner up and staked as a clerk candidate");
            owners.push(node);
        }
        let oracle = if owners.is_empty() {
            None
        } else {
            let addrs: Vec<String> = owners
                .iter()
                .map(|o| format!("{}/p2p/{}", o.p2p_addr, o.peer_id))
                .collect();
            let job = iris_job(&addrs, config.reward, config.job_stake)?;
            std::fs::create_dir_all(odir.join("feeds"))?;
            std::fs::write(odir.join("feeds/iris.toml"), toml::to_string(&job)?)?;
            // The data oracle's owner defines the feed on chain: its query (which the
            // owners anchor), its statistic and its verifiers.
            let feed_config = crate::config::FeedConfig {
                name: String::from_utf8_lossy(IRIS_FEED).into_owned(),
                spec: "feeds/iris.toml".into(),
                statistic: arcanum_protocol::Query::Mean,
                column: Some("sepal_length".into()),
                decimals: 18,
                min_fee_wei: "0".into(),
            };
            let feeds = crate::services::oracle::load_feeds(&[feed_config], &odir)?;
            let owner_keys: Vec<Address> = (0..config.owners)
                .map(|i| signer(FIRST_OWNER + i).address())
                .collect();
            for feed in &feeds {
                let min = job
                    .stats
                    .as_ref()
                    .map_or(1, |s| s.min_contributors.max(1) as u8);
                let def = crate::services::oracle::definition(feed, owner.deployment(), min)?;
                owner.oracle_set_feed(feed.id, &def).await?;
                owner
                    .oracle_set_feed_owners(feed.id, &owner_keys, true)
                    .await?;
            }
            owner
                .mint(signer(ORACLE_NODE).address(), arc(1_000))
                .await?;
            let node = start_node(
                &config.exe,
                "oracle",
                &odir,
                "requester,oracle",
                signer(ORACLE_NODE).address(),
                op2p,
                oapi,
            )
            .await?;
            tracing::info!(target: "devnet", oracle = %node.peer_id, "oracle node up: serves iris/sepal_length/mean");
            Some(node)
        };
        Ok(Self {
            anvil,
            rpc_url,
            deployment_file,
            owner,
            requester,
            workers,
            owners,
            oracle,
            config,
        })
    }

    fn signer(&self, i: usize) -> PrivateKeySigner {
        self.anvil.keys()[i].clone().into()
    }

    /// Submits a job to the requester's API and waits until it settles.
    async fn submit_job(&self, job: &JobSubmission) -> eyre::Result<JobRecord> {
        self.submit_job_within(job, Duration::from_secs(300)).await
    }

    /// [`Self::submit_job`], waiting up to `wait`.
    async fn submit_job_within(
        &self,
        job: &JobSubmission,
        wait: Duration,
    ) -> eyre::Result<JobRecord> {
        let mut rec: JobRecord = self.requester.api.submit(job).await?;
        let until = Instant::now() + wait;
        while matches!(rec.state, JobState::Submitted | JobState::Posted) {
            if Instant::now() > until {
                return Err(eyre!(
                    "job {} not settled in {wait:?}; see {}",
                    rec.id,
                    self.requester.log_path().display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            rec = self.requester.api.job(rec.id).await?;
        }
        match rec.state {
            JobState::Settled => Ok(rec),
            _ => Err(eyre!(
                "job {} failed: {}; see {}",
                rec.id,
                rec.error.unwrap_or_default(),
                self.requester.log_path().display()
            )),
        }
    }

    /// Waits (up to 300 s) for the oracle node to fulfil `request`; returns the value, the
    /// job backing it and the seconds since `since`.
    async fn wait_fulfilled(
        &self,
        chain: &MarketClient,
        request: U256,
        since: Instant,
    ) -> eyre::Result<(I256, arcanum_protocol::JobId, f64, u64)> {
        let from = chain.deployment().deploy_block;
        loop {
            for l in chain.oracle_events(from, None).await? {
                if let arcanum_chain::OracleEvent::Fulfilled {
                    request_id,
                    value,
                    job_id,
                    ..
                } = l.event
                    && request_id == request
                {
                    let waited = since.elapsed().as_secs_f64();
                    let gas = self.gas_used(&l.tx_hash.to_string()).await;
                    return Ok((value, job_id, waited, gas));
                }
            }
            if since.elapsed() > Duration::from_secs(300) {
                let log = self
                    .oracle
                    .as_ref()
                    .map(|o| o.log_path().display().to_string())
                    .unwrap_or_default();
                return Err(eyre!(
                    "the oracle node did not fulfil request {request} in 300 s; see {log}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The data owners' multiaddrs (ending in `/p2p/<peer id>`).
    fn owner_addrs(&self) -> Vec<String> {
        self.owners
            .iter()
            .map(|o| format!("{}/p2p/{}", o.p2p_addr, o.peer_id))
            .collect()
    }

    /// The example spec `deploy/examples/iris-variance.toml` with this devnet's data
    /// owners as contributors and clerks.
    pub fn iris_spec(&self) -> eyre::Result<JobSubmission> {
        iris_job(
            &self.owner_addrs(),
            self.config.reward,
            self.config.job_stake,
        )
    }

    fn worker(&self, address: &str) -> eyre::Result<&NodeProcess> {
        self.workers
            .iter()
            .find(|w| w.address.to_string() == address)
            .ok_or_else(|| eyre!("{address} is not a devnet worker"))
    }

    async fn gas_used(&self, tx: &str) -> u64 {
        let Ok(hash) = tx.parse() else { return 0 };
        self.owner
            .provider()
            .get_transaction_receipt(hash)
            .await
            .ok()
            .flatten()
            .map_or(0, |r| r.gas_used)
    }

    /// The Iris statistics job through the requester's API, then the data oracle, the
    /// claim through the worker's API; reported.
    pub async fn run_iris_job(&self) -> eyre::Result<DevnetReport> {
        if self.owners.is_empty() {
            return Err(eyre!("this devnet has no data-owner nodes"));
        }
        let shape = shapes::SECAGG_SUM_4X8;
        let feed = alloy::primitives::keccak256(IRIS_FEED);
        let dapp = self.owner.with_signer(self.signer(DAPP)).await?;
        self.owner.mint(dapp.account(), arc(10)).await?;

        let submitted = Instant::now();
        let rec = self.submit_job(&self.iris_spec()?).await?;
        let stats_job_seconds = submitted.elapsed().as_secs_f64();
        let bytes = self.contributor_bytes().await?;
        // Then the dApp asks the data oracle (after the statistic, so that the bytes above
        // are the statistic's alone).
        let (request_id, _) = dapp
            .oracle_request(feed, arc(1), Address::ZERO, 0, 3600)
            .await?;
        let requested = Instant::now();
        let (o, run) = settled_statistic(&rec)?;
        let statistics = run
            .statistics
            .ok_or_else(|| eyre!("job {} settled without statistics", rec.id))?;
        let stats_contributors = run.contributors.len();
        let committee_choice_verified = self.requester.api.committee(rec.id).await?.verified;
        let input_commitment = U256::from_str(&o.input_commitment)?;
        let means = statistics.means.clone();
        let stds: Vec<f64> = statistics.variances.iter().map(|v| v.sqrt()).collect();
        let rows = dataset::iris().rows;
        let n = rows.len() as f64;
        let plaintext_means: Vec<f64> = (0..IRIS_COLUMNS.len())
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let plaintext_stds: Vec<f64> = plaintext_means
            .iter()
            .enumerate()
            .map(|(j, m)| (rows.iter().map(|r| (r[j] - m).powi(2)).sum::<f64>() / n).sqrt())
            .collect();
        let job_id = arcanum_protocol::JobId(U256::from_str(&o.job_id)?);
        let worker: Address = o.worker.parse()?;

        // The oracle node's service answers the dApp's request with its own run of the
        // feed's job.
        let (_, oracle_job, waited, fulfil_gas) =
            self.wait_fulfilled(&dapp, request_id, requested).await?;
        let feed_value = dapp.oracle_latest(feed).await?;
        if feed_value.job_id != oracle_job || feed_value.request_id != request_id {
            return Err(eyre!(
                "oracle provenance does not name the fulfilling job and request"
            ));
        }
        let oracle_info = dapp.job(oracle_job).await?;
        if oracle_info.status != arcanum_chain::JobStatus::Completed {
            return Err(eyre!("the oracle's value is not backed by a completed job"));
        }

        let node = self.worker(&o.worker)?;
        let before = self.owner.balance_of(worker).await?;
        let claimed = node.api.claim().await?;
        let after = self.owner.balance_of(worker).await?;
        let proof: [U256; 8] = o
            .proofs
            .first()
            .ok_or_else(|| eyre!("the worker reported no proof"))?
            .iter()
            .map(|x| U256::from_str(x))
            .collect::<Result<Vec<_>, _>>()?
            .try_into()
            .map_err(|_| eyre!("a proof has 8 words"))?;
        let inputs = [
            job_id.0,
            U256::from_be_slice(worker.as_slice()),
            input_commitment,
            U256::from_str(&o.output_commitment)?,
        ];
        if !self.owner.verify_on_chain(shape.id, proof, inputs).await? {
            return Err(eyre!(
                "the settled proof does not verify through the verifier contract"
            ));
        }
        let verify_gas = self.owner.verify_gas(shape.id, proof, inputs).await?;
        Ok(DevnetReport {
            rpc_url: self.rpc_url.clone(),
            market: self.owner.deployment().market,
            dataset: format!(
                "iris (150 rows, {} of 4 columns), split among {} data-owner nodes",
                IRIS_COLUMNS.len(),
                self.owners.len()
            ),
            job_id: o.job_id.clone(),
            shape: shape.name(),
            offers_seen: o.offers_seen,
            bids_seen: o.bids_seen,
            ask: U256::from_str(&o.ask_wei)?,
            assign_gas: o.assign_gas,
            bid_to_assignment_seconds: o.bid_to_assignment_seconds,
            chosen_worker: worker,
            chosen_peer: o.worker_peer.clone(),
            prove_seconds: o.prove_seconds,
            submit_result_gas: self.gas_used(&o.settle_tx).await,
            verify_proof_gas: verify_gas.tx_gas,
            verify_exec_gas: verify_gas.execution(),
            verify_gas_over_floor_pct: (verify_gas.execution() as f64 / PAIRING_FLOOR_GAS as f64
                - 1.0)
                * 100.0,
            claim_gas: claimed.gas_used,
            reward: self.config.reward,
            balance_before: before,
            balance_after: after,
            means,
            stds,
            plaintext_means,
            plaintext_stds,
            stats_job_seconds: Some(stats_job_seconds),
            stats_contributors: Some(stats_contributors),
            contributor_bytes_sent: bytes.iter().max().copied(),
            committee_choice_verified: Some(committee_choice_verified),
            outcome_tx: o.settle_tx.clone(),
            oracle_feed: String::from_utf8_lossy(IRIS_FEED).into_owned(),
            oracle_value: Some(
                feed_value
                    .value
                    .to_string()
                    .parse::<f64>()
                    .unwrap_or(f64::NAN)
                    / 1e18,
            ),
            oracle_block: Some(feed_value.block),
            oracle_fulfil_gas: Some(fulfil_gas),
            finalize_prove_seconds: None,
            oracle_job_id: Some(oracle_job.0.to_string()),
            oracle_request_to_fulfil_seconds: Some(waited),
            he_linear: None,
            fl: None,
        })
    }

    /// The example spec `deploy/examples/iris-histogram-he.toml` with this devnet's data
    /// owners as contributors and every owner and worker as a committee candidate.
    pub fn he_spec(&self) -> eyre::Result<JobSubmission> {
        let mut job: JobSubmission = toml::from_str(HE_SPEC)?;
        let spec = job
            .stats
            .as_mut()
            .ok_or_else(|| eyre!("the example spec has no [stats]"))?;
        let addr = |n: &NodeProcess| format!("{}/p2p/{}", n.p2p_addr, n.peer_id);
        spec.contributors = self.owners.iter().map(addr).collect();
        spec.clerks = self.owners.iter().chain(&self.workers).map(addr).collect();
        let n = spec.clerks.len() as u32;
        spec.min_contributors = spec.min_contributors.min(self.owners.len() as u32);
        spec.clerks_sampled = spec.clerks_sampled.map(|k| k.min(n));
        spec.threshold = spec.threshold.min(spec.clerks_sampled.unwrap_or(n));
        job.reward_wei = self.config.reward.to_string();
        job.min_stake_wei = self.config.job_stake.to_string();
        Ok(job)
    }

    /// The he-linear histogram through the requester's API: a committee drawn from the
    /// owners and workers generates the key over the network, the owners encrypt under it,
    /// and members decrypt the proven sum; checked against the histogram in the clear.
    pub async fn run_he_job(&self) -> eyre::Result<HeReport> {
        let job = self.he_spec()?;
        let spec = job
            .stats
            .clone()
            .ok_or_else(|| eyre!("the example spec has no [stats]"))?;
        let rec = self.submit_job(&job).await?;
        let (o, run) = settled_statistic(&rec)?;
        let histogram = run
            .statistics
            .as_ref()
            .and_then(|s| s.histograms.first().cloned())
            .ok_or_else(|| eyre!("job {} settled without a histogram", rec.id))?;
        let column = IRIS_COLUMNS
            .iter()
            .position(|c| spec.columns.first().is_some_and(|s| s == c))
            .ok_or_else(|| eyre!("the example histogram is not over an Iris column"))?;
        let mut plaintext = vec![0i64; spec.edges.len() + 1];
        for r in dataset::iris().rows {
            plaintext[spec.edges.iter().take_while(|e| r[column] >= **e).count()] += 1;
        }
        let bucket = |k: usize| match (k.checked_sub(1).map(|i| spec.edges[i]), spec.edges.get(k)) {
            (None, Some(hi)) => format!("{} < {hi} cm", spec.columns[0]),
            (Some(lo), Some(hi)) => format!("{} {lo}-{hi} cm", spec.columns[0]),
            (Some(lo), None) => format!("{} >= {lo} cm", spec.columns[0]),
            (None, None) => spec.columns[0].clone(),
        };
        Ok(HeReport {
            job_id: o.job_id.clone(),
            shape: job.shape.clone(),
            committee: format!("{} of {}", spec.threshold, run.clerks.len()),
            decrypted_by: run.clerks_answered.iter().map(|&k| k as u32).collect(),
            chosen_worker: o.worker.parse()?,
            prove_seconds: o.prove_seconds,
            submit_result_gas: self.gas_used(&o.settle_tx).await,
            dkg_seconds: run.dkg_seconds,
            statistics: (0..plaintext.len()).map(bucket).collect(),
            decrypted: histogram.iter().map(|v| v.round() as i64).collect(),
            plaintext,
        })
    }

    /// The example spec `deploy/examples/digits-fl.toml` with this devnet's data owners as
    /// contributors and clerk candidates, and its held-out split.
    pub fn fl_spec(&self) -> eyre::Result<JobSubmission> {
        let mut job: JobSubmission = toml::from_str(FL_SPEC)?;
        let spec = job
            .fl
            .as_mut()
            .ok_or_else(|| eyre!("the example spec has no [fl]"))?;
        let addrs = self.owner_addrs();
        spec.contributors = addrs.clone();
        spec.clerks = addrs;
        let n = self.owners.len() as u32;
        // Every owner's policy asks for all of them (min_contributors = owners).
        spec.min_contributors = n;
        spec.clerks_sampled = spec.clerks_sampled.map(|k| k.min(n));
        spec.threshold = spec.threshold.min(spec.clerks_sampled.unwrap_or(n));
        let root = std::path::absolute(&self.config.root)?;
        spec.test_csv = Some(root.join(FL_TEST_CSV).display().to_string());
        job.reward_wei = self.config.reward.to_string();
        job.min_stake_wei = self.config.job_stake.to_string();
        Ok(job)
    }

    /// Bytes each owner has sent as a data owner (its metric), in owner order.
    async fn contributor_bytes(&self) -> eyre::Result<Vec<u64>> {
        let mut bytes = Vec::new();
        for owner in &self.owners {
            let text = owner.api.metrics().await?;
            let sent = text
                .lines()
                .find_map(|l| l.strip_prefix("arcanum_contributor_bytes_sent_total "))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| eyre!("{} reports no contributor bytes", owner.name))?;
            bytes.push(sent);
        }
        Ok(bytes)
    }

    /// The digits training job through the requester's API (`--fl`): every round proven
    /// and settled, the model's accuracy on the held-out split and the epsilon spent.
    pub async fn run_fl_job(&self) -> eyre::Result<FlReport> {
        if !self.config.fl || self.owners.is_empty() {
            return Err(eyre!("this devnet was started without --fl"));
        }
        let job = self.fl_spec()?;
        let before = self.contributor_bytes().await?;
        let started = Instant::now();
        let rec = self
            .submit_job_within(&job, Duration::from_secs(1_800))
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        let after = self.contributor_bytes().await?;
        let run = rec
            .fl
            .clone()
            .ok_or_else(|| eyre!("job {} settled without its rounds", rec.id))?;
        let rounds = run.rounds.len();
        let per_round = after
            .iter()
            .zip(&before)
            .map(|(a, b)| a.saturating_sub(*b) / rounds.max(1) as u64)
            .max()
            .unwrap_or(0);
        let last = run
            .rounds
            .last()
            .ok_or_else(|| eyre!("job {} ran no round", rec.id))?;
        let model = std::path::absolute(&self.config.root)?.join("digits-model.safetensors");
        std::fs::write(&model, run.model.to_safetensors()?)?;
        Ok(FlReport {
            local_id: rec.id,
            shape: job.shape.clone(),
            layers: run.plan.layers.clone(),
            owners: run.joined.len(),
            rounds,
            job_ids: run.rounds.iter().map(|r| r.job_id.clone()).collect(),
            seconds,
            round_seconds: run.rounds.iter().map(|r| r.seconds).collect(),
            prove_seconds: run.rounds.iter().map(|r| r.prove_seconds).collect(),
            initial_accuracy: run.initial_accuracy,
            accuracy: run
                .rounds
                .iter()
                .map(|r| r.accuracy.unwrap_or(0.0))
                .collect(),
            epsilon: run
                .rounds
                .iter()
                .map(|r| r.epsilon.unwrap_or(0.0))
                .collect(),
            planned_epsilon: crate::services::fl::job_epsilon(&run.plan).map_err(|e| eyre!(e))?,
            noise_multiplier: run.plan.privacy.map(|p| p.noise_multiplier),
            delta: run.plan.privacy.map(|p| p.delta),
            contributor_bytes_per_round: per_round,
            model_file: model.display().to_string(),
            test_csv: job
                .fl
                .as_ref()
                .and_then(|f| f.test_csv.clone())
                .unwrap_or_default(),
            model_id: last.model_id.clone(),
        })
    }

    /// What `--keep-running` prints: where everything is, as an env file's lines.
    pub fn env_lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("ARCANUM_RPC_URL={}", self.rpc_url),
            format!("ARCANUM_DEPLOYMENT={}", self.deployment_file.display()),
            format!("ARCANUM_REQUESTER_DIR={}", self.requester.dir.display()),
            format!("ARCANUM_REQUESTER_API=http://{}", self.requester.api_addr),
            format!(
                "ARCANUM_REQUESTER_COOKIE={}",
                self.requester.dir.join(COOKIE_FILE).display()
            ),
        ];
        for (i, o) in self.owners.iter().enumerate() {
            lines.push(format!("ARCANUM_OWNER{i}_DIR={}", o.dir.display()));
            lines.push(format!(
                "ARCANUM_OWNER{i}_ADDR={}/p2p/{}",
                o.p2p_addr, o.peer_id
            ));
        }
        for (i, w) in self.workers.iter().enumerate() {
            lines.push(format!("ARCANUM_WORKER{i}_DIR={}", w.dir.display()));
            lines.push(format!("ARCANUM_WORKER{i}_API=http://{}", w.api_addr));
            lines.push(format!(
                "ARCANUM_WORKER{i}_COOKIE={}",
                w.dir.join(COOKIE_FILE).display()
            ));
        }
        lines
    }

    /// Pauses the chain (SIGSTOP to Anvil): its RPC accepts connections and never answers,
    /// like a hung endpoint.
    pub fn pause_chain(&self) -> eyre::Result<()> {
        self.signal_chain("-STOP")
    }

    /// Resumes a paused chain (SIGCONT).
    pub fn resume_chain(&self) -> eyre::Result<()> {
        self.signal_chain("-CONT")
    }

    fn signal_chain(&self, signal: &str) -> eyre::Result<()> {
        let status = Command::new("kill")
            .args([signal, &self.anvil.child().id().to_string()])
            .status()?;
        if !status.success() {
            return Err(eyre!("kill {signal} anvil failed ({status})"));
        }
        Ok(())
    }

    /// Stops every node with SIGTERM (each must exit cleanly within 5 s); Anvil stops when
    /// the cluster is dropped.
    pub fn stop(&mut self) -> eyre::Result<()> {
        let mut unclean = Vec::new();
        for node in self
            .workers
            .iter_mut()
            .chain(self.owners.iter_mut())
            .chain(self.oracle.iter_mut())
            .chain(std::iter::once(&mut self.requester))
        {
            if !node.stop() {
                unclean.push(node.name.clone());
            }
        }
        if unclean.is_empty() {
            Ok(())
        } else {
            Err(eyre!(
                "{} did not stop cleanly within 5 s",
                unclean.join(", ")
            ))
        }
    }
}

/// A settled joint statistic's outcome and run.
fn settled_statistic(rec: &JobRecord) -> eyre::Result<(JobSummary, StatsRun)> {
    let o = rec
        .outcome
        .clone()
        .ok_or_else(|| eyre!("job {} settled without an outcome", rec.id))?;
    let run = rec
        .stats
        .clone()
        .ok_or_else(|| eyre!("job {} is not a joint statistic", rec.id))?;
    Ok((o, run))
}
