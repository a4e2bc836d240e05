//! Batched settlement: a worker's proven jobs go to the market together when several are
//! ready at once.
//!
//! Every proven (unchunked) job is handed to one settling task. It sends what is queued:
//! a lone job with `submitResult`; several jobs of one shape (one verifier, pinned at
//! posting) with `submitResults`, one batched pairing check for all of them (about 83,000
//! gas a job at 16 instead of 258,000). While a transaction is in flight, proofs finishing
//! meanwhile queue up and go together next, so batching costs no latency;
//! `worker.batch_window_ms` also waits that long for more proofs before sending, but never
//! past a queued job's deadline less [`DEADLINE_MARGIN`].
//!
//! A batch the market refuses (one bad proof fails it whole, or one job no longer
//! assigned) is settled one by one, so one job never holds up the others. A batch that
//! did not get an answer (RPC down, receipt late) is not resent here: it may still be
//! mined, and each job's keeper checks the chain before resubmitting.

use arcanum_chain::{MarketClient, TxOutcome};
use arcanum_protocol::{JobId, ShapeId, U256};
use std::{collections::BTreeMap, time::Duration};
use tokio::sync::{mpsc, oneshot};

/// Most jobs settled in one transaction.
pub const MAX_BATCH: usize = 16;

/// How long before a queued job's deadline the batch is sent whatever the window.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(30);

/// A proven job waiting to be settled.
struct Pending {
    job: JobId,
    shape: ShapeId,
    deadline: u64,
    output_commitment: U256,
    proof: [U256; 8],
    reply: oneshot::Sender<Result<TxOutcome, String>>,
}

/// The handle of the settling task.
#[derive(Clone, Debug)]
pub struct Settler {
    chain: MarketClient,
    queue: mpsc::Sender<Pending>,
}

impl Settler {
    /// Starts the settling task on `chain`, waiting `window` for more proofs before each
    /// send (zero: send what is queued at once).
    pub fn spawn(chain: MarketClient, window: Duration) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(chain.clone(), window, rx));
        Self { chain, queue }
    }

    /// Settles `job` (of `shape`, due by `deadline`, unix seconds; 0: unknown) with its
    /// output commitment and proof, alone or in a batch; the outcome's `gas_used` is the
    /// job's share of its transaction.
    pub async fn settle(
        &self,
        job: JobId,
        (shape, deadline): (ShapeId, u64),
        output_commitment: U256,
        proof: [U256; 8],
    ) -> Result<TxOutcome, String> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            job,
            shape,
            deadline,
            output_commitment,
            proof,
            reply,
        };
        if let Err(mpsc::error::SendError(p)) = self.queue.send(pending).await {
            // The settling task is gone: settle this one directly.
            return self
                .chain
                .submit_result(p.job, p.output_commitment, p.proof)
                .await
                .map_err(|e| e.to_string());
        }
        answer
            .await
            .map_err(|_| "the settling task stopped before answering".to_string())?
    }
}

/// When the batch holding `items` must go: `window` after it started, and no later than
/// the earliest known deadline less [`DEADLINE_MARGIN`].
fn flush_at(
    started: tokio::time::Instant,
    window: Duration,
    items: &[Pending],
) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    let now_unix = arcanum_protocol::unix_now();
    items
        .iter()
        .filter(|p| p.deadline > 0)
        .map(|p| {
            let left = Duration::from_secs(p.deadline.saturating_sub(now_unix));
            now + left.saturating_sub(DEADLINE_MARGIN)
        })
        .fold(started + window, std::cmp::Ord::min)
}

async fn run(chain: MarketClient, window: Duration, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let started = tokio::time::Instant::now();
        let mut items = vec![first];
        while items.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => items.push(p),
                Err(_) if window.is_zero() => break,
                Err(_) => {
                    let until = flush_at(started, window, &items);
                    match tokio::time::timeout_at(until, rx.recv()).await {
                        Ok(Some(p)) => items.push(p),
                        _ => break,
                    }
                }
            }
        }
        let mut by_shape: BTreeMap<u32, Vec<Pending>> = BTreeMap::new();
        for p in items {
            by_shape.entry(p.shape.0).or_default().push(p);
        }
        for group in by_shape.into_values() {
            settle_group(&chain, group).await;
        }
    }
}

async fn settle_one(chain: &MarketClient, p: Pending) {
    let sent = chain
        .submit_result(p.job, p.output_commitment, p.proof)
        .await
        .map_err(|e| e.to_string());
    let _ = p.reply.send(sent);
}

async fn settle_group(chain: &MarketClient, group: Vec<Pending>) {
    if group.len() == 1 {
        for p in group {
            settle_one(chain, p).await;
        }
        return;
    }
    let jobs: Vec<JobId> = group.iter().map(|p| p.job).collect();
    let sent = chain
        .submit_results(
            &jobs,
            group.iter().map(|p| p.output_commitment).collect(),
            group.iter().map(|p| p.proof).collect(),
        )
        .await;
    match sent {
        Ok(tx) => {
            let n = group.len() as u64;
            tracing::info!(target: "worker", jobs = n, gas = tx.gas_used, gas_per_job = tx.gas_used / n, tx = %tx.tx_hash, "settled a batch");
            for p in group {
                let _ = p.reply.send(Ok(TxOutcome {
                    gas_used: tx.gas_used / n,
                    ..tx
                }));
            }
        }
        // The market answered no: settle each job alone (the bad one fails by itself).
        Err(e) if !e.is_transient() => {
            tracing::warn!(target: "worker", jobs = group.len(), "batch settlement refused ({e}); settling one by one");
            for p in group {
                settle_one(chain, p).await;
            }
        }
        // No answer: the batch may still be mined; each job's keeper looks at the chain
        // before resubmitting.
        Err(e) => {
            tracing::warn!(target: "worker", jobs = group.len(), "batch settlement unanswered ({e}); the keeper retries each job");
            for p in group {
                let _ = p.reply.send(Err(e.to_string()));
            }
        }
    }
}
