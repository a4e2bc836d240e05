//! A small network of node processes that only know one or two bootstrap peers: Kademlia
//! finds the rest, every node comes to hold every worker's offer, a node that joins late
//! is handed them on connecting, the delays and gossip bytes are in `/metrics`, and every
//! process is gone afterwards.

use crate::harness::{TempDir, bin};
use arcanum_node::devnet::scale::{ScaleConfig, ScaleNet, quantile, scrape};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_that_know_only_a_bootstrap_peer_all_learn_every_offer_and_a_late_node_at_once() {
    let root = TempDir::new("scale");
    let mut net = ScaleNet::start(ScaleConfig {
        root: root.path().to_path_buf(),
        exe: bin().into(),
        // Fifteen nodes on one address with the late one (the 50-node bench is what
        // showed gossipsub's colocation penalty graylisting loopback peers).
        bootstraps: 2,
        workers: 11,
        requesters: 1,
        offer_interval_secs: 2,
    })
    .await
    .expect("network up");
    let pids: Vec<u32> = net.nodes().map(|n| n.pid()).collect();
    net.wait_for_offers_everywhere(Duration::from_secs(60))
        .await
        .expect("every node holds every offer");
    // Gossip carried offers to nodes that were up when they were first published, each
    // within a second here.
    let mut delivered = 0.0;
    for n in net.nodes() {
        let s = scrape(n).await.expect("metrics");
        let buckets = s.buckets("arcanum_p2p_offer_delay_seconds");
        delivered += buckets.last().map_or(0.0, |b| b.1);
        if let Some(p) = quantile(&buckets, 0.99) {
            assert!(p < 1.0, "{}: offer p99 {p}", n.name);
        }
    }
    assert!(delivered > 0.0, "no offer arrived by gossip");
    // Every re-advertisement reaches every node by gossip.
    let received =
        |s: &arcanum_node::devnet::scale::Scrape| s.get("arcanum_p2p_offers_received_total");
    let mut before = Vec::new();
    for n in net.nodes() {
        before.push(received(&scrape(n).await.expect("metrics")));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let others = net.workers.len() as f64 - 1.0;
    for (n, b) in net.nodes().zip(before) {
        let got = received(&scrape(n).await.expect("metrics")) - b;
        assert!(
            got >= others,
            "{} heard {got} offers by gossip in 5 s",
            n.name
        );
    }
    let workers = net.workers.len() as f64;
    let late = net.join("late", "requester").await.expect("late node");
    let mut held = 0.0;
    for _ in 0..100 {
        let s = scrape(late).await.expect("metrics");
        held = s.get("arcanum_p2p_offers_live");
        if held >= workers {
            // Handed over by the peer it dialled, before any re-advertisement.
            assert!(s.get("arcanum_p2p_offers_synced_total") >= workers, "{s:?}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(held, workers, "the late node holds every offer within 10 s");
    drop(net);
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z ")),
            "node {pid} still running"
        );
    }
}
