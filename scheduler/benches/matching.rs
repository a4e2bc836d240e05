//! `cargo bench -p arcanum-scheduler --bench matching`: matching many jobs against many
//! offers with the index (`book::OfferBook`) and, in the same run, with the per-job scan
//! the requester does today (`candidates`, then the first worker with capacity and stake),
//! and a stake-weighted committee draw over many candidates. Ends with `name: value` lines:
//!
//! - `scheduler_10k_x_10k_seconds`: index built and 10,000 jobs placed over 10,000 offers
//!   (3 shapes, capacities 1 to 4, asks and stakes spread), median of 5 runs;
//! - `scheduler_scan_500_jobs_seconds`, `scheduler_index_500_jobs_seconds`,
//!   `scheduler_speedup_vs_scan`: the first 500 of those jobs both ways (the scan sorts
//!   every fitting offer per job: 10,000 jobs would take minutes), same placements checked;
//! - `committee_sample_1000_ms`: drawing a 5-member committee by stake from 1,000
//!   candidates (`protocol::draw_weighted`), median of 21 runs.
#![allow(missing_docs)]

use alloy_primitives::{Address, U256};
use arcanum_protocol::{JobKind, JobSpec, Offer, Shape, ShapeId, SignedOffer, draw_weighted};
use arcanum_scheduler::book::{OfferBook, Placement};
use std::{collections::HashMap, time::Instant};

const SHAPES: [Shape; 3] = [
    Shape {
        id: ShapeId(1),
        kind: JobKind::SecaggSum,
        contributors: 4,
        dims: 8,
    },
    Shape {
        id: ShapeId(2),
        kind: JobKind::HeLinear,
        contributors: 4,
        dims: 8,
    },
    Shape {
        id: ShapeId(3),
        kind: JobKind::SecaggSum,
        contributors: 16,
        dims: 64,
    },
];

/// A deterministic spread of numbers.
fn mix(i: u64, salt: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x.wrapping_mul(0x94D0_49BB_1331_11EB) ^ (x >> 29)
}

fn worker(i: u64) -> Address {
    let mut b = [0u8; 20];
    b[..8].copy_from_slice(&i.to_be_bytes());
    b[8..16].copy_from_slice(&mix(i, 1).to_be_bytes());
    Address::from(b)
}

fn offers(n: u64) -> Vec<SignedOffer> {
    (0..n)
        .map(|i| {
            let shapes: Vec<Shape> = SHAPES
                .iter()
                .enumerate()
                .filter(|(k, _)| !mix(i, 2 + *k as u64).is_multiple_of(3))
                .map(|(_, s)| *s)
                .collect();
            SignedOffer {
                offer: Offer {
                    peer_id: String::new(),
                    worker: worker(i),
                    kinds: shapes.iter().map(|s| s.kind).collect(),
                    shapes: shapes.iter().map(|s| s.id).collect(),
                    // Asks of 1 to 20 (many ties, broken by the seed).
                    min_reward: U256::from(1 + mix(i, 7) % 20),
                    capacity: 1 + (mix(i, 8) % 4) as u32,
                    expires_at: 1_000 + mix(i, 9) % 100,
                    issued_at_ms: 0,
                },
                signature: vec![],
            }
        })
        .collect()
}

fn jobs(n: u64) -> Vec<JobSpec> {
    (0..n)
        .map(|i| JobSpec {
            shape: SHAPES[(mix(i, 10) % 3) as usize],
            input_commitment: U256::ZERO,
            reward: U256::from(5 + mix(i, 11) % 20),
            deadline: 0,
        })
        .collect()
}

fn stake_of(w: Address) -> U256 {
    // 1 to 8 jobs' worth.
    U256::from(100 * (1 + (w.0[19] as u64 % 8)))
}

/// The requester's scan per job: every fitting offer sorted, then the first worker with
/// capacity and stake left.
fn scan(offers: &[SignedOffer], jobs: &[JobSpec], now: u64, seed: &[u8]) -> Vec<Option<Address>> {
    let mut left: HashMap<Address, (u32, U256)> = HashMap::new();
    for s in offers {
        left.insert(s.offer.worker, (s.offer.capacity, stake_of(s.offer.worker)));
    }
    jobs.iter()
        .map(|j| {
            for s in arcanum_scheduler::candidates(j, offers, &[], now, seed) {
                let l = left.get_mut(&s.offer.worker)?;
                if l.0 > 0 && l.1 >= U256::from(100u64) {
                    l.0 -= 1;
                    l.1 -= U256::from(100u64);
                    return Some(s.offer.worker);
                }
            }
            None
        })
        .collect()
}

fn indexed(
    offers: &[SignedOffer],
    jobs: &[JobSpec],
    now: u64,
    seed: &[u8],
) -> Vec<Option<Address>> {
    let mut book = OfferBook::new(offers, stake_of, now, seed);
    let placements: Vec<Placement> = jobs
        .iter()
        .map(|j| Placement {
            job: j,
            stake: U256::from(100u64),
            excluded: &[],
        })
        .collect();
    book.assign(&placements)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let (now, seed) = (1_000u64, b"block 0x42".as_slice());
    let all_offers = offers(10_000);
    let all_jobs = jobs(10_000);

    let mut placed = 0;
    let full: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let got = indexed(&all_offers, &all_jobs, now, seed);
            placed = got.iter().filter(|g| g.is_some()).count();
            t.elapsed().as_secs_f64()
        })
        .collect();

    let few = &all_jobs[..500];
    let t = Instant::now();
    let theirs = scan(&all_offers, few, now, seed);
    let scan_s = t.elapsed().as_secs_f64();
    let ours_s = median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                let _ = indexed(&all_offers, few, now, seed);
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    let ours = indexed(&all_offers, few, now, seed);
    assert_eq!(ours, theirs, "the index places the jobs as the scan does");

    let weights: Vec<U256> = (0..1_000u64)
        .map(|i| U256::from(1 + mix(i, 12) % 1_000))
        .collect();
    let draws: Vec<f64> = (0..21u8)
        .map(|s| {
            let t = Instant::now();
            let chosen = draw_weighted(&weights, 5, [s; 32]);
            assert_eq!(chosen.len(), 5);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();

    println!("scheduler_10k_x_10k_placed: {placed}");
    println!("scheduler_10k_x_10k_seconds: {:.4}", median(full));
    println!("scheduler_scan_500_jobs_seconds: {scan_s:.4}");
    println!("scheduler_index_500_jobs_seconds: {ours_s:.4}");
    println!("scheduler_speedup_vs_scan: {:.0}", scan_s / ours_s);
    println!("committee_sample_1000_ms: {:.3}", median(draws));
}
