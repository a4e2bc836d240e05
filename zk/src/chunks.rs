//! Jobs larger than their shape: the inputs are split into chunks of the shape, each chunk
//! is proven on its own, and the contract checks the chunks against one combined
//! commitment (`ComputeMarket.submitChunkedResult`).
//!
//! ## Layout (contributors, workers and the contract compute the same values)
//!
//! - A `secagg-sum` job of `n <= shape.contributors` vectors of `D` elements is split along
//!   the dimensions into `ceil(D / shape.dims)` chunks; chunk `k` holds elements
//!   `k * d .. (k + 1) * d` of every vector, zero-padded past `D`, and zero vectors pad the
//!   contributors up to the shape (zeros change no sum).
//! - Chunk `k` has the ordinary commitments of its shape: `ic_k = commitment::inputs(..)`,
//!   `oc_k = commitment::output(..)`.
//! - The job's input commitment, posted on chain, is
//!   `combine([ic_1, .., ic_K]) = uint256(keccak256(ic_1 || .. || ic_K)) mod r` over 32-byte
//!   big-endian words (Solidity's `abi.encodePacked(uint256[])`); the output commitment
//!   the contract records is `combine([oc_1, .., oc_K])`.
//!
//! Keccak rather than Poseidon for the combination: the contract recomputes it, and keccak
//! costs it 36 gas per chunk where Poseidon would cost tens of thousands.

use crate::{
    Error, Fr, Result, commitment,
    field::{fr_to_u256, vec_to_u256},
};
use arcanum_protocol::{JobKind, Shape, U256, keccak256};
use ark_ff::PrimeField;

/// `uint256(keccak256(abi.encodePacked(commitments))) mod r`.
pub fn combine(commitments: &[Fr]) -> Fr {
    let mut bytes = Vec::with_capacity(32 * commitments.len());
    for c in vec_to_u256(commitments) {
        bytes.extend_from_slice(&c.to_be_bytes::<32>());
    }
    Fr::from_be_bytes_mod_order(keccak256(&bytes).as_slice())
}

/// Whether a job of `shape` over `inputs` is chunked: a `secagg-sum` (or `fl-round`) job
/// whose vectors are longer than the shape's dimensions.
pub fn is_chunked(shape: Shape, inputs: &[Vec<Fr>]) -> bool {
    matches!(shape.kind, JobKind::SecaggSum | JobKind::FlRound)
        && inputs.first().is_some_and(|v| v.len() > shape.dims)
}

/// One chunk: inputs of exactly the shape, and its commitments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// `shape.contributors` vectors of `shape.dims` elements.
    pub inputs: Vec<Vec<Fr>>,
    /// `commitment::inputs(inputs)`.
    pub input_commitment: Fr,
}

/// A `secagg-sum` job split into chunks of `shape`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkedJob {
    /// The shape every chunk is proven with.
    pub shape: Shape,
    /// Elements per input vector of the whole job.
    pub dims: usize,
    /// The chunks, in order.
    pub chunks: Vec<Chunk>,
}

impl ChunkedJob {
    /// Splits `inputs` (at most `shape.contributors` vectors of equal length) along the
    /// dimensions.
    pub fn split(shape: Shape, inputs: &[Vec<Fr>]) -> Result<Self> {
        let bad = |detail: String| Error::Shape {
            shape: shape.name(),
            detail,
        };
        if shape.kind != JobKind::SecaggSum {
            return Err(bad(format!(
                "only secagg-sum jobs are chunked, not {}",
                shape.kind
            )));
        }
        let dims = inputs.first().map_or(0, Vec::len);
        if inputs.is_empty() || inputs.len() > shape.contributors || dims == 0 {
            return Err(bad(format!(
                "a chunked job needs 1..={} non-empty vectors, got {}",
                shape.contributors,
                inputs.len()
            )));
        }
        if inputs.iter().any(|v| v.len() != dims) {
            return Err(bad("input vectors differ in length".into()));
        }
        let chunks = (0..dims.div_ceil(shape.dims))
            .map(|k| {
                let mut chunk: Vec<Vec<Fr>> = inputs
                    .iter()
                    .map(|v| {
                        pad(
                            &v[k * shape.dims..dims.min((k + 1) * shape.dims)],
                            shape.dims,
                        )
                    })
                    .collect();
                chunk.resize(shape.contributors, vec![Fr::from(0u64); shape.dims]);
                Chunk {
                    input_commitment: commitment::inputs(&chunk),
                    inputs: chunk,
                }
            })
            .collect();
        Ok(Self {
            shape,
            dims,
            chunks,
        })
    }

    /// The combined input commitment posted on chain.
    pub fn input_commitment(&self) -> Fr {
        let ics: Vec<Fr> = self.chunks.iter().map(|c| c.input_commitment).collect();
        combine(&ics)
    }

    /// The chunks' input commitments as contract arguments.
    pub fn input_commitments(&self) -> Vec<U256> {
        self.chunks
            .iter()
            .map(|c| fr_to_u256(c.input_commitment))
            .collect()
    }

    /// Splits a whole output vector (length [`Self::dims`]) into the chunks' outputs.
    pub fn split_output(&self, output: &[Fr]) -> Result<Vec<Vec<Fr>>> {
        if output.len() != self.dims {
            return Err(Error::Shape {
                shape: self.shape.name(),
                detail: format!(
                    "output has {} elements, the job {}",
                    output.len(),
                    self.dims
                ),
            });
        }
        Ok(output
            .chunks(self.shape.dims)
            .map(|c| pad(c, self.shape.dims))
            .collect())
    }

    /// The combined output commitment the contract records for `output`.
    pub fn output_commitment(&self, output: &[Fr]) -> Result<Fr> {
        let ocs: Vec<Fr> = self
            .split_output(output)?
            .iter()
            .map(|o| commitment::output(o))
            .collect();
        Ok(combine(&ocs))
    }
}

fn pad(xs: &[Fr], len: usize) -> Vec<Fr> {
    let mut v = xs.to_vec();
    v.resize(len, Fr::from(0u64));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::SECAGG_SUM_4X8;

    #[test]
    fn splits_pads_and_combines() {
        let inputs: Vec<Vec<Fr>> = (0..3u64)
            .map(|i| (0..20u64).map(|j| Fr::from(100 * i + j)).collect())
            .collect();
        let job = ChunkedJob::split(SECAGG_SUM_4X8, &inputs).expect("split");
        assert_eq!(job.chunks.len(), 3, "ceil(20 / 8)");
        for c in &job.chunks {
            assert_eq!(c.inputs.len(), 4, "padded to the shape's contributors");
            assert!(c.inputs.iter().all(|v| v.len() == 8));
        }
        assert_eq!(job.chunks[2].inputs[1][3], Fr::from(119u64));
        assert_eq!(job.chunks[2].inputs[1][4], Fr::from(0u64), "zero padding");
        // Order matters: swapping chunks changes the combined commitment.
        let ics: Vec<Fr> = job.chunks.iter().map(|c| c.input_commitment).collect();
        let swapped = [ics[1], ics[0], ics[2]];
        assert_ne!(combine(&ics), combine(&swapped));
        assert_eq!(job.input_commitment(), combine(&ics));

        let sum: Vec<Fr> = (0..20).map(|j| inputs.iter().map(|v| v[j]).sum()).collect();
        let outs = job.split_output(&sum).expect("split output");
        assert_eq!(outs.len(), 3);
        assert!(job.split_output(&sum[..19]).is_err());
        assert!(ChunkedJob::split(SECAGG_SUM_4X8, &vec![vec![Fr::from(1u64); 9]; 5]).is_err());
    }

    /// `combine` is Solidity's `uint256(keccak256(abi.encodePacked(uint256[]))) % r`:
    /// keccak256 of the words 1 and 2 (64 bytes) is a fixed constant.
    #[test]
    fn combine_matches_abi_encode_packed() {
        let got = fr_to_u256(combine(&[Fr::from(1u64), Fr::from(2u64)]));
        let mut bytes = [0u8; 64];
        bytes[31] = 1;
        bytes[63] = 2;
        let word = U256::from_be_bytes(keccak256(bytes).0);
        let r = U256::from_str_radix(
            "21888242871839275222246405745257275088548364400416034343698204186575808495617",
            10,
        )
        .expect("r");
        assert_eq!(got, word % r);
    }
}
