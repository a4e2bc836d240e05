//! Bids: a worker's EIP-712-signed consent to run one attempt of one job at its ask.
//!
//! The market locks a worker's stake only with the worker's own act; a [`SignedBid`] is that
//! act when the requester submits it (`ComputeMarket.assignWithBid`). The struct hash and
//! domain are the contract's (`Bid(uint256 jobId,address worker,uint16 attempt,uint256
//! ask,uint256 maxLockedStake,uint64 deadlineAtLeast,uint64 expiresAt)`, domain
//! `"Arcanum ComputeMarket"`, version `"1"`), so the signature computed here is exactly the
//! one the contract checks, and a requester can verify a bid without asking the chain.

use crate::{Error, JobId, Result};
use alloy_primitives::{Address, B256, Signature, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{Eip712Domain, SolStruct, eip712_domain};
use serde::{Deserialize, Serialize};

/// The contract's EIP-712 types, for hashing only (the type name is part of the hash).
mod eip712 {
    alloy_sol_types::sol! {
    /// `ComputeMarket.Bid`.
    struct Bid {
        uint256 jobId;
        address worker;
        uint16 attempt;
        uint256 ask;
        uint256 maxLockedStake;
        uint64 deadlineAtLeast;
        uint64 expiresAt;
    }
    }
}
use eip712::Bid as Bid712;

/// The EIP-712 domain of one deployed market: the chain and the market's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketDomain {
    /// Chain id.
    pub chain_id: u64,
    /// The `ComputeMarket` contract.
    pub market: Address,
}

impl MarketDomain {
    fn eip712(&self) -> Eip712Domain {
        eip712_domain! {
            name: "Arcanum ComputeMarket",
            version: "1",
            chain_id: self.chain_id,
            verifying_contract: self.market,
        }
    }
}

/// A worker's terms for one attempt of one job. The bid dies when the job is reopened
/// (`attempt`), after `expires_at`, and when the job's terms are worse than these: a stake
/// to lock above `max_locked_stake` or a deadline before `deadline_at_least`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    /// The job.
    pub job_id: JobId,
    /// The bidding worker (signer).
    pub worker: Address,
    /// The job's `attempts` when the bid was made.
    pub attempt: u16,
    /// Price the worker is paid on settlement, in token base units.
    pub ask: U256,
    /// Most stake the worker lets the job lock.
    pub max_locked_stake: U256,
    /// Earliest deadline the worker accepts (unix seconds).
    pub deadline_at_least: u64,
    /// Last second the bid may be used (chain time).
    pub expires_at: u64,
}

impl Bid {
    fn as_sol(&self) -> Bid712 {
        Bid712 {
            jobId: self.job_id.0,
            worker: self.worker,
            attempt: self.attempt,
            ask: self.ask,
            maxLockedStake: self.max_locked_stake,
            deadlineAtLeast: self.deadline_at_least,
            expiresAt: self.expires_at,
        }
    }

    /// The EIP-712 digest the worker signs (`ComputeMarket.bidDigest`).
    pub fn signing_hash(&self, domain: &MarketDomain) -> B256 {
        self.as_sol().eip712_signing_hash(&domain.eip712())
    }

    /// Signs the bid with the worker's key.
    pub fn sign(self, domain: &MarketDomain, key: &PrivateKeySigner) -> Result<SignedBid> {
        if key.address() != self.worker {
            return Err(Error::WrongSigner {
                claimed: self.worker,
                recovered: key.address(),
            });
        }
        let sig = key
            .sign_hash_sync(&self.signing_hash(domain))
            .map_err(|e| Error::Signature(e.to_string()))?;
        Ok(SignedBid {
            bid: self,
            signature: sig.as_bytes().to_vec(),
        })
    }
}

/// A [`Bid`] with the worker's 65-byte EIP-712 signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedBid {
    /// The bid.
    pub bid: Bid,
    /// `r || s || v` over [`Bid::signing_hash`].
    pub signature: Vec<u8>,
}

impl SignedBid {
    /// Checks the signature recovers to `bid.worker` under `domain`. (Contract workers sign
    /// with ERC-1271, which only the chain can check; such bids fail here and are left to
    /// the contract.)
    pub fn verify(&self, domain: &MarketDomain) -> Result<()> {
        let sig = Signature::try_from(self.signature.as_slice())
            .map_err(|e| Error::Signature(e.to_string()))?;
        let recovered = sig
            .recover_address_from_prehash(&self.bid.signing_hash(domain))
            .map_err(|e| Error::Signature(e.to_string()))?;
        if recovered != self.bid.worker {
            return Err(Error::WrongSigner {
                claimed: self.bid.worker,
                recovered,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> MarketDomain {
        MarketDomain {
            chain_id: 31337,
            market: Address::repeat_byte(0x42),
        }
    }

    fn bid(worker: Address) -> Bid {
        Bid {
            job_id: JobId(U256::from(7u64)),
            worker,
            attempt: 0,
            ask: U256::from(10u64),
            max_locked_stake: U256::from(100u64),
            deadline_at_least: 1_000,
            expires_at: 2_000,
        }
    }

    #[test]
    fn signed_bid_verifies_and_binds_every_field_and_the_domain() {
        let key = PrivateKeySigner::random();
        let signed = bid(key.address()).sign(&domain(), &key).expect("sign");
        signed.verify(&domain()).expect("valid");

        let mut cheaper = signed.clone();
        cheaper.bid.ask = U256::from(9u64);
        assert!(matches!(
            cheaper.verify(&domain()),
            Err(Error::WrongSigner { .. })
        ));
        let mut later = signed.clone();
        later.bid.attempt = 1;
        assert!(matches!(
            later.verify(&domain()),
            Err(Error::WrongSigner { .. })
        ));
        let other_market = MarketDomain {
            market: Address::repeat_byte(0x43),
            ..domain()
        };
        assert!(signed.verify(&other_market).is_err());
        let mut garbled = signed;
        garbled.signature.truncate(3);
        assert!(matches!(
            garbled.verify(&domain()),
            Err(Error::Signature(_))
        ));
    }

    #[test]
    fn cannot_sign_for_another_worker() {
        let key = PrivateKeySigner::random();
        let other = PrivateKeySigner::random().address();
        assert!(bid(other).sign(&domain(), &key).is_err());
    }

    #[test]
    fn typehash_matches_the_contract() {
        // ComputeMarket.BID_TYPEHASH is keccak256 of this exact string.
        assert_eq!(
            Bid712::eip712_encode_type(),
            "Bid(uint256 jobId,address worker,uint16 attempt,uint256 ask,uint256 maxLockedStake,uint64 deadlineAtLeast,uint64 expiresAt)"
        );
    }
}
