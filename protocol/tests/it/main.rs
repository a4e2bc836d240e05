//! Hostile bytes into every wire decoder: random, truncated, bit-flipped, grown and
//! oversized encodings of offers, bids and job requests. Nothing panics, and a signed
//! message that decodes to anything other than what was signed never verifies. Seeded, so a
//! failure reproduces; 20,000 inputs per decoder.

use alloy_primitives::U256;
use arcanum_protocol::{JobId, JobKind, JobRequest, JobResponse, ShapeId, SignedOffer};
use rand::{SeedableRng, rngs::StdRng};

mod mutate;
mod samples;
use mutate::mutate;

const INPUTS: usize = 20_000;

#[test]
fn no_decoder_panics_and_tampered_signed_messages_never_verify() {
    let key = samples::key();
    let offer = samples::offer(&key);
    let domain = samples::domain();
    let bid = samples::bid(&domain, &key);
    let request = JobRequest::Run {
        job_id: JobId(U256::from(3u64)),
        shape: arcanum_protocol::Shape {
            id: ShapeId(1),
            kind: JobKind::SecaggSum,
            contributors: 2,
            dims: 2,
        },
        inputs: vec![vec![U256::from(1u64); 2]; 2],
        weights: vec![1, -1],
        anchors: vec![U256::from(5u64); 2],
    };
    let offer_bytes = offer.to_bytes();
    let bid_bytes = serde_json::to_vec(&JobResponse::Bid(Box::new(bid.clone()))).expect("json");
    let request_bytes = serde_json::to_vec(&request).expect("json");

    let mut rng = StdRng::seed_from_u64(0xA12C);
    let (mut offers_decoded, mut bids_decoded, mut requests_decoded) = (0, 0, 0);
    for _ in 0..INPUTS {
        if let Ok(o) = SignedOffer::from_bytes(&mutate(&mut rng, &offer_bytes)) {
            offers_decoded += 1;
            if o.verify(0).is_ok() {
                assert_eq!(o.offer, offer.offer, "a tampered offer verified");
            }
        }
        if let Ok(JobResponse::Bid(b)) =
            serde_json::from_slice::<JobResponse>(&mutate(&mut rng, &bid_bytes))
        {
            bids_decoded += 1;
            if b.verify(&domain).is_ok() {
                assert_eq!(b.bid, bid.bid, "a tampered bid verified");
            }
        }
        if serde_json::from_slice::<JobRequest>(&mutate(&mut rng, &request_bytes)).is_ok() {
            requests_decoded += 1;
        }
    }
    // The mutations reach the decoders' success paths, not only their first byte.
    assert!(offers_decoded > 0 && bids_decoded > 0 && requests_decoded > 0);
    eprintln!(
        "fuzz_execs: {} per decoder; decoded offers {offers_decoded}, bids {bids_decoded}, requests {requests_decoded}",
        INPUTS
    );
}
