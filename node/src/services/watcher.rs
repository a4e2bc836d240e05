//! The chain watcher: reads the market's events with `confirmations` blocks on top, keeps
//! those that concern this node in the store's ledger (see [`crate::ledger`]) with a
//! checkpoint per step, and rolls back to the common ancestor when the chain under its
//! checkpoints changes. RPC errors back off exponentially (1 s doubling to 30 s); the
//! RPC watch warns about an RPC that stays down.

use crate::{
    ledger::{self, CHECKPOINTS_KEPT},
    services::metrics::Metrics,
    store::Store,
};
use arcanum_chain::{MarketClient, WatchStep};
use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

/// Blocks read per `eth_getLogs` (public RPCs cap ranges near this).
const MAX_BLOCKS: u64 = 2_000;
/// Pause between steps when caught up.
const POLL: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Runs the watcher until the task is dropped.
pub async fn run(chain: MarketClient, store: Store, confirmations: u64, metrics: Arc<Metrics>) {
    let me = chain.account();
    let mut mine = match store.ledger_posted() {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(target: "chain::watch", "cannot read the ledger: {e}");
            return;
        }
    };
    if let Ok(Some(last)) = store.checkpoints().map(|h| h.last().copied()) {
        metrics.watched_block.store(last.number, Ordering::Relaxed);
    }
    let mut backoff = POLL;
    loop {
        let history = match store.checkpoints() {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(target: "chain::watch", "cannot read checkpoints: {e}");
                return;
            }
        };
        let step = chain.watch_step(&history, confirmations, MAX_BLOCKS).await;
        let applied = match step {
            Ok(WatchStep::Idle) => {
                backoff = POLL;
                tokio::time::sleep(POLL).await;
                continue;
            }
            Ok(WatchStep::Advanced { logs, to }) => {
                let entries = ledger::relevant(me, &mut mine, &logs);
                if !entries.is_empty() {
                    tracing::debug!(target: "chain::watch", events = entries.len(), to = to.number, "ledger advanced");
                }
                let written = store.ledger_advance(&entries, to);
                if written.is_ok() {
                    // Published only once the ledger holds everything up to `to`.
                    metrics.watched_block.store(to.number, Ordering::Relaxed);
                }
                written
            }
            Ok(WatchStep::Reorged { common, lost }) => {
                metrics.reorgs.fetch_add(1, Ordering::Relaxed);
                let result = store.ledger_rollback(common);
                if let Ok(removed) = &result {
                    metrics
                        .watched_block
                        .store(common.map_or(0, |c| c.number), Ordering::Relaxed);
                    reopen_rolled_back(&store, me, removed);
                    tracing::warn!(
                        target: "chain::watch",
                        lost_block = lost.number,
                        %lost.hash,
                        back_to = common.map_or(0, |c| c.number),
                        events_rolled_back = removed.len(),
                        deep = common.is_none(),
                        "reorg: block {} is no longer on the chain; rolled back and reading again{}",
                        lost.number,
                        if common.is_none() { format!(" from the deployment (deeper than the {CHECKPOINTS_KEPT} checkpoints kept)") } else { String::new() }
                    );
                }
                // Posts rolled back are no longer ours until read again.
                mine = store.ledger_posted().unwrap_or_default();
                result.map(|_| ())
            }
            Err(e) => {
                backoff = (backoff * 2).clamp(Duration::from_secs(1), BACKOFF_MAX);
                tracing::debug!(target: "chain::watch", "step failed ({e}); retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        if let Err(e) = applied {
            tracing::error!(target: "chain::watch", "cannot write the ledger: {e}");
            return;
        }
    }
}

/// A settlement of this worker's that a reorg removed goes back to `proven`: the keeper
/// resubmits its kept proof while the job is still assigned to it.
fn reopen_rolled_back(
    store: &Store,
    me: arcanum_protocol::Address,
    removed: &[ledger::LedgerEntry],
) {
    for entry in removed {
        let ledger::LedgerEvent::Completed { job, worker, .. } = entry.event else {
            continue;
        };
        if worker != me {
            continue;
        }
        let key = job.to_string();
        match store.work(&key) {
            Ok(Some(mut rec))
                if rec.state == crate::store::WorkState::Settled && rec.proof.is_some() =>
            {
                rec.state = crate::store::WorkState::Proven;
                rec.tx = None;
                match store.put_work(&key, &rec) {
                    Ok(()) => {
                        tracing::warn!(target: "chain::watch", job_id = %key, "the settlement of this job was reorged out; its proof will be resubmitted")
                    }
                    Err(e) => {
                        tracing::error!(target: "chain::watch", job_id = %key, "cannot reopen the job: {e}")
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(target: "chain::watch", job_id = %key, "cannot read the job: {e}")
            }
        }
    }
}
