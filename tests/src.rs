//! End-to-end tests of Arcanum live in `tests/e2e/`: a real Anvil chain, real contracts,
//! real Groth16 proofs and real libp2p swarms on loopback.
