//! # arcanum-scheduler
//!
//! Pure matching logic, no IO: given the verified offers a requester has heard and a job,
//! pick the worker to assign. Today: a reverse auction over eligible offers (supports the
//! job's kind and shape, asks no more than the reward, not expired, not excluded after a
//! failure), lowest ask first, ties broken by a public seed so every observer reproduces
//! the choice.

use alloy_primitives::{Address, U256, keccak256};
use arcanum_protocol::{JobSpec, SignedOffer};

/// Why no worker could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No offer fits the job.
    #[error(
        "no eligible offer among {seen} for {shape} at reward {reward}: raise the reward or wait for workers to advertise"
    )]
    NoEligibleOffer {
        /// Offers considered.
        seen: usize,
        /// The job's shape name.
        shape: String,
        /// The job's reward.
        reward: U256,
    },
}

/// A chosen worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The worker's Ethereum address.
    pub worker: Address,
    /// Its libp2p peer id (base58).
    pub peer_id: String,
    /// Its ask.
    pub ask: U256,
}

/// Picks a worker for `job` among `offers`, skipping `excluded` workers (e.g. ones that
/// already failed this job). `seed` is public (e.g. the job id's bytes) and breaks ties.
pub fn select(
    job: &JobSpec,
    offers: &[SignedOffer],
    excluded: &[Address],
    now: u64,
    seed: &[u8],
) -> Result<Assignment, Error> {
    offers
        .iter()
        .map(|s| &s.offer)
        .filter(|o| {
            o.kinds.contains(&job.shape.kind)
                && o.shapes.contains(&job.shape.id)
                && o.min_reward <= job.reward
                && o.expires_at >= now
                && o.capacity > 0
                && !excluded.contains(&o.worker)
        })
        .min_by_key(|o| {
            (
                o.min_reward,
                keccak256([seed, o.worker.as_slice()].concat()),
            )
        })
        .map(|o| Assignment {
            worker: o.worker,
            peer_id: o.peer_id.clone(),
            ask: o.min_reward,
        })
        .ok_or_else(|| Error::NoEligibleOffer {
            seen: offers.len(),
            shape: job.shape.name(),
            reward: job.reward,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arcanum_protocol::{JobKind, Offer, Shape, ShapeId};

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
        let a = select(&job(100), &offers, &[], 50, b"seed").expect("eligible");
        assert_eq!(a.worker, Address::repeat_byte(2));
        let b =
            select(&job(100), &offers, &[Address::repeat_byte(2)], 50, b"seed").expect("eligible");
        assert_eq!(b.worker, Address::repeat_byte(1));
    }

    #[test]
    fn ties_are_broken_by_the_public_seed_reproducibly() {
        let offers: Vec<_> = (1..=8)
            .map(|b| offer(b, 10, vec![ShapeId(1)], 100))
            .collect();
        let picks: std::collections::HashSet<_> = (0..32u8)
            .map(|s| {
                select(&job(10), &offers, &[], 0, &[s])
                    .expect("eligible")
                    .worker
            })
            .collect();
        assert!(picks.len() > 1, "the seed spreads ties over workers");
        assert_eq!(
            select(&job(10), &offers, &[], 0, b"x").expect("eligible"),
            select(&job(10), &offers, &[], 0, b"x").expect("eligible")
        );
    }

    #[test]
    fn nothing_eligible_is_a_clear_error() {
        let err =
            select(&job(1), &[offer(1, 50, vec![ShapeId(1)], 100)], &[], 0, b"").expect_err("none");
        assert!(err.to_string().contains("raise the reward"));
    }
}
