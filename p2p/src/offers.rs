//! The live offers a node has verified: one per worker (the latest issued wins), bounded,
//! expired ones pruned. The event loop fills it from gossip and from the offers its peers
//! hand over when a connection opens, and serves it to the peers that ask; the node's
//! roles read it through [`crate::Client::offers`].

use arcanum_protocol::{Address, SignedOffer};
use libp2p::PeerId;
use std::{
    collections::HashMap,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

/// Most offers a node keeps (one per worker): about 5 MB at ~500 bytes each.
pub const MAX_OFFERS: usize = 10_000;

/// The verified, unexpired offers heard, one per worker.
#[derive(Debug)]
pub struct OfferTable {
    offers: Mutex<HashMap<Address, SignedOffer>>,
    max: usize,
    /// Bumped whenever an offer is kept: readers that index the table rebuild on change.
    generation: AtomicU64,
}

impl Default for OfferTable {
    fn default() -> Self {
        Self::with_capacity(MAX_OFFERS)
    }
}

impl OfferTable {
    /// A table holding at most `max` offers.
    pub fn with_capacity(max: usize) -> Self {
        Self {
            offers: Mutex::default(),
            max: max.max(1),
            generation: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Address, SignedOffer>> {
        // Each step below is one insert or one retain: a panic elsewhere while the lock was
        // held leaves a consistent map, so keep using it.
        self.offers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `offer` (already verified) unless its worker's offer in the table supersedes
    /// it; returns whether it was kept. Over the bound, the offers closest to expiry go.
    pub fn insert(&self, offer: SignedOffer, now: u64) -> bool {
        let mut offers = self.lock();
        match offers.get(&offer.offer.worker) {
            Some(cur) if !offer.offer.supersedes(&cur.offer) => return false,
            _ => {}
        }
        offers.insert(offer.offer.worker, offer);
        if offers.len() > self.max {
            prune(&mut offers, self.max, now);
        }
        self.generation.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// A counter bumped whenever an offer is kept (expiries do not bump it).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// The live offers (expired ones dropped), in no particular order.
    pub fn live(&self, now: u64) -> Vec<SignedOffer> {
        let mut offers = self.lock();
        prune(&mut offers, self.max, now);
        offers.values().cloned().collect()
    }

    /// How many live offers the table holds.
    pub fn len(&self, now: u64) -> usize {
        let mut offers = self.lock();
        prune(&mut offers, self.max, now);
        offers.len()
    }

    /// Whether the table holds no live offer.
    pub fn is_empty(&self, now: u64) -> bool {
        self.len(now) == 0
    }

    /// The peer `worker`'s offer names.
    pub fn peer_of(&self, worker: Address) -> Option<PeerId> {
        self.lock().get(&worker)?.offer.peer_id.parse().ok()
    }
}

/// Drops expired offers, then the ones closest to expiry beyond `max`.
fn prune(offers: &mut HashMap<Address, SignedOffer>, max: usize, now: u64) {
    offers.retain(|_, o| o.offer.expires_at >= now);
    if offers.len() > max {
        let mut by_expiry: Vec<(u64, Address)> = offers
            .iter()
            .map(|(w, o)| (o.offer.expires_at, *w))
            .collect();
        by_expiry.sort_unstable();
        let excess = offers.len() - max;
        for (_, w) in by_expiry.iter().take(excess) {
            offers.remove(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arcanum_protocol::{JobKind, Offer, U256};

    fn offer(byte: u8, issued_at_ms: u64, expires_at: u64) -> SignedOffer {
        SignedOffer {
            offer: Offer {
                peer_id: format!("peer{byte}"),
                worker: Address::repeat_byte(byte),
                kinds: vec![JobKind::SecaggSum],
                shapes: vec![],
                min_reward: U256::from(1u64),
                capacity: 1,
                expires_at,
                issued_at_ms,
            },
            signature: vec![],
        }
    }

    #[test]
    fn the_latest_offer_of_a_worker_stands_and_an_older_one_is_refused() {
        let table = OfferTable::default();
        assert!(table.insert(offer(1, 2_000, 100), 0));
        assert!(!table.insert(offer(1, 1_000, 200), 0), "older issue");
        assert!(!table.insert(offer(1, 2_000, 100), 0), "same offer again");
        assert_eq!(table.generation(), 1, "only a kept offer bumps it");
        assert!(table.insert(offer(1, 3_000, 90), 0));
        assert_eq!(table.generation(), 2);
        let live = table.live(0);
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].offer.issued_at_ms, 3_000);
    }

    #[test]
    fn expired_offers_are_pruned_and_the_table_stays_bounded() {
        let table = OfferTable::with_capacity(3);
        for b in 1..=5u8 {
            table.insert(offer(b, 1, 100 + u64::from(b)), 50);
        }
        // Over the bound, the offers closest to expiry went.
        let mut left: Vec<u8> = table.live(50).iter().map(|o| o.offer.worker.0[0]).collect();
        left.sort_unstable();
        assert_eq!(left, vec![3, 4, 5]);
        assert_eq!(table.len(105), 1, "offers that expired before 105 are gone");
        assert!(table.is_empty(106));
    }
}
