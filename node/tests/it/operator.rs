//! An operator's whole path, each party its own `arcanum` process: init, deploy, run a
//! worker and a requester, stake, a job through the API, rewards claimed; restarts that
//! resume from the store; and the errors a misconfigured node reports.

use crate::harness::{PASSWORD, Proc, TempDir, free_port, node_run, ok, ready, run, write};
use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::U256,
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use arcanum_node::{
    api::types::{Rewards, Status},
    chain::{ChainConfig, Deployment, MarketClient, bindings::ComputeMarket},
    devnet::arc,
    identity::PublicIdentity,
    store::{JobRecord, JobState},
    tools,
};
use std::{path::Path, time::Duration};

fn anvil() -> AnvilInstance {
    Anvil::new()
        .path(tools::find("anvil").expect("anvil: run `make tools`"))
        .try_spawn()
        .expect("anvil starts")
}

/// A data dir initialised by `arcanum init` with Anvil key `i` imported.
fn init(
    root: &Path,
    name: &str,
    anvil: &AnvilInstance,
    i: usize,
) -> (std::path::PathBuf, PublicIdentity) {
    let dir = root.join(name);
    let key: PrivateKeySigner = anvil.keys()[i].clone().into();
    let key_file = write(
        root,
        &format!("{name}.key"),
        &format!("0x{}", alloy::hex::encode(key.to_bytes())),
    );
    let pw = write(root, &format!("{name}.pw"), PASSWORD);
    let out = ok(
        &[
            "init",
            "--data-dir",
            &dir.display().to_string(),
            "--import-key-file",
            &key_file,
            "--password-file",
            &pw,
            "--json",
        ],
        &[],
    );
    let public: PublicIdentity = serde_json::from_str(&out).expect("init --json");
    assert_eq!(public.address, key.address());
    (dir, public)
}

/// Environment of a node: the chain, free ports, its role's settings.
pub(crate) fn node_env(
    rpc: &str,
    p2p: u16,
    api: u16,
    extra: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("ARCANUM_CHAIN__RPC_URL", rpc.to_string()),
        ("ARCANUM_P2P__LISTEN", format!("/ip4/127.0.0.1/tcp/{p2p}")),
        ("ARCANUM_API__LISTEN", format!("127.0.0.1:{api}")),
        ("ARCANUM_WORKER__SHAPES", "secagg-sum-4x8".into()),
        ("ARCANUM_WORKER__ASK_WEI", arc(10).to_string()),
    ];
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k, v.clone()));
    }
    env
}

/// A node process started on free ports, with what commands against it need.
pub(crate) struct Node {
    pub(crate) proc: Proc,
    pub(crate) api: arcanum_node::api::client::ApiClient,
    /// Its environment (chain, ports, role settings) for `arcanum` commands.
    pub(crate) env: Vec<(&'static str, String)>,
    /// Its data dir, as the commands take it.
    pub(crate) dir: String,
    pub(crate) p2p: u16,
}

/// Starts `arcanum node run --roles role` on `dir` against `rpc` on free ports (dialling
/// the node whose p2p port is `bootstrap`, if any; `extra` settings on top), waits for its
/// API, and deposits `stake` ARC if given (a worker, a clerk).
pub(crate) async fn start_node(
    rpc: &str,
    dir: &Path,
    role: &str,
    log: std::path::PathBuf,
    bootstrap: Option<u16>,
    stake: Option<u64>,
) -> Node {
    start_node_with(rpc, dir, role, log, bootstrap, stake, &[]).await
}

/// [`start_node`] with `settings` (environment overrides) on top.
pub(crate) async fn start_node_with(
    rpc: &str,
    dir: &Path,
    role: &str,
    log: std::path::PathBuf,
    bootstrap: Option<u16>,
    stake: Option<u64>,
    settings: &[(&'static str, String)],
) -> Node {
    let (p2p, api_port) = (free_port(), free_port());
    let mut extra: Vec<(&'static str, String)> = bootstrap
        .map(|b| ("ARCANUM_P2P__BOOTSTRAP", format!("/ip4/127.0.0.1/tcp/{b}")))
        .into_iter()
        .collect();
    extra.extend_from_slice(settings);
    let env = node_env(rpc, p2p, api_port, &extra);
    let d = dir.display().to_string();
    let mut proc = node_run(&d, role, &env, log);
    let api = ready(&mut proc, dir, api_port, Duration::from_secs(120)).await;
    if let Some(arc_amount) = stake {
        ok(
            &[
                "stake",
                "deposit",
                &arc_amount.to_string(),
                "--data-dir",
                &d,
            ],
            &env,
        );
    }
    Node {
        proc,
        api,
        env,
        dir: d,
        p2p,
    }
}

/// Deploys from the owner's data dir and copies the deployment file into `others`.
fn deploy(owner: &Path, rpc: &str, others: &[&Path]) -> Deployment {
    let out = ok(
        &[
            "deploy",
            "--data-dir",
            &owner.display().to_string(),
            "--rpc",
            rpc,
            "--min-worker-stake",
            "100",
            "--json",
        ],
        &[],
    );
    let d: Deployment = serde_json::from_str(&out).expect("deploy --json");
    let file = Deployment::path_for(owner, d.chain_id);
    assert_eq!(Deployment::load(&file).expect("written"), d);
    for dir in others {
        let to = Deployment::path_for(dir, d.chain_id);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&file, &to).expect("copy deployment");
    }
    d
}

/// A chain with the contracts deployed from an owner's data dir (Anvil key 0), and one
/// initialised data dir per party (name, Anvil key), each funded 1,000 ARC.
pub(crate) struct Net {
    pub(crate) anvil: AnvilInstance,
    pub(crate) rpc: String,
    pub(crate) root: TempDir,
    pub(crate) deployment: Deployment,
    pub(crate) owner_chain: MarketClient,
    /// Token supply before the parties were funded.
    pub(crate) supply: U256,
}

pub(crate) type Party = (std::path::PathBuf, PublicIdentity);

pub(crate) async fn net(name: &str, parties: &[(&str, usize)]) -> (Net, Vec<Party>) {
    let anvil = anvil();
    let rpc = anvil.endpoint();
    let root = TempDir::new(name);
    let (owner, _) = init(root.path(), "owner", &anvil, 0);
    let dirs: Vec<Party> = parties
        .iter()
        .map(|(party, key)| init(root.path(), party, &anvil, *key))
        .collect();
    let others: Vec<&Path> = dirs.iter().map(|(d, _)| d.as_path()).collect();
    let deployment = deploy(&owner, &rpc, &others);
    let owner_chain = MarketClient::connect(
        ChainConfig::new(rpc.clone()),
        anvil.keys()[0].clone().into(),
        deployment.clone(),
    )
    .await
    .expect("owner client");
    let supply = owner_chain.total_supply().await.expect("supply");
    for (_, public) in &dirs {
        owner_chain
            .mint(public.address, arc(1_000))
            .await
            .expect("mint");
    }
    (
        Net {
            anvil,
            rpc,
            root,
            deployment,
            owner_chain,
            supply,
        },
        dirs,
    )
}

/// The worker's rewards once its ledger (confirmed chain events, read by its watcher a
/// little after the requester saw the settlement) counts `jobs` paid jobs; 30 s at most.
pub(crate) async fn rewards_once_paid(
    data_dir: &str,
    env: &[(&'static str, String)],
    jobs: usize,
    node: &Proc,
) -> Rewards {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r: Rewards =
            serde_json::from_str(&ok(&["rewards", "--json", "--data-dir", data_dir], env))
                .expect("rewards");
        if r.jobs_paid >= jobs {
            return r;
        }
        assert!(
            std::time::Instant::now() < until,
            "{jobs} settlement(s) never reached the worker's ledger\n{}",
            node.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) fn job_file(dir: &Path) -> (String, Vec<U256>) {
    job_file_of(dir, 8)
}

/// A secagg-sum job of 4 contributors x `dims` values (more than 8: proven in chunks).
fn job_file_of(dir: &Path, dims: u64) -> (String, Vec<U256>) {
    let inputs: Vec<Vec<u64>> = (0..4u64)
        .map(|i| (0..dims).map(|j| 100 * i + j).collect())
        .collect();
    let sums: Vec<U256> = (0..dims as usize)
        .map(|j| U256::from(inputs.iter().map(|v| v[j]).sum::<u64>()))
        .collect();
    let job = serde_json::json!({
        "shape": "secagg-sum-4x8",
        "inputs": inputs.iter().map(|v| v.iter().map(u64::to_string).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "reward_wei": arc(25).to_string(),
        "min_stake_wei": arc(100).to_string(),
        "deadline_secs": 300,
    });
    (write(dir, "job.json", &job.to_string()), sums)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_inits_deploys_stakes_runs_a_job_from_the_api_and_claims_exactly_the_ask() {
    let (net, parties) = net("operator", &[("worker", 2), ("requester", 1)]).await;
    let [(wdir, worker), (rdir, requester)] = <[Party; 2]>::try_from(parties).expect("parties");
    let Net {
        rpc,
        root,
        owner_chain,
        anvil,
        deployment,
        ..
    } = net;

    let (wp2p, wapi) = (free_port(), free_port());
    let wenv = node_env(&rpc, wp2p, wapi, &[]);
    let w = wdir.display().to_string();
    let mut wnode = node_run(&w, "worker", &wenv, root.path().join("worker.log"));
    let wapi_client = ready(&mut wnode, &wdir, wapi, Duration::from_secs(120)).await;

    ok(&["stake", "deposit", "500", "--data-dir", &w], &wenv);
    let status: Status =
        serde_json::from_str(&ok(&["status", "--json", "--data-dir", &w], &wenv)).expect("status");
    assert_eq!(status.stake_wei, arc(500).to_string());
    assert_eq!(status.free_wei, arc(500).to_string());
    assert_eq!(status.address, worker.address.to_string());
    assert_eq!(
        status.peer_id, worker.peer_id,
        "the peer id is the persistent one"
    );

    let (rp2p, rapi) = (free_port(), free_port());
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
    let mut rnode = node_run(&r, "requester", &renv, root.path().join("requester.log"));
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;

    let (job, sums) = job_file(root.path());
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
        "{}\nrequester:\n{}\nworker:\n{}",
        out.stderr,
        rnode.log(),
        wnode.log()
    );
    let record: JobRecord = serde_json::from_str(&out.stdout).expect("job json");
    assert_eq!(record.state, JobState::Settled, "{record:?}");
    let outcome = record.outcome.expect("outcome");
    assert_eq!(outcome.worker, worker.address.to_string());
    assert_eq!(outcome.ask_wei, arc(10).to_string(), "paid its ask");
    assert_eq!(
        outcome.output,
        sums.iter().map(U256::to_string).collect::<Vec<_>>()
    );

    let rewards = rewards_once_paid(&w, &wenv, 1, &wnode).await;
    assert_eq!(
        (rewards.jobs_paid, rewards.earned_wei.as_str()),
        (1, arc(10).to_string().as_str())
    );
    assert_eq!(rewards.claimable_wei, arc(10).to_string());
    let before = owner_chain
        .balance_of(worker.address)
        .await
        .expect("balance");
    ok(&["rewards", "claim", "--data-dir", &w], &wenv);
    let after = owner_chain
        .balance_of(worker.address)
        .await
        .expect("balance");
    assert_eq!(
        after - before,
        arc(10),
        "the balance grew by exactly the ask"
    );
    let rewards: Rewards =
        serde_json::from_str(&ok(&["rewards", "--json", "--data-dir", &w], &wenv))
            .expect("rewards");
    assert_eq!(
        (rewards.claimable_wei.as_str(), rewards.claimed_wei.as_str()),
        ("0", arc(10).to_string().as_str())
    );
    // The requester got the rest of the escrow back as credit.
    assert_eq!(
        owner_chain
            .credit_of(requester.address)
            .await
            .expect("credit"),
        arc(15)
    );

    // The worker's keeper marks its job settled once its ledger holds the settlement
    // (it looks every 2 s).
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while wapi_client
        .status()
        .await
        .expect("status")
        .work
        .get("settled")
        != Some(&1)
    {
        assert!(std::time::Instant::now() < until, "{}", wnode.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics = wapi_client.metrics().await.expect("metrics");
    assert!(metrics.contains("arcanum_proofs_total 1\n"), "{metrics}");
    assert!(
        metrics.contains("arcanum_worker_jobs{state=\"settled\"} 1\n"),
        "{metrics}"
    );
    let status: Status =
        serde_json::from_str(&ok(&["status", "--json", "--data-dir", &w], &wenv)).expect("status");
    assert_eq!(status.work.get("settled"), Some(&1));
    assert!(
        metrics.contains("arcanum_prove_seconds_count 1\n"),
        "{metrics}"
    );
    // Hostile bodies are refused with a 4xx and the node carries on.
    let cookie = std::fs::read_to_string(rdir.join("api.cookie")).expect("cookie");
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{rapi}/v1/jobs");
    for (body, why) in [
        (b"{not json".to_vec(), "malformed"),
        (br#"{"shape":"secagg-sum-4x8"}"#.to_vec(), "missing fields"),
        (
            br#"{"shape":"nope","inputs":[],"reward_wei":"1","min_stake_wei":"1","deadline_secs":60}"#.to_vec(),
            "unknown shape",
        ),
        (
            br#"{"shape":"secagg-sum-4x8","inputs":[["1"]],"reward_wei":"99999999999999999999999999999999999","min_stake_wei":"1","deadline_secs":60}"#.to_vec(),
            "reward out of range",
        ),
        (vec![b' '; 70 * 1024 * 1024], "oversized"),
    ] {
        let sent = http
            .post(&url)
            .bearer_auth(cookie.trim())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(resp) => assert!(resp.status().is_client_error(), "{why}: {}", resp.status()),
            // An oversized body may be cut off before the server's 413 is read (the server
            // stops reading it): refused either way.
            Err(e) if why == "oversized" && e.is_request() => {}
            Err(e) => panic!("{why}: the API does not answer: {e}"),
        }
    }
    let jobs: Vec<JobRecord> =
        serde_json::from_str(&ok(&["job", "list", "--json", "--data-dir", &r], &renv))
            .expect("list");
    assert_eq!(jobs.len(), 1, "nothing hostile was stored");

    // The data oracle for a dApp: a request for a feed nobody defined is refused; the
    // oracle's owner defines one (its query, statistic and the deployed verifiers); the
    // requester node asks for it; an authorised oracle node (the worker's key, here)
    // cannot fulfil it with a job settled before the request, nor with a value it cannot
    // prove (forged proofs: the `oracle` tests and forge's `DataOracle.t.sol`). A request
    // nobody answers expires, cannot be fulfilled any more, and is cancelled for its fee.
    // (Proven fulfilment by an oracle node process: the `oracle` tests.)
    let job_id = arcanum_node::protocol::JobId(outcome.job_id.parse().expect("job id"));
    owner_chain
        .oracle_set(worker.address, true)
        .await
        .expect("authorise the oracle node");
    let oracle_node = MarketClient::connect(
        ChainConfig::new(rpc.clone()),
        anvil.keys()[2].clone().into(),
        deployment.clone(),
    )
    .await
    .expect("oracle client");
    let feed_json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["feed"];
        all.extend_from_slice(args);
        all.extend(["--json", "--data-dir", &r]);
        serde_json::from_str(&ok(&all, &renv)).expect("feed json")
    };
    let out = run(
        &[
            "feed",
            "request",
            "test/sums/total",
            "--fee",
            "1",
            "--data-dir",
            &r,
        ],
        &renv,
    );
    assert!(
        !out.status.success() && out.stderr.contains("UnknownFeed"),
        "{}",
        out.stderr
    );
    let circuit = deployment
        .oracle_circuits
        .first()
        .expect("the deployment has the oracle's verifiers");
    owner_chain
        .oracle_set_feed(
            arcanum_node::chain::feed_id("test/sums/total"),
            &arcanum_node::chain::FeedDefinition {
                kind: arcanum_node::chain::FEED_SECAGG_SUM,
                query_tag: U256::from(7u64),
                params: 0x0012_0100,
                shape: circuit.circuit.shape,
                threshold: circuit.circuit.threshold as u8,
                slots: 4,
                min_owners: 1,
                clerk_verifier: circuit.clerk_verifier,
                finalize_verifier: circuit.finalize_verifier,
            },
        )
        .await
        .expect("define the feed");
    let asked = feed_json(&["request", "test/sums/total", "--fee", "1", "--ttl", "600"]);
    assert_eq!(asked["state"], "open", "{asked}");
    let id: U256 = asked["request_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("number");
    let value = alloy::primitives::I256::try_from(42i64).expect("value");
    let none = arcanum_node::chain::ValueProof::default();
    let err = oracle_node
        .oracle_fulfill(id, value, job_id, &none)
        .await
        .expect_err("no proof, no value");
    assert!(err.to_string().contains("JobBeforeRequest"), "{err}");
    let forged = arcanum_node::chain::ValueProof {
        anchors: vec![U256::from(1u64); 4],
        anchor_signatures: vec![vec![1u8; 65].into(); 4],
        clerk_indices: vec![1, 2],
        clerk_commitments: vec![U256::from(1u64); 2],
        clerk_proofs: vec![[U256::from(1u64); 8]; 2],
        finalize: [U256::from(1u64); 8],
        ..Default::default()
    };
    let err = oracle_node
        .oracle_fulfill(id, value, job_id, &forged)
        .await
        .expect_err("forged proofs of a stale job");
    assert!(err.to_string().contains("JobBeforeRequest"), "{err}");
    let out = run(
        &[
            "feed",
            "watch",
            &id.to_string(),
            "--timeout",
            "2",
            "--data-dir",
            &r,
        ],
        &renv,
    );
    assert!(
        !out.status.success() && out.stderr.contains("still open"),
        "{}",
        out.stderr
    );
    // Nothing was fulfilled: no feed holds a value.
    assert_eq!(feed_json(&["list"]).as_array().map(Vec::len), Some(0));
    let short = feed_json(&["request", "test/sums/total", "--fee", "1", "--ttl", "1"]);
    let short_id = short["request_id"].as_str().expect("id").to_string();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let expired = feed_json(&["watch", &short_id, "--timeout", "5"]);
    assert_eq!(expired["state"], "expired", "{expired}");
    assert!(
        oracle_node
            .oracle_fulfill(short_id.parse().expect("id"), value, job_id, &forged)
            .await
            .is_err(),
        "an expired request is not fulfilled"
    );
    let cancelled = feed_json(&["cancel", &short_id]);
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    let out = run(
        &["feed", "request", "x", "--ttl", "0", "--data-dir", &r],
        &renv,
    );
    assert!(
        !out.status.success() && out.stderr.contains("ttl_secs must be in"),
        "{}",
        out.stderr
    );

    // Without the cookie the API refuses.
    let anon = arcanum_node::api::client::ApiClient::new(&format!("127.0.0.1:{wapi}"), "wrong");
    assert!(
        anon.status()
            .await
            .expect_err("unauthorised")
            .to_string()
            .contains("401")
    );

    for (proc, dir) in [(&mut wnode, &wdir), (&mut rnode, &rdir)] {
        let started = std::time::Instant::now();
        let status = proc
            .terminate(Duration::from_secs(5))
            .expect("exits within 5 s of SIGTERM");
        assert!(status.success(), "exit {status}:\n{}", proc.log());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!dir.join("api.cookie").exists(), "cookie removed at exit");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_restarted_mid_job_resumes_it_and_posts_it_once() {
    let (net, parties) = net("restart", &[("worker", 2), ("requester", 1)]).await;
    let [(wdir, _), (rdir, _)] = <[Party; 2]>::try_from(parties).expect("parties");
    let Net {
        rpc,
        root,
        deployment,
        owner_chain,
        ..
    } = net;

    // The requester starts alone: its job is posted, then it is stopped while it waits
    // for a worker.
    let (wp2p, wapi, rp2p, rapi) = (free_port(), free_port(), free_port(), free_port());
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
    let mut rnode = node_run(&r, "requester", &renv, root.path().join("r1.log"));
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;
    let (job, sums) = job_file(root.path());
    let submitted: JobRecord = serde_json::from_str(&ok(
        &["job", "submit", &job, "--json", "--data-dir", &r],
        &renv,
    ))
    .expect("submit");
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let rec: JobRecord = serde_json::from_str(&ok(
            &[
                "job",
                "get",
                &submitted.id.to_string(),
                "--json",
                "--data-dir",
                &r,
            ],
            &renv,
        ))
        .expect("get");
        if rec.state == JobState::Posted {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "job not posted: {rec:?}\n{}",
            rnode.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status = rnode
        .terminate(Duration::from_secs(5))
        .expect("stops within 5 s");
    assert!(status.success());

    // A worker comes up; the requester restarts and resumes the job from its store.
    let wenv = node_env(&rpc, wp2p, wapi, &[]);
    let w = wdir.display().to_string();
    let mut wnode = node_run(&w, "worker", &wenv, root.path().join("w.log"));
    ready(&mut wnode, &wdir, wapi, Duration::from_secs(120)).await;
    ok(&["stake", "deposit", "500", "--data-dir", &w], &wenv);
    let mut rnode = node_run(&r, "requester", &renv, root.path().join("r2.log"));
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;
    let until = std::time::Instant::now() + Duration::from_secs(240);
    let rec = loop {
        let rec: JobRecord = serde_json::from_str(&ok(
            &[
                "job",
                "get",
                &submitted.id.to_string(),
                "--json",
                "--data-dir",
                &r,
            ],
            &renv,
        ))
        .expect("get");
        if !matches!(rec.state, JobState::Submitted | JobState::Posted) {
            break rec;
        }
        assert!(
            std::time::Instant::now() < until,
            "not settled: {rec:?}\n{}\n{}",
            rnode.log(),
            wnode.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(rec.state, JobState::Settled, "{rec:?}\n{}", rnode.log());
    assert_eq!(
        rec.outcome.expect("outcome").output,
        sums.iter().map(U256::to_string).collect::<Vec<_>>()
    );
    // Posted exactly once.
    let logs = owner_chain
        .provider()
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(deployment.market)
                .event_signature(
                    <ComputeMarket::JobPosted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(deployment.deploy_block),
        )
        .await
        .expect("logs");
    assert_eq!(logs.len(), 1, "the job was posted once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misconfigured_nodes_fail_with_errors_naming_the_fix() {
    let anvil = anvil();
    let rpc = anvil.endpoint();
    let root = TempDir::new("errors");
    let (dir, _) = init(root.path(), "node", &anvil, 3);
    let d = dir.display().to_string();
    let env = node_env(&rpc, free_port(), free_port(), &[]);

    // No deployment for this chain yet.
    let o = run(&["node", "run", "--data-dir", &d], &env);
    assert!(!o.status.success());
    assert!(
        o.stderr.contains("31337.json") && o.stderr.contains("arcanum deploy"),
        "{}",
        o.stderr
    );

    // A wrong keystore password (in the password file the config names).
    let pw_file = root.path().join("node.pw");
    std::fs::write(&pw_file, "hunter2-wrong").expect("write");
    let o = run(&["node", "run", "--data-dir", &d], &env);
    assert!(!o.status.success());
    assert!(o.stderr.contains("check the password"), "{}", o.stderr);
    assert!(
        !o.stderr.contains("hunter2"),
        "the password is never echoed: {}",
        o.stderr
    );
    std::fs::write(&pw_file, PASSWORD).expect("restore");

    // An API port in use.
    deploy(&dir, &rpc, &[]);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let mut in_use = env.clone();
    in_use.retain(|(k, _)| *k != "ARCANUM_API__LISTEN");
    in_use.push(("ARCANUM_API__LISTEN", format!("127.0.0.1:{port}")));
    let o = run(&["node", "run", "--data-dir", &d], &in_use);
    assert!(!o.status.success());
    assert!(o.stderr.contains("api.listen"), "{}", o.stderr);

    // A bad config file: the file and the key are named.
    let cfg = dir.join("config.toml");
    let text = std::fs::read_to_string(&cfg).expect("config");
    std::fs::write(
        &cfg,
        text.replace("capacity = 1", "capacity = 1\ncapacty = 2"),
    )
    .expect("write");
    let o = run(&["config", "show", "--data-dir", &d], &[]);
    assert!(!o.status.success());
    assert!(
        o.stderr.contains("capacty") && o.stderr.contains("config.toml"),
        "{}",
        o.stderr
    );
    std::fs::write(&cfg, text).expect("restore");
    let shown = ok(&["config", "show", "--data-dir", &d], &env);
    assert!(shown.contains("# env ARCANUM_CHAIN__RPC_URL"), "{shown}");
    assert!(shown.contains("# file "), "{shown}");

    // Flags are validated before any work: their name and range are in the message.
    let o = run(&["devnet", "--workers", "9"], &[]);
    assert!(!o.status.success());
    assert!(
        o.stderr.contains("--workers") && o.stderr.contains("1..=5"),
        "{}",
        o.stderr
    );
    let o = run(&["stake", "deposit", "abc", "--data-dir", &d], &env);
    assert!(!o.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_after_accepting_resumes_from_its_store_and_settles_once() {
    let (net, parties) = net("worker-restart", &[("worker", 2), ("requester", 1)]).await;
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
    let mut wnode = node_run(&w, "worker", &wenv, root.path().join("w1.log"));
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
    let mut rnode = node_run(&r, "requester", &renv, root.path().join("r.log"));
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;

    // 4 x 320 values: 40 chunks, several seconds of proving, so the kill lands mid-proof.
    let (job, sums) = job_file_of(root.path(), 320);
    let submitted: JobRecord = serde_json::from_str(&ok(
        &["job", "submit", &job, "--json", "--data-dir", &r],
        &renv,
    ))
    .expect("submit");
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while !wnode.log().contains("accepted and proving") {
        assert!(
            std::time::Instant::now() < until,
            "worker never accepted:\n{}\n{}",
            wnode.log(),
            rnode.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A crash, not a shutdown.
    let _ = wnode.child.kill();
    let _ = wnode.child.wait();
    assert!(
        !wnode.log().contains("job settled"),
        "killed before settling:\n{}",
        wnode.log()
    );

    let mut wnode = node_run(&w, "worker", &wenv, root.path().join("w2.log"));
    ready(&mut wnode, &wdir, wapi, Duration::from_secs(120)).await;
    let until = std::time::Instant::now() + Duration::from_secs(240);
    let rec = loop {
        let rec: JobRecord = serde_json::from_str(&ok(
            &[
                "job",
                "get",
                &submitted.id.to_string(),
                "--json",
                "--data-dir",
                &r,
            ],
            &renv,
        ))
        .expect("get");
        if !matches!(rec.state, JobState::Submitted | JobState::Posted) {
            break rec;
        }
        assert!(
            std::time::Instant::now() < until,
            "not settled: {rec:?}\n{}\n{}",
            rnode.log(),
            wnode.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(rec.state, JobState::Settled, "{rec:?}\n{}", rnode.log());
    assert!(
        wnode
            .log()
            .contains("resuming an accepted job from the store"),
        "{}",
        wnode.log()
    );
    let outcome = rec.outcome.expect("outcome");
    assert_eq!(outcome.worker, worker.address.to_string());
    assert_eq!(
        outcome.output,
        sums.iter().map(U256::to_string).collect::<Vec<_>>()
    );
    // Settled once, paid once.
    let completed = owner_chain
        .provider()
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(deployment.market)
                .event_signature(
                    <ComputeMarket::JobCompleted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(deployment.deploy_block),
        )
        .await
        .expect("logs");
    assert_eq!(completed.len(), 1);
    let rewards: Rewards =
        serde_json::from_str(&ok(&["rewards", "--json", "--data-dir", &w], &wenv))
            .expect("rewards");
    assert_eq!(rewards.earned_wei, arc(10).to_string());
}

#[test]
fn arcanum_devnet_runs_the_demo_jobs_on_node_processes_and_stops_clean() {
    let root = TempDir::new("devnet");
    let o = run(
        &[
            "devnet",
            "--json",
            "--dir",
            &root.path().display().to_string(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", o.stderr);
    let report: serde_json::Value = serde_json::from_str(&o.stdout).expect("report json");
    assert_eq!(report["offers_seen"], 2);
    assert_eq!(report["bids_seen"], 2);
    assert_eq!(report["ask"], serde_json::json!(format!("{:#x}", arc(10))));
    // The Iris statistic came from four data-owner processes through the example spec.
    assert!(
        report["dataset"]
            .as_str()
            .is_some_and(|d| d.contains("4 data-owner nodes")),
        "{report}"
    );
    let (means, plain) = (&report["means"], &report["plaintext_means"]);
    assert_eq!(means.as_array().map(Vec::len), Some(3));
    let (stds, plain_stds) = (&report["stds"], &report["plaintext_stds"]);
    for i in 0..3 {
        let (a, b) = (
            stds[i].as_f64().expect("f64"),
            plain_stds[i].as_f64().expect("f64"),
        );
        assert!((a - b).abs() < 1e-3, "std {a} vs {b}");
    }
    for i in 0..3 {
        let (a, b) = (
            means[i].as_f64().expect("f64"),
            plain[i].as_f64().expect("f64"),
        );
        assert!((a - b).abs() < 1e-4, "mean {a} vs {b}");
    }
    // The dApp's request was answered by the oracle node's service with its own run of the
    // feed's job: the mean sepal length, backed by a job other than the requester's.
    let oracle_value = report["oracle_value"].as_f64().expect("value");
    assert!(
        (oracle_value - plain[0].as_f64().expect("f64")).abs() < 1e-4,
        "{report}"
    );
    assert_ne!(report["oracle_job_id"], report["job_id"], "{report}");
    assert!(
        report["oracle_request_to_fulfil_seconds"]
            .as_f64()
            .is_some_and(|s| s > 0.0)
    );
    // The he-linear histogram: a committee of five drawn from the owners and workers
    // generated the key over the network; three decrypted the proven sum.
    let he = &report["he_linear"];
    assert_eq!(he["decrypted"], he["plaintext"]);
    assert_eq!(
        he["plaintext"].as_array().map(Vec::len),
        Some(3),
        "three buckets"
    );
    assert_eq!(he["committee"], "3 of 5");
    assert_eq!(he["decrypted_by"].as_array().map(Vec::len), Some(3));
    assert!(he["dkg_seconds"].as_f64().is_some_and(|s| s > 0.0));
    assert!(report["submit_result_gas"].as_u64().expect("gas") <= 260_000);
    // Every node stopped: no cookie left behind.
    let nodes = root.path().join("nodes");
    for entry in std::fs::read_dir(&nodes).expect("nodes") {
        let dir = entry.expect("entry").path();
        assert!(
            !dir.join("api.cookie").exists(),
            "{} still running?",
            dir.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_rpc_is_a_clear_error_and_a_warning_and_the_node_carries_on_when_it_returns() {
    let anvil = anvil();
    let rpc = anvil.endpoint();
    let root = TempDir::new("hung-rpc");
    let (dir, _) = init(root.path(), "node", &anvil, 4);
    deploy(&dir, &rpc, &[]);
    let (p2p, api) = (free_port(), free_port());
    let mut env = node_env(&rpc, p2p, api, &[]);
    env.push(("ARCANUM_CHAIN__REQUEST_TIMEOUT_SECS", "2".into()));
    let d = dir.display().to_string();
    let mut node = node_run(&d, "requester", &env, root.path().join("node.log"));
    ready(&mut node, &dir, api, Duration::from_secs(60)).await;

    // Freeze the chain: the process is alive, its socket open, nothing answers.
    let pid = anvil.child().id().to_string();
    let signal = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .expect("kill")
    };
    signal("-STOP");
    let started = std::time::Instant::now();
    let o = run(&["status", "--data-dir", &d], &env);
    assert!(!o.status.success(), "status answered from a frozen chain");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "status hung for {:?}",
        started.elapsed()
    );
    assert!(
        o.stderr.contains(&rpc) || o.stderr.contains("RPC"),
        "{}",
        o.stderr
    );
    let until = std::time::Instant::now() + Duration::from_secs(90);
    while !node.log().contains("RPC down or hung") {
        assert!(
            std::time::Instant::now() < until,
            "no warning:\n{}",
            node.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        node.log().matches("RPC down or hung").count(),
        1,
        "one warning, not one per probe"
    );

    signal("-CONT");
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while !node.log().contains("RPC answers again") {
        assert!(
            std::time::Instant::now() < until,
            "no recovery:\n{}",
            node.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let status: Status = serde_json::from_str(&ok(&["status", "--json", "--data-dir", &d], &env))
        .expect("status after recovery");
    assert_eq!(status.chain_id, 31337);
    let exit = node.terminate(Duration::from_secs(5)).expect("stops");
    assert!(exit.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_for_good_is_expired_slashed_and_the_job_goes_to_the_next_bid() {
    let (net, parties) = net(
        "worker-dies",
        &[("cheap", 2), ("backup", 3), ("requester", 1)],
    )
    .await;
    let [(adir, a), (bdir, b), (rdir, _)] = <[Party; 3]>::try_from(parties).expect("parties");
    let Net {
        anvil,
        rpc,
        root,
        deployment,
        owner_chain,
        supply,
        ..
    } = net;
    let (rp2p, rapi) = (free_port(), free_port());
    let mut nodes = Vec::new();
    let mut worker_addrs = Vec::new();
    for (dir, ask, name) in [(&adir, arc(5), "cheap"), (&bdir, arc(10), "backup")] {
        let (p2p, api) = (free_port(), free_port());
        worker_addrs.push(format!("/ip4/127.0.0.1/tcp/{p2p}"));
        let env = node_env(
            &rpc,
            p2p,
            api,
            &[("ARCANUM_WORKER__ASK_WEI", ask.to_string())],
        );
        let d = dir.display().to_string();
        let mut node = node_run(&d, "worker", &env, root.path().join(format!("{name}.log")));
        ready(&mut node, dir, api, Duration::from_secs(120)).await;
        ok(&["stake", "deposit", "500", "--data-dir", &d], &env);
        nodes.push(node);
    }
    let renv = node_env(
        &rpc,
        rp2p,
        rapi,
        &[("ARCANUM_P2P__BOOTSTRAP", worker_addrs.join(","))],
    );
    let r = rdir.display().to_string();
    let mut rnode = node_run(&r, "requester", &renv, root.path().join("r.log"));
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;
    // Both workers re-gossip their offers every 0.5 s: give the requester a few rounds to
    // hear both, so that the cheap one is the first choice.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let (job, sums) = job_file_of(root.path(), 320);
    let text = std::fs::read_to_string(&job).expect("job");
    let job = write(
        root.path(),
        "job30.json",
        &text.replace("\"deadline_secs\":300", "\"deadline_secs\":30"),
    );
    let submitted: JobRecord = serde_json::from_str(&ok(
        &["job", "submit", &job, "--json", "--data-dir", &r],
        &renv,
    ))
    .expect("submit");
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while !nodes[0].log().contains("accepted and proving") {
        assert!(
            std::time::Instant::now() < until,
            "the cheap worker never accepted:\n{}\n{}",
            nodes[0].log(),
            rnode.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = nodes[0].child.kill();
    let _ = nodes[0].child.wait();

    let until = std::time::Instant::now() + Duration::from_secs(180);
    let rec = loop {
        let rec: JobRecord = serde_json::from_str(&ok(
            &[
                "job",
                "get",
                &submitted.id.to_string(),
                "--json",
                "--data-dir",
                &r,
            ],
            &renv,
        ))
        .expect("get");
        if !matches!(rec.state, JobState::Submitted | JobState::Posted) {
            break rec;
        }
        assert!(
            std::time::Instant::now() < until,
            "not settled: {rec:?}\n{}",
            rnode.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(rec.state, JobState::Settled, "{rec:?}\n{}", rnode.log());
    let outcome = rec.outcome.expect("outcome");
    assert_eq!(outcome.worker, b.address.to_string());
    assert_eq!(outcome.ask_wei, arc(10).to_string());
    assert_eq!(
        outcome.output,
        sums.iter().map(U256::to_string).collect::<Vec<_>>()
    );
    assert_eq!(
        outcome.failed_attempts.len(),
        1,
        "{:?}",
        outcome.failed_attempts
    );
    // Slashed as the contract says: the locked 100 ARC; the requester's share is capped at
    // its posting fee, which is 0 here, so the treasury (the owner) gets all of it.
    let stake = owner_chain.stake_of(a.address).await.expect("stake");
    assert_eq!((stake.staked, stake.locked), (arc(400), U256::ZERO));
    assert_eq!(
        owner_chain
            .credit_of(owner_chain.account())
            .await
            .expect("credit"),
        arc(100)
    );
    assert_eq!(
        owner_chain.credit_of(b.address).await.expect("credit"),
        arc(10)
    );
    // Token conservation over every account and contract.
    let market = deployment.market;
    let mut held = owner_chain.balance_of(market).await.expect("market")
        + owner_chain
            .balance_of(deployment.data_oracle)
            .await
            .expect("oracle");
    for i in 0..10 {
        let who: PrivateKeySigner = anvil.keys()[i].clone().into();
        held += owner_chain
            .balance_of(who.address())
            .await
            .expect("balance");
    }
    assert_eq!(
        held,
        supply + arc(3_000),
        "nothing minted or burnt but the funding"
    );
    let mut in_market = U256::ZERO;
    for i in 0..10 {
        let who: PrivateKeySigner = anvil.keys()[i].clone().into();
        let st = owner_chain.stake_of(who.address()).await.expect("stake");
        in_market +=
            st.staked + st.unbonding + owner_chain.credit_of(who.address()).await.expect("credit");
    }
    assert_eq!(
        owner_chain.balance_of(market).await.expect("market"),
        in_market
    );
}

/// A worker that has several proofs ready at once settles them in one `submitResults`
/// transaction (one batched pairing check): three jobs, one settlement transaction, each
/// job paid its ask and its output the sum of its inputs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_ready_together_settle_in_one_batched_transaction() {
    let (net, parties) = net("batch", &[("worker", 2), ("requester", 1)]).await;
    let [(wdir, worker), (rdir, _)] = <[Party; 2]>::try_from(parties).expect("parties");
    let Net {
        rpc,
        root,
        owner_chain,
        ..
    } = net;
    let (wp2p, wapi, rp2p, rapi) = (free_port(), free_port(), free_port(), free_port());
    // Three jobs at once, and a proof waits up to 15 s for the others.
    let wenv = node_env(
        &rpc,
        wp2p,
        wapi,
        &[
            ("ARCANUM_WORKER__CAPACITY", "3".into()),
            ("ARCANUM_WORKER__BATCH_WINDOW_MS", "15000".into()),
        ],
    );
    let w = wdir.display().to_string();
    let mut wnode = node_run(&w, "worker", &wenv, root.path().join("w.log"));
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
    let mut rnode = node_run(&r, "requester", &renv, root.path().join("r.log"));
    ready(&mut rnode, &rdir, rapi, Duration::from_secs(60)).await;

    let (job, sums) = job_file_of(root.path(), 8);
    let ids: Vec<u64> = (0..3)
        .map(|_| {
            serde_json::from_str::<JobRecord>(&ok(
                &["job", "submit", &job, "--json", "--data-dir", &r],
                &renv,
            ))
            .expect("submit")
            .id
        })
        .collect();
    let until = std::time::Instant::now() + Duration::from_secs(240);
    let mut settled = Vec::new();
    for id in &ids {
        let rec = loop {
            let rec: JobRecord = serde_json::from_str(&ok(
                &["job", "get", &id.to_string(), "--json", "--data-dir", &r],
                &renv,
            ))
            .expect("get");
            if !matches!(rec.state, JobState::Submitted | JobState::Posted) {
                break rec;
            }
            assert!(
                std::time::Instant::now() < until,
                "not settled: {rec:?}\n{}\n{}",
                rnode.log(),
                wnode.log()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        assert_eq!(rec.state, JobState::Settled, "{rec:?}\n{}", wnode.log());
        let outcome = rec.outcome.expect("outcome");
        assert_eq!(outcome.worker, worker.address.to_string());
        assert_eq!(
            outcome.output,
            sums.iter().map(U256::to_string).collect::<Vec<_>>()
        );
        settled.push(outcome.settle_tx);
    }
    assert!(
        settled.iter().all(|t| *t == settled[0]),
        "one settlement transaction for the three jobs: {settled:?}\n{}",
        wnode.log()
    );
    assert!(wnode.log().contains("settled a batch"), "{}", wnode.log());
    let receipt = owner_chain
        .provider()
        .get_transaction_receipt(settled[0].parse().expect("hash"))
        .await
        .expect("rpc")
        .expect("receipt");
    assert!(receipt.status());
    // Three jobs settled for less than two single settlements (each about 258,000 gas).
    assert!(
        receipt.gas_used < 2 * 258_000,
        "{} gas for three jobs",
        receipt.gas_used
    );
}
