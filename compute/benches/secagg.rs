//! `cargo bench -p arcanum-compute --bench secagg`: one SDA clerk's work at Snips' scale,
//! 100 values from each of 250,000 contributors. Ends with one `name: value` line per
//! figure.
//!
//! The clerk receives one share vector per contributor on the wire (32-byte canonical
//! field elements), decodes and checks every element, and adds it to its running sum;
//! that is all a clerk does. Snips' published figure for the same job is about 6 minutes
//! on a Raspberry Pi 3.
//!
//! - `snips_clerk_seconds`, `snips_clerk_download_bytes`: packed Shamir committee (the
//!   configuration printed beside it), median of 3 runs;
//! - `snips_clerk_seconds_unpacked`, `snips_clerk_download_bytes_unpacked`: classic
//!   Shamir, one share per value.
//!
//! The share vectors fed to the timed clerk are uniformly random canonical elements: that
//! is exactly the distribution a sub-threshold clerk sees (`secagg`'s view-independence
//! test), and it saves minutes of contributor-side sharing. A smaller end-to-end run with
//! real contributions checks the same committees reconstruct the true sum first.
#![allow(missing_docs, clippy::unwrap_used)]

use arcanum_compute::{
    Fr,
    secagg::{self, Clerk, Committee},
    wire,
};
use ark_ff::UniformRand;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::Instant;

const CONTRIBUTORS: usize = 250_000;
const VALUES: usize = 100;

/// Runs one clerk over `CONTRIBUTORS` inbound share vectors of `len` elements; returns
/// (median seconds of 3 runs, download bytes).
fn clerk_run(len: usize, rng: &mut ChaCha20Rng) -> (f64, usize) {
    let mut inbox = Vec::with_capacity(CONTRIBUTORS * len * wire::FR_BYTES);
    for _ in 0..CONTRIBUTORS {
        let share: Vec<Fr> = (0..len).map(|_| Fr::rand(rng)).collect();
        inbox.extend_from_slice(&wire::encode(&share));
    }
    let bytes = inbox.len();
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut clerk = Clerk::new(1, len);
        for msg in inbox.chunks_exact(len * wire::FR_BYTES) {
            clerk.absorb_bytes(msg).unwrap();
        }
        let sum = clerk.finish();
        times.push(started.elapsed().as_secs_f64());
        assert_eq!(sum.sum.len(), len);
    }
    times.sort_by(f64::total_cmp);
    (times[1], bytes)
}

fn main() {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let packed = Committee {
        clerks: 10,
        threshold: 8,
        packing: 5,
    };
    let plain = Committee::plain(10, 4);

    // Correctness at a smaller scale with real contributions through both committees,
    // contributor 3 and clerks 1 and 10 dropping out.
    for committee in [packed, plain] {
        let values: Vec<Vec<Fr>> = (0..200u64)
            .map(|i| (0..VALUES as u64).map(|j| Fr::from(i * j + 1)).collect())
            .collect();
        let expected: Vec<Fr> = (0..VALUES)
            .map(|j| {
                values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 3)
                    .map(|(_, v)| v[j])
                    .sum()
            })
            .collect();
        let got =
            secagg::aggregate_with_dropouts(&values, committee, &[3], &[0, 9], &mut rng).unwrap();
        assert_eq!(got, expected, "{committee:?}");
    }

    let (packed_s, packed_bytes) = clerk_run(packed.share_len(VALUES), &mut rng);
    let (plain_s, plain_bytes) = clerk_run(plain.share_len(VALUES), &mut rng);

    println!("snips_contributors: {CONTRIBUTORS}");
    println!("snips_values: {VALUES}");
    println!(
        "snips_clerk_committee: clerks={} threshold={} privacy={} packing={}",
        packed.clerks,
        packed.threshold,
        packed.threshold - packed.packing,
        packed.packing
    );
    println!("snips_clerk_seconds: {packed_s:.3}");
    println!("snips_clerk_download_bytes: {packed_bytes}");
    println!(
        "snips_clerk_committee_unpacked: clerks={} threshold={} privacy={}",
        plain.clerks,
        plain.threshold,
        plain.threshold - 1
    );
    println!("snips_clerk_seconds_unpacked: {plain_s:.3}");
    println!("snips_clerk_download_bytes_unpacked: {plain_bytes}");
    println!("snips_clerk_published_seconds_raspberry_pi_3: 360");
}
