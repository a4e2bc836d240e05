use crate::ShapeId;
use alloy_primitives::{U256, uint};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The order of BN254's scalar field Fr: every proven value is below it.
pub const FR_MODULUS: U256 =
    uint!(21888242871839275222246405745257275088548364400416034343698204186575808495617_U256);

/// The job families Arcanum runs (DESIGN.md section 2). The discriminant is the `kind`
/// stored on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum JobKind {
    /// Elementwise sum of masked vectors (secure aggregation, SDA style).
    SecaggSum = 1,
    /// One federated-learning round built on `SecaggSum`.
    FlRound = 2,
    /// Sums and weighted sums of exponential-ElGamal ciphertexts.
    HeLinear = 3,
}

impl JobKind {
    /// The kind's on-chain code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Field elements per input element on the wire: one, or four for an `he-linear`
    /// ciphertext (`[c1.x, c1.y, c2.x, c2.y]`, affine BabyJubJub).
    pub const fn fields_per_element(self) -> usize {
        match self {
            Self::HeLinear => 4,
            Self::SecaggSum | Self::FlRound => 1,
        }
    }

    /// The kind's stable name, as used in the CLI and in shape names.
    pub fn name(self) -> &'static str {
        match self {
            Self::SecaggSum => "secagg-sum",
            Self::FlRound => "fl-round",
            Self::HeLinear => "he-linear",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fixed circuit shape: `contributors` input vectors of `dims` field elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shape {
    /// The shape's registry id.
    pub id: ShapeId,
    /// The job kind it proves.
    pub kind: JobKind,
    /// Number of input vectors.
    pub contributors: usize,
    /// Length of each vector.
    pub dims: usize,
}

impl Shape {
    /// The shape's stable name, e.g. `secagg-sum-4x8`; keys and verifier contracts are
    /// named after it.
    pub fn name(&self) -> String {
        format!("{}-{}x{}", self.kind, self.contributors, self.dims)
    }

    /// The Solidity contract name of the shape's verifier, e.g. `SecaggSum4x8Verifier`.
    pub fn verifier_contract(&self) -> String {
        let kind: String = self
            .kind
            .name()
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        format!("{kind}{}x{}Verifier", self.contributors, self.dims)
    }
}

/// What a requester asks for: posted on chain (commitments, reward) and sent to the
/// assigned worker (inputs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The circuit shape that proves the job.
    pub shape: Shape,
    /// Poseidon commitment to the inputs (see `arcanum-zk`'s commitment scheme).
    pub input_commitment: U256,
    /// Reward escrowed on chain, in token base units.
    pub reward: U256,
    /// Unix time after which the job can be expired and refunded.
    pub deadline: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_names() {
        let s = Shape {
            id: ShapeId(1),
            kind: JobKind::SecaggSum,
            contributors: 4,
            dims: 8,
        };
        assert_eq!(s.name(), "secagg-sum-4x8");
        assert_eq!(s.verifier_contract(), "SecaggSum4x8Verifier");
        let h = Shape {
            kind: JobKind::HeLinear,
            ..s
        };
        assert_eq!(h.verifier_contract(), "HeLinear4x8Verifier");
    }
}
