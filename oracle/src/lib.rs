//! # arcanum-oracle
//!
//! Arcanum's chain side, on alloy: typed bindings generated from the forge artifacts in
//! `oracle/artifacts/` (kept fresh by `make bindings`; `make test` fails if stale),
//! deployment of the token, verifiers and market, and a [`MarketClient`] that sends each
//! transaction, waits for its receipt with a timeout, and turns reverts into errors that
//! name the contract's custom error.

pub mod bindings;
mod client;
mod deployment;
mod error;

pub use client::{
    ChainConfig, Completion, FeedValue, JobInfo, JobStatus, MarketClient, MarketParams, StakeInfo,
    TxOutcome, VerifyGas, intrinsic_gas,
};
pub use deployment::{DeployedShape, Deployment};
pub use error::{Error, Result};
