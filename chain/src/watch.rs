//! The chain watcher's step: read the market's events block range by block range, only
//! blocks with enough confirmations, and notice when the chain under the last range read
//! has changed (a reorg).
//!
//! The caller keeps the checkpoints (block number and hash at the end of each range read,
//! newest last) and the events, and applies each [`WatchStep`] atomically: `Advanced` adds
//! the range's events and its checkpoint; `Reorged` deletes every event above the newest
//! checkpoint still on the chain (the common ancestor) and the checkpoints above it, and
//! the next step reads again from there. A completion or a payment is therefore counted
//! once, in the block the canonical chain has it in.

use crate::{Error, Result, bindings::ComputeMarket, client::MarketClient};
use alloy::{
    eips::BlockNumberOrTag, primitives::B256, providers::Provider, rpc::types::Filter,
    sol_types::SolEventInterface,
};
use serde::{Deserialize, Serialize};

/// A block the watcher has read through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Block number.
    pub number: u64,
    /// Its hash when it was read.
    pub hash: B256,
}

/// One decoded market event and where it is.
#[derive(Clone, Debug)]
pub struct MarketLog {
    /// Block number.
    pub block: u64,
    /// Position of the log in its block.
    pub log_index: u64,
    /// The transaction that emitted it.
    pub tx_hash: B256,
    /// The event.
    pub event: ComputeMarket::ComputeMarketEvents,
}

/// What one watcher step found.
#[derive(Debug)]
pub enum WatchStep {
    /// Nothing new with enough confirmations.
    Idle,
    /// Blocks up to `to` read; their market events in chain order.
    Advanced {
        /// The events.
        logs: Vec<MarketLog>,
        /// The range's last block.
        to: Checkpoint,
    },
    /// The last checkpoint is no longer on the chain. `common` is the newest checkpoint
    /// that still is (`None`: none of those kept; read again from the deployment).
    Reorged {
        /// The newest checkpoint still canonical.
        common: Option<Checkpoint>,
        /// The checkpoint that is gone.
        lost: Checkpoint,
    },
}

impl MarketClient {
    /// The hash of block `number` on the chain as the RPC sees it now (`None`: no such
    /// block, e.g. the chain got shorter).
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        Ok(self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(|e| self.rpc_error("eth_getBlockByNumber", e))?
            .map(|b| b.header.hash))
    }

    /// One step of the watcher: checks that the newest checkpoint of `history` is still on
    /// the chain, then reads the market's events from the block after it up to the newest
    /// block with `confirmations` blocks on top, at most `max_blocks` blocks at a time.
    /// With an empty history it starts at the deployment block.
    pub async fn watch_step(
        &self,
        history: &[Checkpoint],
        confirmations: u64,
        max_blocks: u64,
    ) -> Result<WatchStep> {
        let cursor = history.last().copied();
        if let Some(c) = cursor
            && self.block_hash(c.number).await? != Some(c.hash)
        {
            for cp in history.iter().rev().skip(1) {
                if self.block_hash(cp.number).await? == Some(cp.hash) {
                    return Ok(WatchStep::Reorged {
                        common: Some(*cp),
                        lost: c,
                    });
                }
            }
            return Ok(WatchStep::Reorged {
                common: None,
                lost: c,
            });
        }
        let head = self.block_number().await?;
        let safe = head.saturating_sub(confirmations);
        let from = cursor.map_or(self.deployment.deploy_block, |c| c.number + 1);
        if from > safe {
            return Ok(WatchStep::Idle);
        }
        let to = safe.min(from.saturating_add(max_blocks.max(1) - 1));
        let Some(to_hash) = self.block_hash(to).await? else {
            return Ok(WatchStep::Idle);
        };
        let logs = self.market_logs(from, to).await?;
        // The range is consistent if, after reading, its last block is unchanged (a reorg
        // inside it changes that hash) and every log is from that chain (its block hash is
        // the canonical one, checked for the blocks that have logs).
        if self.block_hash(to).await? != Some(to_hash) {
            return Ok(WatchStep::Idle);
        }
        let mut checked: std::collections::HashSet<u64> = Default::default();
        for (log, block_hash) in &logs {
            if checked.insert(log.block) && self.block_hash(log.block).await? != Some(*block_hash) {
                return Ok(WatchStep::Idle);
            }
        }
        Ok(WatchStep::Advanced {
            logs: logs.into_iter().map(|(l, _)| l).collect(),
            to: Checkpoint {
                number: to,
                hash: to_hash,
            },
        })
    }

    /// Every market event in `from..=to` (inclusive), decoded, in chain order, with the
    /// hash of the block each is in.
    pub(crate) async fn market_logs(&self, from: u64, to: u64) -> Result<Vec<(MarketLog, B256)>> {
        let filter = Filter::new()
            .address(self.deployment.market)
            .from_block(from)
            .to_block(to);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(|e| self.rpc_error("eth_getLogs", e))?;
        logs.into_iter()
            .filter(|log| !log.removed)
            .map(|log| {
                let decoded =
                    ComputeMarket::ComputeMarketEvents::decode_log(&log.inner).map_err(|e| {
                        Error::Rpc {
                            call: "decode market event",
                            detail: e.to_string(),
                        }
                    })?;
                Ok((
                    MarketLog {
                        block: log.block_number.unwrap_or_default(),
                        log_index: log.log_index.unwrap_or_default(),
                        tx_hash: log.transaction_hash.unwrap_or_default(),
                        event: decoded.data,
                    },
                    log.block_hash.unwrap_or_default(),
                ))
            })
            .collect()
    }
}
