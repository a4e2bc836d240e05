//! The node's chain ledger, in its store: the market events that concern this node's
//! account (its posts and its jobs' fate, its work, its payments, its claims), as the chain
//! watcher read them with enough confirmations, with the watcher's checkpoints (block
//! number and hash). A step is applied in one transaction: its events and its checkpoint
//! together, or a reorg's rollback (every event above the common ancestor deleted with
//! the checkpoints above it), so a completion or a payment is counted once whatever the
//! chain did. Also the transaction manager's persisted nonces.

use crate::store::{Store, StoreError};
use arcanum_chain::{
    Checkpoint, MarketLog, NonceRecord, NonceStore, bindings::ComputeMarket::ComputeMarketEvents,
};
use arcanum_protocol::{Address, B256, U256};
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Checkpoints by block number: the block hash.
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("chain_checkpoints");
/// Events by (block, log index).
const EVENTS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("chain_events");
/// Persisted nonces by "chain-id/account".
const NONCES: TableDefinition<&str, &[u8]> = TableDefinition::new("tx_nonces");

/// Checkpoints kept: how deep a reorg can be rolled back precisely (deeper ones re-read
/// from the deployment block).
pub const CHECKPOINTS_KEPT: usize = 256;

/// A market event that concerns this node, as kept in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LedgerEvent {
    /// This node posted a job.
    Posted {
        /// Job id.
        job: U256,
    },
    /// A job of this node's, or this node as the worker, was assigned.
    Assigned {
        /// Job id.
        job: U256,
        /// The worker.
        worker: Address,
        /// Its ask.
        ask: U256,
    },
    /// A job settled with a verified proof; the worker was credited `reward`.
    Completed {
        /// Job id.
        job: U256,
        /// The worker.
        worker: Address,
        /// The proven output commitment.
        output_commitment: U256,
        /// What the worker was credited.
        reward: U256,
    },
    /// A worker missed the deadline and was slashed.
    Expired {
        /// Job id.
        job: U256,
        /// The worker.
        worker: Address,
        /// The requester's share of the slash.
        to_requester: U256,
    },
    /// A job was cancelled and its escrow credited back.
    Cancelled {
        /// Job id.
        job: U256,
        /// The refund.
        refund: U256,
    },
    /// This node claimed credit.
    Claimed {
        /// The amount.
        amount: U256,
    },
}

/// A ledger entry: the event and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Block number.
    pub block: u64,
    /// The transaction.
    pub tx: B256,
    /// The event.
    pub event: LedgerEvent,
}

impl LedgerEntry {
    /// The worker the event names, if any.
    pub fn event_worker(&self) -> Option<Address> {
        match &self.event {
            LedgerEvent::Assigned { worker, .. }
            | LedgerEvent::Completed { worker, .. }
            | LedgerEvent::Expired { worker, .. } => Some(*worker),
            _ => None,
        }
    }
}

/// Keeps the events of `logs` that concern `me`; `mine` is the set of jobs `me` posted
/// (grown by the posts found here).
pub fn relevant(
    me: Address,
    mine: &mut HashSet<U256>,
    logs: &[MarketLog],
) -> Vec<(u64, LedgerEntry)> {
    let mut out = Vec::new();
    for log in logs {
        let event = match &log.event {
            ComputeMarketEvents::JobPosted(e) if e.requester == me => {
                mine.insert(e.jobId);
                LedgerEvent::Posted { job: e.jobId }
            }
            ComputeMarketEvents::JobAssigned(e) if e.worker == me || mine.contains(&e.jobId) => {
                LedgerEvent::Assigned {
                    job: e.jobId,
                    worker: e.worker,
                    ask: e.ask,
                }
            }
            ComputeMarketEvents::JobCompleted(e) if e.worker == me || mine.contains(&e.jobId) => {
                LedgerEvent::Completed {
                    job: e.jobId,
                    worker: e.worker,
                    output_commitment: e.outputCommitment,
                    reward: e.reward,
                }
            }
            ComputeMarketEvents::JobExpired(e) if e.worker == me || mine.contains(&e.jobId) => {
                LedgerEvent::Expired {
                    job: e.jobId,
                    worker: e.worker,
                    to_requester: e.toRequester,
                }
            }
            ComputeMarketEvents::JobCancelled(e) if mine.contains(&e.jobId) => {
                LedgerEvent::Cancelled {
                    job: e.jobId,
                    refund: e.refund,
                }
            }
            ComputeMarketEvents::Claimed(e) if e.account == me => {
                LedgerEvent::Claimed { amount: e.amount }
            }
            _ => continue,
        };
        out.push((
            log.log_index,
            LedgerEntry {
                block: log.block,
                tx: log.tx_hash,
                event,
            },
        ));
    }
    out
}

impl Store {
    /// Creates the ledger's tables.
    pub(crate) fn create_ledger_tables(
        &self,
        tx: &redb::WriteTransaction,
    ) -> Result<(), StoreError> {
        tx.open_table(CHECKPOINTS).map_err(|e| self.err(e))?;
        tx.open_table(EVENTS).map_err(|e| self.err(e))?;
        tx.open_table(NONCES).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The watcher's checkpoints, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(CHECKPOINTS).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.err(e))? {
            let (k, v) = entry.map_err(|e| self.err(e))?;
            out.push(Checkpoint {
                number: k.value(),
                hash: B256::try_from(v.value()).map_err(|e| self.err(e))?,
            });
        }
        Ok(out)
    }

    /// Adds a step's events and its checkpoint, in one transaction; keeps the newest
    /// [`CHECKPOINTS_KEPT`] checkpoints.
    pub fn ledger_advance(
        &self,
        entries: &[(u64, LedgerEntry)],
        to: Checkpoint,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut events = tx.open_table(EVENTS).map_err(|e| self.err(e))?;
            for (index, entry) in entries {
                let bytes = serde_json::to_vec(entry).map_err(|e| self.err(e))?;
                events
                    .insert((entry.block, *index), bytes.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            let mut cps = tx.open_table(CHECKPOINTS).map_err(|e| self.err(e))?;
            cps.insert(to.number, to.hash.as_slice())
                .map_err(|e| self.err(e))?;
            let excess =
                (cps.len().map_err(|e| self.err(e))? as usize).saturating_sub(CHECKPOINTS_KEPT);
            for _ in 0..excess {
                cps.pop_first().map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Rolls back to `common` (`None`: everything): deletes events and checkpoints above
    /// it, in one transaction. Returns the entries deleted.
    pub fn ledger_rollback(
        &self,
        common: Option<Checkpoint>,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let keep = common.map(|c| c.number);
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        let mut removed = Vec::new();
        {
            let mut events = tx.open_table(EVENTS).map_err(|e| self.err(e))?;
            let from = keep.map_or(0, |k| k + 1);
            for entry in events
                .extract_from_if((from, 0)..=(u64::MAX, u64::MAX), |_, _| true)
                .map_err(|e| self.err(e))?
            {
                let (_, v) = entry.map_err(|e| self.err(e))?;
                removed.push(serde_json::from_slice(v.value()).map_err(|e| self.err(e))?);
            }
            let mut cps = tx.open_table(CHECKPOINTS).map_err(|e| self.err(e))?;
            cps.retain(|k, _| keep.is_some_and(|keep| k <= keep))
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(removed)
    }

    /// Every ledger entry, in chain order.
    pub fn ledger(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(EVENTS).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(|e| self.err(e))? {
            let (_, v) = entry.map_err(|e| self.err(e))?;
            out.push(serde_json::from_slice(v.value()).map_err(|e| self.err(e))?);
        }
        Ok(out)
    }

    /// The jobs this node posted, per the ledger.
    pub fn ledger_posted(&self) -> Result<HashSet<U256>, StoreError> {
        Ok(self
            .ledger()?
            .into_iter()
            .filter_map(|e| match e.event {
                LedgerEvent::Posted { job } => Some(job),
                _ => None,
            })
            .collect())
    }

    /// The confirmed completion of `job`, if the ledger has it.
    pub fn ledger_completion(&self, job: U256) -> Result<Option<LedgerEntry>, StoreError> {
        Ok(self
            .ledger()?
            .into_iter()
            .find(|e| matches!(e.event, LedgerEvent::Completed { job: j, .. } if j == job)))
    }

    /// Settlements that credited `worker`, with their total (confirmed).
    pub fn ledger_earned(&self, worker: Address) -> Result<(usize, U256), StoreError> {
        let mut n = 0;
        let mut total = U256::ZERO;
        for e in self.ledger()? {
            if let LedgerEvent::Completed {
                worker: w, reward, ..
            } = e.event
                && w == worker
            {
                n += 1;
                total = total
                    .checked_add(reward)
                    .ok_or_else(|| self.err("earned overflows"))?;
            }
        }
        Ok((n, total))
    }

    /// Credit this node claimed (confirmed).
    pub fn ledger_claimed(&self) -> Result<U256, StoreError> {
        let mut total = U256::ZERO;
        for e in self.ledger()? {
            if let LedgerEvent::Claimed { amount } = e.event {
                total = total
                    .checked_add(amount)
                    .ok_or_else(|| self.err("claimed overflows"))?;
            }
        }
        Ok(total)
    }
}

impl NonceStore for Store {
    fn load(&self, chain_id: u64, account: Address) -> Option<NonceRecord> {
        let tx = self.db.begin_read().ok()?;
        let table = tx.open_table(NONCES).ok()?;
        let v = table.get(format!("{chain_id}/{account}").as_str()).ok()??;
        serde_json::from_slice(v.value()).ok()
    }

    fn save(&self, chain_id: u64, account: Address, record: NonceRecord) {
        let write = || -> Result<(), StoreError> {
            let tx = self.db.begin_write().map_err(|e| self.err(e))?;
            {
                let mut table = tx.open_table(NONCES).map_err(|e| self.err(e))?;
                let bytes = serde_json::to_vec(&record).map_err(|e| self.err(e))?;
                table
                    .insert(format!("{chain_id}/{account}").as_str(), bytes.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))
        };
        if let Err(e) = write() {
            tracing::error!(target: "store", "cannot persist the nonce: {e}");
        }
    }
}
