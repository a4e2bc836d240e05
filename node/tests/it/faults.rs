//! Faults of the chain under running nodes: a reorg across a settlement.

use crate::{
    harness::{free_port, node_run, ok, ready, run},
    operator::{Net, Party, job_file, net, node_env, rewards_once_paid, start_node},
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
    let log = |name: &str| root.path().join(format!("{name}.log"));
    let wn = start_node(&rpc, &wdir, "worker", log("worker"), None, Some(500)).await;
    let rn = start_node(
        &rpc,
        &rdir,
        "requester",
        log("requester"),
        Some(wn.p2p),
        None,
    )
    .await;
    let (w, wenv, wnode) = (&wn.dir, &wn.env, &wn.proc);
    let (r, renv, rnode) = (&rn.dir, &rn.env, &rn.proc);

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
            r,
        ],
        renv,
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
    rewards_once_paid(w, wenv, 1, wnode).await;
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
        let r = rewards(w, wenv);
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
    let metrics = wn.api.metrics().await.expect("metrics");
    assert!(
        metrics.contains("arcanum_chain_reorgs_total 1"),
        "{metrics}"
    );
}

fn rss_mib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("proc status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .expect("VmRSS")
        / 1024
}

/// Random and oversized bytes on a running worker's p2p port (raw TCP, and after a valid
/// multistream-select header) and on its API (no cookie, bad JSON, a body over the limit):
/// each is refused (connections closed, 401/400/413 with a reason), memory stays bounded,
/// and the node still answers a real libp2p job request and its API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_oversized_bytes_on_the_p2p_port_and_the_api_are_refused_and_the_node_carries_on()
 {
    let (net, parties) = net("hostile", &[("worker", 2)]).await;
    let [(wdir, worker)] = <[Party; 1]>::try_from(parties).expect("parties");
    let Net { rpc, root, .. } = net;
    let (wp2p, wapi) = (free_port(), free_port());
    let wenv = node_env(&rpc, wp2p, wapi, &[]);
    let w = wdir.display().to_string();
    let mut wnode = node_run(&w, "worker", &wenv, root.path().join("worker.log"));
    let api = ready(&mut wnode, &wdir, wapi, Duration::from_secs(120)).await;
    let pid = wnode.child.id();
    let rss_before = rss_mib(pid);

    // p2p: 32 connections of 4 MiB random bytes each, half after a valid multistream
    // header (so the garbage reaches the protocol negotiation).
    let floods: Vec<_> = (0..32u32)
        .map(|i| {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", wp2p)) else {
                    return 0usize;
                };
                let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                if i % 2 == 0 {
                    let _ = s.write_all(b"\x13/multistream/1.0.0\n");
                }
                let junk: Vec<u8> = (0..4 << 20).map(|_| rand::random::<u8>()).collect();
                let mut sent = 0;
                for chunk in junk.chunks(64 << 10) {
                    match s.write_all(chunk) {
                        Ok(()) => sent += chunk.len(),
                        Err(_) => break,
                    }
                }
                // The node hangs up (EOF or reset) rather than buffering it all.
                let _ = s.read(&mut [0u8; 1024]);
                sent
            })
        })
        .collect();
    let sent: usize = floods
        .into_iter()
        .map(|t| t.join().expect("flood thread"))
        .sum();
    assert!(
        sent < 32 * (4 << 20),
        "every connection was read to the end: the node should hang up on garbage"
    );

    // API: no cookie, bad JSON, and a body over the 64 MiB limit.
    let cookie = std::fs::read_to_string(wdir.join(arcanum_node::api::COOKIE_FILE)).expect("c");
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{wapi}/v1/stake/deposit");
    let r = http.post(&url).body("{}").send().await.expect("post");
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.text().await.expect("text").contains("api.cookie"));
    let r = http
        .post(&url)
        .bearer_auth(cookie.trim())
        .header("content-type", "application/json")
        .body(vec![0xffu8; 4096])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 400, "bad JSON is a 400");
    let big = vec![b' '; arcanum_node::api::server::MAX_BODY_BYTES + 1];
    let r = http
        .post(format!("http://127.0.0.1:{wapi}/v1/jobs"))
        .bearer_auth(cookie.trim())
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 413, "an oversized body is refused");
    // 500 mutations of a valid job body: each is answered with a client error (bad JSON,
    // or this worker runs no requester), never a server error or a hang.
    let valid = serde_json::to_vec(&serde_json::json!({
        "shape": "secagg-sum-4x8",
        "inputs": [["1", "2"], ["3", "4"]],
        "weights": [],
        "reward_wei": "1000",
        "min_stake_wei": "10",
        "deadline_secs": 60,
        "stats": {"dataset": "iris", "columns": ["a"], "query": "mean", "contributors": [],
                  "min_contributors": 1, "clerks": [], "threshold": 2}
    }))
    .expect("json");
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0xA71);
    for _ in 0..500 {
        let body = crate::mutate::mutate(&mut rng, &valid);
        let r = http
            .post(format!("http://127.0.0.1:{wapi}/v1/jobs"))
            .bearer_auth(cookie.trim())
            .header("content-type", "application/json")
            .timeout(Duration::from_secs(10))
            .body(body)
            .send()
            .await
            .expect("answered");
        assert!(
            r.status().is_client_error(),
            "a mutated body got {}",
            r.status()
        );
    }

    let rss_after = rss_mib(pid);
    assert!(
        rss_after < rss_before + 256,
        "memory grew from {rss_before} to {rss_after} MiB"
    );
    assert!(wnode.child.try_wait().expect("wait").is_none(), "node died");
    api.status().await.expect("the API still answers");

    // A real peer is still served: a bid request for a job that does not exist is declined
    // with a reason.
    let (client, _events, event_loop) = arcanum_p2p::new(
        arcanum_p2p::Keypair::generate_ed25519(),
        arcanum_p2p::NetworkConfig::default(),
    )
    .expect("swarm");
    let net_task = tokio::spawn(event_loop.run());
    let peer = client
        .dial(format!("/ip4/127.0.0.1/tcp/{wp2p}").parse().expect("addr"))
        .await
        .expect("dial after the flood");
    assert_eq!(peer.to_base58(), worker.peer_id);
    let answer = client
        .request(
            peer,
            arcanum_protocol::JobRequest::BidRequest {
                job_id: arcanum_protocol::JobId(alloy::primitives::U256::from(424_242u64)),
            },
        )
        .await
        .expect("answered");
    assert!(
        matches!(
            answer,
            arcanum_protocol::JobResponse::Rejected(arcanum_protocol::RejectReason::Declined(_))
        ),
        "{answer:?}"
    );
    net_task.abort();
    let log = wnode.log();
    assert!(!log.contains("panicked"), "{log}");
}

/// A job nobody bids on waits (the market may be busy) until its requester cancels it:
/// the follower stops, the job is cancelled on chain and its reward credited back; a second
/// cancel, and a cancel of a settled job, are refused with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_waiting_for_a_worker_is_cancelled_and_its_reward_credited_back() {
    let (net, parties) = net("cancel", &[("requester", 1)]).await;
    let [(rdir, requester)] = <[Party; 1]>::try_from(parties).expect("parties");
    let Net {
        rpc,
        root,
        owner_chain,
        ..
    } = net;
    let (rp2p, rapi) = (free_port(), free_port());
    let renv = node_env(&rpc, rp2p, rapi, &[]);
    let r = rdir.display().to_string();
    let mut rnode = node_run(&r, "requester", &renv, root.path().join("requester.log"));
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;
    let (job, _) = job_file(root.path());
    let rec: JobRecord = serde_json::from_str(&ok(
        &["job", "submit", &job, "--json", "--data-dir", &r],
        &renv,
    ))
    .expect("record");
    let id = rec.id.to_string();
    let until = std::time::Instant::now() + Duration::from_secs(60);
    let posted = loop {
        let rec: JobRecord = serde_json::from_str(&ok(
            &["job", "status", &id, "--json", "--data-dir", &r],
            &renv,
        ))
        .expect("record");
        if let Some(p) = rec.posted {
            break p;
        }
        assert!(
            std::time::Instant::now() < until,
            "never posted\n{}",
            rnode.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let credit_before = owner_chain
        .credit_of(requester.address)
        .await
        .expect("credit");
    let rec: JobRecord = serde_json::from_str(&ok(
        &["job", "cancel", &id, "--json", "--data-dir", &r],
        &renv,
    ))
    .expect("record");
    assert_eq!(rec.state, JobState::Cancelled, "{rec:?}\n{}", rnode.log());
    let info = owner_chain.job(posted.job_id).await.expect("job");
    assert_eq!(info.status, arcanum_node::chain::JobStatus::Cancelled);
    assert_eq!(
        owner_chain
            .credit_of(requester.address)
            .await
            .expect("credit")
            - credit_before,
        arc(25),
        "the reward is credited back"
    );
    let again = run(&["job", "cancel", &id, "--data-dir", &r], &renv);
    assert!(!again.status.success());
    assert!(
        again.stderr.contains("already cancelled"),
        "{}",
        again.stderr
    );
}
