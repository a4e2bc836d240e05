//! A bounded fuzz run of every decoder that takes bytes from the network: the job
//! protocol's CBOR codec (requests and responses, exactly as the p2p port decodes them,
//! size limits included), signed offers from gossip, and bids. Mutations of valid
//! encodings (see `protocol/tests/it/mutate.rs`) plus length bombs (CBOR headers claiming
//! billions of elements). Each decode runs under `catch_unwind`; a panic is counted, never
//! hidden. Prints `fuzz_execs_<decoder>` and `fuzz_panics_<decoder>` (must be 0).
//!
//! `cargo bench -p arcanum-p2p --bench fuzz` (`FUZZ_SECONDS` per decoder, default 5).

#[path = "../../protocol/tests/it/mutate.rs"]
mod mutate;
#[path = "../../protocol/tests/it/samples.rs"]
mod samples;

use arcanum_protocol::{
    B256, JobId, JobKind, JobRequest, JobResponse, Shape, ShapeId, SignedOffer, U256,
};
use futures::{executor::block_on, io::Cursor};
use libp2p::request_response::Codec as _;
use rand::{SeedableRng, rngs::StdRng};
use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    time::{Duration, Instant},
};

fn run(name: &str, seconds: Duration, seeds: &[Vec<u8>], mut decode: impl FnMut(&[u8])) {
    let mut rng = StdRng::seed_from_u64(0xF022 ^ name.len() as u64);
    let (mut execs, mut panics) = (0u64, 0u64);
    let start = Instant::now();
    // Length bombs and empty input first, then mutations until the time is up.
    let bombs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x9b, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff],
        vec![0xa1, 0x63, b'R', b'u', b'n', 0x9a, 0xff, 0xff, 0xff, 0xff],
        vec![0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        vec![0x7a, 0xff, 0xff, 0xff, 0xff],
    ];
    let mut step = |bytes: &[u8]| {
        execs += 1;
        if catch_unwind(AssertUnwindSafe(|| decode(bytes))).is_err() {
            panics += 1;
        }
    };
    for b in &bombs {
        step(b);
    }
    while start.elapsed() < seconds {
        for seed in seeds {
            step(&mutate::mutate(&mut rng, seed));
        }
    }
    println!("fuzz_execs_{name}: {execs}");
    println!("fuzz_panics_{name}: {panics}");
}

fn main() {
    let seconds = Duration::from_secs(
        std::env::var("FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5),
    );
    // Quiet the default hook: panics are counted, not printed 10,000 times.
    std::panic::set_hook(Box::new(|_| {}));
    let key = samples::key();
    let shape = Shape {
        id: ShapeId(1),
        kind: JobKind::SecaggSum,
        contributors: 4,
        dims: 8,
    };
    let job_id = JobId(U256::from(3u64));
    let requests = [
        JobRequest::Run {
            job_id,
            shape,
            inputs: vec![vec![U256::from(12345u64); 8]; 4],
            weights: vec![1, -1, 2, 3],
            anchors: vec![U256::from(11u64); 4],
        },
        JobRequest::BidRequest { job_id },
        JobRequest::Contribute(Box::new(samples::contribution_request())),
        JobRequest::PadShare {
            session: B256::repeat_byte(9),
            index: 2,
            share: vec![U256::from(77u64); 7],
            min_set: 3,
            requester: "12D3KooWexample".into(),
            anchor: Some(arcanum_protocol::PadAnchor {
                contribution: U256::from(5u64),
                commitments: vec![U256::from(6u64); 5],
            }),
        },
        JobRequest::ClerkSum {
            session: B256::repeat_byte(9),
            contributors: vec!["12D3KooWa".into(), "12D3KooWb".into()],
            prove: Some(arcanum_protocol::ClerkProofRequest {
                shape,
                input_commitment: U256::from(7u64),
                query_tag: U256::from(8u64),
            }),
        },
        JobRequest::ClerkAd,
        JobRequest::Included {
            session: B256::repeat_byte(9),
            job_id,
            inputs: vec![vec![U256::from(8u64); 8]; 4],
            anchors: vec![U256::from(9u64); 4],
        },
        JobRequest::Enroll {
            session: B256::repeat_byte(9),
            addr: "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWexample".into(),
        },
        JobRequest::DkgDeal {
            session: B256::repeat_byte(9),
            members: vec!["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWexample".into(); 5],
            threshold: 3,
            min_set: 3,
        },
        JobRequest::DkgShare {
            session: B256::repeat_byte(9),
            requester: "12D3KooWexample".into(),
            share: r#"{"dealer":1,"recipient":2,"value":"00"}"#.into(),
        },
        JobRequest::DkgComplain {
            session: B256::repeat_byte(9),
            dealings: vec![samples::dealing(&key)],
        },
        JobRequest::DkgFinish(Box::new(samples::transcript(&key))),
        JobRequest::Decrypt {
            session: B256::repeat_byte(9),
            job_id,
            inputs: vec![vec![U256::from(8u64); 32]; 4],
            prove: Some(0x0012_0001),
            knowledge: vec![None, Some("{}".into())],
        },
    ];
    let domain = samples::domain();
    let bid = samples::bid(&domain, &key);
    let responses = [
        JobResponse::Bid(Box::new(bid.clone())),
        JobResponse::Rejected(arcanum_protocol::RejectReason::Declined("busy".into())),
        JobResponse::Contribution {
            masked: vec![U256::from(5u64); 7],
            clerks: vec![1, 2, 3],
            anchor: Some(U256::from(4u64)),
            anchor_signature: Some(vec![7u8; 65].into()),
            knowledge: Some("{}".into()),
        },
        JobResponse::ClerkSum {
            index: 2,
            sum: vec![U256::from(6u64); 7],
            proof: Some(Box::new(arcanum_protocol::ClerkSumProof {
                commitment: U256::from(3u64),
                proof: [U256::from(2u64); 8],
            })),
        },
        JobResponse::ClerkAd(Box::new(samples::clerk_ad(&key))),
        JobResponse::Dealt(Box::new(samples::dealing(&key))),
        JobResponse::Complaints("[]".into()),
        JobResponse::GroupKey("\"00\"".into()),
        JobResponse::Decryption {
            partial: r#"{"party":1,"shares":[]}"#.into(),
            proof: None,
        },
    ];
    let protocol = arcanum_p2p::job_protocol();
    let cbor = |v: &dyn Fn(&mut Cursor<Vec<u8>>)| {
        let mut io = Cursor::new(Vec::new());
        v(&mut io);
        io.into_inner()
    };
    let request_seeds: Vec<Vec<u8>> = requests
        .iter()
        .map(|r| {
            cbor(&|io| {
                block_on(arcanum_p2p::job_codec().write_request(&protocol, io, r.clone()))
                    .expect("encode")
            })
        })
        .collect();
    let response_seeds: Vec<Vec<u8>> = responses
        .iter()
        .map(|r| {
            cbor(&|io| {
                block_on(arcanum_p2p::job_codec().write_response(&protocol, io, r.clone()))
                    .expect("encode")
            })
        })
        .collect();
    run("job_request_cbor", seconds, &request_seeds, |b| {
        let _ = block_on(arcanum_p2p::job_codec().read_request(&protocol, &mut Cursor::new(b)));
    });
    run("job_response_cbor", seconds, &response_seeds, |b| {
        let _ = block_on(arcanum_p2p::job_codec().read_response(&protocol, &mut Cursor::new(b)));
    });
    let offer = samples::offer(&key);
    run("offer", seconds, &[offer.to_bytes()], |b| {
        if let Ok(o) = SignedOffer::from_bytes(b) {
            let _ = o.verify(0);
        }
    });
    let bid_json = serde_json::to_vec(&bid).expect("json");
    run("bid", seconds, &[bid_json], |b| {
        if let Ok(b) = serde_json::from_slice::<arcanum_protocol::SignedBid>(b) {
            let _ = b.verify(&domain);
        }
    });
}
