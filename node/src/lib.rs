//! # arcanum-node
//!
//! The `arcanum` binary's library: it wires the lower crates (protocol, zk, compute,
//! scheduler, p2p, chain) into running roles.
//!
//! - [`worker`]: advertises compute over gossipsub, answers bid requests with EIP-712 bids
//!   (its consent to lock stake), takes assigned jobs over request-response, checks them
//!   against the chain, computes, proves, submits and is paid;
//! - [`requester`]: posts a job with escrow, collects signed bids from the workers whose
//!   offers fit, picks the cheapest staked one (scheduler), assigns it on chain with the bid,
//!   sends the inputs, checks the settled result, and expires and reassigns on failure;
//! - [`devnet`]: a whole local system (Anvil, contracts, a requester and two workers on
//!   loopback) running one `secagg-sum` job end to end;
//! - [`tools`]: finds the pinned external tools (anvil, forge) installed by `make tools`.

pub mod api;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod devnet;
pub mod identity;
pub mod ledger;
pub mod services;
pub mod store;
pub mod tools;

pub use services::{requester, worker};

pub use arcanum_chain as chain;
pub use arcanum_compute as compute;
pub use arcanum_p2p as p2p;
pub use arcanum_protocol as protocol;
pub use arcanum_zk as zk;
