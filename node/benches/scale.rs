//! `cargo bench -p arcanum-node --bench scale`: a network of `SCALE_NODES` (default 50)
//! `arcanum node run` processes on loopback (Anvil, 2 bootstrap nodes, 3 more requesters,
//! the rest workers, and one node that joins late), each told only the bootstrap
//! addresses. It measures, from the nodes' own `/metrics` and `/proc`:
//!
//! - `offer_p50_seconds_50_nodes`, `offer_p99_seconds_50_nodes`: from a worker signing an
//!   offer to each node verifying it, over every gossip delivery in the measured window
//!   (the nodes' histograms summed, quantiles interpolated in their buckets);
//! - `offer_coverage_min`: the least share of the workers' offers any node holds at the end;
//! - `late_join_offers_seconds`: from the late node's spawn to it holding every worker's
//!   offer (its API is polled; the offers are handed over on connecting, before the API
//!   is up, so this is its start time);
//! - `gossip_bytes_per_node_per_minute`: gossipsub message bytes sent and received
//!   (duplicates included) per node, and `net_bytes_per_node_per_minute` every byte on its
//!   connections;
//! - `node_rss_mb_50_nodes_avg` at the end and `node_rss_growth_mb_10_min`, the mean
//!   change of each node's resident memory over the window (`_max`: the largest);
//! - `scale_jobs_settled` of the jobs the five requesters posted at the window's start.
//!
//! The window is `SCALE_SECS` (default 600: the memory figure is over ten minutes); workers
//! re-advertise every `SCALE_OFFER_SECS` (default 10, the node's default). No peer network
//! runs here to compare with, so the figures are absolute. One run; ends with one
//! `name: value` line per figure.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use arcanum_node::devnet::scale::{ScaleConfig, ScaleNet, Scrape, quantile, rss_mb, scrape};
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const DELAY: &str = "arcanum_p2p_offer_delay_seconds";
const OFFERS_TOPIC: &str = "/arcanum/offers/2";

/// Gossip message bytes on the offers topic, both directions, duplicates included.
fn gossip_bytes(s: &Scrape) -> f64 {
    s.sum(
        "libp2p_gossipsub_topic_msg_sent_bytes_total",
        &[OFFERS_TOPIC],
    ) + s.sum(
        "libp2p_gossipsub_topic_msg_recv_bytes_unfiltered_total",
        &[OFFERS_TOPIC],
    )
}

fn net_bytes(s: &Scrape) -> f64 {
    s.sum("libp2p_bandwidth_bytes_total", &[])
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

async fn run(nodes: usize, window: Duration, offer_secs: u64) {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-scale");
    let (bootstraps, requesters) = (2, 3);
    let workers = nodes
        .checked_sub(bootstraps + requesters + 1)
        .filter(|w| *w > 0)
        .expect("SCALE_NODES must leave room for a worker");
    let started = Instant::now();
    let mut net = ScaleNet::start(ScaleConfig {
        root,
        exe: PathBuf::from(env!("CARGO_BIN_EXE_arcanum")),
        bootstraps,
        workers,
        requesters,
        offer_interval_secs: offer_secs,
    })
    .await
    .expect("network up");
    let start_seconds = started.elapsed().as_secs_f64();
    let converged = net
        .wait_for_offers_everywhere(Duration::from_secs(120))
        .await
        .expect("offers everywhere");
    eprintln!(
        "{} nodes up in {start_seconds:.1} s; every offer everywhere {converged:.1} s later",
        nodes - 1
    );

    let late = net.join("late", "requester").await.expect("late node");
    // From its spawn: its API answered `started_in` after it.
    let ready = Instant::now();
    let late_join = loop {
        let held = scrape(late)
            .await
            .expect("metrics")
            .get("arcanum_p2p_offers_live");
        if held >= workers as f64 {
            break late.started_in.as_secs_f64() + ready.elapsed().as_secs_f64();
        }
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "late node holds {held} of {workers} offers after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "the late node held every offer {late_join:.2} s after its spawn (API up after {:.2} s)",
        late.started_in.as_secs_f64()
    );

    let names: Vec<String> = net.nodes().map(|n| n.name.clone()).collect();
    let before: Vec<Scrape> = futures::future::join_all(net.nodes().map(scrape))
        .await
        .into_iter()
        .map(|s| s.expect("metrics"))
        .collect();
    let rss_before: Vec<f64> = net.nodes().map(|n| rss_mb(n.pid()).unwrap()).collect();
    let jobs = net.submit_jobs(1).await.expect("jobs");
    let t0 = Instant::now();
    while t0.elapsed() < window {
        tokio::time::sleep(Duration::from_secs(30).min(window - t0.elapsed())).await;
        let rss: Vec<f64> = net.nodes().map(|n| rss_mb(n.pid()).unwrap()).collect();
        eprintln!(
            "{:>4.0} s: rss mean {:.1} MB, max {:.1} MB",
            t0.elapsed().as_secs_f64(),
            mean(&rss),
            rss.iter().copied().fold(0.0, f64::max)
        );
    }
    let minutes = t0.elapsed().as_secs_f64() / 60.0;
    let after: Vec<Scrape> = futures::future::join_all(net.nodes().map(scrape))
        .await
        .into_iter()
        .map(|s| s.expect("metrics"))
        .collect();
    let rss_after: Vec<f64> = net.nodes().map(|n| rss_mb(n.pid()).unwrap()).collect();
    let settled = net.settled(&jobs).await.expect("job states");

    // Delays delivered in the window, every node's histogram summed.
    let mut delay: Vec<(f64, f64)> = after[0]
        .buckets(DELAY)
        .into_iter()
        .map(|(bound, _)| (bound, 0.0))
        .collect();
    for (b, a) in before.iter().zip(&after) {
        let diffs = b.buckets(DELAY).into_iter().zip(a.buckets(DELAY));
        for (d, ((_, x), (_, y))) in delay.iter_mut().zip(diffs) {
            d.1 += y - x;
        }
    }
    let deliveries = delay.last().map_or(0.0, |b| b.1);
    let coverage = after
        .iter()
        .map(|s| s.get("arcanum_p2p_offers_live") / workers as f64)
        .fold(f64::INFINITY, f64::min);
    let per_node = |f: fn(&Scrape) -> f64| -> Vec<f64> {
        before
            .iter()
            .zip(&after)
            .map(|(b, a)| (f(a) - f(b)) / minutes)
            .collect()
    };
    let gossip = per_node(gossip_bytes);
    let net_total = per_node(net_bytes);
    let growth: Vec<f64> = rss_before
        .iter()
        .zip(&rss_after)
        .map(|(b, a)| a - b)
        .collect();
    let (worst, worst_name) = growth
        .iter()
        .zip(&names)
        .fold((f64::MIN, ""), |acc, (g, n)| {
            if *g > acc.0 { (*g, n.as_str()) } else { acc }
        });
    eprintln!(
        "{deliveries} offer deliveries in {minutes:.1} min; largest rss growth {worst:.1} MB ({worst_name}); {settled}/{} jobs settled",
        jobs.len()
    );
    let n = nodes;
    let lines = [
        ("scale_nodes".to_string(), n as f64),
        (format!("scale_start_seconds_{n}_nodes"), start_seconds),
        (
            format!("offer_p50_seconds_{n}_nodes"),
            quantile(&delay, 0.5).unwrap_or(f64::NAN),
        ),
        (
            format!("offer_p99_seconds_{n}_nodes"),
            quantile(&delay, 0.99).unwrap_or(f64::NAN),
        ),
        ("offer_deliveries".into(), deliveries),
        ("offer_coverage_min".into(), coverage),
        ("late_join_offers_seconds".into(), late_join),
        ("gossip_bytes_per_node_per_minute".into(), mean(&gossip)),
        ("net_bytes_per_node_per_minute".into(), mean(&net_total)),
        (format!("node_rss_mb_{n}_nodes_avg"), mean(&rss_after)),
        (
            format!("node_rss_growth_mb_{:.0}_min", minutes),
            mean(&growth),
        ),
        (format!("node_rss_growth_mb_{:.0}_min_max", minutes), worst),
        ("scale_jobs_settled".into(), settled as f64),
        ("scale_jobs".into(), jobs.len() as f64),
    ];
    for (name, value) in lines {
        println!("{name}: {value:.4}");
    }
    drop(net);
}

fn main() {
    let nodes = env_or("SCALE_NODES", 50) as usize;
    let window = Duration::from_secs(env_or("SCALE_SECS", 600).max(30));
    let offer_secs = env_or("SCALE_OFFER_SECS", 10).clamp(1, 300);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(nodes, window, offer_secs));
}
