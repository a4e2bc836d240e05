//! The live offers a requester holds, indexed by kind and shape and ordered by ask, so a
//! job's candidates are a walk over the front of its list instead of a scan and a sort of
//! every offer. [`OfferIndex::candidates`] returns exactly the first `k` of
//! [`crate::candidates`], ties in ask broken by the job's own seed.

use crate::tie_break;
use alloy_primitives::Address;
use arcanum_protocol::{JobKind, JobSpec, ShapeId, SignedOffer};
use std::collections::HashMap;

/// Offers indexed by kind and shape, each list ordered by ask.
#[derive(Debug, Default)]
pub struct OfferIndex {
    offers: Vec<SignedOffer>,
    /// Per kind and shape: positions in `offers`, by ask.
    lists: HashMap<(JobKind, ShapeId), Vec<u32>>,
}

impl OfferIndex {
    /// Indexes `offers` (one per worker, as a node's offer table holds them).
    pub fn new(offers: Vec<SignedOffer>) -> Self {
        let mut lists: HashMap<(JobKind, ShapeId), Vec<u32>> = HashMap::new();
        for (i, s) in offers.iter().enumerate() {
            for kind in &s.offer.kinds {
                for shape in &s.offer.shapes {
                    lists.entry((*kind, *shape)).or_default().push(i as u32);
                }
            }
        }
        for list in lists.values_mut() {
            list.sort_by_key(|&i| offers[i as usize].offer.min_reward);
        }
        Self { offers, lists }
    }

    /// Offers indexed.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// Whether no offer is indexed.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    /// The first `k` offers [`crate::candidates`] would return for `job`, in its order.
    pub fn candidates(
        &self,
        job: &JobSpec,
        excluded: &[Address],
        now: u64,
        seed: &[u8],
        k: usize,
    ) -> Vec<&SignedOffer> {
        let Some(list) = self.lists.get(&(job.shape.kind, job.shape.id)) else {
            return Vec::new();
        };
        let mut fit: Vec<&SignedOffer> = Vec::new();
        for &i in list {
            let s = &self.offers[i as usize];
            let o = &s.offer;
            if o.min_reward > job.reward {
                break;
            }
            // Past `k`, only offers tied with the k-th in ask can still enter (by seed).
            // `fit` is in ask order, so `fit[k - 1]` holds the k-th ask.
            if fit.len() >= k && (k == 0 || o.min_reward > fit[k - 1].offer.min_reward) {
                break;
            }
            if o.expires_at >= now && o.capacity > 0 && !excluded.contains(&o.worker) {
                fit.push(s);
            }
        }
        fit.sort_by_key(|s| (s.offer.min_reward, tie_break(seed, s.offer.worker)));
        fit.truncate(k);
        fit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;
    use arcanum_protocol::{Offer, Shape};

    fn offer(i: u64, asks: u64, kinds: Vec<JobKind>, shapes: Vec<ShapeId>) -> SignedOffer {
        SignedOffer {
            offer: Offer {
                peer_id: format!("peer{i}"),
                worker: Address::left_padding_from(&i.to_be_bytes()),
                kinds,
                shapes,
                // Few distinct asks: many ties for the seed to break.
                min_reward: U256::from(1 + (i * 7919) % asks),
                capacity: u32::from(!i.is_multiple_of(9)),
                expires_at: 100 + (i * 31) % 50,
                issued_at_ms: 0,
            },
            signature: vec![],
        }
    }

    #[test]
    fn candidates_are_exactly_the_front_of_the_scan() {
        let offers: Vec<SignedOffer> = (0..600u64)
            .map(|i| {
                let kinds = if i % 3 == 0 {
                    vec![JobKind::HeLinear]
                } else {
                    vec![JobKind::SecaggSum, JobKind::FlRound]
                };
                offer(i, 12, kinds, vec![ShapeId(1 + (i % 2) as u32), ShapeId(3)])
            })
            .collect();
        let index = OfferIndex::new(offers.clone());
        assert_eq!(index.len(), 600);
        let excluded: Vec<Address> = [4u64, 8, 10]
            .iter()
            .map(|i| Address::left_padding_from(&i.to_be_bytes()))
            .collect();
        for (kind, id) in [
            (JobKind::SecaggSum, 1),
            (JobKind::SecaggSum, 3),
            (JobKind::HeLinear, 2),
            (JobKind::FlRound, 3),
            (JobKind::SecaggSum, 9),
        ] {
            for reward in [0u64, 1, 5, 12, 100] {
                for k in [0usize, 1, 3, 8, 1000] {
                    for now in [0u64, 120, 200] {
                        let job = JobSpec {
                            shape: Shape {
                                id: ShapeId(id),
                                kind,
                                contributors: 4,
                                dims: 8,
                            },
                            input_commitment: U256::ZERO,
                            reward: U256::from(reward),
                            deadline: 0,
                        };
                        let seed = [kind.code(), id as u8, reward as u8];
                        let scan: Vec<&SignedOffer> =
                            crate::candidates(&job, &offers, &excluded, now, &seed)
                                .into_iter()
                                .take(k)
                                .collect();
                        let got = index.candidates(&job, &excluded, now, &seed, k);
                        assert_eq!(got, scan, "{kind:?} {id} reward {reward} k {k} now {now}");
                    }
                }
            }
        }
    }
}
