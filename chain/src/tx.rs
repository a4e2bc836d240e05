//! The transaction manager: one per account, shared by every clone of its client.
//!
//! - **Nonces** are allocated here, under a lock held only while a transaction is signed
//!   and handed to the RPC, so an account can have several transactions in flight (a
//!   worker settling two jobs at once) without two of them taking the same nonce. With
//!   nothing in flight the chain's `pending` count is authoritative (a reorg that dropped
//!   a transaction lowers it, and the next one fills the hole); with transactions in flight
//!   the higher of the two is used. The next nonce and the last transaction are persisted
//!   through a [`NonceStore`] (the node's store), so a restarted node waits for its own
//!   transaction still in the pool instead of replacing it.
//! - **Gas** is estimated before a nonce is taken: a call that would revert fails with the
//!   contract's error and consumes nothing.
//! - **Stuck transactions** are re-signed at the same nonce with fees raised by at least
//!   12.5% (the replacement rule of geth and reth is 10%) or to the current estimate if
//!   that is higher, every `fee_bump_after`; every hash sent is watched, so whichever is
//!   mined is found. A transaction that left the pool without being mined (a reorg, an
//!   eviction) is sent again at the chain's nonce.
//! - **Receipts** are polled with exponential backoff on RPC errors (0.2 s doubling to
//!   5 s), within `receipt_timeout`.

use crate::{Error, Result, client::MarketClient};
use alloy::{
    consensus::TxEnvelope,
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::{TransactionReceipt, TransactionRequest},
};
use serde::{Deserialize, Serialize};
use std::{
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Where an account's next nonce and last transaction are kept between runs.
pub trait NonceStore: Send + Sync + std::fmt::Debug {
    /// The record for `account` on `chain_id`, if any.
    fn load(&self, chain_id: u64, account: Address) -> Option<NonceRecord>;
    /// Records `record` for `account` on `chain_id` (errors are logged by the store).
    fn save(&self, chain_id: u64, account: Address, record: NonceRecord);
}

/// An account's persisted nonce state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceRecord {
    /// The next nonce this node would use.
    pub next: u64,
    /// The last transaction it sent.
    pub last_tx: B256,
}

/// Counters of what the manager did (for metrics).
#[derive(Debug, Default)]
pub(crate) struct TxStats {
    /// Transactions handed to the RPC (first sends).
    pub(crate) sent: AtomicU64,
    /// Replacements with raised fees.
    pub(crate) bumped: AtomicU64,
    /// Transactions sent again at a new nonce after leaving the pool unmined.
    pub(crate) resent: AtomicU64,
}

#[derive(Debug, Default)]
struct NonceState {
    /// Next nonce to use; `None` until the first send of this run.
    next: Option<u64>,
    /// Transactions sent and not yet mined or given up.
    in_flight: usize,
}

/// Fees of one signed attempt.
#[derive(Clone, Copy, Debug)]
struct Fees {
    max_fee: u128,
    priority: u128,
}

impl Fees {
    /// At least 12.5% more on both fields (plus one wei), or `fresh` where it is higher.
    fn bumped(self, fresh: Fees) -> Fees {
        let up = |x: u128| x.saturating_add(x / 8).saturating_add(1);
        let priority = up(self.priority).max(fresh.priority);
        Fees {
            max_fee: up(self.max_fee).max(fresh.max_fee).max(priority),
            priority,
        }
    }
}

/// Whether an RPC refusal says the fee is too low (geth, reth and Anvil wordings).
fn is_fee_too_low(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("base fee") || d.contains("underpriced") || d.contains("fee too low")
}

/// One account's transaction manager.
#[derive(Debug)]
pub(crate) struct TxManager {
    wallet: EthereumWallet,
    state: tokio::sync::Mutex<NonceState>,
    store: RwLock<Option<Arc<dyn NonceStore>>>,
    pub(crate) stats: TxStats,
    /// Held while an allowance is read and raised, so concurrent approvals of this account
    /// add up instead of overwriting each other.
    pub(crate) approvals: tokio::sync::Mutex<()>,
}

/// Least gas added to an estimate (a cold zero-to-nonzero storage write is 22,100).
const GAS_HEADROOM: u64 = 25_000;

/// Polling interval for receipts, and its ceiling under backoff.
const POLL: Duration = Duration::from_millis(200);
const POLL_MAX: Duration = Duration::from_secs(5);

impl TxManager {
    pub(crate) fn new(wallet: EthereumWallet) -> Self {
        Self {
            wallet,
            state: tokio::sync::Mutex::new(NonceState::default()),
            store: RwLock::new(None),
            stats: TxStats::default(),
            approvals: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn set_store(&self, store: Arc<dyn NonceStore>) {
        if let Ok(mut s) = self.store.write() {
            *s = Some(store);
        }
    }

    fn store(&self) -> Option<Arc<dyn NonceStore>> {
        self.store.read().ok().and_then(|s| s.clone())
    }
}

impl MarketClient {
    /// Sends `tx` from this account and waits for its receipt: estimate, nonce, sign,
    /// send, bump while stuck, resend if dropped (see the module docs).
    pub(crate) async fn send_managed(
        &self,
        call: &'static str,
        tx: TransactionRequest,
    ) -> Result<TransactionReceipt> {
        let mut tx = tx.with_from(self.account).with_chain_id(self.chain_id);
        if tx.gas.is_none() {
            let gas = self
                .provider
                .estimate_gas(tx.clone())
                .await
                .map_err(|e| self.contract_error(call, alloy::contract::Error::from(e)))?;
            // Headroom: state may move between estimation and inclusion, e.g. another of
            // this account's transactions turns a storage slot from nonzero to zero, and
            // writing it again costs 17,100 gas more than estimated. Unused gas is refunded.
            tx.set_gas_limit(gas.saturating_add((gas / 10).max(GAS_HEADROOM)));
        }
        let mut fees = self.fee_estimate(call).await?;
        let started = Instant::now();
        let (mut nonce, first) = self.send_new(call, &tx, &mut fees).await?;
        let mut hashes = vec![first];
        let mut last_send = Instant::now();
        let mut poll = POLL;
        let bump_after = self.config.fee_bump_after;
        let result = loop {
            if started.elapsed() >= self.config.receipt_timeout {
                break Err(Error::Timeout {
                    call,
                    seconds: self.config.receipt_timeout.as_secs(),
                    detail: format!(
                        "{} signed version(s) at nonce {nonce} sent, none mined",
                        hashes.len()
                    ),
                });
            }
            tokio::time::sleep(poll).await;
            match self.first_receipt(&hashes).await {
                Ok(Some(receipt)) => break Ok(receipt),
                Ok(None) => poll = POLL,
                Err(e) => {
                    poll = (poll * 2).min(POLL_MAX);
                    tracing::debug!(target: "chain::tx", call, "receipt poll failed ({e}); retrying in {poll:?}");
                    continue;
                }
            }
            if last_send.elapsed() < bump_after {
                continue;
            }
            last_send = Instant::now();
            let Ok(mined) = self
                .provider
                .get_transaction_count(self.account)
                .latest()
                .await
                .map_err(|e| self.rpc_error("eth_getTransactionCount", e))
            else {
                continue;
            };
            if mined > nonce {
                // Something at this nonce was mined: one of ours (its receipt shows next
                // poll) or, if none appears before the timeout, another sender of this key.
                continue;
            }
            let mut pooled = false;
            for h in &hashes {
                pooled |= self.is_pooled(*h).await;
            }
            if !pooled {
                // None of ours is in the pool: dropped (a reorg, an eviction). Send it
                // again at the chain's nonce.
                tracing::warn!(target: "chain::tx", call, nonce, "transaction left the pool unmined; sending it again");
                self.tx.stats.resent.fetch_add(1, Ordering::Relaxed);
                self.release_in_flight().await;
                fees = fees.bumped(self.fee_estimate(call).await?);
                let (n, hash) = self.send_new(call, &tx, &mut fees).await?;
                nonce = n;
                hashes.push(hash);
                continue;
            }
            let fresh = self.fee_estimate(call).await?;
            fees = fees.bumped(fresh);
            tracing::info!(target: "chain::tx", call, nonce, max_fee = fees.max_fee, priority = fees.priority, "not mined after {bump_after:?}; replacing with higher fees");
            match self.sign_and_send(call, &tx, fees, Some(nonce)).await {
                Ok((_, hash)) => {
                    self.tx.stats.bumped.fetch_add(1, Ordering::Relaxed);
                    hashes.push(hash);
                }
                // Mined meanwhile ("nonce too low") or the pool kept the old one: the
                // receipt poll finds whichever was mined.
                Err(e) => {
                    tracing::debug!(target: "chain::tx", call, nonce, "replacement refused: {e}")
                }
            }
        };
        self.release_in_flight().await;
        let receipt = result?;
        if !receipt.status() {
            return Err(Error::Failed {
                call,
                tx: receipt.transaction_hash.to_string(),
            });
        }
        tracing::debug!(target: "chain::tx", call, tx = %receipt.transaction_hash, gas = receipt.gas_used, "mined");
        Ok(receipt)
    }

    /// Sends `tx` at a new nonce. A fee that became too low between the estimate and the
    /// send (the base fee rose) is refused by the pool: estimate again, higher, a few times.
    async fn send_new(
        &self,
        call: &'static str,
        tx: &TransactionRequest,
        fees: &mut Fees,
    ) -> Result<(u64, B256)> {
        let mut tries = 0;
        loop {
            match self.sign_and_send(call, tx, *fees, None).await {
                Err(Error::Rpc { detail, .. }) if tries < 3 && is_fee_too_low(&detail) => {
                    tries += 1;
                    *fees = fees.bumped(self.fee_estimate(call).await?);
                }
                sent => return sent,
            }
        }
    }

    async fn release_in_flight(&self) {
        let mut state = self.tx.state.lock().await;
        state.in_flight = state.in_flight.saturating_sub(1);
    }

    async fn fee_estimate(&self, call: &'static str) -> Result<Fees> {
        let est = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(|e| self.rpc_error(call, e))?;
        Ok(Fees {
            max_fee: est.max_fee_per_gas,
            priority: est.max_priority_fee_per_gas,
        })
    }

    /// Signs `tx` at `nonce` (a replacement) or at a newly allocated nonce, and hands it
    /// to the RPC. Returns the nonce and the hash.
    async fn sign_and_send(
        &self,
        call: &'static str,
        tx: &TransactionRequest,
        fees: Fees,
        nonce: Option<u64>,
    ) -> Result<(u64, B256)> {
        let mut state = self.tx.state.lock().await;
        let n = match nonce {
            Some(n) => n,
            None => self.allocate(call, &state).await?,
        };
        let envelope: TxEnvelope = tx
            .clone()
            .with_nonce(n)
            .with_max_fee_per_gas(fees.max_fee)
            .with_max_priority_fee_per_gas(fees.priority)
            .build(&self.tx.wallet)
            .await
            .map_err(|e| Error::Rpc {
                call,
                detail: format!("cannot sign: {e}"),
            })?;
        let hash = *envelope.tx_hash();
        let _pending = self
            .provider
            .send_raw_transaction(&envelope.encoded_2718())
            .await
            .map_err(|e| self.contract_error(call, alloy::contract::Error::from(e)))?;
        if nonce.is_none() {
            state.next = Some(n + 1);
            state.in_flight += 1;
            self.tx.stats.sent.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(store) = self.tx.store() {
            store.save(
                self.chain_id,
                self.account,
                crate::tx::NonceRecord {
                    next: state.next.unwrap_or(n + 1),
                    last_tx: hash,
                },
            );
        }
        tracing::debug!(target: "chain::tx", call, nonce = n, tx = %hash, "sent");
        Ok((n, hash))
    }

    /// The nonce for a new transaction (called under the nonce lock).
    async fn allocate(&self, call: &'static str, state: &NonceState) -> Result<u64> {
        let pending = self
            .provider
            .get_transaction_count(self.account)
            .pending()
            .await
            .map_err(|e| self.rpc_error(call, e))?;
        let local = match state.next {
            Some(next) if state.in_flight > 0 => next,
            Some(_) => 0,
            // First send of this run: a transaction the last run left in the pool keeps
            // its nonce.
            None => match self
                .tx
                .store()
                .and_then(|s| s.load(self.chain_id, self.account))
            {
                Some(rec) if self.is_pooled(rec.last_tx).await => rec.next,
                _ => 0,
            },
        };
        Ok(pending.max(local))
    }

    async fn is_pooled(&self, hash: B256) -> bool {
        matches!(
            self.provider.get_transaction_by_hash(hash).await,
            Ok(Some(t)) if t.block_number.is_none()
        )
    }

    async fn first_receipt(&self, hashes: &[B256]) -> Result<Option<TransactionReceipt>> {
        for h in hashes.iter().rev() {
            if let Some(r) = self
                .provider
                .get_transaction_receipt(*h)
                .await
                .map_err(|e| self.rpc_error("eth_getTransactionReceipt", e))?
            {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// What the manager has done so far.
    pub fn tx_stats(&self) -> (u64, u64, u64) {
        let s = &self.tx.stats;
        (
            s.sent.load(Ordering::Relaxed),
            s.bumped.load(Ordering::Relaxed),
            s.resent.load(Ordering::Relaxed),
        )
    }

    /// Persists this account's nonce state in `store` from now on.
    pub fn persist_nonces(&self, store: Arc<dyn NonceStore>) {
        self.tx.set_store(store);
    }
}

#[cfg(test)]
mod tests {
    use super::Fees;

    #[test]
    fn a_bump_raises_both_fees_by_at_least_an_eighth_or_to_the_fresh_estimate() {
        let old = Fees {
            max_fee: 800,
            priority: 80,
        };
        let same = old.bumped(old);
        assert_eq!((same.max_fee, same.priority), (901, 91));
        let high = old.bumped(Fees {
            max_fee: 5_000,
            priority: 10,
        });
        assert_eq!((high.max_fee, high.priority), (5_000, 91));
        // A fee cap never below the tip.
        let odd = Fees {
            max_fee: 1,
            priority: 100,
        }
        .bumped(Fees {
            max_fee: 1,
            priority: 1,
        });
        assert!(odd.max_fee >= odd.priority);
    }
}
