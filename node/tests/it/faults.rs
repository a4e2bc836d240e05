//! Faults of the chain under running nodes: a reorg across a settlement.

use crate::{
    harness::{free_port, ok, ready, run, spawn},
    operator::{Net, Party, job_file, net, node_env, rewards_once_paid},
};
use alloy::providers::Provider;
use arcanum_node::{
    api::types::Rewards,
    chain::bindings::ComputeMarket,
    devnet::arc,
    store::{JobRecord, JobState},
};
use std::time::Duration;

async fn completions(net_chain: &arcanum_node::chain::MarketClient, from: u64) -> Vec<u64> {
    let logs = net_chain
        .provider()
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(net_chain.deployment().market)
                .event_signature(
                    <ComputeMarket::JobCompleted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(from),
        )
        .await
        .expect("logs");
    logs.iter().filter_map(|l| l.block_number).collect()
}

fn rewards(w: &str, env: &[(&'static str, String)]) -> Rewards {
    serde_json::from_str(&ok(&["rewards", "--json", "--data-dir", w], env)).expect("rewards")
}

/// A reorg drops the block holding a job's settlement: the worker's watcher rolls the
/// completion back, its keeper resubmits the kept proof (no new proof), the job settles
/// again, and the worker's ledger counts one settlement and one payment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_across_a_settlement_is_rolled_back_resubmitted_and_counted_once() {
    let (net, parties) = net("reorg", &[("worker", 2), ("requester", 1)]).await;
    let [(wdir, worker), (rdir, _)] = <[Party; 2]>::try_from(parties).expect("parties");
    let Net {
        rpc,
        root,
        deployment,
        owner_chain,
        ..
    } = net;
    let (wp2p, wapi, rp2p, rapi) = (free_port(), free_port(), free_port(), free_port());
    let wenv = node_env(&rpc, wp2p, wapi, &[]);
    let w = wdir.display().to_string();
    let mut wnode = spawn(
        &["node", "run", "--data-dir", &w, "--roles", "worker"],
        &wenv,
        root.path().join("worker.log"),
    );
    ready(&mut wnode, &wdir, wapi, Duration::from_secs(120)).await;
    ok(&["stake", "deposit", "500", "--data-dir", &w], &wenv);
    let renv = node_env(
        &rpc,
        rp2p,
        rapi,
        &[(
            "ARCANUM_P2P__BOOTSTRAP",
            format!("/ip4/127.0.0.1/tcp/{wp2p}"),
        )],
    );
    let r = rdir.display().to_string();
    let mut rnode = spawn(
        &["node", "run", "--data-dir", &r, "--roles", "requester"],
        &renv,
        root.path().join("requester.log"),
    );
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;

    let (job, _) = job_file(root.path());
    let out = run(
        &[
            "job",
            "submit",
            &job,
            "--wait",
            "240",
            "--json",
            "--data-dir",
            &r,
        ],
        &renv,
    );
    assert!(
        out.status.success(),
        "{}\n{}\n{}",
        out.stderr,
        rnode.log(),
        wnode.log()
    );
    let record: JobRecord = serde_json::from_str(&out.stdout).expect("job json");
    assert_eq!(record.state, JobState::Settled, "{record:?}");
    rewards_once_paid(&w, &wenv, 1, &wnode).await;
    let before = completions(&owner_chain, deployment.deploy_block).await;
    assert_eq!(before.len(), 1);

    // Drop every block from the settlement's on: the submitResult transaction is gone and
    // the job is assigned to the worker again.
    let head = owner_chain.block_number().await.expect("head");
    let depth = head - before[0] + 1;
    let _: serde_json::Value = owner_chain
        .provider()
        .raw_request("anvil_reorg".into(), serde_json::json!([depth, []]))
        .await
        .expect("anvil_reorg");
    assert!(
        completions(&owner_chain, deployment.deploy_block)
            .await
            .is_empty()
    );

    // The worker notices, resubmits its kept proof, and the job settles once more.
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while completions(&owner_chain, deployment.deploy_block)
        .await
        .len()
        != 1
    {
        assert!(
            std::time::Instant::now() < until,
            "never resubmitted:\n{}",
            wnode.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let log = wnode.log();
    assert!(log.contains("reorg: block"), "{log}");
    assert!(log.contains("resubmitting the kept proof"), "{log}");
    assert_eq!(log.matches("proved").count(), 1, "proven once:\n{log}");
    // Counted once: one settlement, one payment, in the worker's ledger and on chain.
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = rewards(&w, &wenv);
        if r.jobs_paid == 1 && r.earned_wei == arc(10).to_string() {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "ledger: {r:?}\n{}",
            wnode.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        owner_chain.credit_of(worker.address).await.expect("credit"),
        arc(10),
        "paid once"
    );
    let metrics = reqwest_metrics(&wdir, wapi).await;
    assert!(
        metrics.contains("arcanum_chain_reorgs_total 1"),
        "{metrics}"
    );
}

async fn reqwest_metrics(dir: &std::path::Path, api: u16) -> String {
    let cookie = std::fs::read_to_string(dir.join(arcanum_node::api::COOKIE_FILE)).expect("cookie");
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{api}/metrics"))
        .bearer_auth(cookie.trim())
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}
