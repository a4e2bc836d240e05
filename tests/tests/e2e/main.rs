//! End to end: Anvil + contracts + a requester and two workers on loopback libp2p.

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use arcanum_node::{
    chain::{Error as ChainError, JobStatus, MarketClient, TxOutcome},
    devnet::{Devnet, DevnetConfig, arc, worker_ask},
    protocol::{Bid, JobId, JobKind, JobSpec, Shape},
    requester::JobOutcome,
    zk::{self, Fr, commitment, evm, field, prover::SecaggSumStatement, shapes::SECAGG_SUM_4X8},
};
use std::{path::PathBuf, time::Duration};

mod market_safety;

fn config() -> DevnetConfig {
    DevnetConfig {
        data_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("arcanum-devnet"),
        ..DevnetConfig::default()
    }
}

/// A client for Anvil account `i` (8 and 9 are free), minted and staked 500 ARC, to drive
/// the market directly without the p2p worker.
async fn staked_worker(
    devnet: &Devnet,
    i: usize,
) -> eyre::Result<arcanum_node::chain::MarketClient> {
    let worker = devnet.owner.with_signer(devnet.signer(i)).await?;
    devnet.owner.mint(worker.account(), arc(500)).await?;
    worker.stake(arc(500)).await?;
    Ok(worker)
}

/// Signs `worker`'s bid at `ask` for the current attempt of `job`, accepting its terms, and
/// has the requester assign the job with it: the worker's consent.
async fn assign_with_consent(
    requester: &MarketClient,
    worker: &PrivateKeySigner,
    job: JobId,
    ask: U256,
) -> eyre::Result<TxOutcome> {
    let bid = consenting_bid(requester, worker, job, ask).await?;
    Ok(requester.assign_with_bid(&bid).await?)
}

/// `worker`'s signed bid at `ask` for the current attempt of `job`, valid for 5 minutes.
async fn consenting_bid(
    chain: &MarketClient,
    worker: &PrivateKeySigner,
    job: JobId,
    ask: U256,
) -> eyre::Result<arcanum_node::protocol::SignedBid> {
    let info = chain.job(job).await?;
    let now = chain.chain_time().await?;
    Ok(Bid {
        job_id: job,
        worker: worker.address(),
        attempt: info.attempts,
        ask,
        max_locked_stake: info.min_stake,
        deadline_at_least: info.deadline,
        expires_at: now + 300,
    }
    .sign(&chain.domain(), worker)?)
}

/// Runs a job through the devnet's requester once a worker has offered.
async fn request(
    devnet: &mut Devnet,
    shape: Shape,
    inputs: &[Vec<Fr>],
    weights: &[i64],
) -> eyre::Result<JobOutcome> {
    devnet
        .requester
        .wait_for_offers(1, Duration::from_secs(30))
        .await;
    Ok(devnet
        .requester
        .run_job(
            shape,
            inputs,
            weights,
            arc(10),
            Duration::from_secs(600),
            arc(100),
        )
        .await?)
}

fn assert_reverted(result: Result<impl std::fmt::Debug, ChainError>, error: &str) {
    match result {
        Err(ChainError::Reverted { reason, .. }) => {
            assert!(reason.contains(error), "expected {error}, got {reason}");
        }
        other => panic!("expected a revert with {error}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secagg_job_runs_end_to_end_and_pays_exactly_the_reward() -> eyre::Result<()> {
    let mut devnet = Devnet::start(config()).await?;
    let report = devnet.run_iris_job().await?;

    let job_id = JobId(report.job_id.parse()?);
    let job = devnet.owner.job(job_id).await?;
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.worker, report.chosen_worker);
    assert!(
        devnet
            .workers
            .iter()
            .any(|w| w.address == report.chosen_worker)
    );
    assert_eq!(
        report.offers_seen, 2,
        "both workers' offers reached the requester over gossipsub"
    );
    assert_eq!(report.bids_seen, 2, "both workers bid");
    // The reverse auction set the price: the cheapest worker won and is paid its ask.
    assert_eq!(report.chosen_worker, devnet.workers[0].address);
    assert_eq!(report.ask, worker_ask(0));
    assert!(report.ask < report.reward);
    assert_eq!(report.balance_after - report.balance_before, report.ask);
    // The rest of the escrow went back to the requester as credit.
    let requester = devnet.requester.chain();
    assert_eq!(
        requester.credit_of(requester.account()).await?,
        report.reward - report.ask
    );
    assert_eq!(
        devnet.owner.credit_of(report.chosen_worker).await?,
        U256::ZERO
    );

    // This in-process fixture serves no data oracle (its owners anchor no shares); the
    // oracle's proven values are tested with node processes (`arcanum-node`'s `oracle`).
    assert_eq!(report.oracle_value, None);

    // The securely aggregated statistics are the plaintext ones (up to fixed-point rounding).
    for (a, b) in report.means.iter().zip(&report.plaintext_means) {
        assert!((a - b).abs() < 1e-4, "mean {a} vs {b}");
    }
    for (a, b) in report.stds.iter().zip(&report.plaintext_stds) {
        assert!((a - b).abs() < 1e-3, "std {a} vs {b}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_rejects_wrong_outputs_replays_and_other_senders() -> eyre::Result<()> {
    let devnet = Devnet::start(DevnetConfig {
        workers: 0,
        ..config()
    })
    .await?;
    let shape = SECAGG_SUM_4X8;
    let keys = &devnet.keys[&shape.id];

    // Two fresh, staked workers driven directly (no p2p): the honest one and an intruder.
    let honest = staked_worker(&devnet, 8).await?;
    let intruder = staked_worker(&devnet, 9).await?;

    let inputs: Vec<Vec<Fr>> = (0..4u64)
        .map(|i| (0..8u64).map(|j| Fr::from(i * 8 + j)).collect())
        .collect();
    let output = arcanum_compute::executor::secagg_sum(&inputs, 8)?;
    let requester = devnet.requester.chain();
    let deadline = requester.chain_time().await? + 600;
    let spec = JobSpec {
        shape,
        input_commitment: field::fr_to_u256(commitment::inputs(&inputs)),
        reward: arc(10),
        deadline,
    };
    assert_eq!(shape.kind, JobKind::SecaggSum);
    let (job_a, _) = requester.post_job(&spec, arc(100)).await?;
    let (job_b, _) = requester.post_job(&spec, arc(100)).await?;
    assign_with_consent(requester, &devnet.signer(8), job_a, arc(10)).await?;
    assign_with_consent(requester, &devnet.signer(8), job_b, arc(10)).await?;

    let stmt = SecaggSumStatement::new(job_a, honest.account(), &inputs, &output)?;
    let proof = evm::proof_to_calldata(&zk::prover::prove_secagg_sum(keys, &stmt, &inputs)?);
    let oc = field::fr_to_u256(stmt.output_commitment);

    // A wrong output: the proof does not open to it.
    let mut wrong = output.clone();
    wrong[3] += Fr::from(1u64);
    let wrong_oc = field::fr_to_u256(commitment::output(&wrong));
    assert_reverted(
        honest.submit_result(job_a, wrong_oc, proof).await,
        "InvalidProof",
    );
    // The proof for job A replayed for job B.
    assert_reverted(honest.submit_result(job_b, oc, proof).await, "InvalidProof");
    // The right proof sent by another address: refused by the market...
    assert_reverted(
        intruder.submit_result(job_a, oc, proof).await,
        "NotAssignedWorker",
    );
    // ...and by the verifier itself, which binds the worker address into the statement.
    let public = [
        job_a.0,
        U256::from_be_slice(honest.account().as_slice()),
        spec.input_commitment,
        oc,
    ];
    assert!(honest.verify_on_chain(shape.id, proof, public).await?);
    let mut other_sender = public;
    other_sender[1] = U256::from_be_slice(intruder.account().as_slice());
    assert!(
        !intruder
            .verify_on_chain(shape.id, proof, other_sender)
            .await?
    );
    // A public input at the field modulus is refused outright.
    let mut out_of_field = public;
    out_of_field[2] = arcanum_node::protocol::FR_MODULUS;
    assert_reverted(
        honest.verify_on_chain(shape.id, proof, out_of_field).await,
        "PublicInputNotInField",
    );

    // None of that moved money or state.
    assert_eq!(requester.job(job_a).await?.status, JobStatus::Assigned);
    assert_eq!(honest.credit_of(honest.account()).await?, U256::ZERO);

    // The honest submission settles once; a second submission is refused (no double pay).
    let settled = honest.submit_result(job_a, oc, proof).await?;
    assert!(settled.gas_used > 200_000, "the pairing check ran");
    assert_eq!(requester.job(job_a).await?.status, JobStatus::Completed);
    let completion = requester
        .completion(job_a, 0)
        .await?
        .expect("JobCompleted event");
    assert_eq!(completion.output_commitment, oc);
    assert_eq!(completion.worker, honest.account());
    assert_eq!(honest.credit_of(honest.account()).await?, arc(10));
    assert_reverted(honest.submit_result(job_a, oc, proof).await, "WrongStatus");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_rpc_is_a_clear_error() {
    let chain = arcanum_node::chain::ChainConfig {
        rpc_url: "http://127.0.0.1:9".into(),
        receipt_timeout: Duration::from_secs(1),
        ..arcanum_node::chain::ChainConfig::new("http://127.0.0.1:9")
    };
    let deployment = arcanum_node::chain::Deployment {
        token: Default::default(),
        market: Default::default(),
        data_oracle: Default::default(),
        chain_id: 1,
        deploy_block: 0,
        shapes: vec![],
        oracle_circuits: vec![],
        abi: Default::default(),
    };
    let signer = alloy::signers::local::PrivateKeySigner::random();
    let err = arcanum_node::chain::MarketClient::connect(chain, signer, deployment)
        .await
        .expect_err("nothing listens on port 9");
    assert!(matches!(err, ChainError::Unreachable { .. }));
    assert!(err.to_string().contains("is the node running?"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_assignment_expiry_slashing_and_reassignment_through_the_client() -> eyre::Result<()>
{
    use alloy::providers::Provider;
    use arcanum_node::chain::bindings::ComputeMarket::ComputeMarketEvents as Ev;

    let devnet = Devnet::start(DevnetConfig {
        workers: 0,
        ..config()
    })
    .await?;
    let requester = devnet.requester.chain();
    let slow = staked_worker(&devnet, 8).await?;
    let backup = staked_worker(&devnet, 9).await?;
    let start_block = devnet.owner.provider().get_block_number().await?;
    let now = requester.chain_time().await?;
    let spec = JobSpec {
        shape: SECAGG_SUM_4X8,
        input_commitment: U256::from(42u64),
        reward: arc(10),
        deadline: now + 600,
    };
    let (job, _) = requester.post_job(&spec, arc(100)).await?;

    // The worker takes the job with the requester's EIP-712 signature, at the price signed;
    // nobody else can, and the signed price cannot be raised.
    let sig = requester
        .sign_assignment(job, slow.account(), arc(10), now + 300)
        .await?;
    assert_reverted(
        backup
            .accept_assignment(job, arc(10), now + 300, sig.clone())
            .await,
        "BadAssignmentSignature",
    );
    assert_reverted(
        slow.accept_assignment(job, arc(11), now + 300, sig.clone())
            .await,
        "BadAssignmentSignature",
    );
    slow.accept_assignment(job, arc(10), now + 300, sig.clone())
        .await?;
    assert_eq!(slow.stake_of(slow.account()).await?.locked, arc(100));

    // It misses the deadline: anyone expires the job. The requester paid no posting fee
    // here, so its share of the slash is capped at zero: the whole stake goes to the
    // treasury (nobody profits from a slash it can cause).
    assert_reverted(backup.expire(job).await, "DeadlineNotPassed");
    devnet
        .owner
        .provider()
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (700u64,))
        .await?;
    devnet
        .owner
        .provider()
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await?;
    backup.expire(job).await?;
    let stake = slow.stake_of(slow.account()).await?;
    assert_eq!((stake.staked, stake.locked), (arc(400), U256::ZERO));
    assert_eq!(requester.credit_of(requester.account()).await?, U256::ZERO);
    assert_eq!(
        requester.credit_of(devnet.owner.account()).await?,
        arc(100),
        "treasury share"
    );
    let info = requester.job(job).await?;
    assert_eq!((info.status, info.attempts), (JobStatus::Open, 1));

    // The old signature died with the attempt; the requester reassigns after a new deadline.
    let now = requester.chain_time().await?;
    requester.extend_deadline(job, now + 600).await?;
    assert_reverted(
        slow.accept_assignment(job, arc(10), now + 300, sig).await,
        "BadAssignmentSignature",
    );
    // A bid signed for the first attempt died with it too.
    let stale = consenting_bid(requester, &devnet.signer(9), job, arc(10)).await?;
    let mut stale_bid = stale.bid.clone();
    stale_bid.attempt = 0;
    let stale = stale_bid.sign(&requester.domain(), &devnet.signer(9))?;
    assert_reverted(
        requester.assign_with_bid(&stale).await,
        "BidForOtherAttempt",
    );
    assign_with_consent(requester, &devnet.signer(9), job, arc(10)).await?;
    assert_eq!(requester.job(job).await?.worker, backup.account());

    // An indexer sees the whole story in order.
    let end_block = devnet.owner.provider().get_block_number().await?;
    let events = devnet.owner.market_events(start_block, end_block).await?;
    let names: Vec<&str> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Ev::JobPosted(_) => Some("posted"),
            Ev::JobAssigned(_) => Some("assigned"),
            Ev::JobExpired(_) => Some("expired"),
            Ev::DeadlineExtended(_) => Some("extended"),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        ["posted", "assigned", "expired", "extended", "assigned"]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn he_linear_job_is_proven_settled_and_threshold_decrypted() -> eyre::Result<()> {
    let mut devnet = Devnet::start(DevnetConfig {
        workers: 1,
        ..config()
    })
    .await?;
    let report = devnet.run_he_job().await?;
    // The committee's decryption of the proven ciphertext sum is the plaintext sum of the
    // owners' statistics: all 150 Iris rows, 50 of them setosa-sized petals.
    assert_eq!(report.decrypted, report.plaintext);
    assert_eq!(report.decrypted[0], 150);
    assert_eq!(report.decrypted[5], 50);
    assert_eq!(report.decrypted_by.len(), 3);
    let job = JobId::from(report.job_id.parse::<u64>()?);
    let info = devnet.requester.chain().job(job).await?;
    assert_eq!(info.status, JobStatus::Completed);
    assert_eq!(info.shape, zk::shapes::HE_LINEAR_4X8.id);
    // Settlement through the he-linear verifier costs what secagg-sum's does: verification
    // gas depends on the number of public inputs, not on the circuit.
    assert!(
        report.submit_result_gas < 260_000,
        "{}",
        report.submit_result_gas
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_larger_than_its_shape_settles_as_proven_chunks() -> eyre::Result<()> {
    let devnet = Devnet::start(DevnetConfig {
        workers: 0,
        ..config()
    })
    .await?;
    let shape = SECAGG_SUM_4X8;
    let keys = &devnet.keys[&shape.id];
    let worker = staked_worker(&devnet, 8).await?;

    // 4 contributors x 20 values: three chunks of the 4x8 shape.
    let inputs: Vec<Vec<Fr>> = (0..4u64)
        .map(|i| (0..20u64).map(|j| Fr::from(i * 1000 + j)).collect())
        .collect();
    let job = zk::chunks::ChunkedJob::split(shape, &inputs, &[])?;
    assert_eq!(job.chunks.len(), 3);
    let output = arcanum_compute::executor::secagg_sum(&inputs, 20)?;
    let requester = devnet.requester.chain();
    let spec = JobSpec {
        shape,
        input_commitment: field::fr_to_u256(job.input_commitment()),
        reward: arc(10),
        deadline: requester.chain_time().await? + 600,
    };
    let (job_a, _) = requester.post_job(&spec, arc(100)).await?;
    let (job_b, _) = requester.post_job(&spec, arc(100)).await?;
    assign_with_consent(requester, &devnet.signer(8), job_a, arc(10)).await?;
    assign_with_consent(requester, &devnet.signer(8), job_b, arc(10)).await?;

    let prove_chunks = |job_id| -> eyre::Result<(Vec<U256>, Vec<[U256; 8]>)> {
        let mut ocs = Vec::new();
        let mut proofs = Vec::new();
        for (chunk, out) in job.chunks.iter().zip(job.split_output(&output)?) {
            let stmt = SecaggSumStatement::new(job_id, worker.account(), &chunk.inputs, &out)?;
            let proof = zk::prover::prove_secagg_sum(keys, &stmt, &chunk.inputs)?;
            ocs.push(field::fr_to_u256(stmt.output_commitment));
            proofs.push(evm::proof_to_calldata(&proof));
        }
        Ok((ocs, proofs))
    };

    // Chunks submitted out of order do not open the posted commitment.
    let (mut ocs_b, mut proofs_b) = prove_chunks(job_b)?;
    let mut ics_b = job.input_commitments();
    ics_b.swap(0, 2);
    ocs_b.swap(0, 2);
    proofs_b.swap(0, 2);
    assert_reverted(
        worker
            .submit_chunked_result(job_b, ics_b, ocs_b, proofs_b)
            .await,
        "ChunksDoNotOpenInputCommitment",
    );

    let (ocs, proofs) = prove_chunks(job_a)?;
    let settled = worker
        .submit_chunked_result(job_a, job.input_commitments(), ocs, proofs)
        .await?;
    assert!(settled.gas_used < 3 * 260_000, "{}", settled.gas_used);
    let info = requester.job(job_a).await?;
    assert_eq!(info.status, JobStatus::Completed);
    let completion = requester
        .completion(job_a, 0)
        .await?
        .expect("JobCompleted event");
    assert_eq!(
        completion.output_commitment,
        field::fr_to_u256(job.output_commitment(&output)?)
    );
    assert_eq!(requester.credit_of(worker.account()).await?, arc(10));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requester_splits_a_large_job_and_the_worker_settles_its_chunks() -> eyre::Result<()> {
    let mut devnet = Devnet::start(DevnetConfig {
        workers: 1,
        ..config()
    })
    .await?;
    // 3 contributors x 30 values over the 4x8 shape: 4 chunks, zero-padded.
    let inputs: Vec<Vec<Fr>> = (0..3u64)
        .map(|i| (0..30u64).map(|j| Fr::from(7 * i + j * j)).collect())
        .collect();
    let outcome = request(&mut devnet, SECAGG_SUM_4X8, &inputs, &[]).await?;
    assert_eq!(outcome.result.proofs.len(), 4);
    assert_eq!(
        outcome.output,
        arcanum_compute::executor::secagg_sum(&inputs, 30)?
    );
    let info = devnet.requester.chain().job(outcome.job_id).await?;
    assert_eq!(info.status, JobStatus::Completed);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weighted_he_linear_job_larger_than_its_shape_settles_as_chunks() -> eyre::Result<()> {
    use arcanum_compute::{
        elgamal::{
            BsgsTable,
            dkg::{self, DkgParams},
        },
        executor,
    };
    let mut devnet = Devnet::start(DevnetConfig {
        workers: 1,
        ..config()
    })
    .await?;
    let mut rng = rand::rngs::OsRng;
    let (group, shares) = dkg::run_honest(&DkgParams::new(3, 2, [7u8; 32])?, &mut rng)?;
    let key = group.public_key().precompute();
    // 3 owners x 11 statistics over the 4x8 shape: 2 chunks, padded with identity
    // ciphertexts and a zero weight for the missing owner.
    let plain: Vec<Vec<i64>> = (0..3i64)
        .map(|i| (0..11i64).map(|j| 10 * i + j - 5).collect())
        .collect();
    let weights = [2i64, -1, 3];
    let inputs: Vec<Vec<Fr>> = plain
        .iter()
        .map(|v| executor::encode_ciphertexts(&key.encrypt_vec(v, &mut rng)))
        .collect();
    let outcome = request(&mut devnet, zk::shapes::HE_LINEAR_4X8, &inputs, &weights).await?;
    assert_eq!(outcome.result.proofs.len(), 2, "ceil(11 / 8) chunks");
    let info = devnet.requester.chain().job(outcome.job_id).await?;
    assert_eq!(info.status, JobStatus::Completed);

    // Two of the three key holders decrypt the proven weighted sum.
    let sum = executor::decode_ciphertexts(std::slice::from_ref(&outcome.output), 11)?.remove(0);
    let partials: Vec<_> = shares
        .iter()
        .take(2)
        .map(|s| s.partial_decrypt(&group, &sum, &mut rng))
        .collect();
    let decrypted = group.combine(&sum, &partials, &BsgsTable::new(16)?)?;
    let expected: Vec<i64> = (0..11)
        .map(|j| plain.iter().zip(&weights).map(|(v, w)| w * v[j]).sum())
        .collect();
    assert_eq!(decrypted.values, expected);
    Ok(())
}
