//! Matching at volume: an index of offers by kind and shape, and a greedy matcher of many
//! jobs against many offers in one pass.
//!
//! [`OfferBook::new`] keeps, per `(kind, shape)`, the live offers ordered by ask, ties
//! broken by `keccak256(seed || worker)` under one public seed for the whole round (a block
//! hash, say), so every observer reproduces the order. [`OfferBook::assign`] then places
//! jobs one by one in the order given: each takes the first offer of its kind and shape
//! whose ask is within its reward, whose worker still has capacity and free stake for it
//! and that is not excluded; capacity and free stake are spent as jobs are placed. A job
//! costs a lookup and a walk over the offers skipped for it (asks above its reward end
//! the walk: the list is sorted by ask), instead of a scan and a sort of every offer.

use crate::tie_break;
use alloy_primitives::{Address, U256};
use arcanum_protocol::{JobKind, JobSpec, ShapeId, SignedOffer};
use std::collections::{BTreeMap, HashMap};

/// One worker's standing in a matching round.
#[derive(Clone, Debug)]
struct Worker {
    capacity: u32,
    free_stake: U256,
}

/// Offers indexed for a matching round.
#[derive(Debug)]
pub struct OfferBook<'a> {
    /// Per kind and shape: offers ordered by (ask, tie-break).
    lists: HashMap<(JobKind, ShapeId), Vec<&'a SignedOffer>>,
    /// Per worker: capacity left and free stake left (its latest offer counts).
    workers: HashMap<Address, Worker>,
}

/// A job to place: its terms, the stake its assignment locks, and the workers it must not
/// go to.
#[derive(Clone, Debug)]
pub struct Placement<'j> {
    /// The job.
    pub job: &'j JobSpec,
    /// Stake the assignment locks (at least 1, as the market requires: a worker with no
    /// free stake left takes no more jobs).
    pub stake: U256,
    /// Workers excluded (they failed this job).
    pub excluded: &'j [Address],
}

impl<'a> OfferBook<'a> {
    /// Indexes the offers live at `now` (unexpired, with capacity), each worker's latest
    /// (by expiry) standing for it, with `free_stake` per worker (read from the chain).
    pub fn new(
        offers: &'a [SignedOffer],
        free_stake: impl Fn(Address) -> U256,
        now: u64,
        seed: &[u8],
    ) -> Self {
        // A worker's latest offer stands for it.
        let mut latest: HashMap<Address, &'a SignedOffer> = HashMap::new();
        for s in offers
            .iter()
            .filter(|s| s.offer.expires_at >= now && s.offer.capacity > 0)
        {
            latest
                .entry(s.offer.worker)
                .and_modify(|cur| {
                    if s.offer.supersedes(&cur.offer) {
                        *cur = s;
                    }
                })
                .or_insert(s);
        }
        let mut keyed: HashMap<(JobKind, ShapeId), BTreeMap<_, &'a SignedOffer>> = HashMap::new();
        let mut workers = HashMap::with_capacity(latest.len());
        for (worker, s) in latest {
            let o = &s.offer;
            workers.insert(
                worker,
                Worker {
                    capacity: o.capacity,
                    free_stake: free_stake(worker),
                },
            );
            let order = (o.min_reward, tie_break(seed, worker));
            for kind in &o.kinds {
                for shape in &o.shapes {
                    keyed.entry((*kind, *shape)).or_default().insert(order, s);
                }
            }
        }
        let lists = keyed
            .into_iter()
            .map(|(k, m)| (k, m.into_values().collect()))
            .collect();
        Self { lists, workers }
    }

    /// Offers of `kind` and `shape`, in order.
    pub fn offers(&self, kind: JobKind, shape: ShapeId) -> &[&'a SignedOffer] {
        self.lists
            .get(&(kind, shape))
            .map_or(&[][..], |v| v.as_slice())
    }

    /// Places `jobs` in order; returns, per job, the worker it goes to (`None`: no offer
    /// fits). Capacity and free stake are spent as jobs are placed.
    pub fn assign(&mut self, jobs: &[Placement<'_>]) -> Vec<Option<Address>> {
        // Per list, offers whose worker is spent for good (no capacity or no free stake
        // left) are skipped from the front once, so a long run of spent workers is walked
        // once, not per job.
        let mut start: HashMap<(JobKind, ShapeId), usize> = HashMap::new();
        jobs.iter()
            .map(|p| {
                let key = (p.job.shape.kind, p.job.shape.id);
                let list = self.lists.get(&key)?;
                let first = start.entry(key).or_insert(0);
                while *first < list.len()
                    && self
                        .workers
                        .get(&list[*first].offer.worker)
                        .is_none_or(|w| w.capacity == 0 || w.free_stake.is_zero())
                {
                    *first += 1;
                }
                for s in &list[*first..] {
                    let o = &s.offer;
                    if o.min_reward > p.job.reward {
                        // Sorted by ask: nothing further fits this reward.
                        return None;
                    }
                    if p.excluded.contains(&o.worker) {
                        continue;
                    }
                    let w = self.workers.get_mut(&o.worker)?;
                    if w.capacity == 0 || w.free_stake < p.stake {
                        continue;
                    }
                    w.capacity -= 1;
                    w.free_stake -= p.stake;
                    return Some(o.worker);
                }
                None
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arcanum_protocol::{Offer, Shape};

    fn shape(id: u32, kind: JobKind) -> Shape {
        Shape {
            id: ShapeId(id),
            kind,
            contributors: 4,
            dims: 8,
        }
    }

    fn offer(byte: u8, ask: u64, capacity: u32, shapes: &[Shape], expires_at: u64) -> SignedOffer {
        SignedOffer {
            offer: Offer {
                peer_id: format!("peer{byte}"),
                worker: Address::repeat_byte(byte),
                kinds: shapes.iter().map(|s| s.kind).collect(),
                shapes: shapes.iter().map(|s| s.id).collect(),
                min_reward: U256::from(ask),
                capacity,
                expires_at,
                issued_at_ms: 0,
            },
            signature: vec![],
        }
    }

    fn job(s: Shape, reward: u64) -> JobSpec {
        JobSpec {
            shape: s,
            input_commitment: U256::ZERO,
            reward: U256::from(reward),
            deadline: 0,
        }
    }

    #[test]
    fn the_index_orders_as_the_scan_does() {
        let a = shape(1, JobKind::SecaggSum);
        let offers: Vec<SignedOffer> = (1..=40u8)
            .map(|b| offer(b, u64::from(b % 5) * 10, 1, &[a], 100))
            .collect();
        let book = OfferBook::new(&offers, |_| U256::MAX, 50, b"round");
        let scanned = crate::candidates(&job(a, 1_000), &offers, &[], 50, b"round");
        let indexed: Vec<Address> = book
            .offers(a.kind, a.id)
            .iter()
            .map(|s| s.offer.worker)
            .collect();
        assert_eq!(
            indexed,
            scanned.iter().map(|s| s.offer.worker).collect::<Vec<_>>()
        );
    }

    #[test]
    fn capacity_stake_reward_kind_and_exclusions_are_respected() {
        let (a, b) = (shape(1, JobKind::SecaggSum), shape(2, JobKind::HeLinear));
        let offers = vec![
            offer(1, 10, 2, &[a], 100),    // cheapest, two slots, stake for one job
            offer(2, 20, 1, &[a, b], 100), // both shapes
            offer(3, 5, 3, &[b], 10),      // expired at 50
            offer(4, 50, 1, &[a], 100),    // dear
        ];
        let stake = |w: Address| {
            U256::from(if w == Address::repeat_byte(1) {
                100u64
            } else {
                1_000
            })
        };
        let mut book = OfferBook::new(&offers, stake, 50, b"round");
        let jobs = [
            job(a, 100),
            job(a, 100),
            job(b, 100),
            job(a, 30),
            job(a, 100),
        ];
        let excluded = [Address::repeat_byte(4)];
        let placements: Vec<Placement> = jobs
            .iter()
            .enumerate()
            .map(|(i, j)| Placement {
                job: j,
                stake: U256::from(100u64),
                excluded: if i == 4 { &excluded } else { &[] },
            })
            .collect();
        let got = book.assign(&placements);
        assert_eq!(
            got,
            vec![
                Some(Address::repeat_byte(1)), // cheapest
                Some(Address::repeat_byte(2)), // worker 1 has capacity but no stake left
                None,                          // worker 2 is full; worker 3 expired
                None,                          // reward 30: only worker 4 (ask 50) is free
                None,                          // worker 4 excluded
            ]
        );
    }
}
