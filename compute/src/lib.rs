//! # arcanum-compute
//!
//! The privacy-preserving computations Arcanum sells, independent of network and chain:
//!
//! - [`fixed`]: signed fixed-point encoding of real values into BN254 `Fr`, with explicit
//!   scale and overflow errors;
//! - [`shamir`]: Shamir and packed Shamir secret sharing over `Fr`;
//! - [`wire`]: canonical byte encoding of `Fr` vectors;
//! - [`secagg`]: secure aggregation in the style of Snips' SDA: contributors mask their
//!   vectors with random pads and Shamir-share the pads to a committee of clerks; the
//!   aggregator sums masked vectors, clerks sum shares, and any `t` clerks let the
//!   requester remove the pad sum;
//! - [`executor`]: the job functions the node runs and the prover proves.

pub mod dataset;
pub mod dp;
pub mod elgamal;
pub mod executor;
pub mod fixed;
pub mod fl;
pub mod secagg;
pub mod shamir;
pub mod stats;
pub mod wire;

pub use ark_bn254::Fr;

/// Errors from encoding, sharing and aggregation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value does not fit the fixed-point range.
    #[error(
        "value {value} overflows fixed point with scale 2^{scale_bits} and bound 2^{bound_bits}; lower the scale or clip the value"
    )]
    Overflow {
        /// The value.
        value: f64,
        /// Fractional bits.
        scale_bits: u32,
        /// Magnitude bound, in bits, of an encoded value.
        bound_bits: u32,
    },
    /// A value is not finite.
    #[error("value {0} is not a finite number")]
    NotFinite(f64),
    /// Too few shares to reconstruct.
    #[error(
        "need {needed} shares to reconstruct, got {got}: wait for more clerks or lower the threshold"
    )]
    TooFewShares {
        /// Threshold.
        needed: usize,
        /// Shares available.
        got: usize,
    },
    /// Sharing parameters are invalid.
    #[error("invalid sharing parameters: {0}")]
    Parameters(String),
    /// An encoded field element is at or above the BN254 scalar field modulus.
    #[error(
        "encoded value is not a canonical BN254 Fr element (>= modulus): the sender is faulty or malicious; drop its message"
    )]
    NotCanonical,
    /// Threshold ElGamal failed (bad ciphertext, share or parameters).
    #[error(transparent)]
    He(#[from] elgamal::Error),
    /// Vectors of different lengths.
    #[error("vector length mismatch: expected {expected}, got {got}")]
    Length {
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
