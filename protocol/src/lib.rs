//! # arcanum-protocol
//!
//! The shared vocabulary of Arcanum, at the bottom of the dependency graph: typed ids
//! ([`JobId`], [`ShapeId`], [`ContentId`]), job specifications ([`JobSpec`], [`Shape`]),
//! signed compute offers that bind a libp2p `PeerId` to an Ethereum address
//! ([`SignedOffer`]), and the request-response wire messages workers and requesters exchange
//! ([`JobRequest`], [`JobResponse`]).
//!
//! Nothing here performs IO. Field elements of BN254's scalar field travel as [`U256`]
//! (big-endian, exactly what the contracts receive as `uint256`); the `zk` and `compute`
//! crates check they are below the modulus when they decode them.

mod bid;
mod error;
mod fl;
mod ids;
mod job;
mod offer;
mod sig;
mod stats;
mod wire;

pub use alloy_primitives::{Address, B256, I256, U256, keccak256};
pub use bid::{Bid, MarketDomain, SignedBid};
pub use error::{Error, Result};
pub use fl::{PrivacyUnit, TrainPlan, TrainPrivacy, TrainRound};
pub use ids::{ContentId, JobId, ShapeId};
pub use job::{FR_MODULUS, JobKind, JobSpec, Shape};
pub use offer::{Offer, SignedOffer, unix_now, unix_now_ms};
pub use stats::{
    CallForContributions, Candidate, ClerkAd, CommitteeDraw, ContributionRequest, Dp, Filter,
    KeyTranscript, MAX_CALL_BYTES, Op, Query, QueryTerms, SignedClerkAd, SignedDealing,
    draw_weighted, query_description,
};
pub use wire::{
    ClerkProofRequest, ClerkSumProof, JobRequest, JobResponse, JobResult, MAX_OFFERS_SYNCED,
    PadAnchor, RejectReason,
};
