//! A joint statistic with every party its own node: four data owners (each also a staked
//! clerk candidate) holding different Iris rows in CSV files, two workers and a requester.
//! The requester submits a TOML spec; three clerks are drawn from the owners by stake, and
//! every owner recomputes the draw from the chain before it contributes a masked vector
//! under its policy; a worker proves the masked sum; the clerks' sums unmask it. One drawn
//! clerk is killed after contributing: the job still completes from the other two.

use crate::{
    harness::{free_port, node_run, ok, ready, run},
    operator::{Net, Party, net, node_env, start_node},
};
use arcanum_node::{
    compute::dataset,
    store::{JobRecord, JobState},
};
use std::time::Duration;

const COLUMNS: [&str; 3] = ["sepal_length", "sepal_width", "petal_length"];

fn spec(query: &str, owners: &[String], min: u32, sampled: u32) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_contribute_masked_iris_rows_and_the_unmasked_mean_and_variance_match() {
    let (net, parties) = net(
        "stats",
        &[
            ("worker", 2),
            ("worker2", 3),
            ("requester", 1),
            ("owner0", 4),
            ("owner1", 5),
            ("owner2", 6),
            ("owner3", 7),
        ],
    )
    .await;
    let mut parties = parties.into_iter();
    let (wdir, _worker): Party = parties.next().expect("worker");
    let (w2dir, _worker2): Party = parties.next().expect("worker2");
    let (rdir, requester): Party = parties.next().expect("requester");
    let owners: Vec<Party> = parties.collect();
    let Net {
        rpc,
        root,
        owner_chain,
        ..
    } = net;

    // Each owner: a quarter of Iris as a CSV, a policy answering this requester's mean and
    // variance queries over at least 3 owners.
    let iris = dataset::iris();
    let parts = dataset::partition(&iris.rows, owners.len());
    let mut owner_nodes = Vec::new();
    let mut owner_addrs = Vec::new();
    for ((dir, id), rows) in owners.iter().zip(&parts) {
        let rows3: Vec<Vec<f64>> = rows.iter().map(|r| r[..3].to_vec()).collect();
        std::fs::write(dir.join("iris.csv"), dataset::to_csv(&COLUMNS, &rows3)).expect("csv");
        let policy = format!(
            "\n[contributor]\nrequesters = [{:?}]\nqueries = [\"mean\", \"variance\", \"histogram\"]\nmin_contributors = 3\n[[contributor.datasets]]\nname = \"iris\"\npath = \"iris.csv\"\ncolumns = [\"sepal_length\", \"sepal_width\", \"petal_length\"]\n",
            requester.peer_id
        );
        let cfg = dir.join("config.toml");
        let text = std::fs::read_to_string(&cfg).expect("config") + &policy;
        std::fs::write(&cfg, text).expect("config");
        let (p2p, api) = (free_port(), free_port());
        let env = node_env(&rpc, p2p, api, &[]);
        let d = dir.display().to_string();
        let log = root.path().join(format!("{}.log", id.peer_id));
        let mut node = node_run(&d, "contributor,clerk", &env, log);
        ready(&mut node, dir, api, Duration::from_secs(60)).await;
        // Unequal stakes: the draw weighs by them.
        let stake = (100 * (owner_nodes.len() + 1)).to_string();
        ok(&["stake", "deposit", &stake, "--data-dir", &d], &env);
        owner_addrs.push(format!("/ip4/127.0.0.1/tcp/{p2p}/p2p/{}", id.peer_id));
        owner_nodes.push(node);
    }

    let log = |name: &str| root.path().join(format!("{name}.log"));
    let worker = start_node(&rpc, &wdir, "worker", log("worker"), None, Some(500)).await;
    let worker2 = start_node(
        &rpc,
        &w2dir,
        "worker",
        log("worker2"),
        Some(worker.p2p),
        Some(500),
    )
    .await;
    let requester_node = start_node(
        &rpc,
        &rdir,
        "requester",
        log("requester"),
        Some(worker.p2p),
        None,
    )
    .await;
    let (r, renv, rnode) = (
        &requester_node.dir,
        &requester_node.env,
        &requester_node.proc,
    );

    // A query outside the owners' policy: refused by each with its reason, nothing posted.
    let refused = root.path().join("sum.toml");
    std::fs::write(&refused, spec("sum", &owner_addrs, 2, 3)).expect("spec");
    let out = run(
        &[
            "job",
            "submit",
            &refused.display().to_string(),
            "--wait",
            "120",
            "--json",
            "--data-dir",
            r,
        ],
        renv,
    );
    assert!(out.status.success(), "{}", out.stderr);
    let rec: JobRecord = serde_json::from_str(&out.stdout).expect("record");
    assert_eq!(rec.state, JobState::Failed, "{rec:?}");
    let error = rec.error.clone().unwrap_or_default();
    assert!(
        error.contains("0 of 4 data owners contributed") && error.contains("contributor.queries"),
        "{error}"
    );
    assert!(rec.posted.is_none(), "nothing posted");

    // The real job. A drawn clerk (an owner) is killed once the job is posted, after every
    // owner contributed: two clerks remain, the threshold.
    let job = root.path().join("variance.toml");
    std::fs::write(&job, spec("variance", &owner_addrs, 4, 3)).expect("spec");
    let out = ok(
        &[
            "job",
            "submit",
            &job.display().to_string(),
            "--json",
            "--data-dir",
            r,
        ],
        renv,
    );
    let rec: JobRecord = serde_json::from_str(&out).expect("record");
    let id = rec.id.to_string();
    let until = std::time::Instant::now() + Duration::from_secs(120);
    let posted = loop {
        let rec: JobRecord =
            serde_json::from_str(&ok(&["job", "get", &id, "--json", "--data-dir", r], renv))
                .expect("record");
        if rec.state != JobState::Submitted {
            break rec;
        }
        assert!(
            std::time::Instant::now() < until,
            "never posted\n{}",
            rnode.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let drawn = posted.stats.clone().expect("stats run").clerks;
    assert_eq!(drawn.len(), 3, "three clerks drawn: {drawn:?}");
    let victim = owner_addrs
        .iter()
        .position(|a| *a == drawn[2])
        .expect("the third clerk is an owner");
    owner_nodes[victim].child.kill().expect("kill");
    let until = std::time::Instant::now() + Duration::from_secs(240);
    let rec = loop {
        let rec: JobRecord =
            serde_json::from_str(&ok(&["job", "get", &id, "--json", "--data-dir", r], renv))
                .expect("record");
        if !matches!(rec.state, JobState::Submitted | JobState::Posted) {
            break rec;
        }
        assert!(
            std::time::Instant::now() < until,
            "not settled\n{}",
            rnode.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
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
    let text = text.replace(
        r#"columns = ["sepal_length", "sepal_width", "petal_length"]"#,
        r#"columns = ["petal_length"]"#,
    );
    std::fs::write(&histogram, text).expect("spec");
    let out = ok(
        &[
            "job",
            "submit",
            &histogram.display().to_string(),
            "--wait",
            "240",
            "--json",
            "--data-dir",
            r,
        ],
        renv,
    );
    let rec: JobRecord = serde_json::from_str(&out).expect("record");
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
}
