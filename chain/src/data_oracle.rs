//! The data oracle: requests, fulfilment, feeds.

use crate::{
    Error, Result,
    bindings::DataOracle::{self},
    client::MarketClient,
    types::{FeedValue, TxOutcome},
};
use alloy::{
    primitives::{Address, B256, I256, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::SolEventInterface,
};
use arcanum_protocol::JobId;
use serde::{Deserialize, Serialize};

/// A data-oracle event, decoded (what dApps and oracle nodes follow).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum OracleEvent {
    /// A value was requested.
    Requested {
        /// The request.
        request_id: U256,
        /// Who asked (and paid).
        requester: Address,
        /// `keccak256` of the feed's name.
        feed: B256,
        /// Fee for the oracle node, token base units.
        fee: U256,
        /// Contract called back, or zero.
        callback: Address,
        /// Gas for the callback.
        callback_gas: u32,
        /// Unix seconds after which it may be cancelled and refunded.
        expires_at: u64,
    },
    /// A request was fulfilled.
    Fulfilled {
        /// The request.
        request_id: U256,
        /// Its feed.
        feed: B256,
        /// The value.
        value: I256,
        /// The completed job backing it.
        job_id: JobId,
        /// The worker that proved the job.
        worker: Address,
        /// The oracle node that fulfilled.
        oracle: Address,
    },
    /// The callback of a fulfilled request ran, or failed.
    CallbackResult {
        /// The request.
        request_id: U256,
        /// Whether the callback returned without reverting.
        success: bool,
    },
    /// An expired request was cancelled and its fee credited back.
    Cancelled {
        /// The request.
        request_id: U256,
    },
}

impl OracleEvent {
    /// The request the event is about.
    pub fn request_id(&self) -> U256 {
        match self {
            Self::Requested { request_id, .. }
            | Self::Fulfilled { request_id, .. }
            | Self::CallbackResult { request_id, .. }
            | Self::Cancelled { request_id } => *request_id,
        }
    }
}

/// One decoded data-oracle event and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleLog {
    /// Block number.
    pub block: u64,
    /// Position of the log in its block.
    pub log_index: u64,
    /// The transaction that emitted it.
    pub tx_hash: B256,
    /// The event.
    pub event: OracleEvent,
}

/// A request as the contract stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleRequest {
    /// Who asked.
    pub requester: Address,
    /// Its feed.
    pub feed: B256,
    /// Its fee.
    pub fee: U256,
    /// Unix seconds after which it may be cancelled.
    pub expires_at: u64,
    /// Still open (neither fulfilled nor cancelled).
    pub open: bool,
}

/// A feed's on-chain definition: what its values are a proven function of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedDefinition {
    /// [`FEED_SECAGG_SUM`] (clerks prove their sums) or [`FEED_HE_LINEAR`] (key-committee
    /// members prove their decryption shares).
    pub kind: u8,
    /// `keccak256` of the canonical query, mod r (the contributors' anchors commit to it).
    pub query_tag: U256,
    /// The statistic, packed (`num | den << 8 | decimals << 16 | scale << 24`).
    pub params: u64,
    /// The job shape.
    pub shape: u32,
    /// Clerk sums (or members' decryption shares) combined.
    pub threshold: u8,
    /// Contributor positions of the shape.
    pub slots: u8,
    /// Fewest of the feed's data owners a value combines.
    pub min_owners: u8,
    /// The clerk-sum (or member decryption-share) verifier.
    pub clerk_verifier: Address,
    /// The finalize verifier.
    pub finalize_verifier: Address,
}

impl FeedDefinition {
    fn to_abi(&self) -> DataOracle::Feed {
        DataOracle::Feed {
            kind: self.kind,
            queryTag: self.query_tag,
            params: self.params,
            shape: self.shape,
            threshold: self.threshold,
            slots: self.slots,
            minOwners: self.min_owners,
            clerkVerifier: self.clerk_verifier,
            finalizeVerifier: self.finalize_verifier,
        }
    }
}

/// `DataOracle.KIND_SECAGG_SUM`.
pub const FEED_SECAGG_SUM: u8 = 0;
/// `DataOracle.KIND_HE_LINEAR`.
pub const FEED_HE_LINEAR: u8 = 1;

/// The proofs behind a data-oracle value: `threshold` clerks' proofs of their sums (or
/// key-committee members' of their decryption shares), and the finalize proof (EVM
/// calldata words).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueProof {
    /// The owners' anchors by contributor position (zero: absent).
    pub anchors: Vec<U256>,
    /// Each present anchor's signature by its owner (empty for absent slots).
    pub anchor_signatures: Vec<alloy::primitives::Bytes>,
    /// The clerks' (or members') indices, strictly increasing.
    pub clerk_indices: Vec<u64>,
    /// Their commitments to their sums (or shares).
    pub clerk_commitments: Vec<U256>,
    /// Their proofs.
    pub clerk_proofs: Vec<[U256; 8]>,
    /// he-linear feeds: the key committee's digest (zero otherwise).
    pub key_digest: U256,
    /// he-linear feeds: the decrypted sums' digest (zero otherwise).
    pub sum_digest: U256,
    /// The finalize proof.
    pub finalize: [U256; 8],
}

impl ValueProof {
    fn to_abi(&self) -> DataOracle::ValueProof {
        DataOracle::ValueProof {
            anchors: self.anchors.clone(),
            anchorSignatures: self.anchor_signatures.clone(),
            clerkIndices: self.clerk_indices.iter().map(|x| U256::from(*x)).collect(),
            clerkCommitments: self.clerk_commitments.clone(),
            clerkProofs: self.clerk_proofs.clone(),
            keyDigest: self.key_digest,
            sumDigest: self.sum_digest,
            finalize: self.finalize,
        }
    }
}

/// `DataOracle.anchorDigest(requestId, anchor)`: `keccak256(abi.encode(ANCHOR_TYPEHASH,
/// chainId, oracle, requestId, anchor))`.
pub fn anchor_digest(chain_id: u64, oracle: Address, request: U256, anchor: U256) -> B256 {
    use alloy::sol_types::SolValue;
    let typehash = alloy::primitives::keccak256(
        "ArcanumAnchor(uint256 chainId,address oracle,uint256 requestId,uint256 anchor)",
    );
    alloy::primitives::keccak256(
        (typehash, U256::from(chain_id), oracle, request, anchor).abi_encode(),
    )
}

/// The feed id of a feed name: `keccak256(name)`; a `0x`-prefixed 32-byte hex id is taken
/// as is.
pub fn feed_id(name: &str) -> B256 {
    name.parse::<B256>()
        .ok()
        .filter(|_| name.starts_with("0x") && name.len() == 66)
        .unwrap_or_else(|| alloy::primitives::keccak256(name.as_bytes()))
}

impl MarketClient {
    /// Requests a data-oracle value (approves and pays `fee`); returns the request id.
    pub async fn oracle_request(
        &self,
        feed: B256,
        fee: U256,
        callback: Address,
        callback_gas: u32,
        ttl: u64,
    ) -> Result<(U256, TxOutcome)> {
        let fee96 = alloy::primitives::Uint::<96, 2>::checked_from_limbs_slice(fee.as_limbs())
            .ok_or_else(|| Error::Rpc {
                call: "request",
                detail: format!("fee {fee} exceeds uint96"),
            })?;
        if !fee.is_zero() {
            let sent = self
                .token()
                .approve(self.deployment.data_oracle, fee)
                .into_transaction_request();
            self.settle("approve", sent).await?;
        }
        let sent = self
            .data_oracle()
            .request(feed, fee96, callback, callback_gas, ttl)
            .into_transaction_request();
        let r = self.settle("request", sent).await?;
        let ev = r
            .decoded_log::<DataOracle::Requested>()
            .ok_or(Error::MissingEvent {
                call: "request",
                event: "Requested",
            })?;
        Ok((ev.requestId, TxOutcome::from_receipt(&r)))
    }

    /// Fulfils a data-oracle request with a value proven to be the feed's statistic of
    /// completed job `job` (oracle node only).
    pub async fn oracle_fulfill(
        &self,
        request: U256,
        value: I256,
        job: JobId,
        proof: &ValueProof,
    ) -> Result<TxOutcome> {
        let sent = self
            .data_oracle()
            .fulfill(request, value, job.0, proof.to_abi())
            .into_transaction_request();
        self.transact("fulfill", sent).await
    }

    /// Defines (or redefines) a feed (the data oracle's owner only).
    pub async fn oracle_set_feed(&self, feed: B256, def: &FeedDefinition) -> Result<TxOutcome> {
        let sent = self
            .data_oracle()
            .setFeed(feed, def.to_abi())
            .into_transaction_request();
        self.transact("setFeed", sent).await
    }

    /// Adds (or removes) data owners of a feed (the data oracle's owner only).
    pub async fn oracle_set_feed_owners(
        &self,
        feed: B256,
        owners: &[Address],
        allowed: bool,
    ) -> Result<TxOutcome> {
        let sent = self
            .data_oracle()
            .setFeedOwners(feed, owners.to_vec(), allowed)
            .into_transaction_request();
        self.transact("setFeedOwners", sent).await
    }

    /// Whether `owner` is one of `feed`'s data owners.
    pub async fn is_feed_owner(&self, feed: B256, owner: Address) -> Result<bool> {
        self.data_oracle()
            .isFeedOwner(feed, owner)
            .call()
            .await
            .map_err(|e| Error::Rpc {
                call: "isFeedOwner",
                detail: e.to_string(),
            })
    }

    /// The signer of `signature` over `anchor` for request `request`, if it is one.
    pub fn anchor_signer(&self, request: U256, anchor: U256, signature: &[u8]) -> Option<Address> {
        let sig = alloy::primitives::Signature::from_raw(signature).ok()?;
        let digest = anchor_digest(self.chain_id, self.deployment.data_oracle, request, anchor);
        sig.recover_address_from_prehash(&digest).ok()
    }

    /// This account's signature of its `anchor` for data-oracle request `request`
    /// (`DataOracle.anchorDigest`, signed as is): what a data owner hands the oracle node.
    pub fn sign_anchor(&self, request: U256, anchor: U256) -> Result<alloy::primitives::Bytes> {
        use alloy::signers::SignerSync;
        let digest = anchor_digest(self.chain_id, self.deployment.data_oracle, request, anchor);
        let sig = self
            .signer
            .sign_hash_sync(&digest)
            .map_err(|e| Error::Rpc {
                call: "sign anchor",
                detail: e.to_string(),
            })?;
        Ok(sig.as_bytes().to_vec().into())
    }

    /// A feed's definition, or `None` if the feed is unknown.
    pub async fn oracle_feed(&self, feed: B256) -> Result<Option<FeedDefinition>> {
        match self.data_oracle().feeds(feed).call().await {
            Ok(f) => Ok(Some(FeedDefinition {
                kind: f.kind,
                query_tag: f.queryTag,
                params: f.params,
                shape: f.shape,
                threshold: f.threshold,
                slots: f.slots,
                min_owners: f.minOwners,
                clerk_verifier: f.clerkVerifier,
                finalize_verifier: f.finalizeVerifier,
            })),
            Err(e) if e.to_string().contains("UnknownFeed") || e.as_revert_data().is_some() => {
                Ok(None)
            }
            Err(e) => Err(Error::Rpc {
                call: "feeds",
                detail: e.to_string(),
            }),
        }
    }

    /// Whether `node` may fulfil data-oracle requests.
    pub async fn is_oracle(&self, node: Address) -> Result<bool> {
        self.data_oracle()
            .isOracle(node)
            .call()
            .await
            .map_err(Self::read_err("isOracle"))
    }

    /// Authorises or removes an oracle node (the data oracle's owner only).
    pub async fn oracle_set(&self, node: Address, allowed: bool) -> Result<TxOutcome> {
        self.transact(
            "setOracle",
            self.data_oracle()
                .setOracle(node, allowed)
                .into_transaction_request(),
        )
        .await
    }

    /// Cancels an expired data-oracle request (requester only).
    pub async fn oracle_cancel(&self, request: U256) -> Result<TxOutcome> {
        self.transact(
            "cancel",
            self.data_oracle()
                .cancel(request)
                .into_transaction_request(),
        )
        .await
    }

    /// Withdraws the caller's data-oracle credit.
    pub async fn oracle_claim(&self) -> Result<TxOutcome> {
        self.transact(
            "claim",
            self.data_oracle().claim().into_transaction_request(),
        )
        .await
    }

    /// The data oracle's events in blocks `from..=to` (to the head when `None`), in chain
    /// order; events other than requests, fulfilments, callbacks and cancellations are
    /// left out.
    pub async fn oracle_events(&self, from: u64, to: Option<u64>) -> Result<Vec<OracleLog>> {
        let to = match to {
            Some(t) => t,
            None => self.block_number().await?,
        };
        if from > to {
            return Ok(vec![]);
        }
        let filter = Filter::new()
            .address(self.deployment.data_oracle)
            .from_block(from)
            .to_block(to);
        let logs = self
            .provider()
            .get_logs(&filter)
            .await
            .map_err(|e| Error::Rpc {
                call: "eth_getLogs",
                detail: e.to_string(),
            })?;
        let mut out = Vec::new();
        for log in logs {
            let decoded =
                DataOracle::DataOracleEvents::decode_log(&log.inner).map_err(|e| Error::Rpc {
                    call: "eth_getLogs",
                    detail: format!("undecodable data-oracle log: {e}"),
                })?;
            let event = match decoded.data {
                DataOracle::DataOracleEvents::Requested(e) => OracleEvent::Requested {
                    request_id: e.requestId,
                    requester: e.requester,
                    feed: e.feedId,
                    fee: e.fee,
                    callback: e.callback,
                    callback_gas: e.callbackGasLimit,
                    expires_at: e.expiresAt,
                },
                DataOracle::DataOracleEvents::Fulfilled(e) => OracleEvent::Fulfilled {
                    request_id: e.requestId,
                    feed: e.feedId,
                    value: e.value,
                    job_id: JobId(e.jobId),
                    worker: e.worker,
                    oracle: e.oracle,
                },
                DataOracle::DataOracleEvents::CallbackResult(e) => OracleEvent::CallbackResult {
                    request_id: e.requestId,
                    success: e.success,
                },
                DataOracle::DataOracleEvents::RequestCancelled(e) => OracleEvent::Cancelled {
                    request_id: e.requestId,
                },
                _ => continue,
            };
            out.push(OracleLog {
                block: log.block_number.unwrap_or_default(),
                log_index: log.log_index.unwrap_or_default(),
                tx_hash: log.transaction_hash.unwrap_or_default(),
                event,
            });
        }
        Ok(out)
    }

    /// A data-oracle request as the contract stores it.
    pub async fn oracle_request_info(&self, request: U256) -> Result<OracleRequest> {
        let r = self
            .data_oracle()
            .requests(request)
            .call()
            .await
            .map_err(Self::read_err("requests"))?;
        if r.requester == Address::ZERO {
            return Err(Error::Rpc {
                call: "requests",
                detail: format!("no data-oracle request {request}"),
            });
        }
        Ok(OracleRequest {
            requester: r.requester,
            feed: r.feedId,
            fee: U256::from(r.fee),
            expires_at: r.expiresAt,
            open: r.open,
        })
    }

    /// A feed's latest value and provenance.
    pub async fn oracle_latest(&self, feed: B256) -> Result<FeedValue> {
        let v = self
            .data_oracle()
            .latest(feed)
            .call()
            .await
            .map_err(Self::read_err("latest"))?;
        Ok(FeedValue {
            value: v.value,
            job_id: JobId(v.jobId),
            worker: v.worker,
            block: v.blockNumber,
            request_id: v.requestId,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_ids_are_the_hash_of_the_name_or_a_hex_id_as_is() {
        let id = feed_id("iris/sepal_length/mean");
        assert_eq!(id, alloy::primitives::keccak256("iris/sepal_length/mean"));
        assert_eq!(feed_id(&id.to_string()), id);
        // Not 32 bytes of hex: a name like any other.
        assert_eq!(feed_id("0x12"), alloy::primitives::keccak256("0x12"));
    }
}
