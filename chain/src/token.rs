//! The ARC token: minting (devnets), allowances, balances.

use crate::{Result, client::MarketClient, types::TxOutcome};
use alloy::primitives::{Address, U256};

impl MarketClient {
    /// Mints tokens (the caller must own the token: devnets only).
    pub async fn mint(&self, to: Address, amount: U256) -> Result<TxOutcome> {
        self.transact(
            "mint",
            self.token().mint(to, amount).into_transaction_request(),
        )
        .await
    }

    /// Raises the market's allowance by `amount`. Several jobs may be posted at once by
    /// one account: each approval adds to what the others left (under a lock), so one
    /// approval never overwrites another before its post spends it. What a failed post
    /// leaves approved stays, spendable only by this account's own calls to the market.
    pub(crate) async fn approve(&self, amount: U256) -> Result<()> {
        let _one_at_a_time = self.tx.approvals.lock().await;
        let current = self
            .token()
            .allowance(self.account, self.deployment.market)
            .call()
            .await
            .map_err(Self::read_err("allowance"))?;
        let target = current
            .checked_add(amount)
            .ok_or_else(|| crate::Error::Rpc {
                call: "approve",
                detail: format!("allowance {current} plus {amount} overflows"),
            })?;
        let sent = self
            .token()
            .approve(self.deployment.market, target)
            .into_transaction_request();
        self.settle("approve", sent).await.map(|_| ())
    }

    /// Token balance of `who`.
    pub async fn balance_of(&self, who: Address) -> Result<U256> {
        self.token()
            .balanceOf(who)
            .call()
            .await
            .map_err(Self::read_err("balanceOf"))
    }

    /// Total token supply.
    pub async fn total_supply(&self) -> Result<U256> {
        self.token()
            .totalSupply()
            .call()
            .await
            .map_err(Self::read_err("totalSupply"))
    }
}
