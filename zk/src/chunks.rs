//! Jobs larger than their shape: the inputs are split into chunks of the shape, each chunk
//! is proven on its own, and the contract checks the chunks against one combined
//! commitment (`ComputeMarket.submitChunkedResult`).
//!
//! ## Layout (contributors, workers and the contract compute the same values)
//!
//! - A job of `n <= shape.contributors` vectors of `D` elements is split along the
//!   dimensions into `ceil(D / shape.dims)` chunks; chunk `k` holds elements
//!   `k * d .. (k + 1) * d` of every vector, padded past `D`, and padding vectors fill the
//!   contributors up to the shape. Padding changes no output: zeros for `secagg-sum`
//!   (and `fl-round`); for `he-linear`, identity ciphertexts `[0, 1, 0, 1]` with weight 0
//!   (every chunk carries the job's weights).
//! - An element is `kind.fields_per_element()` field elements (4 for a ciphertext).
//! - Chunk `k` has the ordinary commitments of its shape:
//!   `ic_k` and `oc_k` the chunk's input and output commitments (`kind::of(kind)`).
//! - The job's input commitment, posted on chain, is
//!   `combine([ic_1, .., ic_K]) = uint256(keccak256(ic_1 || .. || ic_K)) mod r` over 32-byte
//!   big-endian words (Solidity's `abi.encodePacked(uint256[])`); the output commitment
//!   the contract records is `combine([oc_1, .., oc_K])`.
//!
//! Keccak rather than Poseidon for the combination: the contract recomputes it, and keccak
//! costs it 36 gas per chunk where Poseidon would cost tens of thousands.

use crate::{
    Error, Fr, Result,
    field::{fr_to_u256, vec_to_u256},
    kind,
};
use arcanum_protocol::{Shape, U256, keccak256};
use ark_ff::PrimeField;

/// `uint256(keccak256(abi.encodePacked(commitments))) mod r`.
pub fn combine(commitments: &[Fr]) -> Fr {
    let mut bytes = Vec::with_capacity(32 * commitments.len());
    for c in vec_to_u256(commitments) {
        bytes.extend_from_slice(&c.to_be_bytes::<32>());
    }
    Fr::from_be_bytes_mod_order(keccak256(&bytes).as_slice())
}

/// Whether a job of `shape` over `inputs` is chunked: its vectors are longer than the
/// shape's dimensions.
pub fn is_chunked(shape: Shape, inputs: &[Vec<Fr>]) -> bool {
    inputs
        .first()
        .is_some_and(|v| v.len() > shape.dims * shape.kind.fields_per_element())
}

/// One chunk: inputs of exactly the shape, and its commitments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// `shape.contributors` vectors of `shape.dims` elements (as field elements).
    pub inputs: Vec<Vec<Fr>>,
    /// The job's weights padded to `shape.contributors` (`he-linear`; empty otherwise).
    pub weights: Vec<i64>,
    /// The contributors' share anchors padded with zeros to `shape.contributors`
    /// (anchored kinds; empty otherwise). Every chunk carries the same anchors.
    pub anchors: Vec<Fr>,
    /// The chunk's input commitment (over `inputs` and `weights`).
    pub input_commitment: Fr,
}

/// A job split into chunks of `shape`.
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
    /// dimensions; `weights` are the `he-linear` weights, one per input vector (empty for
    /// the other kinds).
    pub fn split(shape: Shape, inputs: &[Vec<Fr>], weights: &[i64]) -> Result<Self> {
        Self::split_anchored(shape, inputs, weights, &[])
    }

    /// [`Self::split`] with the contributors' share anchors (anchored kinds: at most one
    /// per input vector, missing ones zero).
    pub fn split_anchored(
        shape: Shape,
        inputs: &[Vec<Fr>],
        weights: &[i64],
        anchors: &[Fr],
    ) -> Result<Self> {
        let bad = |detail: String| Error::Shape {
            shape: shape.name(),
            detail,
        };
        let width = shape.kind.fields_per_element();
        let fields = inputs.first().map_or(0, Vec::len);
        if inputs.is_empty() || inputs.len() > shape.contributors || fields == 0 {
            return Err(bad(format!(
                "a chunked job needs 1..={} non-empty vectors, got {}",
                shape.contributors,
                inputs.len()
            )));
        }
        if inputs.iter().any(|v| v.len() != fields) || !fields.is_multiple_of(width) {
            return Err(bad(format!(
                "input vectors must all hold the same number of {width}-field elements"
            )));
        }
        let kind = kind::of(shape.kind);
        let expected_weights = if kind.weighted() { inputs.len() } else { 0 };
        if weights.len() != expected_weights {
            return Err(bad(format!(
                "expected {expected_weights} weights, got {}",
                weights.len()
            )));
        }
        if anchors.len() > inputs.len() || (!anchors.is_empty() && !kind.anchored()) {
            return Err(bad(format!(
                "{} anchors for {} input vectors of a {} job",
                anchors.len(),
                inputs.len(),
                shape.kind
            )));
        }
        let mut chunk_anchors = anchors.to_vec();
        if kind.anchored() {
            chunk_anchors.resize(shape.contributors, Fr::from(0u64));
        }
        let pad_element = kind.padding();
        let chunk_fields = shape.dims * width;
        let mut chunk_weights = weights.to_vec();
        if kind.weighted() {
            chunk_weights.resize(shape.contributors, 0);
        }
        let chunks = (0..fields.div_ceil(chunk_fields))
            .map(|k| {
                let mut chunk: Vec<Vec<Fr>> = inputs
                    .iter()
                    .map(|v| {
                        pad(
                            &v[k * chunk_fields..fields.min((k + 1) * chunk_fields)],
                            &pad_element,
                            chunk_fields,
                        )
                    })
                    .collect();
                chunk.resize(shape.contributors, pad(&[], &pad_element, chunk_fields));
                Chunk {
                    input_commitment: kind.input_commitment_anchored(
                        &chunk,
                        &chunk_weights,
                        &chunk_anchors,
                    ),
                    inputs: chunk,
                    weights: chunk_weights.clone(),
                    anchors: chunk_anchors.clone(),
                }
            })
            .collect();
        Ok(Self {
            shape,
            dims: fields / width,
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

    /// Splits a whole output vector ([`Self::dims`] elements) into the chunks' outputs.
    pub fn split_output(&self, output: &[Fr]) -> Result<Vec<Vec<Fr>>> {
        let kind = self.shape.kind;
        let width = kind.fields_per_element();
        if output.len() != self.dims * width {
            return Err(Error::Shape {
                shape: self.shape.name(),
                detail: format!(
                    "output has {} field elements, the job {}",
                    output.len(),
                    self.dims * width
                ),
            });
        }
        let chunk_fields = self.shape.dims * width;
        Ok(output
            .chunks(chunk_fields)
            .map(|c| pad(c, &kind::of(kind).padding(), chunk_fields))
            .collect())
    }

    /// Joins the chunks' outputs into the whole job's output (padding dropped).
    pub fn join_output(&self, outputs: &[Vec<Fr>]) -> Vec<Fr> {
        let mut all: Vec<Fr> = outputs.concat();
        all.truncate(self.dims * self.shape.kind.fields_per_element());
        all
    }

    /// The combined output commitment the contract records for `output`.
    pub fn output_commitment(&self, output: &[Fr]) -> Result<Fr> {
        let ocs: Vec<Fr> = self
            .split_output(output)?
            .iter()
            .map(|o| kind::of(self.shape.kind).output_commitment(o))
            .collect();
        Ok(combine(&ocs))
    }
}

/// `xs` followed by copies of `element` up to `len` field elements.
fn pad(xs: &[Fr], element: &[Fr], len: usize) -> Vec<Fr> {
    let mut v = xs.to_vec();
    while v.len() < len {
        v.extend_from_slice(element);
    }
    v.truncate(len);
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
        let job = ChunkedJob::split(SECAGG_SUM_4X8, &inputs, &[]).expect("split");
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
        assert!(ChunkedJob::split(SECAGG_SUM_4X8, &vec![vec![Fr::from(1u64); 9]; 5], &[]).is_err());
        assert!(
            ChunkedJob::split(SECAGG_SUM_4X8, &inputs, &[1, 1, 1]).is_err(),
            "weights are for he-linear only"
        );
        assert_eq!(job.join_output(&outs), sum);
    }

    #[test]
    fn he_linear_chunks_pad_with_identities_and_agree_with_the_whole_job() {
        use crate::{
            he_linear::{self, Ciphertext},
            shapes::HE_LINEAR_4X8,
        };
        use ark_ec::{CurveGroup, PrimeGroup};
        use ark_ed_on_bn254::{EdwardsProjective, Fr as Scalar};
        let g = EdwardsProjective::generator();
        let h = g * Scalar::from(77u64);
        let cts: Vec<Vec<Ciphertext>> = (0..3u64)
            .map(|i| {
                (0..10u64)
                    .map(|j| Ciphertext {
                        c1: (g * Scalar::from(i * 10 + j + 1)).into_affine(),
                        c2: (g * Scalar::from(j) + h * Scalar::from(i * 10 + j + 1)).into_affine(),
                    })
                    .collect()
            })
            .collect();
        let flat = |v: &[Ciphertext]| {
            v.iter()
                .flat_map(Ciphertext::to_coordinates)
                .collect::<Vec<_>>()
        };
        let inputs: Vec<Vec<Fr>> = cts.iter().map(|v| flat(v)).collect();
        let weights = [2, -1, 3];
        assert!(is_chunked(HE_LINEAR_4X8, &inputs));
        let job = ChunkedJob::split(HE_LINEAR_4X8, &inputs, &weights).expect("split");
        assert_eq!((job.dims, job.chunks.len()), (10, 2));
        assert!(ChunkedJob::split(HE_LINEAR_4X8, &inputs, &weights[..2]).is_err());

        let whole = flat(&arcanum_compute::elgamal::he_linear(&cts, &weights).expect("he-linear"));
        let mut outs = Vec::new();
        for chunk in &job.chunks {
            assert_eq!(chunk.weights, vec![2, -1, 3, 0]);
            // The chunk decodes to valid ciphertexts (identities past the data).
            let decoded: Vec<Vec<Ciphertext>> = chunk
                .inputs
                .iter()
                .map(|v| {
                    v.chunks(4)
                        .map(|c| Ciphertext {
                            c1: ark_ed_on_bn254::EdwardsAffine::new(c[0], c[1]),
                            c2: ark_ed_on_bn254::EdwardsAffine::new(c[2], c[3]),
                        })
                        .collect()
                })
                .collect();
            assert_eq!(
                chunk.input_commitment,
                he_linear::input_commitment(&decoded, &chunk.weights)
            );
            outs.push(flat(
                &arcanum_compute::elgamal::he_linear(&decoded, &chunk.weights).expect("he-linear"),
            ));
        }
        assert_eq!(job.split_output(&whole).expect("split output"), outs);
        assert_eq!(job.join_output(&outs), whole);
        let ocs: Vec<Fr> = outs
            .iter()
            .map(|o| kind::of(arcanum_protocol::JobKind::HeLinear).output_commitment(o))
            .collect();
        assert_eq!(job.output_commitment(&whole).expect("oc"), combine(&ocs));
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
