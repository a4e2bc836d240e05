//! # arcanum-node
//!
//! The `arcanum` binary's library: it wires the lower crates (protocol, zk, compute,
//! scheduler, p2p, oracle) into running roles.
//!
//! - [`worker`]: advertises compute over gossipsub, takes assigned jobs over
//!   request-response, checks them against the chain, computes, proves, submits and is paid;
//! - [`requester`]: posts a job with escrow, picks a worker from the offers it hears
//!   (scheduler), assigns it on chain, sends the inputs, and checks the settled result;
//! - [`devnet`]: a whole local system (Anvil, contracts, a requester and two workers on
//!   loopback) running one `secagg-sum` job end to end;
//! - [`tools`]: finds the pinned external tools (anvil, forge) installed by `make tools`.

pub mod cli;
pub mod devnet;
pub mod requester;
pub mod tools;
pub mod worker;

pub use arcanum_oracle as oracle;
pub use arcanum_protocol as protocol;
pub use arcanum_zk as zk;
