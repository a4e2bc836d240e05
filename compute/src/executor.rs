//! Job executors: the functions a worker computes and then proves, over field vectors
//! (`arcanum_zk::kind` is the one interface per kind that runs them, commits to their
//! inputs and outputs and proves them).
//!
//! - `secagg-sum`: the elementwise sum of masked vectors; the witness is the inputs;
//! - `fl-round`: at the worker, a round is the secure-aggregation sum of the contributors'
//!   masked, quantized, noised updates (their local training runs in [`crate::fl`] at the
//!   contributors), so it executes and is proven as `secagg-sum`;
//! - `he-linear`: the weighted sum of threshold-ElGamal ciphertext vectors
//!   ([`crate::elgamal::he_linear`]); inputs and output travel as affine coordinates,
//!   four field elements per ciphertext, validated (on the curve, in the subgroup) on
//!   the way in.

use crate::{Error, Fr, Result, elgamal::Ciphertext};
use arcanum_protocol::JobKind;

/// Field elements per ciphertext on the wire and in commitments.
pub const CIPHERTEXT_FIELDS: usize = JobKind::HeLinear.fields_per_element();

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
        let cts = decode_ciphertexts(&inputs, 2).expect("decode");
        let out = crate::elgamal::he_linear(&cts, &[2, -1, 1]).expect("he-linear");
        let out = decode_ciphertexts(&[encode_ciphertexts(&out)], 2)
            .expect("round trip")
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
            decode_ciphertexts(&bad, 2),
            Err(Error::He(crate::elgamal::Error::NotOnCurve { .. }))
        ));
    }
}
