//! The data oracle: requests, fulfilment, feeds.

use crate::{
    Error, Result,
    bindings::DataOracle::{self},
    client::MarketClient,
    types::{FeedValue, TxOutcome},
};
use alloy::primitives::{Address, B256, I256, U256};
use arcanum_protocol::JobId;

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

    /// Fulfils a data-oracle request with a value backed by completed job `job` (oracle
    /// node only).
    pub async fn oracle_fulfill(
        &self,
        request: U256,
        value: I256,
        job: JobId,
    ) -> Result<TxOutcome> {
        let sent = self
            .data_oracle()
            .fulfill(request, value, job.0)
            .into_transaction_request();
        self.transact("fulfill", sent).await
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
