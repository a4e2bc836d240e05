//! A federated training job with every party its own node: four data owners (each also a
//! staked clerk candidate) holding a non-IID split of the digits data as CSV files, two
//! workers and a requester. Five rounds of record-level DP-FedSGD: each round the owners
//! train, noise and mask their updates, a worker proves the masked sum (11 chunks) and is
//! paid, three clerks drawn by stake unmask it. One owner is killed mid-job; the rounds go
//! on with the others. Every owner's ledger holds exactly the job's charge, and a second
//! job that one owner's remaining budget cannot pay for never starts.

use crate::{
    harness::{ask_as, ok},
    operator::Net,
    stats::{joint_net, start_market, start_owner, submit, wait_job},
};
use arcanum_node::{
    api::types::PrivacyReport,
    compute::fl::{self, Model, Split},
    services::fl as job_fl,
    store::JobState,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::Duration;

/// The training spec over `owners`: 5 rounds of softmax regression at `epsilon` over the
/// whole job, at least `min` owners per round, 3 clerks drawn from the owners.
fn spec(owners: &[String], min: u32, epsilon: f64, rounds: u32) -> String {
    let list = owners
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let features = fl::digits_columns()
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"shape = "secagg-sum-16x64"
reward_wei = "25000000000000000000"
min_stake_wei = "100000000000000000000"
deadline_secs = 300

[fl]
dataset = "digits"
features = [{features}]
label = "label"
model = [64, 10]
rounds = {rounds}
unit = "record"
epsilon = {epsilon}
delta = 1e-5
max_grad_norm = 1.0
lr = 8.0
server_momentum = 0.5
test_csv = "test.csv"
seed = 7
contributors = [{list}]
min_contributors = {min}
clerks = [{list}]
clerks_sampled = 3
threshold = 2
"#
    )
}

fn ledger(dir: &std::path::Path, env: &[(&'static str, String)]) -> PrivacyReport {
    let d = dir.display().to_string();
    let reports: Vec<PrivacyReport> =
        serde_json::from_str(&ok(&["privacy", "--json", "--data-dir", &d], env)).expect("json");
    reports
        .into_iter()
        .find(|r| r.dataset == "digits")
        .expect("a digits ledger")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_owners_train_digits_over_five_proven_rounds_within_their_privacy_budgets() {
    let (net, [(wdir, _), (w2dir, _)], (rdir, requester), owners) = joint_net("fl").await;
    let Net { rpc, root, .. } = net;

    // Digits: a stratified 20% held out by the requester, the rest dealt to the owners
    // with Dirichlet(1) label skew.
    let (data, classes) = fl::digits_samples();
    let (train, test) =
        fl::stratified_split(&data, classes, 0.2, &mut ChaCha20Rng::seed_from_u64(42))
            .expect("split");
    let parts = fl::split(
        &train,
        owners.len(),
        Split::Dirichlet { alpha: 1.0 },
        &mut ChaCha20Rng::seed_from_u64(43),
    )
    .expect("deal");
    let columns = fl::digits_columns();
    fl::write_csv(&test, &columns, "label", &root.path().join("test.csv")).expect("test csv");

    // Owner 2's budget leaves 0.5 after this job; the others' 10.
    let budgets = [10.0, 10.0, 3.5, 10.0];
    let mut columns_and_label = columns.clone();
    columns_and_label.push("label".into());
    let (mut nodes, mut addrs, mut envs) = (Vec::new(), Vec::new(), Vec::new());
    for (k, ((dir, id), part)) in owners.iter().zip(&parts).enumerate() {
        fl::write_csv(part, &columns, "label", &dir.join("digits.csv")).expect("csv");
        let policy = format!(
            "\n[contributor]\nrequesters = [{:?}]\ntraining = true\nmin_contributors = 3\n[[contributor.datasets]]\nname = \"digits\"\npath = \"digits.csv\"\ncolumns = {columns_and_label:?}\nbudget = {{ epsilon = {}, delta = 1e-5 }}\n",
            requester.peer_id, budgets[k]
        );
        let (node, addr, env) = start_owner(
            &rpc,
            root.path(),
            (dir, id),
            &policy,
            "contributor,clerk",
            None,
            100 * (k as u64 + 1),
        )
        .await;
        nodes.push(node);
        addrs.push(addr);
        envs.push(env);
    }
    let shapes = [("ARCANUM_WORKER__SHAPES", "secagg-sum-16x64".to_string())];
    let (worker, worker2, requester_node) =
        start_market(&rpc, root.path(), [&wdir, &w2dir], &rdir, "worker", &shapes).await;
    let (r, renv, rnode) = (
        &requester_node.dir,
        &requester_node.env,
        &requester_node.proc,
    );

    let file = root.path().join("digits.toml");
    std::fs::write(&file, spec(&addrs, 3, 3.0, 5)).expect("spec");
    let rec = submit(&file, r, renv, None);
    let id = rec.id.to_string();
    // Owner 3 is killed once two rounds are done.
    wait_job(&id, r, renv, rnode, Duration::from_secs(300), |rec| {
        rec.fl.as_ref().is_some_and(|f| f.rounds.len() >= 2) || rec.state == JobState::Failed
    })
    .await;
    nodes[3].child.kill().expect("kill");
    let rec = wait_job(&id, r, renv, rnode, Duration::from_secs(600), |rec| {
        !matches!(rec.state, JobState::Submitted | JobState::Posted)
    })
    .await;
    assert_eq!(
        rec.state,
        JobState::Settled,
        "{:?}\nrequester:\n{}\nworker:\n{}",
        rec.error,
        rnode.log(),
        worker.proc.log()
    );
    drop(worker2);
    let run = rec.fl.clone().expect("training run");
    assert_eq!(run.joined.len(), 4, "{:?}", run.refused);
    assert_eq!(run.rounds.len(), 5);

    // Every round is its own settled on-chain job, proven over 11 chunks.
    let mut jobs: Vec<&str> = run.rounds.iter().map(|r| r.job_id.as_str()).collect();
    jobs.dedup();
    assert_eq!(jobs.len(), 5, "{jobs:?}");
    for r in &run.rounds {
        assert!(
            r.settle_tx.starts_with("0x") && r.prove_seconds > 0.0,
            "{r:?}"
        );
        assert!(r.clerks_answered.len() >= 2, "{r:?}");
    }
    // The first rounds had every owner; the last, after the kill, the other three.
    let train_rows: u64 = parts.iter().map(|p| p.len() as u64).sum();
    // The example counts come back under the same noise as the update (about 15 examples
    // of standard deviation here).
    assert_eq!(run.rounds[0].contributors.len(), 4);
    assert!(
        (run.rounds[0].examples - train_rows as f64).abs() < 100.0,
        "{} vs {train_rows}",
        run.rounds[0].examples
    );
    let last = &run.rounds[4];
    assert_eq!(last.contributors.len(), 3, "{last:?}");
    let without = (train_rows - parts[3].len() as u64) as f64;
    assert!(
        (last.examples - without).abs() < 100.0,
        "{} vs {without}",
        last.examples
    );
    assert!(
        last.refused
            .iter()
            .any(|w| w.contains(&owners[3].1.peer_id)),
        "{:?}",
        last.refused
    );
    // When the killed owner was a drawn clerk, the others unmasked without it.
    if let Some(k) = run.clerks.iter().position(|c| *c == addrs[3]) {
        assert!(!last.clerks_answered.contains(&(k as u64 + 1)), "{last:?}");
    }

    // Accuracy on the requester's held-out split: six times chance after five private
    // steps, the last three without owner 3's labels (0.70-0.76 over 8 noise seeds
    // in memory with these settings).
    let initial = run.initial_accuracy.expect("initial accuracy");
    let accuracy = last.accuracy.expect("accuracy");
    assert!(
        accuracy >= 0.60 && accuracy > initial + 0.3,
        "{initial} -> {accuracy}"
    );

    // The requester accounts the noise actually present: 4 shares then 3, never above the
    // planned epsilon (computed for the fewest owners), increasing round by round.
    let planned = job_fl::job_epsilon(&run.plan)
        .expect("eps")
        .expect("private");
    assert!(planned <= 3.0 && planned > 2.99, "{planned}");
    let eps: Vec<f64> = run.rounds.iter().map(|r| r.epsilon.expect("eps")).collect();
    assert!(eps.windows(2).all(|w| w[1] > w[0]), "{eps:?}");
    assert!(eps[4] < planned, "{eps:?} vs {planned}");

    // Each live owner's ledger holds exactly the job's charge: 5 rounds at the planned
    // epsilon, charged when it joined.
    for k in 0..3 {
        let l = ledger(&owners[k].0, &envs[k]);
        assert_eq!(l.entries.len(), 1, "{l:?}");
        let e = &l.entries[0];
        assert_eq!(e.rounds, Some(5));
        assert_eq!(e.query, "fl/record");
        assert!(
            (e.epsilon - planned).abs() < 1e-9,
            "{} vs {planned}",
            e.epsilon
        );
        assert!((l.spent_epsilon - planned).abs() < 1e-9);
        assert!((l.remaining_epsilon - (budgets[k] - planned)).abs() < 1e-9);
    }

    // The model: safetensors that loads and scores the last round's accuracy; the curve.
    let out = root.path().join("model.safetensors");
    let plot = root.path().join("curve.png");
    let text = ok(
        &[
            "job",
            "result",
            &id,
            "--out",
            &out.display().to_string(),
            "--plot",
            &plot.display().to_string(),
            "--data-dir",
            r,
        ],
        renv,
    );
    assert!(text.contains("round 5"), "{text}");
    let model = Model::from_safetensors(&std::fs::read(&out).expect("model")).expect("loads");
    assert_eq!(model.layers, vec![64, 10]);
    assert!((model.accuracy(&test.x, &test.y) - accuracy).abs() < 1e-12);
    assert_eq!(
        blake3::hash(&std::fs::read(&out).expect("model"))
            .to_hex()
            .to_string(),
        last.model_id
    );
    assert_eq!(&std::fs::read(&plot).expect("png")[1..4], b"PNG");

    // A second job at epsilon 2: composed exactly with the first (Gaussian mechanisms
    // compose to one), owner 2's total would be 3.76 of its 3.5, so it refuses, naming
    // the 0.5 left; owner 3 is gone; two owners are fewer than the three needed, so the
    // job never starts.
    let file = root.path().join("again.toml");
    std::fs::write(&file, spec(&addrs, 3, 2.0, 2)).expect("spec");
    let rec = submit(&file, r, renv, Some(120));
    assert_eq!(rec.state, JobState::Failed, "{rec:?}");
    let error = rec.error.clone().unwrap_or_default();
    assert!(
        error.contains("2 of 4 data owners joined")
            && error.contains("privacy budget of dataset \"digits\"")
            && error.contains("0.500 remains"),
        "{error}"
    );
    assert!(rec.posted.is_none(), "nothing posted, no escrow taken");
    // The refusing owner charged nothing; the two that joined released their charge when
    // the job did not start.
    for k in 0..3 {
        let l = ledger(&owners[k].0, &envs[k]);
        assert_eq!(l.entries.len(), 1, "owner {k}: {l:?}");
        assert!((l.spent_epsilon - planned).abs() < 1e-9, "owner {k}: {l:?}");
    }

    // An owner answers each round once, and keeps the charge of a job it answered. The
    // requester is stopped and its identity used from here, as a requester trying to get
    // a second noisy view would.
    let requester_dir = std::path::PathBuf::from(r);
    drop(requester_node);
    let ask = |key, request| ask_as(key, &addrs[0], request);
    let round = |n: u32| {
        arcanum_node::protocol::JobRequest::TrainRound(Box::new(
            arcanum_node::protocol::TrainRound {
                job: run.job,
                round: n,
                session: arcanum_node::protocol::B256::repeat_byte(n as u8),
                model: arcanum_node::protocol::B256::ZERO,
                clerks: run.clerks.clone(),
                threshold: 2,
                draw: run.draw.clone(),
            },
        ))
    };
    let refused = |answer: &arcanum_node::protocol::JobResponse, why: &str| {
        matches!(answer, arcanum_node::protocol::JobResponse::Rejected(
            arcanum_node::protocol::RejectReason::Policy(p)) if p.contains(why))
    };
    let key = || arcanum_node::identity::load_or_create_p2p(&requester_dir).expect("key");
    let a = ask(key(), round(1)).await;
    assert!(refused(&a, "already answered"), "{a:?}");
    let a = ask(key(), round(6)).await;
    assert!(refused(&a, "round 6 of a 5-round job"), "{a:?}");
    let a = ask(
        key(),
        arcanum_node::protocol::JobRequest::TrainLeave { job: run.job },
    )
    .await;
    assert!(refused(&a, "its charge stays"), "{a:?}");
    let a = ask(arcanum_node::p2p::Keypair::generate_ed25519(), round(2)).await;
    assert!(refused(&a, "does not train for"), "{a:?}");
    let l = ledger(&owners[0].0, &envs[0]);
    assert!((l.spent_epsilon - planned).abs() < 1e-9, "{l:?}");
}
