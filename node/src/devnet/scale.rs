//! A network of many node processes on loopback: Anvil and the contracts, one or two
//! bootstrap nodes, and every other node told only the bootstrap addresses (Kademlia
//! finds the rest; mDNS is off). Workers advertise and stake; requesters post jobs. What
//! it measures comes from the nodes' own `/metrics` (offer delays, gossip and transport
//! bytes) and `/proc` (resident memory). Every child is killed by its pid on drop.
//!
//! `cargo bench -p arcanum-node --bench scale` runs 50 nodes; the end-to-end test a few.

use super::{
    arc,
    cluster::{NodeProcess, WorkerFiles, prepare_node, start_node},
};
use crate::{store::JobState, tools};
use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    signers::local::PrivateKeySigner,
};
use arcanum_chain::{ChainConfig, Deployment, MarketClient, MarketParams};
use arcanum_protocol::U256;
use arcanum_zk::shapes;
use eyre::{WrapErr, eyre};
use std::{
    collections::BTreeMap,
    path::PathBuf,
    time::{Duration, Instant},
};

/// Settings of a scale network.
#[derive(Clone, Debug)]
pub struct ScaleConfig {
    /// Root of the nodes' data dirs (recreated; dev keys cached in `keys/`).
    pub root: PathBuf,
    /// The `arcanum` executable.
    pub exe: PathBuf,
    /// Bootstrap nodes (requesters; each told of the others).
    pub bootstraps: usize,
    /// Worker nodes (each told of the bootstrap nodes only).
    pub workers: usize,
    /// Requester nodes besides the bootstrap ones (told of the bootstrap nodes only).
    pub requesters: usize,
    /// Seconds between a worker's advertisements.
    pub offer_interval_secs: u64,
}

/// A running network.
pub struct ScaleNet {
    /// The bootstrap nodes (requesters).
    pub bootstraps: Vec<NodeProcess>,
    /// The workers.
    pub workers: Vec<NodeProcess>,
    /// The other requesters.
    pub requesters: Vec<NodeProcess>,
    /// Nodes added with [`Self::join`].
    pub joined: Vec<NodeProcess>,
    /// The deployer's chain client.
    pub owner: MarketClient,
    config: ScaleConfig,
    password_file: PathBuf,
    bootstrap_addrs: Vec<String>,
    next_key: usize,
    next_port: u16,
    /// The chain (killed on drop, after the nodes).
    pub anvil: AnvilInstance,
}

/// Anvil key of the deployer; nodes take the next ones.
const DEPLOYER: usize = 0;

impl ScaleNet {
    /// Starts Anvil, deploys, starts the bootstrap nodes, then every worker and requester
    /// at once, and stakes the workers.
    pub async fn start(config: ScaleConfig) -> eyre::Result<Self> {
        let nodes = config.bootstraps + config.workers + config.requesters;
        let anvil = Anvil::new()
            .path(tools::find("anvil")?)
            // A key per node, the deployer's, and room for late joiners.
            .args(["--accounts", &(nodes + 8).to_string()])
            .try_spawn()
            .wrap_err("cannot start anvil; is tools/bin/anvil executable? (`make tools`)")?;
        let rpc = anvil.endpoint();
        let deployer: PrivateKeySigner = anvil.keys()[DEPLOYER].clone().into();
        let root = std::path::absolute(&config.root)?;
        let nodes_dir = root.join("nodes");
        let _ = std::fs::remove_dir_all(&nodes_dir);
        std::fs::create_dir_all(&nodes_dir)?;
        std::fs::create_dir_all(root.join("keys"))?;
        let password_file = nodes_dir.join("password");
        super::cluster::write_password(&password_file)?;
        let owner = MarketClient::deploy(
            ChainConfig::new(rpc.clone()),
            deployer.clone(),
            &[shapes::SECAGG_SUM_4X8],
            &MarketParams {
                unbonding_delay: 3600,
                min_worker_stake: arc(100),
                treasury: deployer.address(),
                oracle_nodes: vec![],
                oracle_circuits: crate::services::oracle::oracle_circuits(),
            },
        )
        .await
        .wrap_err("deploying contracts")?;
        let mut net = Self {
            bootstraps: Vec::new(),
            workers: Vec::new(),
            requesters: Vec::new(),
            joined: Vec::new(),
            owner,
            config: config.clone(),
            password_file,
            bootstrap_addrs: Vec::new(),
            next_key: DEPLOYER + 1,
            next_port: 10_000 + rand::random::<u16>() % 10_000,
            anvil,
        };
        // Bootstrap nodes first, each told of the ones before it.
        for i in 0..config.bootstraps {
            let node = net
                .spawn(&format!("bootstrap-{i}"), "requester")
                .await?
                .await?;
            net.bootstrap_addrs
                .push(format!("{}/p2p/{}", node.p2p_addr, node.peer_id));
            net.bootstraps.push(node);
        }
        // One worker sets up the dev keys the others load.
        let first = net.spawn("worker-0", "worker").await?.await?;
        net.workers.push(first);
        let mut starting = Vec::new();
        for i in 1..config.workers {
            starting.push(net.spawn(&format!("worker-{i}"), "worker").await?);
        }
        for node in futures::future::join_all(starting).await {
            net.workers.push(node?);
        }
        let mut starting = Vec::new();
        for i in 0..config.requesters {
            starting.push(net.spawn(&format!("requester-{i}"), "requester").await?);
        }
        for node in futures::future::join_all(starting).await {
            net.requesters.push(node?);
        }
        for w in &net.workers {
            w.api.stake_deposit(arc(500).to_string()).await?;
        }
        Ok(net)
    }

    /// Prepares a node (key, config naming the bootstrap nodes, tokens) and returns the
    /// future that starts it and waits for its API.
    async fn spawn(
        &mut self,
        name: &str,
        roles: &str,
    ) -> eyre::Result<impl std::future::Future<Output = eyre::Result<NodeProcess>> + use<>> {
        let key: PrivateKeySigner = self
            .anvil
            .keys()
            .get(self.next_key)
            .ok_or_else(|| eyre!("no Anvil key left for {name}"))?
            .clone()
            .into();
        self.next_key += 1;
        let root = std::path::absolute(&self.config.root)?;
        let dir = root.join("nodes").join(name);
        let (p2p, api) = (self.port()?, self.port()?);
        prepare_node(
            &dir,
            &root.join("keys"),
            &self.password_file,
            &key,
            &self.anvil.endpoint(),
            p2p,
            api,
            &self.bootstrap_addrs,
            false,
            &WorkerFiles {
                ask: U256::from(1u64),
                capacity: 1,
                shapes: &[shapes::SECAGG_SUM_4X8],
                offer_interval_secs: self.config.offer_interval_secs,
            },
            "",
        )?;
        self.owner.deployment().save(&Deployment::path_for(
            &dir,
            self.owner.deployment().chain_id,
        ))?;
        self.owner.mint(key.address(), arc(1_000)).await?;
        let (exe, name, roles) = (self.config.exe.clone(), name.to_string(), roles.to_string());
        Ok(async move { start_node(&exe, &name, &dir, &roles, key.address(), p2p, api).await })
    }

    /// The next free port, counting up below the kernel's ephemeral range (32768 and up
    /// by default): ports picked there were taken by the many nodes' outgoing connections
    /// between the pick and the node's bind.
    fn port(&mut self) -> eyre::Result<u16> {
        while self.next_port < 32_000 {
            let port = self.next_port;
            self.next_port += 1;
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Ok(port);
            }
        }
        Err(eyre!("no free port left below 32000"))
    }

    /// Starts one more node (`roles`) told only of the bootstrap nodes.
    pub async fn join(&mut self, name: &str, roles: &str) -> eyre::Result<&NodeProcess> {
        let node = self.spawn(name, roles).await?.await?;
        self.joined.push(node);
        Ok(self.joined.last().expect("just pushed"))
    }

    /// Every node.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeProcess> {
        self.bootstraps
            .iter()
            .chain(&self.workers)
            .chain(&self.requesters)
            .chain(&self.joined)
    }

    /// Waits until every node holds an offer from every worker; returns the seconds taken.
    pub async fn wait_for_offers_everywhere(&self, within: Duration) -> eyre::Result<f64> {
        let start = Instant::now();
        let want = self.workers.len() as f64;
        loop {
            let mut behind = Vec::new();
            for n in self.nodes() {
                let live = scrape(n).await?.get("arcanum_p2p_offers_live");
                if live < want {
                    behind.push(format!("{} ({live})", n.name));
                }
            }
            if behind.is_empty() {
                return Ok(start.elapsed().as_secs_f64());
            }
            if start.elapsed() > within {
                return Err(eyre!(
                    "after {within:?}, nodes short of the {want} offers: {}",
                    behind.join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Submits `jobs` small `secagg-sum-4x8` jobs to each requester (bootstrap ones
    /// included); returns (requester index, local job id) pairs.
    pub async fn submit_jobs(&self, jobs: u64) -> eyre::Result<Vec<(usize, u64)>> {
        let mut ids = Vec::new();
        for (r, node) in self.requesters().enumerate() {
            for j in 0..jobs {
                let seed = (r as u64) * 1_000 + j;
                let rec = node.api.submit(&super::small_job(seed, 600)).await?;
                ids.push((r, rec.id));
            }
        }
        Ok(ids)
    }

    /// The jobs of [`Self::submit_jobs`] that settled.
    pub async fn settled(&self, ids: &[(usize, u64)]) -> eyre::Result<usize> {
        let requesters: Vec<&NodeProcess> = self.requesters().collect();
        let mut settled = 0;
        for (r, id) in ids {
            if requesters[*r].api.job(*id).await?.state == JobState::Settled {
                settled += 1;
            }
        }
        Ok(settled)
    }

    fn requesters(&self) -> impl Iterator<Item = &NodeProcess> {
        self.bootstraps.iter().chain(&self.requesters)
    }
}

/// One scrape of a node's `/metrics`: every sample by its name and labels as written.
#[derive(Clone, Debug, Default)]
pub struct Scrape(pub BTreeMap<String, f64>);

impl Scrape {
    /// A sample (0 when absent).
    pub fn get(&self, key: &str) -> f64 {
        self.0.get(key).copied().unwrap_or(0.0)
    }

    /// The sum of the samples whose key starts with `name` and contains every `label`.
    pub fn sum(&self, name: &str, labels: &[&str]) -> f64 {
        self.0
            .iter()
            .filter(|(k, _)| {
                (k.as_str() == name || k.starts_with(&format!("{name}{{")))
                    && labels.iter().all(|l| k.contains(l))
            })
            .map(|(_, v)| v)
            .sum()
    }

    /// The cumulative buckets of histogram `name`, by upper bound (`+Inf` last).
    pub fn buckets(&self, name: &str) -> Vec<(f64, f64)> {
        let prefix = format!("{name}_bucket{{le=\"");
        let mut out: Vec<(f64, f64)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let bound = k.strip_prefix(&prefix)?.strip_suffix("\"}")?;
                let bound = if bound == "+Inf" {
                    f64::INFINITY
                } else {
                    bound.parse().ok()?
                };
                Some((bound, *v))
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }

    /// Parses the Prometheus text format.
    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .filter_map(|l| {
                    let (key, value) = l.rsplit_once(' ')?;
                    Some((key.to_string(), value.parse().ok()?))
                })
                .collect(),
        )
    }
}

/// Scrapes a node's `/metrics`.
pub async fn scrape(node: &NodeProcess) -> eyre::Result<Scrape> {
    Ok(Scrape::parse(&node.api.metrics().await?))
}

/// The `q` quantile of a histogram given as cumulative `(upper bound, count)` buckets,
/// interpolated linearly inside its bucket (as Prometheus' `histogram_quantile`); `None`
/// with no observation.
pub fn quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for &(bound, count) in buckets {
        if count >= rank {
            if bound.is_infinite() {
                return Some(lower);
            }
            let inside = count - below;
            let frac = if inside > 0.0 {
                (rank - below) / inside
            } else {
                1.0
            };
            return Some(lower + (bound - lower) * frac);
        }
        (lower, below) = (bound, count);
    }
    Some(lower)
}

/// Resident memory of `pid` in MB (from `/proc`).
pub fn rss_mb(pid: u32) -> eyre::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| eyre!("no VmRSS for pid {pid}"))?;
    Ok(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_inside_the_bucket() {
        let b = [
            (0.1, 50.0),
            (0.5, 90.0),
            (1.0, 100.0),
            (f64::INFINITY, 100.0),
        ];
        assert!((quantile(&b, 0.5).expect("q") - 0.1).abs() < 1e-9);
        // Rank 95 lies halfway through (0.5, 1.0].
        assert!((quantile(&b, 0.95).expect("q") - 0.75).abs() < 1e-9);
        assert!(quantile(&[(1.0, 0.0), (f64::INFINITY, 0.0)], 0.5).is_none());
    }

    #[test]
    fn scrapes_parse_samples_and_histograms() {
        let s = Scrape::parse(
            "# HELP x y\nx_total 3\nh_bucket{le=\"0.5\"} 2\nh_bucket{le=\"+Inf\"} 4\nb{topic=\"t\",dir=\"in\"} 10\nb{topic=\"t\",dir=\"out\"} 5\n# EOF\n",
        );
        assert_eq!(s.get("x_total"), 3.0);
        assert_eq!(s.buckets("h"), vec![(0.5, 2.0), (f64::INFINITY, 4.0)]);
        assert_eq!(s.sum("b", &["topic=\"t\""]), 15.0);
        assert_eq!(s.sum("b", &["dir=\"in\""]), 10.0);
    }
}
