//! # arcanum-zk
//!
//! Proofs of compute for Arcanum. A worker proves, with Groth16 over BN254, that the
//! output it posts is exactly the agreed function of inputs the contributors committed to.
//!
//! ## Bird's eye view
//!
//! - [`commitment`]: the Poseidon commitment scheme (parameters fixed and documented there)
//!   that contributors, workers and the proof all compute identically.
//! - [`r1cs`]: the builder circuits are written against: one description, run as
//!   arkworks constraints (setup, matrices) or as a bare witness computation (proving).
//! - [`circuit`]: the `secagg-sum` circuit; public inputs are always
//!   `[job_id, worker, input_commitment, output_commitment]`.
//! - [`he_linear`]: the `he-linear` circuit (weighted sums of ElGamal ciphertexts on
//!   BabyJubJub) and its commitment layout.
//! - [`chunks`]: jobs larger than their shape, split into chunks proven one by one, and the
//!   combined commitment the contract checks.
//! - [`shapes`]: the shape registry: fixed (contributors x dims) shapes with stable ids.
//! - [`keys`]: the deterministic, **insecure** dev setup cached on disk with a checksum, and
//!   loading of production keys with a check that they match the circuit.
//! - [`prover`]: prove and verify natively; [`evm`]: proofs as EVM calldata.
//! - [`solidity`]: the Solidity verifier generated from a verifying key.
//!
//! ```no_run
//! use arcanum_zk::{shapes, keys::KeyStore, prover, Fr};
//! let shape = shapes::SECAGG_SUM_4X8;
//! let keys = KeyStore::dev("/tmp/arcanum-keys").load_or_setup(&shape)?;
//! let inputs = vec![vec![Fr::from(1u64); 8]; 4];
//! let output = vec![Fr::from(4u64); 8];
//! let worker = "0x00000000000000000000000000000000000000aa".parse().unwrap();
//! let stmt = prover::SecaggSumStatement::new(7u64.into(), worker, &inputs, &output)?;
//! let proof = prover::prove_secagg_sum(&keys, &stmt, &inputs)?;
//! prover::verify(&keys.vk, &stmt.public_inputs(), &proof)?;
//! # Ok::<(), arcanum_zk::Error>(())
//! ```

pub mod chunks;
pub mod circuit;
pub mod commitment;
mod error;
pub mod evm;
pub mod field;
pub mod he_linear;
mod jubjub;
pub mod keys;
pub mod kind;
pub mod msm;
pub mod oracle;
pub mod prover;
pub mod quotient;
pub mod r1cs;
pub mod shapes;
pub mod snarkjs;
pub mod solidity;

pub use ark_bn254::{Bn254, Fr};
pub use error::{Error, Result};
