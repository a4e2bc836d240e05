//! `cargo bench -p arcanum-node --bench load`: the node under load and faults, on real
//! processes (Anvil, one requester and three worker `arcanum node run` processes with two
//! slots each). Each figure is the median of `LOAD_RUNS` runs (default 3), printed with
//! the range; ends with one `name: value` line per figure. No peer marketplace runs on
//! this machine to compare with, so these are absolute.
//!
//! One run:
//! 1. `LOAD_JOBS` (default 100) `secagg-sum-4x8` jobs are submitted to the requester's API
//!    at once; it follows 16 at a time.
//! 2. As soon as worker 1 has accepted a job (inputs checked, proving), it is killed with
//!    SIGKILL and restarted: `restart_resume_seconds` runs from the restart's spawn until
//!    its store holds no job accepted or proven but not settled.
//! 3. When every job has ended: `load_jobs`, `load_jobs_settled`, `load_jobs_lost` (jobs not
//!    settled, or settled a number of times other than once on chain: must be 0), and
//!    `load_jobs_per_minute` (settled jobs over the time from submission to the last
//!    settlement).
//! 4. One more job is submitted and Anvil paused (SIGSTOP) for `OUTAGE_SECS` (default 30)
//!    right after: `rpc_outage_recovery_seconds` runs from Anvil resumed to that job
//!    settled.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use arcanum_node::{
    chain::bindings::ComputeMarket,
    devnet::{
        arc,
        cluster::{Cluster, ClusterConfig, NodeProcess},
    },
    store::{JobRecord, JobState},
};
use arcanum_protocol::U256;
use std::{
    collections::HashMap,
    path::PathBuf,
    time::{Duration, Instant},
};

fn median_range(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(|a, b| a.total_cmp(b));
    (xs[xs.len() / 2], xs[0], xs[xs.len() - 1])
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Jobs not yet ended, by local id.
async fn open_jobs(cluster: &Cluster) -> Vec<JobRecord> {
    cluster
        .requester
        .api
        .jobs()
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| matches!(j.state, JobState::Submitted | JobState::Posted))
        .collect()
}

/// Jobs the worker holds accepted or proven but not settled.
async fn pending_work(node: &NodeProcess) -> usize {
    match node.api.status().await {
        Ok(s) => ["accepted", "proven"]
            .iter()
            .map(|k| s.work.get(*k).copied().unwrap_or(0))
            .sum(),
        Err(_) => usize::MAX,
    }
}

struct Run {
    jobs: usize,
    settled: usize,
    lost: usize,
    per_minute: f64,
    restart_resume: f64,
    outage_recovery: f64,
}

async fn one_run(root: PathBuf, exe: PathBuf, jobs: u64, outage: Duration) -> Run {
    let mut cluster = Cluster::start(ClusterConfig {
        root,
        workers: 3,
        reward: arc(25),
        worker_stake: arc(2_000),
        job_stake: arc(100),
        exe,
        worker_capacity: 2,
        owners: 0,
        fl: false,
    })
    .await
    .expect("cluster");
    let from_block = cluster.owner.block_number().await.expect("head");
    // Enough for every job's escrow (the devnet mints 10,000 ARC to the requester).
    assert!(
        arc(25) * U256::from(jobs + 1) <= arc(10_000),
        "too many jobs"
    );

    let start = Instant::now();
    let mut ids = Vec::new();
    for seed in 0..jobs {
        let rec = cluster
            .requester
            .api
            .submit(&arcanum_node::devnet::small_job(seed, 300))
            .await
            .expect("submit");
        ids.push(rec.id);
    }
    eprintln!("{jobs} jobs submitted in {:.1?}", start.elapsed());

    // Kill worker 1 while it proves a job, then restart it.
    let until = Instant::now() + Duration::from_secs(300);
    loop {
        let pending = pending_work(&cluster.workers[1]).await;
        if (1..usize::MAX).contains(&pending) {
            break;
        }
        assert!(Instant::now() < until, "worker 1 never accepted a job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.workers[1].kill();
    eprintln!("worker 1 killed (-9) with a job in hand");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restarted = Instant::now();
    cluster.workers[1].restart().await.expect("restart");
    let until = Instant::now() + Duration::from_secs(300);
    while pending_work(&cluster.workers[1]).await > 0 {
        assert!(
            Instant::now() < until,
            "worker 1's pending job never settled; see {}",
            cluster.workers[1].log_path().display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restart_resume = restarted.elapsed().as_secs_f64();
    eprintln!("worker 1 resumed and settled its job in {restart_resume:.1} s");

    let until = Instant::now() + Duration::from_secs(1_800);
    loop {
        let open = open_jobs(&cluster).await.len();
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < until,
            "{open} jobs still open after 30 min; see {}",
            cluster.requester.log_path().display()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let records = cluster.requester.api.jobs().await.expect("jobs");
    let settled: Vec<&JobRecord> = records
        .iter()
        .filter(|j| ids.contains(&j.id) && j.state == JobState::Settled)
        .collect();
    for j in records.iter().filter(|j| j.state == JobState::Failed) {
        eprintln!(
            "job {} failed: {}",
            j.id,
            j.error.clone().unwrap_or_default()
        );
    }
    // Paid once: one JobCompleted per settled job on chain.
    let head = cluster.owner.block_number().await.expect("head");
    let mut completions: HashMap<U256, usize> = HashMap::new();
    for e in cluster
        .owner
        .market_events(from_block, head)
        .await
        .expect("events")
    {
        if let (_, ComputeMarket::ComputeMarketEvents::JobCompleted(c)) = e {
            *completions.entry(c.jobId).or_default() += 1;
        }
    }
    let paid_once = settled
        .iter()
        .filter(|j| {
            let id = j
                .outcome
                .as_ref()
                .map(|o| o.job_id.clone())
                .unwrap_or_default();
            U256::from_str_radix(&id, 10)
                .ok()
                .and_then(|id| completions.get(&id))
                == Some(&1)
        })
        .count();
    let run = Run {
        jobs: ids.len(),
        settled: settled.len(),
        lost: ids.len() - paid_once,
        per_minute: settled.len() as f64 * 60.0 / elapsed,
        restart_resume,
        outage_recovery: outage_recovery(&cluster, jobs, outage).await,
    };
    cluster.stop().expect("clean stop");
    run
}

/// One job submitted, the chain paused for `outage` and resumed: seconds from the resume
/// to that job settled.
async fn outage_recovery(cluster: &Cluster, seed: u64, outage: Duration) -> f64 {
    let rec = cluster
        .requester
        .api
        .submit(&arcanum_node::devnet::small_job(seed, 300))
        .await
        .expect("submit");
    cluster.pause_chain().expect("pause");
    tokio::time::sleep(outage).await;
    cluster.resume_chain().expect("resume");
    let resumed = Instant::now();
    let until = resumed + Duration::from_secs(600);
    loop {
        let job = cluster.requester.api.job(rec.id).await.expect("job");
        match job.state {
            JobState::Settled => return resumed.elapsed().as_secs_f64(),
            JobState::Failed => panic!("the job failed after the outage: {:?}", job.error),
            _ => {}
        }
        assert!(Instant::now() < until, "not settled 600 s after the outage");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn main() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_arcanum"));
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-load");
    let runs = env_or("LOAD_RUNS", 3).max(1);
    let jobs = env_or("LOAD_JOBS", 100).max(1);
    let outage = Duration::from_secs(env_or("OUTAGE_SECS", 30));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut all = Vec::new();
    for run in 0..runs {
        let r = rt.block_on(one_run(root.clone(), exe.clone(), jobs, outage));
        eprintln!(
            "run {run}: {} jobs, {} settled, {} lost, {:.1}/min, restart resume {:.1} s, outage recovery {:.1} s",
            r.jobs, r.settled, r.lost, r.per_minute, r.restart_resume, r.outage_recovery
        );
        all.push(r);
    }
    let figures: [(&str, &str, Vec<f64>); 6] = [
        (
            "load_jobs",
            "jobs",
            all.iter().map(|r| r.jobs as f64).collect(),
        ),
        (
            "load_jobs_settled",
            "jobs",
            all.iter().map(|r| r.settled as f64).collect(),
        ),
        (
            "load_jobs_lost",
            "jobs",
            all.iter().map(|r| r.lost as f64).collect(),
        ),
        (
            "load_jobs_per_minute",
            "jobs/min",
            all.iter().map(|r| r.per_minute).collect(),
        ),
        (
            "restart_resume_seconds",
            "s",
            all.iter().map(|r| r.restart_resume).collect(),
        ),
        (
            "rpc_outage_recovery_seconds",
            "s",
            all.iter().map(|r| r.outage_recovery).collect(),
        ),
    ];
    for (name, unit, xs) in &figures {
        let (m, lo, hi) = median_range(xs.clone());
        eprintln!("{name}: median {m:.2} {unit}, range {lo:.2}-{hi:.2} over {runs} runs");
    }
    for (name, _, xs) in figures {
        println!("{name}: {:.2}", median_range(xs).0);
    }
}
