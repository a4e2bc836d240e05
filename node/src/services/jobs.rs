//! The requester's job lifecycle steps, shared by plain jobs, joint statistics and the
//! rounds of a training job: parse a submission's inputs, post a job exactly once (adopting
//! a post mined before a restart), place it until its completion is confirmed by the chain
//! watcher, and summarise the settlement.

use super::requester::{JobOutcome, PostedJob, Requester};
use crate::{
    ledger::LedgerEntry,
    store::{JobSubmission, JobSummary, Store},
};
use arcanum_chain::MarketClient;
use arcanum_protocol::{Shape, U256};
use arcanum_zk::{Fr, field, shapes};
use eyre::eyre;
use std::{str::FromStr, time::Duration};

/// The registered shape a submission names.
pub fn shape_named(name: &str) -> eyre::Result<Shape> {
    shapes::ALL
        .iter()
        .copied()
        .find(|s| s.name() == name)
        .ok_or_else(|| eyre!("unknown shape {name}"))
}

/// Decimal field elements to `Fr`.
pub fn parse_words(inputs: &[Vec<String>]) -> eyre::Result<Vec<Vec<Fr>>> {
    inputs
        .iter()
        .map(|v| {
            let words = v
                .iter()
                .map(|x| {
                    U256::from_str(x).map_err(|_| eyre!("input {x:?} is not a decimal number"))
                })
                .collect::<eyre::Result<Vec<_>>>()?;
            Ok(field::vec_from_u256(&words)?)
        })
        .collect()
}

/// Posts `inputs` on `shape` with the submission's terms, exactly once: when
/// `from_block` is set (a post was attempted before a restart), a post of the same input
/// commitment mined since is adopted instead. `record_block` persists the block before
/// posting, so that a crash after the post is mined finds it.
pub async fn post_once(
    requester: &Requester,
    chain: &MarketClient,
    sub: &JobSubmission,
    shape: Shape,
    inputs: &[Vec<Fr>],
    from_block: Option<u64>,
    record_block: impl FnOnce(u64) -> eyre::Result<()>,
) -> eyre::Result<PostedJob> {
    let reward = U256::from_str(&sub.reward_wei)?;
    let min_stake = U256::from_str(&sub.min_stake_wei)?;
    if let Some(from) = from_block {
        let anchors = sub.anchor_fields()?;
        let ic = super::requester::input_commitment(shape, inputs, &sub.weights, &anchors)?;
        if let Some((job_id, posted)) = chain.find_posted(chain.account(), ic, from).await? {
            tracing::info!(target: "requester", %job_id, "found this job's earlier post on chain; not posting again");
            return Ok(PostedJob {
                job_id,
                shape,
                inputs: inputs.iter().map(|v| field::vec_to_u256(v)).collect(),
                weights: sub.weights.clone(),
                anchors: field::vec_to_u256(&anchors),
                input_commitment: ic,
                reward,
                deadline_in_secs: sub.deadline_secs,
                posted,
            });
        }
    }
    record_block(chain.block_number().await?)?;
    Ok(requester
        .post(
            shape,
            super::requester::JobInputs {
                vectors: inputs,
                weights: &sub.weights,
                anchors: &sub.anchor_fields()?,
            },
            reward,
            Duration::from_secs(sub.deadline_secs),
            min_stake,
        )
        .await?)
}

/// Waits up to `wait` for the ledger to hold `job`'s confirmed completion.
pub async fn wait_confirmed(
    store: &Store,
    job: arcanum_protocol::JobId,
    wait: Duration,
) -> eyre::Result<Option<LedgerEntry>> {
    let until = std::time::Instant::now() + wait;
    loop {
        if let Some(entry) = store.ledger_completion(job.0)? {
            return Ok(Some(entry));
        }
        if std::time::Instant::now() >= until {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Places `posted` until a worker settles it and the chain watcher confirms the
/// completion (placed and mined is not yet settled: a reorg may drop it, and the job is
/// then followed again, up to three times).
pub async fn settle(
    requester: &Requester,
    store: &Store,
    posted: &PostedJob,
    deadline_secs: u64,
) -> eyre::Result<(JobOutcome, LedgerEntry)> {
    let mut placings = 0;
    loop {
        placings += 1;
        let outcome = requester.place(posted).await?;
        let wait = Duration::from_secs(deadline_secs.max(120));
        match wait_confirmed(store, outcome.job_id, wait).await? {
            Some(entry) => return Ok((outcome, entry)),
            None if placings < 3 => {
                tracing::warn!(target: "requester", job_id = %outcome.job_id, "completion not confirmed within {wait:?} (reorged out?); following the job again");
            }
            None => {
                return Err(eyre!(
                    "{}: completion never confirmed by the chain watcher; check chain.confirmations and the RPC",
                    outcome.job_id
                ));
            }
        }
    }
}

/// The settled outcome as the API reports it.
pub fn summary(outcome: &JobOutcome, confirmed: &LedgerEntry, posted: &PostedJob) -> JobSummary {
    JobSummary {
        job_id: outcome.job_id.0.to_string(),
        worker: outcome.worker.to_string(),
        worker_peer: outcome.worker_peer.clone(),
        ask_wei: outcome.ask.to_string(),
        output: field::vec_to_u256(&outcome.output)
            .iter()
            .map(U256::to_string)
            .collect(),
        output_commitment: outcome.result.output_commitment.to_string(),
        settle_tx: confirmed.tx.to_string(),
        failed_attempts: outcome.failed_attempts.clone(),
        prove_seconds: outcome.result.prove_seconds,
        proofs: outcome
            .result
            .proofs
            .iter()
            .map(|p| p.iter().map(U256::to_string).collect())
            .collect(),
        assign_gas: outcome.assigned.gas_used,
        bid_to_assignment_seconds: outcome.bid_to_assignment.as_secs_f64(),
        offers_seen: outcome.offers_seen,
        bids_seen: outcome.bids_seen,
        input_commitment: posted.input_commitment.to_string(),
    }
}
