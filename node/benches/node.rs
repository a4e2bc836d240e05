//! `cargo bench -p arcanum-node --bench node`: the node as an operator sees it, measured on
//! real processes (Anvil, `arcanum node run`, the control API). Each figure is the median
//! of 3 runs, printed with the range; ends with one `name: value` line per figure. There
//! is no peer node to run beside it in the same process tree, so these are absolute.
//!
//! - `node_start_seconds`: `arcanum node run` (worker role, dev keys cached, prover tables
//!   of two shapes built) from spawn to its API answering;
//! - `node_start_seconds_requester`: the same for a requester (no keys to load);
//! - `node_idle_rss_mb`: the worker's resident memory after 5 s idle;
//! - `api_status_p99_ms`: 99th percentile of 300 sequential `GET /v1/status` (each reads
//!   the stake and the head from the chain);
//! - `demo_seconds`: `arcanum devnet` (what `make demo` runs) from spawn to exit, after the
//!   build.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use arcanum_node::devnet::{
    arc,
    cluster::{Cluster, ClusterConfig},
};
use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

fn median_range(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(|a, b| a.total_cmp(b));
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_arcanum"));
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-node");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (mut start_w, mut start_r, mut rss, mut p99, mut demo) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..3 {
        rt.block_on(async {
            let mut cluster = Cluster::start(ClusterConfig {
                root: root.clone(),
                workers: 1,
                reward: arc(25),
                worker_stake: arc(500),
                job_stake: arc(100),
                exe: exe.clone(),
                worker_capacity: 1,
                owners: 0,
                fl: false,
            })
            .await
            .expect("cluster");
            let w = &cluster.workers[0];
            start_w.push(w.started_in.as_secs_f64());
            start_r.push(cluster.requester.started_in.as_secs_f64());
            tokio::time::sleep(Duration::from_secs(5)).await;
            rss.push(rss_mb(w.pid()));
            let mut lat = Vec::with_capacity(300);
            for _ in 0..300 {
                let t = Instant::now();
                w.api.status().await.expect("status");
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            lat.sort_by(|a, b| a.total_cmp(b));
            p99.push(lat[(lat.len() * 99) / 100 - 1]);
            cluster.stop().expect("clean stop");
            eprintln!("run {run}: done");
        });
        let t = Instant::now();
        let status = Command::new(&exe)
            .args(["devnet", "--dir", &root.join("demo").display().to_string()])
            .env("ARCANUM_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("devnet");
        assert!(status.success(), "arcanum devnet failed");
        demo.push(t.elapsed().as_secs_f64());
    }
    for (name, xs, unit) in [
        ("node_start_seconds", start_w, "s"),
        ("node_start_seconds_requester", start_r, "s"),
        ("node_idle_rss_mb", rss, "MB"),
        ("api_status_p99_ms", p99, "ms"),
        ("demo_seconds", demo, "s"),
    ] {
        let (m, lo, hi) = median_range(xs);
        eprintln!("{name}: median {m:.3} {unit}, range {lo:.3}-{hi:.3} over 3 runs");
        println!("{name}: {m:.3}");
    }
}
