//! # arcanum-chain
//!
//! Arcanum's chain side, on alloy: typed bindings generated from the forge artifacts in
//! `chain/artifacts/` (kept fresh by `make bindings`; `make test` fails if stale),
//! deployment of the token, verifiers and market, and a [`MarketClient`] that sends each
//! transaction, waits for its receipt with a timeout, and turns reverts into errors that
//! name the contract's custom error. Split by concern: `client` (connection, revert
//! decoding), `tx` (nonces, fee bumping, receipts), `watch` (confirmed events, reorgs), `deploy`, `market`, `token`, `data_oracle`, `verifier`, `types`,
//! `deployment` (the deployment file).

pub mod bindings;
mod client;
mod data_oracle;
mod deploy;
mod deployment;
mod error;
mod market;
mod token;
mod tx;
mod types;
mod verifier;
mod watch;

pub use client::MarketClient;
pub use data_oracle::{
    FEED_HE_LINEAR, FEED_SECAGG_SUM, FeedDefinition, OracleEvent, OracleLog, OracleRequest,
    ValueProof, anchor_digest, feed_id,
};
pub use deployment::{DeployedShape, Deployment};
pub use error::{Error, Result};
pub use tx::{NonceRecord, NonceStore};
pub use types::{
    ChainConfig, Completion, DeployedOracleCircuit, FeedValue, JobInfo, JobStatus, MarketParams,
    OracleCircuit, StakeInfo, TxOutcome,
};
pub use verifier::{VerifyGas, intrinsic_gas};
pub use watch::{Checkpoint, MarketLog, WatchStep};
