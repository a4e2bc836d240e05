//! # arcanum-scheduler
//!
//! Pure matching logic, no IO. A job is placed in two steps:
//!
//! 1. [`candidates`]: the verified offers a requester has heard that fit the job (kind,
//!    shape, ask within the reward, unexpired, capacity, not excluded after a failure):
//!    the workers asked for a signed bid.
//! 2. [`rank_bids`]: the reverse auction over the signed bids that came back. A bid is
//!    eligible when it is for this job and attempt, unexpired, accepts the job's stake and
//!    deadline, asks no more than the job's budget, and its signer's **free stake read from the
//!    chain** covers what the job locks; eligible bids are ranked lowest ask first, ties
//!    broken by a public seed so every observer reproduces the choice. Every bid left out
//!    comes back with its reason, for the log.
//!
//! At volume, [`index::OfferIndex`] keeps a requester's offers by kind and shape, ordered
//! by ask, so each job's candidates are the front of one list (the same as
//! [`candidates`]'); [`book::OfferBook`] indexes offers once per round and places many
//! jobs in one pass, spending workers' capacity and free stake.

use alloy_primitives::{Address, U256, keccak256};
use arcanum_protocol::{JobId, JobSpec, SignedBid, SignedOffer};

pub mod book;
pub mod index;

/// The public tie-break key of `worker` under `seed`.
fn tie_break(seed: &[u8], worker: Address) -> alloy_primitives::B256 {
    keccak256([seed, worker.as_slice()].concat())
}

/// Offers of workers worth asking for a bid on `job`, cheapest first (ties by `seed`).
pub fn candidates<'a>(
    job: &JobSpec,
    offers: &'a [SignedOffer],
    excluded: &[Address],
    now: u64,
    seed: &[u8],
) -> Vec<&'a SignedOffer> {
    let mut fit: Vec<&SignedOffer> = offers
        .iter()
        .filter(|s| {
            let o = &s.offer;
            o.kinds.contains(&job.shape.kind)
                && o.shapes.contains(&job.shape.id)
                && o.min_reward <= job.reward
                && o.expires_at >= now
                && o.capacity > 0
                && !excluded.contains(&o.worker)
        })
        .collect();
    fit.sort_by_key(|s| (s.offer.min_reward, tie_break(seed, s.offer.worker)));
    fit
}

/// The on-chain terms of one attempt of a job, as read from the market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptTerms {
    /// The job.
    pub job_id: JobId,
    /// Its current `attempts`.
    pub attempt: u16,
    /// The job's budget (its posted reward): the most an ask may be.
    pub budget: U256,
    /// Stake the assignment locks.
    pub min_stake: U256,
    /// Stake any worker must hold free (the market's `minWorkerStake`).
    pub min_worker_stake: U256,
    /// The job's deadline (unix seconds).
    pub deadline: u64,
    /// Chain time now.
    pub now: u64,
}

impl AttemptTerms {
    /// Free stake a worker needs for the assignment not to revert.
    pub fn stake_needed(&self) -> U256 {
        self.min_stake
            .max(self.min_worker_stake)
            .max(U256::from(1u64))
    }
}

/// Why a bid was left out of the auction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// The bid names another job or attempt.
    #[error("bid is for {job} attempt {attempt}, not this attempt")]
    OtherAttempt {
        /// Job named by the bid.
        job: JobId,
        /// Attempt named by the bid.
        attempt: u16,
    },
    /// The bid expired.
    #[error("bid expired at {expires_at}")]
    Expired {
        /// Its expiry.
        expires_at: u64,
    },
    /// The bid does not accept the job's terms.
    #[error("bid does not accept the job's terms: {0}")]
    Terms(String),
    /// The worker was excluded after failing this job.
    #[error("worker excluded after a failure on this job")]
    Excluded,
    /// The signer's free stake does not cover the job.
    #[error("free stake {free} below the {needed} the job locks")]
    Stake {
        /// Free stake read from the chain.
        free: U256,
        /// Stake needed.
        needed: U256,
    },
}

/// Ranks signed bids for one attempt of a job: the eligible ones lowest ask first, ties
/// broken by `seed`; and every other bid with the reason it was skipped. `free_stake`
/// returns the signer's free stake read from the chain (`None`: unknown, skipped as zero).
/// Signatures must be checked before (`SignedBid::verify`).
pub fn rank_bids<'a>(
    terms: &AttemptTerms,
    bids: &'a [SignedBid],
    free_stake: impl Fn(Address) -> Option<U256>,
    excluded: &[Address],
    seed: &[u8],
) -> (Vec<&'a SignedBid>, Vec<(&'a SignedBid, Skip)>) {
    let mut eligible = Vec::new();
    let mut skipped = Vec::new();
    let needed = terms.stake_needed();
    for signed in bids {
        let b = &signed.bid;
        let skip = if b.job_id != terms.job_id || b.attempt != terms.attempt {
            Some(Skip::OtherAttempt {
                job: b.job_id,
                attempt: b.attempt,
            })
        } else if b.expires_at < terms.now {
            Some(Skip::Expired {
                expires_at: b.expires_at,
            })
        } else if b.ask.is_zero() || b.ask > terms.budget {
            Some(Skip::Terms(format!(
                "ask {} vs budget {}",
                b.ask, terms.budget
            )))
        } else if b.max_locked_stake < terms.min_stake {
            Some(Skip::Terms(format!(
                "locks at most {}, job locks {}",
                b.max_locked_stake, terms.min_stake
            )))
        } else if b.deadline_at_least > terms.deadline {
            Some(Skip::Terms(format!(
                "wants a deadline of at least {}, job has {}",
                b.deadline_at_least, terms.deadline
            )))
        } else if excluded.contains(&b.worker) {
            Some(Skip::Excluded)
        } else {
            let free = free_stake(b.worker).unwrap_or(U256::ZERO);
            (free < needed).then_some(Skip::Stake { free, needed })
        };
        match skip {
            Some(reason) => skipped.push((signed, reason)),
            None => eligible.push(signed),
        }
    }
    eligible.sort_by_key(|s| (s.bid.ask, tie_break(seed, s.bid.worker)));
    (eligible, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_signer_local::PrivateKeySigner;
    use arcanum_protocol::{Bid, JobKind, MarketDomain, Offer, Shape, ShapeId};

    fn pick(
        job: &JobSpec,
        offers: &[SignedOffer],
        excluded: &[Address],
        now: u64,
        seed: &[u8],
    ) -> Option<Address> {
        candidates(job, offers, excluded, now, seed)
            .first()
            .map(|s| s.offer.worker)
    }

    const SHAPE: Shape = Shape {
        id: ShapeId(1),
        kind: JobKind::SecaggSum,
        contributors: 4,
        dims: 8,
    };

    fn offer(byte: u8, ask: u64, shapes: Vec<ShapeId>, expires_at: u64) -> SignedOffer {
        SignedOffer {
            offer: Offer {
                peer_id: format!("peer{byte}"),
                worker: Address::repeat_byte(byte),
                kinds: vec![JobKind::SecaggSum],
                shapes,
                min_reward: U256::from(ask),
                capacity: 1,
                expires_at,
                issued_at_ms: 0,
            },
            signature: vec![],
        }
    }

    fn job(reward: u64) -> JobSpec {
        JobSpec {
            shape: SHAPE,
            input_commitment: U256::ZERO,
            reward: U256::from(reward),
            deadline: 0,
        }
    }

    #[test]
    fn lowest_eligible_ask_wins() {
        let offers = vec![
            offer(1, 50, vec![ShapeId(1)], 100),
            offer(2, 30, vec![ShapeId(1)], 100),
            offer(3, 10, vec![ShapeId(2)], 100),  // wrong shape
            offer(4, 5, vec![ShapeId(1)], 10),    // expired
            offer(5, 500, vec![ShapeId(1)], 100), // asks more than the reward
        ];
        let all = candidates(&job(100), &offers, &[], 50, b"seed");
        let order: Vec<_> = all.iter().map(|s| s.offer.worker).collect();
        assert_eq!(
            order,
            vec![Address::repeat_byte(2), Address::repeat_byte(1)]
        );
        let b = pick(&job(100), &offers, &[Address::repeat_byte(2)], 50, b"seed");
        assert_eq!(b, Some(Address::repeat_byte(1)));
    }

    #[test]
    fn ties_are_broken_by_the_public_seed_reproducibly() {
        let offers: Vec<_> = (1..=8)
            .map(|b| offer(b, 10, vec![ShapeId(1)], 100))
            .collect();
        let picks: std::collections::HashSet<_> = (0..32u8)
            .map(|s| pick(&job(10), &offers, &[], 0, &[s]).expect("eligible"))
            .collect();
        assert!(picks.len() > 1, "the seed spreads ties over workers");
        assert_eq!(
            pick(&job(10), &offers, &[], 0, b"x"),
            pick(&job(10), &offers, &[], 0, b"x")
        );
    }

    const JOB: JobId = JobId(U256::from_limbs([9, 0, 0, 0]));

    fn terms() -> AttemptTerms {
        AttemptTerms {
            job_id: JOB,
            attempt: 1,
            budget: U256::from(100u64),
            min_stake: U256::from(50u64),
            min_worker_stake: U256::from(10u64),
            deadline: 1_000,
            now: 500,
        }
    }

    fn bid(key: &PrivateKeySigner, ask: u64, edit: impl FnOnce(&mut Bid)) -> SignedBid {
        let mut b = Bid {
            job_id: JOB,
            worker: key.address(),
            attempt: 1,
            ask: U256::from(ask),
            max_locked_stake: U256::from(50u64),
            deadline_at_least: 900,
            expires_at: 600,
        };
        edit(&mut b);
        let domain = MarketDomain {
            chain_id: 1,
            market: Address::ZERO,
        };
        b.sign(&domain, key).expect("sign")
    }

    #[test]
    fn unstaked_lowest_ask_is_skipped_and_the_next_bid_wins() {
        let keys: Vec<_> = (0..3).map(|_| PrivateKeySigner::random()).collect();
        let bids = vec![
            bid(&keys[0], 1, |_| {}),  // cheapest, but no free stake
            bid(&keys[1], 30, |_| {}), // staked
            bid(&keys[2], 20, |_| {}), // staked, cheaper
        ];
        let unstaked = keys[0].address();
        let stake = |w: Address| Some(U256::from(if w == unstaked { 0u64 } else { 50 }));
        let (ranked, skipped) = rank_bids(&terms(), &bids, stake, &[], b"seed");
        let order: Vec<_> = ranked.iter().map(|b| b.bid.worker).collect();
        assert_eq!(order, vec![keys[2].address(), keys[1].address()]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].0.bid.worker, unstaked);
        assert!(matches!(skipped[0].1, Skip::Stake { .. }));
        assert!(skipped[0].1.to_string().contains("free stake 0"));
    }

    #[test]
    fn bids_that_do_not_accept_the_attempts_terms_are_skipped_with_a_reason() {
        let k = PrivateKeySigner::random();
        let staked = |_| Some(U256::from(1_000u64));
        let cases: Vec<(SignedBid, &str)> = vec![
            (bid(&k, 10, |b| b.attempt = 0), "attempt 0"),
            (
                bid(&k, 10, |b| b.job_id = JobId(U256::from(8u64))),
                "not this attempt",
            ),
            (bid(&k, 10, |b| b.expires_at = 499), "expired"),
            (bid(&k, 101, |_| {}), "ask 101"),
            (
                bid(&k, 10, |b| b.max_locked_stake = U256::from(49u64)),
                "locks at most 49",
            ),
            (
                bid(&k, 10, |b| b.deadline_at_least = 1_001),
                "at least 1001",
            ),
        ];
        for (b, why) in cases {
            let (ranked, skipped) = rank_bids(&terms(), std::slice::from_ref(&b), staked, &[], b"");
            assert!(ranked.is_empty(), "{why}");
            assert!(
                skipped[0].1.to_string().contains(why),
                "{} vs {why}",
                skipped[0].1
            );
        }
        let ok = bid(&k, 10, |_| {});
        let (ranked, _) = rank_bids(&terms(), std::slice::from_ref(&ok), staked, &[], b"");
        assert_eq!(ranked.len(), 1);
        let (ranked, skipped) = rank_bids(
            &terms(),
            std::slice::from_ref(&ok),
            staked,
            &[k.address()],
            b"",
        );
        assert!(ranked.is_empty());
        assert_eq!(skipped[0].1, Skip::Excluded);
        // The market's minimum worker stake counts even when the job locks less.
        let t = AttemptTerms {
            min_stake: U256::from(5u64),
            ..terms()
        };
        let low = |_| Some(U256::from(9u64));
        let (ranked, _) = rank_bids(&t, std::slice::from_ref(&ok), low, &[], b"");
        assert!(ranked.is_empty(), "9 free < minWorkerStake 10");
    }
}
