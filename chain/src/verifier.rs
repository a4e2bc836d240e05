//! The shapes' verifier contracts: on-chain checks and their gas.

use crate::{Error, Result, bindings::IGroth16Verifier, client::MarketClient};
use alloy::primitives::{Address, U256};
use arcanum_protocol::ShapeId;
use serde::{Deserialize, Serialize};

/// Gas of a `verifyProof` transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyGas {
    /// The whole transaction.
    pub tx_gas: u64,
    /// Its intrinsic part: 21,000 plus calldata (4 per zero byte, 16 per other byte).
    pub intrinsic_gas: u64,
}

impl VerifyGas {
    /// Gas spent executing the verifier.
    pub fn execution(&self) -> u64 {
        self.tx_gas.saturating_sub(self.intrinsic_gas)
    }
}

/// Intrinsic gas of a call transaction with `calldata` (EIP-2028 pricing).
pub fn intrinsic_gas(calldata: &[u8]) -> u64 {
    21_000
        + calldata
            .iter()
            .map(|b| if *b == 0 { 4 } else { 16 })
            .sum::<u64>()
}

impl MarketClient {
    /// Verifies a proof through a shape's on-chain verifier with an `eth_call` (no
    /// transaction); returns whether it verifies.
    pub async fn verify_on_chain(
        &self,
        shape: ShapeId,
        proof: [U256; 8],
        inputs: [U256; 4],
    ) -> Result<bool> {
        let verifier = self.verifier_of(shape)?;
        IGroth16Verifier::new(verifier, self.provider.clone())
            .verifyProof(proof, inputs)
            .call()
            .await
            .map_err(Self::read_err("verifyProof"))
    }

    /// Gas used by a `verifyProof` transaction to the shape's verifier (the whole
    /// transaction: 21,000 base, calldata, and verification). Measured by sending a real
    /// transaction with a generous gas limit: `eth_estimateGas` would report the least gas
    /// at which the call *returns* (false, once a precompile runs out of gas), not the cost
    /// of verifying.
    pub async fn verify_gas(
        &self,
        shape: ShapeId,
        proof: [U256; 8],
        inputs: [U256; 4],
    ) -> Result<VerifyGas> {
        let verifier = self.verifier_of(shape)?;
        let instance = IGroth16Verifier::new(verifier, self.provider.clone());
        let call = instance.verifyProof(proof, inputs).gas(1_000_000);
        let calldata = call.calldata().clone();
        let tx_gas = self
            .settle("verifyProof", call.into_transaction_request())
            .await?
            .gas_used;
        Ok(VerifyGas {
            tx_gas,
            intrinsic_gas: intrinsic_gas(&calldata),
        })
    }

    pub(crate) fn verifier_of(&self, shape: ShapeId) -> Result<Address> {
        self.deployment
            .verifier_of(shape)
            .ok_or_else(|| Error::Deploy(format!("no verifier deployed for {shape}")))
    }
}
