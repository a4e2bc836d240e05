//! Valid signed messages that the fuzzers mutate: shared by the protocol's decoder test and
//! the p2p fuzz bench (which includes this file by path).

use alloy_signer_local::PrivateKeySigner;
use arcanum_protocol::{
    Address, B256, Bid, ClerkAd, ContributionRequest, Dp, Filter, JobId, JobKind, KeyTranscript,
    MarketDomain, Offer, Op, Query, ShapeId, SignedBid, SignedClerkAd, SignedDealing, SignedOffer,
    U256,
};

/// The signer of every sample.
pub(crate) fn key() -> PrivateKeySigner {
    PrivateKeySigner::from_slice(&[7u8; 32]).expect("key")
}

/// A market on a local chain.
pub(crate) fn domain() -> MarketDomain {
    MarketDomain {
        chain_id: 31337,
        market: Address::repeat_byte(0x42),
    }
}

/// An offer for secagg-sum that never expires.
pub(crate) fn offer(key: &PrivateKeySigner) -> SignedOffer {
    Offer {
        peer_id: "12D3KooWexample".into(),
        worker: key.address(),
        kinds: vec![JobKind::SecaggSum],
        shapes: vec![ShapeId(1)],
        min_reward: U256::from(10u64),
        capacity: 1,
        expires_at: u64::MAX,
        issued_at_ms: 1,
    }
    .sign(key)
    .expect("sign")
}

/// A bid on job 3's first attempt.
pub(crate) fn bid(domain: &MarketDomain, key: &PrivateKeySigner) -> SignedBid {
    Bid {
        job_id: JobId(U256::from(3u64)),
        worker: key.address(),
        attempt: 0,
        ask: U256::from(10u64),
        max_locked_stake: U256::from(100u64),
        deadline_at_least: 0,
        expires_at: u64::MAX,
    }
    .sign(domain, key)
    .expect("sign")
}

/// A request for a private, filtered histogram over two columns, clerks listed (no draw).
#[allow(dead_code)]
pub(crate) fn contribution_request() -> ContributionRequest {
    ContributionRequest {
        session: B256::repeat_byte(9),
        dataset: "iris".into(),
        columns: vec!["a".into(), "b".into()],
        query: Query::Histogram,
        edges: vec![2.5, 5.0],
        filter: Some(Filter {
            column: "b".into(),
            op: Op::Gt,
            value: 3.0,
        }),
        dp: Some(Dp {
            epsilon: 1.0,
            delta: 1e-5,
        }),
        min_contributors: 3,
        scale_bits: 16,
        clerks: vec!["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWexample".into()],
        threshold: 2,
        contributors: 3,
        draw: None,
        anchor_width: 8,
        oracle_request: Some(U256::from(3u64)),
        key: None,
    }
}

/// A signed DKG dealing (its JSON body is a placeholder: the protocol does not parse it).
#[allow(dead_code)]
pub(crate) fn dealing(key: &PrivateKeySigner) -> SignedDealing {
    SignedDealing::sign(
        key,
        key.address(),
        B256::repeat_byte(9),
        2,
        r#"{"dealer":2,"commitments":["00"],"pok":{}}"#.into(),
    )
    .expect("sign")
}

/// A key transcript of one dealing.
#[allow(dead_code)]
pub(crate) fn transcript(key: &PrivateKeySigner) -> KeyTranscript {
    KeyTranscript {
        session: B256::repeat_byte(9),
        members: vec!["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWexample".into(); 3],
        threshold: 2,
        dealings: vec![dealing(key)],
        complaints: "[]".into(),
    }
}

/// A clerk's binding of a peer id to the sample key's address.
#[allow(dead_code)]
pub(crate) fn clerk_ad(key: &PrivateKeySigner) -> SignedClerkAd {
    ClerkAd {
        peer_id: "12D3KooWexample".into(),
        clerk: key.address(),
    }
    .sign(key)
    .expect("sign")
}
