//! Verifying keys, proofs and public inputs in snarkjs' JSON format, so third-party tools
//! (`snarkjs groth16 verify vk.json public.json proof.json`) can check Arcanum's proofs.
//!
//! Points are affine with a trailing projective `1`; G2 coordinates are `[c0, c1]` (real part
//! first, unlike the EVM's order); every number is a decimal string.

use crate::{Bn254, Error, Fr, Result};
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{PrimeField, Zero};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{Value, json};

fn fq(v: Fq) -> String {
    v.into_bigint().to_string()
}

fn g1(p: &G1Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([fq(x), fq(y), "1"]),
        None => json!(["0", "1", "0"]),
    }
}

fn g2(p: &G2Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([[fq(x.c0), fq(x.c1)], [fq(y.c0), fq(y.c1)], ["1", "0"]]),
        None => json!([["0", "0"], ["1", "0"], ["0", "0"]]),
    }
}

/// The verifying key as snarkjs' `verification_key.json`.
pub fn vk_json(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len() - 1,
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// A proof as snarkjs' `proof.json`.
pub fn proof_json(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1(&proof.a),
        "pi_b": g2(&proof.b),
        "pi_c": g1(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// Public inputs as snarkjs' `public.json`.
pub fn public_json(inputs: &[Fr]) -> Value {
    Value::Array(
        inputs
            .iter()
            .map(|f| Value::String(f.into_bigint().to_string()))
            .collect(),
    )
}

fn bad(what: &str) -> Error {
    Error::Serialization {
        what: "snarkjs proof",
        detail: format!("{what} is missing or malformed"),
    }
}

fn parse_fq(v: &Value, what: &str) -> Result<Fq> {
    let s = v.as_str().ok_or_else(|| bad(what))?;
    let n = <ark_ff::BigInt<4> as std::str::FromStr>::from_str(s).map_err(|_| bad(what))?;
    Fq::from_bigint(n).ok_or_else(|| bad(what))
}

fn parse_g1(v: &Value, what: &str) -> Result<G1Affine> {
    let (x, y, z) = (
        parse_fq(&v[0], what)?,
        parse_fq(&v[1], what)?,
        parse_fq(&v[2], what)?,
    );
    if z.is_zero() {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad(what));
    }
    Ok(p)
}

fn parse_g2(v: &Value, what: &str) -> Result<G2Affine> {
    let c = |i: usize, j: usize| parse_fq(&v[i][j], what);
    let p = G2Affine::new_unchecked(Fq2::new(c(0, 0)?, c(0, 1)?), Fq2::new(c(1, 0)?, c(1, 1)?));
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad(what));
    }
    Ok(p)
}

/// Parses a snarkjs `proof.json` (checking every point is on its curve and subgroup).
pub fn proof_from_json(v: &Value) -> Result<Proof<Bn254>> {
    Ok(Proof {
        a: parse_g1(&v["pi_a"], "pi_a")?,
        b: parse_g2(&v["pi_b"], "pi_b")?,
        c: parse_g1(&v["pi_c"], "pi_c")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_std::UniformRand;

    #[test]
    fn proof_json_round_trips_and_rejects_off_curve_points() {
        let mut rng = ark_std::test_rng();
        let proof = Proof::<Bn254> {
            a: ark_bn254::G1Projective::rand(&mut rng).into_affine(),
            b: ark_bn254::G2Projective::rand(&mut rng).into_affine(),
            c: ark_bn254::G1Projective::rand(&mut rng).into_affine(),
        };
        let v = proof_json(&proof);
        assert_eq!(v["pi_b"][2], json!(["1", "0"]));
        assert_eq!(proof_from_json(&v).expect("parse"), proof);
        let mut broken = v.clone();
        broken["pi_a"][0] = json!("1");
        assert!(proof_from_json(&broken).is_err());
    }
}
