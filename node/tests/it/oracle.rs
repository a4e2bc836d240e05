//! The data oracle as a service: the oracle's owner defines the feed
//! `iris/sepal_length/mean` on chain (`arcanum feed define`); an oracle node (requester and
//! oracle roles) serves it from a joint statistic over four data-owner processes. A dApp
//! requests it on chain; the node sees the request, runs the job over the owners (whose
//! clerks prove their sums), proves the value and fulfils; the contract checks every
//! proof, and the value is the plaintext mean at 18 decimals. A consumer contract asks by
//! itself and is called back with the value. Restarted, the node does not fulfil again; a
//! request for a feed nobody defined is refused.

use crate::{
    harness::{node_run, ok, ready},
    operator::{Net, start_node_with},
    stats::{joint_net_with, spec, start_owners},
};
use arcanum_node::{
    chain::{OracleEvent, feed_id},
    compute::dataset,
    devnet::arc,
    protocol::U256,
};
use std::time::Duration;

const FEED: &str = "iris/sepal_length/mean";

/// The `Fulfilled` events of request `id` so far.
async fn fulfilments(
    chain: &arcanum_node::chain::MarketClient,
    id: U256,
) -> Vec<(alloy::primitives::I256, arcanum_node::protocol::JobId)> {
    chain
        .oracle_events(chain.deployment().deploy_block, None)
        .await
        .expect("events")
        .into_iter()
        .filter_map(|l| match l.event {
            OracleEvent::Fulfilled {
                request_id,
                value,
                job_id,
                ..
            } if request_id == id => Some((value, job_id)),
            _ => None,
        })
        .collect()
}

/// The oracle's owner (the deployer, data dir `root/owner`) defines `feed` on chain with
/// `arcanum feed define`: the mean of `sepal_length` from the job spec `spec`, over the
/// data owners `owners` (comma-separated addresses), at least three per value. Returns
/// the command's JSON.
fn define_mean_feed(
    root: &std::path::Path,
    rpc: &str,
    feed: &str,
    spec: &std::path::Path,
    owners: &str,
) -> serde_json::Value {
    serde_json::from_str(&ok(
        &[
            "feed",
            "define",
            feed,
            "--spec",
            &spec.display().to_string(),
            "--statistic",
            "mean",
            "--column",
            "sepal_length",
            "--owners",
            owners,
            "--min-owners",
            "3",
            "--json",
            "--data-dir",
            &root.join("owner").display().to_string(),
        ],
        &[("ARCANUM_CHAIN__RPC_URL", rpc.to_string())],
    ))
    .expect("define --json")
}

/// Waits (up to 240 s) for request `id`'s first fulfilment; fails with the oracle node's
/// log.
async fn first_fulfilment(
    chain: &arcanum_node::chain::MarketClient,
    id: U256,
    node: &crate::harness::Proc,
) -> (alloy::primitives::I256, arcanum_node::protocol::JobId) {
    let until = std::time::Instant::now() + Duration::from_secs(240);
    loop {
        if let Some(f) = fulfilments(chain, id).await.first() {
            return *f;
        }
        assert!(
            std::time::Instant::now() < until,
            "request {id} not fulfilled:\n{}",
            node.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits (up to 240 s) until `node`'s oracle task for request `id` is in one of the
/// `|`-separated states; returns it.
async fn task_state(node: &crate::operator::Node, id: U256, states: &str) -> String {
    let until = std::time::Instant::now() + Duration::from_secs(240);
    loop {
        let tasks: serde_json::Value = serde_json::from_str(&ok(
            &["feed", "served", "--json", "--data-dir", &node.dir],
            &node.env,
        ))
        .expect("served --json");
        let state = tasks
            .as_array()
            .expect("tasks")
            .iter()
            .find(|t| t["request_id"] == id.to_string())
            .and_then(|t| t["state"].as_str())
            .unwrap_or("none")
            .to_string();
        if states.split('|').any(|s| s == state) {
            return state;
        }
        assert!(
            std::time::Instant::now() < until,
            "request {id} is {state} at {}:\n{}",
            node.dir,
            node.proc.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oracle_node_answers_a_dapp_request_with_the_proven_mean_once() {
    let (net, [(wdir, _), (w2dir, _)], (rdir, requester), owners, rivals) =
        joint_net_with("oracle", &[("oracle2", 8)]).await;
    let (o2dir, rival) = rivals.into_iter().next().expect("a second oracle node");
    let Net {
        rpc,
        root,
        owner_chain,
        ..
    } = net;
    let iris = dataset::iris();
    let parts = dataset::partition(&iris.rows, owners.len());
    let (_owner_nodes, addrs, _) = start_owners(
        &rpc,
        root.path(),
        &owners,
        &parts,
        &format!("{},{}", requester.peer_id, rival.peer_id),
        "contributor,clerk",
        None,
    )
    .await;
    let log = |name: &str| root.path().join(format!("{name}.log"));
    let w1 = start_node_with(&rpc, &wdir, "worker", log("worker"), None, Some(500), &[]).await;
    let _w2 = start_node_with(
        &rpc,
        &w2dir,
        "worker",
        log("worker2"),
        Some(w1.p2p),
        Some(500),
        &[],
    )
    .await;

    // The oracle nodes' catalog (two nodes serve the feed): the mean sepal length of the
    // owners' variance job, at 18 decimals.
    for dir in [&rdir, &o2dir] {
        std::fs::create_dir_all(dir.join("feeds")).expect("mkdir");
        std::fs::write(dir.join("feeds/iris.toml"), spec("variance", &addrs, 4, 3)).expect("spec");
        let cfg = dir.join("config.toml");
        let text = std::fs::read_to_string(&cfg).expect("config")
            + &format!(
                "\n[oracle]\npoll_secs = 1\n[[oracle.feeds]]\nname = {FEED:?}\nspec = \"feeds/iris.toml\"\nstatistic = \"mean\"\ncolumn = \"sepal_length\"\n"
            );
        std::fs::write(&cfg, text).expect("config");
    }
    for node in [requester.address, rival.address] {
        owner_chain
            .oracle_set(node, true)
            .await
            .expect("authorise the oracle node");
    }
    // The oracle's owner (the deployer) defines the feed from the same spec, over the four
    // data owners (their nodes' addresses), at least three per value.
    let owner_addrs = owners
        .iter()
        .map(|(_, id)| id.address.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let defined = define_mean_feed(
        root.path(),
        &rpc,
        FEED,
        &rdir.join("feeds/iris.toml"),
        &owner_addrs,
    );
    assert_eq!(defined["definition"]["threshold"], 2, "{defined}");
    let mut node = start_node_with(
        &rpc,
        &rdir,
        "requester,oracle",
        log("oracle"),
        Some(w1.p2p),
        None,
        &[],
    )
    .await;
    let second = start_node_with(
        &rpc,
        &o2dir,
        "requester,oracle",
        log("oracle2"),
        Some(w1.p2p),
        None,
        &[],
    )
    .await;

    // A dApp (here the deployer's account, given 10 ARC) asks for the feed and pays 1 ARC.
    owner_chain
        .mint(owner_chain.account(), arc(10))
        .await
        .expect("mint");
    let (id, _) = owner_chain
        .oracle_request(
            feed_id(FEED),
            arc(1),
            alloy::primitives::Address::ZERO,
            0,
            600,
        )
        .await
        .expect("request");
    let (value, job_id) = first_fulfilment(&owner_chain, id, &node.proc).await;
    // The value is the plaintext mean of all 150 flowers at 18 decimals (the owners'
    // fixed point at 2^-16 per value: well within 1e-6).
    let mean = iris.rows.iter().map(|r| r[0]).sum::<f64>() / iris.rows.len() as f64;
    let got = value.to_string().parse::<f64>().expect("number") / 1e18;
    assert!((got - mean).abs() < 1e-6, "{got} vs {mean}");
    let info = owner_chain.job(job_id).await.expect("job");
    assert_eq!(
        info.status,
        arcanum_node::chain::JobStatus::Completed,
        "backed by a completed job"
    );
    let watched: serde_json::Value = serde_json::from_str(&ok(
        &[
            "feed",
            "watch",
            &id.to_string(),
            "--json",
            "--data-dir",
            &node.dir,
        ],
        &node.env,
    ))
    .expect("json");
    assert_eq!(watched["state"], "fulfilled", "{watched}");
    // Both nodes answered the request: one fulfilled it, the other stopped (its proof
    // unused; it lost at most its job and gas), and the request was fulfilled once.
    let states = [
        task_state(&node, id, "fulfilled|lost").await,
        task_state(&second, id, "fulfilled|lost").await,
    ];
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(sorted, ["fulfilled", "lost"], "{states:?}");
    assert_eq!(fulfilments(&owner_chain, id).await.len(), 1);

    // A consumer contract (contracts/src/examples/IrisStatsConsumer.sol) asks by itself and
    // is called back with the value of the oracle node's next run of the feed's job.
    let consumer = arcanum_node::chain::bindings::IrisStatsConsumer::deploy(
        owner_chain.provider().clone(),
        owner_chain.deployment().data_oracle,
    )
    .await
    .expect("deploy the consumer");
    owner_chain
        .mint(*consumer.address(), arc(1))
        .await
        .expect("fund the consumer");
    let receipt = consumer
        .ask(
            feed_id(FEED),
            alloy::primitives::aliases::U96::from(1_000_000_000_000_000_000u64),
        )
        .send()
        .await
        .expect("ask")
        .get_receipt()
        .await
        .expect("mined");
    assert!(receipt.status(), "the consumer's request");
    let asked = owner_chain
        .oracle_events(owner_chain.deployment().deploy_block, None)
        .await
        .expect("events")
        .into_iter()
        .find_map(|l| match l.event {
            OracleEvent::Requested {
                request_id,
                requester,
                ..
            } if requester == *consumer.address() => Some(request_id),
            _ => None,
        })
        .expect("the consumer's request");
    let (called_back, backing) = first_fulfilment(&owner_chain, asked, &node.proc).await;
    assert_eq!(
        consumer
            .valueOf(feed_id(FEED))
            .call()
            .await
            .expect("valueOf"),
        called_back,
        "the callback stored the value"
    );
    assert_eq!(
        consumer.jobOf(feed_id(FEED)).call().await.expect("jobOf"),
        backing.0
    );
    let callback_ok = owner_chain
        .oracle_events(owner_chain.deployment().deploy_block, None)
        .await
        .expect("events")
        .into_iter()
        .any(|l| {
            matches!(l.event, OracleEvent::CallbackResult { request_id, success: true } if request_id == asked)
        });
    assert!(callback_ok, "the callback ran");
    let got = called_back.to_string().parse::<f64>().expect("number") / 1e18;
    assert!((got - mean).abs() < 1e-6, "{got} vs {mean}");

    // A request for a feed nobody defined is refused, its fee kept.
    let err = owner_chain
        .oracle_request(
            feed_id("nobody/defined/this"),
            arc(1),
            alloy::primitives::Address::ZERO,
            0,
            600,
        )
        .await
        .expect_err("unknown feed");
    assert!(err.to_string().contains("UnknownFeed"), "{err}");

    // Restarted, the node resumes from its store and does not fulfil again.
    node.proc.child.kill().expect("kill");
    let _ = node.proc.child.wait();
    let api_port: u16 = node
        .env
        .iter()
        .find(|(k, _)| *k == "ARCANUM_API__LISTEN")
        .and_then(|(_, v)| v.rsplit(':').next()?.parse().ok())
        .expect("api port");
    let mut again = node_run(
        &node.dir,
        "requester,oracle",
        &node.env,
        log("oracle-again"),
    );
    ready(&mut again, &rdir, api_port, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        fulfilments(&owner_chain, id).await.len(),
        1,
        "{}",
        again.log()
    );
}

/// An he-linear feed: the oracle node runs the feed's job over four data owners who
/// encrypt under the key of a committee of five (drawn by stake from the owners and the
/// workers, a 3-of-5 DKG); three members prove their decryption shares of the sums the
/// mean reads, and the node proves the value is their threshold decryption. The contract
/// checks all of it; the value is the plaintext mean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_he_linear_feed_is_decrypted_by_members_who_prove_their_shares() {
    const HE_FEED: &str = "iris/sepal_length/mean/he";
    let (net, [(wdir, wid), (w2dir, w2id)], (rdir, requester), owners, _) =
        joint_net_with("oracle-he", &[]).await;
    let Net {
        rpc,
        root,
        owner_chain,
        ..
    } = net;
    let iris = dataset::iris();
    let parts = dataset::partition(&iris.rows, owners.len());
    let log = |name: &str| root.path().join(format!("{name}.log"));
    let he = [("ARCANUM_WORKER__SHAPES", "he-linear-4x8".to_string())];
    let w1 = start_node_with(
        &rpc,
        &wdir,
        "worker,committee",
        log("worker"),
        None,
        Some(500),
        &he,
    )
    .await;
    let w2 = start_node_with(
        &rpc,
        &w2dir,
        "worker,committee",
        log("worker2"),
        Some(w1.p2p),
        Some(500),
        &he,
    )
    .await;
    let (_owner_nodes, addrs, _) = start_owners(
        &rpc,
        root.path(),
        &owners,
        &parts,
        &requester.peer_id,
        "contributor,committee",
        Some(w1.p2p),
    )
    .await;
    let mut pool = addrs.clone();
    pool.push(format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", w1.p2p, wid.peer_id));
    pool.push(format!(
        "/ip4/127.0.0.1/tcp/{}/p2p/{}",
        w2.p2p, w2id.peer_id
    ));
    let list = |v: &[String]| {
        v.iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let spec = format!(
        r#"shape = "he-linear-4x8"
reward_wei = "25000000000000000000"
min_stake_wei = "100000000000000000000"
deadline_secs = 300

[stats]
dataset = "iris"
columns = ["sepal_length"]
query = "mean"
contributors = [{}]
min_contributors = 4
committee = [{}]
committee_sampled = 5
threshold = 3
"#,
        list(&addrs),
        list(&pool)
    );
    std::fs::create_dir_all(rdir.join("feeds")).expect("mkdir");
    std::fs::write(rdir.join("feeds/iris-he.toml"), spec).expect("spec");
    let cfg = rdir.join("config.toml");
    let text = std::fs::read_to_string(&cfg).expect("config")
        + &format!(
            "\n[oracle]\npoll_secs = 1\n[[oracle.feeds]]\nname = {HE_FEED:?}\nspec = \"feeds/iris-he.toml\"\nstatistic = \"mean\"\ncolumn = \"sepal_length\"\n"
        );
    std::fs::write(&cfg, text).expect("config");
    owner_chain
        .oracle_set(requester.address, true)
        .await
        .expect("authorise the oracle node");
    let owner_addrs = owners
        .iter()
        .map(|(_, id)| id.address.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let defined = define_mean_feed(
        root.path(),
        &rpc,
        HE_FEED,
        &rdir.join("feeds/iris-he.toml"),
        &owner_addrs,
    );
    assert_eq!(
        defined["definition"]["kind"],
        arcanum_node::chain::FEED_HE_LINEAR,
        "{defined}"
    );
    assert_eq!(defined["definition"]["threshold"], 3, "{defined}");
    let node = start_node_with(
        &rpc,
        &rdir,
        "requester,oracle",
        log("oracle"),
        Some(w1.p2p),
        None,
        &[],
    )
    .await;
    owner_chain
        .mint(owner_chain.account(), arc(10))
        .await
        .expect("mint");
    let (id, _) = owner_chain
        .oracle_request(
            feed_id(HE_FEED),
            arc(1),
            alloy::primitives::Address::ZERO,
            0,
            600,
        )
        .await
        .expect("request");
    let (value, job_id) = first_fulfilment(&owner_chain, id, &node.proc).await;
    let mean = iris.rows.iter().map(|r| r[0]).sum::<f64>() / iris.rows.len() as f64;
    let got = value.to_string().parse::<f64>().expect("number") / 1e18;
    assert!((got - mean).abs() < 1e-6, "{got} vs {mean}");
    let info = owner_chain.job(job_id).await.expect("job");
    assert_eq!(info.shape, arcanum_node::zk::shapes::HE_LINEAR_4X8.id);
    assert_eq!(task_state(&node, id, "fulfilled").await, "fulfilled");
}
