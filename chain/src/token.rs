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

    pub(crate) async fn approve(&self, amount: U256) -> Result<()> {
        let sent = self
            .token()
            .approve(self.deployment.market, amount)
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
