//! The `arcanum` binary as operators run it: every party its own process with its own data
//! dir, a real Anvil, real sockets. Children are killed (by their own pid) when a test ends
//! or fails; ports are free ports; every wait is bounded.

mod faults;
mod harness;
#[path = "../../../protocol/tests/it/mutate.rs"]
mod mutate;
mod operator;
mod oracle;
mod scale;
mod stats;
mod training;
