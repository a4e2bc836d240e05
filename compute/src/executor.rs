//! Job executors: the functions a worker computes and then proves. [`execute`] returns the
//! output (as the field elements whose commitment goes on chain) together with the witness
//! the prover needs.
//!
//! - `secagg-sum`: the elementwise sum of masked vectors; the witness is the inputs;
//! - `fl-round`: at the worker, a round is the secure-aggregation sum of the contributors'
//!   masked, quantized, noised updates (their local training runs in [`crate::fl`] at the
//!   contributors), so it executes and is proven as `secagg-sum`;
//! - `he-linear`: the weighted sum of threshold-ElGamal ciphertext vectors
//!   ([`crate::elgamal::he_linear`]); inputs and output travel as affine coordinates,
//!   four field elements per ciphertext, validated (on the curve, in the subgroup) on
//!   the way in.

use crate::{
    Error, Fr, Result,
    elgamal::{self, Ciphertext},
};
use arcanum_protocol::JobKind;

/// Field elements per ciphertext on the wire and in commitments.
pub const CIPHERTEXT_FIELDS: usize = JobKind::HeLinear.fields_per_element();

/// What a worker computed, and what it needs to prove it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The output as field elements (ciphertexts flattened to coordinates).
    pub output: Vec<Fr>,
    /// The prover's witness.
    pub witness: Witness,
}

/// The witness of each job kind's circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Witness {
    /// `secagg-sum` (and `fl-round`): the input vectors.
    SecaggSum {
        /// One vector per contributor.
        inputs: Vec<Vec<Fr>>,
    },
    /// `he-linear`: the ciphertexts, the weights and the resulting ciphertexts.
    HeLinear {
        /// One ciphertext vector per contributor.
        inputs: Vec<Vec<Ciphertext>>,
        /// One weight per contributor.
        weights: Vec<i64>,
        /// The weighted sums.
        output: Vec<Ciphertext>,
    },
}

/// Runs a job of `kind` over `inputs` (one vector per contributor, `dims` values each, or
/// `dims` ciphertexts = `4 * dims` coordinates each for `he-linear`) with per-contributor
/// `weights` (only `he-linear` uses them; empty means all ones).
pub fn execute(
    kind: JobKind,
    dims: usize,
    inputs: Vec<Vec<Fr>>,
    weights: &[i64],
) -> Result<Execution> {
    match kind {
        JobKind::SecaggSum | JobKind::FlRound => {
            if !weights.is_empty() {
                return Err(Error::Parameters(format!(
                    "{kind} jobs take no weights; got {}",
                    weights.len()
                )));
            }
            let output = secagg_sum(&inputs, dims)?;
            Ok(Execution {
                output,
                witness: Witness::SecaggSum { inputs },
            })
        }
        JobKind::HeLinear => {
            let cts = decode_ciphertexts(&inputs, dims)?;
            let weights = if weights.is_empty() {
                vec![1; cts.len()]
            } else {
                weights.to_vec()
            };
            let output = elgamal::he_linear(&cts, &weights)?;
            Ok(Execution {
                output: encode_ciphertexts(&output),
                witness: Witness::HeLinear {
                    inputs: cts,
                    weights,
                    output,
                },
            })
        }
    }
}

/// `secagg-sum`: the elementwise sum of `inputs`, each of length `dims`.
pub fn secagg_sum(inputs: &[Vec<Fr>], dims: usize) -> Result<Vec<Fr>> {
    let mut out = vec![Fr::from(0u64); dims];
    for x in inputs {
        if x.len() != dims {
            return Err(Error::Length {
                expected: dims,
                got: x.len(),
            });
        }
        for (o, v) in out.iter_mut().zip(x) {
            *o += v;
        }
    }
    Ok(out)
}

/// Ciphertexts as coordinates, four field elements each.
pub fn encode_ciphertexts(cts: &[Ciphertext]) -> Vec<Fr> {
    cts.iter().flat_map(Ciphertext::to_coordinates).collect()
}

/// Coordinate vectors back to ciphertext vectors of `dims` ciphertexts, rejecting points
/// off the curve or outside the prime-order subgroup.
pub fn decode_ciphertexts(vectors: &[Vec<Fr>], dims: usize) -> Result<Vec<Vec<Ciphertext>>> {
    vectors
        .iter()
        .map(|v| {
            if v.len() != dims * CIPHERTEXT_FIELDS {
                return Err(Error::Length {
                    expected: dims * CIPHERTEXT_FIELDS,
                    got: v.len(),
                });
            }
            v.chunks_exact(CIPHERTEXT_FIELDS)
                .map(|c| {
                    Ciphertext::from_coordinates([c[0], c[1], c[2], c[3]]).map_err(Error::from)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::{BsgsTable, PublicKey, Scalar};
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_ff::{One, UniformRand};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn sums_elementwise_and_checks_lengths() {
        let xs = vec![
            vec![Fr::from(1u64), Fr::from(2u64)],
            vec![Fr::from(10u64), Fr::from(20u64)],
        ];
        assert_eq!(
            secagg_sum(&xs, 2).expect("sum"),
            vec![Fr::from(11u64), Fr::from(22u64)]
        );
        assert!(secagg_sum(&xs, 3).is_err());
        let exec = execute(JobKind::FlRound, 2, xs.clone(), &[]).expect("fl-round");
        assert_eq!(exec.output, vec![Fr::from(11u64), Fr::from(22u64)]);
        assert_eq!(exec.witness, Witness::SecaggSum { inputs: xs.clone() });
        assert!(execute(JobKind::SecaggSum, 2, xs, &[1, 1]).is_err());
    }

    #[test]
    fn he_linear_executes_over_coordinates_and_rejects_bad_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let sk = Scalar::rand(&mut rng);
        let g = crate::elgamal::EdwardsProjective::generator();
        let pk = PublicKey((g * sk).into_affine());
        let plain = [[3i64, -4], [10, 7], [0, 100]];
        let inputs: Vec<Vec<Fr>> = plain
            .iter()
            .map(|row| {
                let cts: Vec<Ciphertext> =
                    row.iter().map(|m| pk.encrypt_i64(*m, &mut rng)).collect();
                encode_ciphertexts(&cts)
            })
            .collect();
        let exec = execute(JobKind::HeLinear, 2, inputs.clone(), &[2, -1, 1]).expect("he-linear");
        let out = decode_ciphertexts(std::slice::from_ref(&exec.output), 2)
            .expect("decode")
            .remove(0);
        let table = BsgsTable::new(16).expect("table");
        let decrypted: Vec<i64> = out
            .iter()
            .map(|ct| {
                table
                    .solve(&(ct.c2.into_group() - ct.c1 * sk).into_affine())
                    .expect("dlog")
            })
            .collect();
        assert_eq!(decrypted, vec![2 * 3 - 10, 2 * -4 - 7 + 100]);

        // A coordinate nudged off the curve is refused, not computed on.
        let mut bad = inputs;
        bad[1][0] += Fr::one();
        assert!(matches!(
            execute(JobKind::HeLinear, 2, bad, &[]),
            Err(Error::He(crate::elgamal::Error::NotOnCurve { .. }))
        ));
    }
}
