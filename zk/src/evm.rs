//! Groth16 proofs as EVM calldata (`uint256[8]`), in the order the generated verifier and
//! the EIP-197 pairing precompile expect: `A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y`.

use crate::{Bn254, Error, Result, field::fq_to_u256};
use arcanum_protocol::U256;
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::PrimeField;
use ark_groth16::Proof;

/// A G1 point as `(x, y)`.
pub fn g1_words(p: &G1Affine) -> [U256; 2] {
    let (x, y) = p.xy().unwrap_or_default();
    [fq_to_u256(x), fq_to_u256(y)]
}

/// A G2 point as `(x.c1, x.c0, y.c1, y.c0)` (EIP-197 order: imaginary part first).
pub fn g2_words(p: &G2Affine) -> [U256; 4] {
    let (x, y) = p.xy().unwrap_or_default();
    [
        fq_to_u256(x.c1),
        fq_to_u256(x.c0),
        fq_to_u256(y.c1),
        fq_to_u256(y.c0),
    ]
}

/// Encodes a proof as calldata words.
pub fn proof_to_calldata(proof: &Proof<Bn254>) -> [U256; 8] {
    let [ax, ay] = g1_words(&proof.a);
    let [b0, b1, b2, b3] = g2_words(&proof.b);
    let [cx, cy] = g1_words(&proof.c);
    [ax, ay, b0, b1, b2, b3, cx, cy]
}

fn fq(v: U256) -> Result<Fq> {
    Fq::from_bigint(ark_ff::BigInt::new(v.into_limbs())).ok_or_else(|| Error::Serialization {
        what: "proof",
        detail: format!("{v} is not below the base field modulus"),
    })
}

/// Decodes calldata words back into a proof, checking every point is on its curve and in
/// the right subgroup.
pub fn proof_from_calldata(w: &[U256; 8]) -> Result<Proof<Bn254>> {
    let bad = |what: &str| Error::Serialization {
        what: "proof",
        detail: format!("{what} is not a valid curve point"),
    };
    let a = G1Affine::new_unchecked(fq(w[0])?, fq(w[1])?);
    let b = G2Affine::new_unchecked(
        Fq2::new(fq(w[3])?, fq(w[2])?),
        Fq2::new(fq(w[5])?, fq(w[4])?),
    );
    let c = G1Affine::new_unchecked(fq(w[6])?, fq(w[7])?);
    if !a.is_on_curve() || !a.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad("A"));
    }
    if !b.is_on_curve() || !b.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad("B"));
    }
    if !c.is_on_curve() || !c.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad("C"));
    }
    Ok(Proof { a, b, c })
}
