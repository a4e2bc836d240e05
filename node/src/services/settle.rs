//! Batched settlement: a worker's proven jobs go to the market together when several are
//! ready at once.
//!
//! Every proven (unchunked) job is handed to one settling task. It sends what is queued:
//! a lone job with `submitResult`; several jobs of one shape (one verifier, pinned at
//! posting) with `submitResults`, one batched pairing check for all of them (about 60,000
//! gas a proof instead of 208,000, and one transaction's base cost). While a transaction is
//! in flight, proofs finishing meanwhile queue up and go together next, so batching costs
//! no latency; `worker.batch_window_ms` also waits that long for more proofs before
//! sending. A batch that fails (one bad proof fails it whole, or a job no longer assigned)
//! is settled one by one, so one job never holds up the others.

use arcanum_chain::{MarketClient, TxOutcome};
use arcanum_protocol::{JobId, ShapeId, U256};
use std::{collections::BTreeMap, time::Duration};
use tokio::sync::{mpsc, oneshot};

/// Most jobs settled in one transaction.
pub const MAX_BATCH: usize = 16;

/// A proven job waiting to be settled.
struct Pending {
    job: JobId,
    shape: ShapeId,
    output_commitment: U256,
    proof: [U256; 8],
    reply: oneshot::Sender<Result<TxOutcome, String>>,
}

/// The handle of the settling task.
#[derive(Clone, Debug)]
pub struct Settler {
    queue: mpsc::Sender<Pending>,
}

impl Settler {
    /// Starts the settling task on `chain`, waiting `window` for more proofs before each
    /// send (zero: send what is queued at once).
    pub fn spawn(chain: MarketClient, window: Duration) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(chain, window, rx));
        Self { queue }
    }

    /// Settles `job` (of `shape`) with its output commitment and proof, alone or in a
    /// batch; the outcome's `gas_used` is the job's share of its transaction.
    pub async fn settle(
        &self,
        job: JobId,
        shape: ShapeId,
        output_commitment: U256,
        proof: [U256; 8],
    ) -> Result<TxOutcome, String> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending {
                job,
                shape,
                output_commitment,
                proof,
                reply,
            })
            .await
            .map_err(|_| "the settling task stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the settling task stopped".to_string())?
    }
}

async fn run(chain: MarketClient, window: Duration, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut items = vec![first];
        let until = tokio::time::Instant::now() + window;
        while items.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => items.push(p),
                Err(_) if window.is_zero() => break,
                Err(_) => match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Some(p)) => items.push(p),
                    _ => break,
                },
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
        Err(e) => {
            tracing::warn!(target: "worker", jobs = group.len(), "batch settlement failed ({e}); settling one by one");
            for p in group {
                settle_one(chain, p).await;
            }
        }
    }
}
