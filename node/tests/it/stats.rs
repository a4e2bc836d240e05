//! A joint statistic with every party its own node: four data owners (each also a staked
//! clerk candidate) holding different Iris rows in CSV files, two workers and a requester.
//! The requester submits a TOML spec; three clerks are drawn from the owners by stake, and
//! every owner recomputes the draw from the chain before it contributes a masked vector
//! under its policy; a worker proves the masked sum; the clerks' sums unmask it. One drawn
//! clerk is killed after contributing: the job still completes from the other two.

use crate::{
    harness::{Proc, ask_as, free_port, node_run, ok, ready, run},
    operator::{Net, Node, Party, net, node_env, start_node, start_node_with},
};
use arcanum_node::{
    compute::dataset,
    store::{JobRecord, JobState},
};
use std::time::Duration;

const COLUMNS: [&str; 3] = ["sepal_length", "sepal_width", "petal_length"];

pub(crate) fn spec(query: &str, owners: &[String], min: u32, sampled: u32) -> String {
    let list = |v: &[String]| {
        v.iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"shape = "secagg-sum-4x8"
reward_wei = "25000000000000000000"
min_stake_wei = "100000000000000000000"
deadline_secs = 300

[stats]
dataset = "iris"
columns = ["sepal_length", "sepal_width", "petal_length"]
query = "{query}"
contributors = [{owners}]
min_contributors = {min}
clerks = [{owners}]
clerks_sampled = {sampled}
threshold = 2
"#,
        owners = list(owners),
    )
}

/// Starts each owner as its own node with `roles`: its part of Iris (the first three
/// columns) as a CSV, a policy answering `requester`'s (peer ids, comma-separated) mean, variance and histogram
/// queries over at least 3 owners (the same rows again as `iris-dp`, with a privacy
/// budget of epsilon 1.2 at delta 1e-5), and unequal stakes (100, 200, .. ARC: draws weigh
/// by them). Returns the processes, their multiaddrs and their environments.
pub(crate) async fn start_owners(
    rpc: &str,
    root: &std::path::Path,
    owners: &[Party],
    parts: &[Vec<Vec<f64>>],
    requester: &str,
    roles: &str,
    bootstrap: Option<u16>,
) -> (Vec<Proc>, Vec<String>, Vec<Vec<(&'static str, String)>>) {
    let (mut nodes, mut addrs, mut envs) = (Vec::new(), Vec::new(), Vec::new());
    for (k, ((dir, id), rows)) in owners.iter().zip(parts).enumerate() {
        let rows3: Vec<Vec<f64>> = rows.iter().map(|r| r[..3].to_vec()).collect();
        std::fs::write(dir.join("iris.csv"), dataset::to_csv(&COLUMNS, &rows3)).expect("csv");
        let requesters: Vec<&str> = requester.split(',').collect();
        let policy = format!(
            "\n[contributor]\nrequesters = {requesters:?}\nqueries = [\"mean\", \"variance\", \"histogram\"]\nmin_contributors = 3\n[[contributor.datasets]]\nname = \"iris\"\npath = \"iris.csv\"\ncolumns = [\"sepal_length\", \"sepal_width\", \"petal_length\"]\n[[contributor.datasets]]\nname = \"iris-dp\"\npath = \"iris.csv\"\ncolumns = [\"sepal_length\", \"sepal_width\", \"petal_length\"]\nbudget = {{ epsilon = 1.2, delta = 1e-5 }}\n",
        );
        let (node, addr, env) = start_owner(
            rpc,
            root,
            (dir, id),
            &policy,
            roles,
            bootstrap,
            100 * (k as u64 + 1),
        )
        .await;
        nodes.push(node);
        addrs.push(addr);
        envs.push(env);
    }
    (nodes, addrs, envs)
}

/// Starts one data owner's node with `roles`, `policy` appended to its config, dialling
/// `bootstrap`, with `stake` ARC deposited. Returns the process, its multiaddr and its
/// environment.
pub(crate) async fn start_owner(
    rpc: &str,
    root: &std::path::Path,
    (dir, id): (&std::path::Path, &arcanum_node::identity::PublicIdentity),
    policy: &str,
    roles: &str,
    bootstrap: Option<u16>,
    stake: u64,
) -> (Proc, String, Vec<(&'static str, String)>) {
    let cfg = dir.join("config.toml");
    let text = std::fs::read_to_string(&cfg).expect("config") + policy;
    std::fs::write(&cfg, text).expect("config");
    let (p2p, api) = (free_port(), free_port());
    let extra: Vec<(&'static str, String)> = bootstrap
        .map(|b| ("ARCANUM_P2P__BOOTSTRAP", format!("/ip4/127.0.0.1/tcp/{b}")))
        .into_iter()
        .collect();
    let env = node_env(rpc, p2p, api, &extra);
    let d = dir.display().to_string();
    let log = root.join(format!("{}.log", id.peer_id));
    let mut node = node_run(&d, roles, &env, log);
    ready(&mut node, dir, api, Duration::from_secs(60)).await;
    ok(
        &["stake", "deposit", &stake.to_string(), "--data-dir", &d],
        &env,
    );
    (
        node,
        format!("/ip4/127.0.0.1/tcp/{p2p}/p2p/{}", id.peer_id),
        env,
    )
}

/// A chain and the identities of a joint-statistics network: two workers, a requester
/// and four data owners (distinct Anvil keys, funded).
pub(crate) async fn joint_net(name: &str) -> (Net, [Party; 2], Party, Vec<Party>) {
    let (net, workers, requester, owners, _) = joint_net_with(name, &[]).await;
    (net, workers, requester, owners)
}

/// [`joint_net`] with `extra` parties (name, Anvil key) after the four owners.
pub(crate) async fn joint_net_with(
    name: &str,
    extra: &[(&str, usize)],
) -> (Net, [Party; 2], Party, Vec<Party>, Vec<Party>) {
    let mut all = vec![
        ("worker", 2),
        ("worker2", 3),
        ("requester", 1),
        ("owner0", 4),
        ("owner1", 5),
        ("owner2", 6),
        ("owner3", 7),
    ];
    all.extend_from_slice(extra);
    let (net, parties) = net(name, &all).await;
    let mut parties = parties.into_iter();
    let workers = [
        parties.next().expect("worker"),
        parties.next().expect("worker2"),
    ];
    let requester = parties.next().expect("requester");
    let owners = parties.by_ref().take(4).collect();
    (net, workers, requester, owners, parties.collect())
}

/// Starts two workers (`roles`, `settings` on top, 500 ARC staked) and a requester, the
/// second worker and the requester bootstrapped through the first worker.
pub(crate) async fn start_market(
    rpc: &str,
    root: &std::path::Path,
    workers: [&std::path::Path; 2],
    requester: &std::path::Path,
    roles: &str,
    settings: &[(&'static str, String)],
) -> (Node, Node, Node) {
    let log = |name: &str| root.join(format!("{name}.log"));
    let w1 = start_node_with(
        rpc,
        workers[0],
        roles,
        log("worker"),
        None,
        Some(500),
        settings,
    )
    .await;
    let w2 = start_node_with(
        rpc,
        workers[1],
        roles,
        log("worker2"),
        Some(w1.p2p),
        Some(500),
        settings,
    )
    .await;
    let r = start_node(
        rpc,
        requester,
        "requester",
        log("requester"),
        Some(w1.p2p),
        None,
    )
    .await;
    (w1, w2, r)
}

/// Submits the spec `file` to the requester at `dir` (waiting up to `wait` seconds for it
/// to end, if given) and returns the record.
pub(crate) fn submit(
    file: &std::path::Path,
    dir: &str,
    env: &[(&'static str, String)],
    wait: Option<u64>,
) -> JobRecord {
    let file = file.display().to_string();
    let wait = wait.map(|w| w.to_string());
    let mut args = vec!["job", "submit", &file, "--json", "--data-dir", dir];
    if let Some(w) = &wait {
        args.extend(["--wait", w]);
    }
    let out = run(&args, env);
    assert!(out.status.success(), "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("record")
}

/// Polls job `id` until `done` holds for its record (or `timeout`, with the log).
pub(crate) async fn wait_job(
    id: &str,
    dir: &str,
    env: &[(&'static str, String)],
    log: &Proc,
    timeout: Duration,
    done: impl Fn(&JobRecord) -> bool,
) -> JobRecord {
    let until = std::time::Instant::now() + timeout;
    loop {
        let rec: JobRecord =
            serde_json::from_str(&ok(&["job", "get", id, "--json", "--data-dir", dir], env))
                .expect("record");
        if done(&rec) {
            return rec;
        }
        assert!(
            std::time::Instant::now() < until,
            "job {id} stuck in {:?}\n{}",
            rec.state,
            log.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_contribute_masked_iris_rows_and_the_unmasked_mean_and_variance_match() {
    let (net, [(wdir, _), (w2dir, _)], (rdir, requester), owners) = joint_net("stats").await;
    let Net {
        rpc,
        root,
        owner_chain,
        ..
    } = net;

    let iris = dataset::iris();
    let parts = dataset::partition(&iris.rows, owners.len());
    let (mut owner_nodes, owner_addrs, owner_envs) = start_owners(
        &rpc,
        root.path(),
        &owners,
        &parts,
        &requester.peer_id,
        "contributor,clerk",
        None,
    )
    .await;

    let (worker, worker2, requester_node) =
        start_market(&rpc, root.path(), [&wdir, &w2dir], &rdir, "worker", &[]).await;
    let (r, renv, rnode) = (
        &requester_node.dir,
        &requester_node.env,
        &requester_node.proc,
    );

    // A query outside the owners' policy: refused by each with its reason, nothing posted.
    let refused = root.path().join("sum.toml");
    std::fs::write(&refused, spec("sum", &owner_addrs, 2, 3)).expect("spec");
    let rec = submit(&refused, r, renv, Some(120));
    assert_eq!(rec.state, JobState::Failed, "{rec:?}");
    let error = rec.error.clone().unwrap_or_default();
    assert!(
        error.contains("0 of 4 data owners contributed") && error.contains("contributor.queries"),
        "{error}"
    );
    assert!(rec.posted.is_none(), "nothing posted");

    // An open call for a query no owner's policy answers: nobody enrols, too few owners
    // by its closing time, nothing posted.
    let lonely = root.path().join("open.toml");
    let text = spec("sum", &owner_addrs, 3, 3).replacen(
        &format!(
            "contributors = [{}]",
            owner_addrs
                .iter()
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "contributors = []\nenroll_secs = 2",
        1,
    );
    assert!(text.contains("enroll_secs = 2"), "{text}");
    std::fs::write(&lonely, text).expect("spec");
    let rec = submit(&lonely, r, renv, Some(60));
    assert_eq!(rec.state, JobState::Failed, "{rec:?}");
    assert!(
        rec.error
            .as_deref()
            .unwrap_or_default()
            .contains("0 data owners listed or enrolled"),
        "{:?}",
        rec.error
    );
    assert!(rec.posted.is_none(), "nothing posted");

    // The real job. A drawn clerk (an owner) is killed once the job is posted, after every
    // owner contributed: two clerks remain, the threshold.
    let job = root.path().join("variance.toml");
    std::fs::write(&job, spec("variance", &owner_addrs, 4, 3)).expect("spec");
    let rec = submit(&job, r, renv, None);
    let id = rec.id.to_string();
    let posted = wait_job(&id, r, renv, rnode, Duration::from_secs(120), |rec| {
        rec.state != JobState::Submitted
    })
    .await;
    let drawn = posted.stats.clone().expect("stats run").clerks;
    assert_eq!(drawn.len(), 3, "three clerks drawn: {drawn:?}");
    let victim = owner_addrs
        .iter()
        .position(|a| *a == drawn[2])
        .expect("the third clerk is an owner");
    owner_nodes[victim].child.kill().expect("kill");
    let rec = wait_job(&id, r, renv, rnode, Duration::from_secs(240), |rec| {
        !matches!(rec.state, JobState::Submitted | JobState::Posted)
    })
    .await;
    assert_eq!(
        rec.state,
        JobState::Settled,
        "{rec:?}\nrequester:\n{}\nworker:\n{}",
        rnode.log(),
        worker.proc.log()
    );
    drop(worker2);

    // What the worker was sent is masked: no input vector is an owner's plain encoding.
    let run = rec.stats.clone().expect("stats run");
    assert_eq!(run.contributors.len(), 4);
    // Each owner checked its vector is inside the posted commitment (the killed one may
    // have gone before it was asked).
    assert!(
        run.included_confirmed.len() >= 3,
        "{:?}",
        run.included_confirmed
    );
    assert_eq!(run.clerks_answered, vec![1, 2], "clerk 3 was killed");
    let codec = arcanum_node::compute::fixed::FixedPoint::default();
    for rows in &parts {
        let rows3: Vec<Vec<f64>> = rows.iter().map(|r| r[..3].to_vec()).collect();
        let plain = arcanum_node::compute::stats::contribution(
            arcanum_node::protocol::Query::Variance,
            &rows3,
            3,
            &[],
        );
        let plain: Vec<String> = codec
            .encode_vec(&plain)
            .expect("encode")
            .iter()
            .map(|f| arcanum_node::zk::field::fr_to_u256(*f).to_string())
            .collect();
        for input in &rec.submission.inputs {
            assert_ne!(
                input[..plain.len()],
                plain[..],
                "an owner's vector went out unmasked"
            );
        }
    }

    // The statistics equal the plaintext ones computed here.
    let out: serde_json::Value = serde_json::from_str(&ok(
        &["job", "result", &id, "--json", "--data-dir", r],
        renv,
    ))
    .expect("result json");
    let stats = &out["statistics"];
    let n = iris.rows.len() as f64;
    assert_eq!(stats["count"].as_f64(), Some(n));
    for j in 0..3 {
        let mean = iris.rows.iter().map(|r| r[j]).sum::<f64>() / n;
        let var = iris.rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n;
        let got_mean = stats["means"][j].as_f64().expect("mean");
        let got_var = stats["variances"][j].as_f64().expect("variance");
        assert!((got_mean - mean).abs() < 1e-3, "{j}: {got_mean} vs {mean}");
        assert!((got_var - var).abs() < 1e-3, "{j}: {got_var} vs {var}");
    }
    assert_eq!(
        out["evidence"]["job_id"].as_str(),
        rec.outcome.as_ref().map(|o| o.job_id.as_str())
    );

    // The draw recomputes from the chain (the CLI exits non-zero otherwise), and a draw
    // with a stake changed does not.
    let report: arcanum_node::api::types::CommitteeReport = serde_json::from_str(&ok(
        &["job", "committee", &id, "--json", "--data-dir", r],
        renv,
    ))
    .expect("committee json");
    assert!(report.verified, "{:?}", report.problem);
    assert_eq!(
        report.draw.candidates.len(),
        4,
        "every owner bound and staked"
    );
    let mut forged = report.draw.clone();
    forged.candidates[0].stake += arcanum_node::protocol::U256::from(1u64);
    let problem = arcanum_node::services::joint::verify_draw(&owner_chain, &forged)
        .await
        .expect_err("a changed stake does not verify");
    assert!(problem.contains("staked"), "{problem}");

    // A differentially private histogram of petal length over the flowers with sepal
    // width above 3 cm, from the three owners still up (the killed one is left out of the
    // draw and the contributors): each owner adds its share of the noise.
    let histogram = root.path().join("histogram.toml");
    let text = spec("histogram", &owner_addrs, 3, 3).replace(
        "threshold = 2",
        "threshold = 2\nedges = [2.5, 5.0]\nfilter = { column = \"sepal_width\", op = \"gt\", value = 3.0 }\ndp = { epsilon = 1.0, delta = 1e-5 }",
    );
    let text = text
        .replace(
            r#"columns = ["sepal_length", "sepal_width", "petal_length"]"#,
            r#"columns = ["petal_length"]"#,
        )
        .replace(r#"dataset = "iris""#, r#"dataset = "iris-dp""#);
    std::fs::write(&histogram, text).expect("spec");
    let rec = submit(&histogram, r, renv, Some(240));
    assert_eq!(rec.state, JobState::Settled, "{rec:?}\n{}", rnode.log());
    let run = rec.stats.expect("stats run");
    assert_eq!(run.contributors.len(), 3, "{:?}", run.refused);
    assert_eq!(
        run.included_confirmed.len(),
        3,
        "every contributor checked its inclusion"
    );
    let mut expected = [0.0; 3];
    for (i, rows) in parts.iter().enumerate() {
        if i == victim {
            continue;
        }
        for r in rows.iter().filter(|r| r[1] > 3.0) {
            expected[[2.5, 5.0].iter().take_while(|e| r[2] >= **e).count()] += 1.0;
        }
    }
    let sigma = run.noise_std.expect("noise recorded");
    assert!(sigma > 2.0, "three owners' shares of the noise: {sigma}");
    let got = &run.statistics.expect("statistics").histograms;
    assert_eq!(got.len(), 1);
    for (g, e) in got[0].iter().zip(expected) {
        assert_eq!(g.fract(), 0.0, "whole rows: {g}");
        assert!((g - e).abs() < 6.0 * sigma, "{:?} vs {expected:?}", got[0]);
    }

    // Each owner charged the release to iris-dp's budget (1.2): epsilon 1 spent; the same
    // release again composes (exactly, for Gaussian noise) to about 1.45 and would exceed
    // it, so every owner refuses it with what remains, and nothing is posted.
    let live = (0..owner_addrs.len())
        .find(|i| *i != victim)
        .expect("a live owner");
    let ledger = |i: usize| -> Vec<arcanum_node::api::types::PrivacyReport> {
        let dir = owners[i].0.display().to_string();
        serde_json::from_str(&ok(
            &["privacy", "--json", "--data-dir", &dir],
            &owner_envs[i],
        ))
        .expect("privacy json")
    };
    let reports = ledger(live);
    let dp = reports
        .iter()
        .find(|r| r.dataset == "iris-dp")
        .expect("iris-dp ledger");
    assert_eq!(dp.entries.len(), 1, "{dp:?}");
    assert!(
        dp.spent_epsilon > 0.99 && dp.spent_epsilon <= 1.0,
        "one release of epsilon 1: {dp:?}"
    );
    assert!((dp.remaining_epsilon - (1.2 - dp.spent_epsilon)).abs() < 1e-12);
    let again = submit(&histogram, r, renv, Some(120));
    assert_eq!(again.state, JobState::Failed, "{again:?}");
    let error = again.error.clone().unwrap_or_default();
    assert!(
        error.contains("privacy budget of dataset") && error.contains("remains"),
        "{error}"
    );
    assert!(again.posted.is_none(), "nothing posted");
    assert_eq!(
        ledger(live)[0..]
            .iter()
            .find(|r| r.dataset == "iris-dp")
            .expect("ledger")
            .entries
            .len(),
        1,
        "a refused release is not charged"
    );
}

/// An he-linear histogram: four owners encrypt their counts under a key that a committee
/// of five, drawn by stake from the owners and the workers, generates by a DKG over the
/// network; a member is killed once the job is posted, and three of the other four
/// decrypt the proven sum. The histogram equals the plaintext one exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_encrypt_under_a_five_member_committee_key_and_the_histogram_decrypts_exactly() {
    let (net, [(wdir, wid), (w2dir, w2id)], (rdir, requester), owners) =
        joint_net("stats-he").await;
    let Net { rpc, root, .. } = net;
    let iris = dataset::iris();
    let parts = dataset::partition(&iris.rows, owners.len());
    let he = [("ARCANUM_WORKER__SHAPES", "he-linear-4x8".to_string())];
    let (worker, worker2, requester_node) = start_market(
        &rpc,
        root.path(),
        [&wdir, &w2dir],
        &rdir,
        "worker,committee",
        &he,
    )
    .await;
    // The owners join the network through a worker: they hear the requester's open call
    // for contributions on gossip and enrol.
    let (mut owner_nodes, owner_addrs, _) = start_owners(
        &rpc,
        root.path(),
        &owners,
        &parts,
        &requester.peer_id,
        "contributor,committee",
        Some(worker.p2p),
    )
    .await;
    let (r, renv, rnode) = (
        &requester_node.dir,
        &requester_node.env,
        &requester_node.proc,
    );
    let mut pool = owner_addrs.clone();
    pool.push(format!(
        "/ip4/127.0.0.1/tcp/{}/p2p/{}",
        worker.p2p, wid.peer_id
    ));
    pool.push(format!(
        "/ip4/127.0.0.1/tcp/{}/p2p/{}",
        worker2.p2p, w2id.peer_id
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
columns = ["petal_length"]
query = "histogram"
edges = [2.5, 5.0]
enroll_secs = 6
min_contributors = 4
committee = [{}]
committee_sampled = 5
threshold = 3
"#,
        list(&pool)
    );
    let file = root.path().join("he-histogram.toml");
    std::fs::write(&file, spec).expect("spec");
    let rec = submit(&file, r, renv, None);
    let id = rec.id.to_string();
    let posted = wait_job(&id, r, renv, rnode, Duration::from_secs(180), |rec| {
        rec.state != JobState::Submitted
    })
    .await;
    assert_eq!(posted.state, JobState::Posted, "{:?}", posted.error);
    let run = posted.stats.clone().expect("stats run");
    let mut enrolled = run.asked.clone();
    enrolled.sort();
    let mut expected_owners = owner_addrs.clone();
    expected_owners.sort();
    assert_eq!(
        enrolled, expected_owners,
        "every owner enrolled in the open call"
    );
    assert_eq!(run.clerks.len(), 5, "five members drawn: {:?}", run.clerks);
    assert!(run.dkg_seconds.is_some_and(|s| s > 0.0));
    let key = run.key.clone().expect("the DKG transcript");
    assert_eq!(key.dealings.len(), 5, "every member dealt");

    // A member that is a data owner is killed once the job is posted.
    let victim = owner_addrs
        .iter()
        .position(|a| run.clerks.contains(a))
        .expect("an owner is among five of six candidates");
    let victim_index = run
        .clerks
        .iter()
        .position(|a| *a == owner_addrs[victim])
        .expect("drawn") as u64
        + 1;
    owner_nodes[victim].child.kill().expect("kill");

    let rec = wait_job(&id, r, renv, rnode, Duration::from_secs(240), |rec| {
        !matches!(rec.state, JobState::Submitted | JobState::Posted)
    })
    .await;
    assert_eq!(
        rec.state,
        JobState::Settled,
        "{rec:?}\nrequester:\n{}",
        rnode.log()
    );
    let run = rec.stats.clone().expect("stats run");
    assert_eq!(run.contributors.len(), 4);
    assert_eq!(run.clerks_answered.len(), 3, "{:?}", run.clerks_answered);
    assert!(
        !run.clerks_answered.contains(&victim_index),
        "the killed member {victim_index} cannot have decrypted"
    );

    // What the worker was sent is ciphertexts: every contribution decodes as eight valid
    // ciphertexts, the query's three randomised (c1 is not the identity), the rest padding.
    use arcanum_node::compute::{elgamal::Ciphertext, executor};
    let fields: Vec<Vec<_>> = rec
        .submission
        .inputs
        .iter()
        .map(|v| {
            v.iter()
                .map(|x| {
                    arcanum_node::zk::field::fr_from_u256(x.parse().expect("decimal"))
                        .expect("field element")
                })
                .collect()
        })
        .collect();
    let cts = executor::decode_ciphertexts(&fields, 8).expect("valid ciphertexts");
    for v in &cts {
        for (k, c) in v.iter().enumerate() {
            if k < 3 {
                assert_ne!(
                    c.c1,
                    Ciphertext::zero().c1,
                    "an owner's value went out unencrypted"
                );
            } else {
                assert_eq!(*c, Ciphertext::zero(), "padding");
            }
        }
    }

    // The histogram equals the plaintext one.
    let mut expected = [0.0; 3];
    for r in &iris.rows {
        expected[[2.5, 5.0].iter().take_while(|e| r[2] >= **e).count()] += 1.0;
    }
    let stats = run.statistics.expect("statistics");
    assert_eq!(stats.histograms, vec![expected.to_vec()]);

    // The committee recomputes from the chain and the group key from the signed
    // transcript; an altered dealing does not.
    let report: arcanum_node::api::types::CommitteeReport = serde_json::from_str(&ok(
        &["job", "committee", &id, "--json", "--data-dir", r],
        renv,
    ))
    .expect("committee json");
    assert!(report.verified, "{:?}", report.problem);
    assert!(report.group_key.is_some());
    assert_eq!(report.qualified, vec![1, 2, 3, 4, 5]);
    let mut forged = key.clone();
    forged.dealings[1].broadcast = forged.dealings[0].broadcast.clone();
    let problem = arcanum_node::services::committee::group_of(&forged, &report.draw)
        .expect_err("a dealing the member did not sign");
    assert!(problem.contains("dealing 2"), "{problem}");

    // A member decrypts only for the requester that ran its DKG, only the sum of the
    // completed job's committed inputs, and only that one job. The requester is stopped
    // and its identity used from here, as a requester misusing the key would.
    let job_id = arcanum_node::protocol::JobId(
        rec.outcome
            .as_ref()
            .expect("outcome")
            .job_id
            .parse()
            .expect("job id"),
    );
    let inputs: Vec<Vec<arcanum_node::protocol::U256>> = rec
        .submission
        .inputs
        .iter()
        .map(|v| v.iter().map(|x| x.parse().expect("decimal")).collect())
        .collect();
    let requester_dir = std::path::PathBuf::from(r);
    drop(requester_node);
    let member = run
        .clerks
        .iter()
        .find(|a| **a != owner_addrs[victim])
        .expect("a live member");
    let ask = |key, request| ask_as(key, member, request);
    let decrypt = |job_id, inputs: Vec<Vec<_>>| arcanum_node::protocol::JobRequest::Decrypt {
        session: run.session,
        job_id,
        inputs,
        prove: None,
        knowledge: run.knowledge.iter().cloned().map(Some).collect(),
    };
    let refused = |answer: &arcanum_node::protocol::JobResponse, why: &str| {
        matches!(answer, arcanum_node::protocol::JobResponse::Rejected(
            arcanum_node::protocol::RejectReason::Policy(p)) if p.contains(why))
    };
    let requester_key =
        || arcanum_node::identity::load_or_create_p2p(&requester_dir).expect("requester key");
    let a = ask(
        arcanum_node::p2p::Keypair::generate_ed25519(),
        decrypt(job_id, inputs.clone()),
    )
    .await;
    assert!(refused(&a, "another requester"), "{a:?}");
    // One contribution alone (the others swapped for padding): not the committed inputs.
    let mut alone = inputs.clone();
    for v in alone.iter_mut().skip(1) {
        // The identity ciphertext's coordinates: (0, 1, 0, 1).
        *v = (0..v.len())
            .map(|k| arcanum_node::protocol::U256::from(u64::from(k % 2 == 1)))
            .collect();
    }
    let a = ask(requester_key(), decrypt(job_id, alone)).await;
    assert!(refused(&a, "posted commitment"), "{a:?}");
    let other = arcanum_node::protocol::JobId(job_id.0 + arcanum_node::protocol::U256::from(1u64));
    let a = ask(requester_key(), decrypt(other, inputs.clone())).await;
    assert!(refused(&a, "already decrypted"), "{a:?}");
    // A contribution without its owner's proof of its encryption randomness (one could be
    // made from the others'), or with another owner's proof: refused.
    let mut request = decrypt(job_id, inputs.clone());
    if let arcanum_node::protocol::JobRequest::Decrypt { knowledge, .. } = &mut request {
        knowledge[2] = None;
    }
    let a = ask(requester_key(), request).await;
    assert!(
        refused(&a, "no proof of its encryption randomness"),
        "{a:?}"
    );
    let mut request = decrypt(job_id, inputs.clone());
    if let arcanum_node::protocol::JobRequest::Decrypt { knowledge, .. } = &mut request {
        knowledge.swap(0, 1);
    }
    let a = ask(requester_key(), request).await;
    assert!(
        refused(&a, "encryption randomness does not verify"),
        "{a:?}"
    );
    // The same job again (a restarted requester): answered.
    let a = ask(requester_key(), decrypt(job_id, inputs)).await;
    assert!(
        matches!(a, arcanum_node::protocol::JobResponse::Decryption { .. }),
        "{a:?}"
    );
    drop(worker2);
}
