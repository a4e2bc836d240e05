//! A contributor's proof that it knows the encryption randomness of each of its
//! ciphertexts.
//!
//! Without it, anyone who sees the other contributions (a requester, an oracle node) and
//! colludes with one contributor can have it submit `Enc(v) - Σ others`: the sum then
//! decrypts to `v` (erasing every other contribution), or to one honest contributor's
//! value alone. Such a ciphertext is made from the others' `c1 = r·G`, whose `r` nobody
//! but their owners knows, so it cannot carry this proof.
//!
//! One batched Schnorr proof per vector: with `λ_k = H(context, c1_1..c1_d, k)` the prover
//! shows it knows `ρ = Σ λ_k r_k`, the discrete log of `Y = Σ λ_k c1_k`: `(T, s)` with
//! `s·G = T + e·Y`, `e = H(context, c1s, Y, T)`. Rewinding on the `λ_k` (random oracle)
//! extracts every `r_k`. The context binds the proof to one collection (a session id): it
//! cannot be replayed into another, and a committee member refuses two contributions with
//! the same `c1` (a copy of another's vector with its proof).

use super::hash::{DOMAIN_RANDOMNESS, Transcript};
use super::{Ciphertext, EdwardsAffine, EdwardsProjective, Error, Result, Scalar, wire};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// A proof of knowledge of the randomness of a vector of ciphertexts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomnessProof {
    /// `T = t·G`.
    #[serde(with = "wire::point")]
    pub nonce: EdwardsAffine,
    /// `s = t + e·ρ`.
    #[serde(with = "wire::scalar")]
    pub response: Scalar,
}

/// The transcript over the context and every `c1`, and the weights `λ_k`.
fn weights(cts: &[Ciphertext], context: &[u8]) -> (Transcript, Vec<Scalar>) {
    let mut tr = Transcript::new(DOMAIN_RANDOMNESS);
    tr.bytes(b"context", context).u64(b"n", cts.len() as u64);
    for c in cts {
        tr.point(b"c1", &c.c1);
    }
    let lambdas = (0..cts.len() as u64)
        .map(|k| {
            let mut t = tr.clone();
            t.u64(b"k", k);
            t.challenge()
        })
        .collect();
    (tr, lambdas)
}

fn challenge(tr: &Transcript, y: &EdwardsAffine, nonce: &EdwardsAffine) -> Scalar {
    let mut t = tr.clone();
    t.point(b"batch", y).point(b"nonce", nonce);
    t.challenge()
}

fn batch(cts: &[Ciphertext], lambdas: &[Scalar]) -> EdwardsAffine {
    let bases: Vec<EdwardsAffine> = cts.iter().map(|c| c.c1).collect();
    EdwardsProjective::msm_unchecked(&bases, lambdas).into_affine()
}

/// Proves knowledge of `randomness[k]` with `cts[k].c1 = randomness[k]·G`, bound to
/// `context`.
pub fn prove<R: RngCore + CryptoRng>(
    cts: &[Ciphertext],
    randomness: &[Scalar],
    context: &[u8],
    rng: &mut R,
) -> RandomnessProof {
    let (tr, lambdas) = weights(cts, context);
    let rho: Scalar = lambdas.iter().zip(randomness).map(|(l, r)| *l * r).sum();
    let y = batch(cts, &lambdas);
    let t = Scalar::rand(rng);
    let nonce = (EdwardsProjective::generator() * t).into_affine();
    let e = challenge(&tr, &y, &nonce);
    RandomnessProof {
        nonce,
        response: t + e * rho,
    }
}

/// Checks `proof` for `cts` under `context`.
pub fn verify(cts: &[Ciphertext], context: &[u8], proof: &RandomnessProof) -> Result<()> {
    let (tr, lambdas) = weights(cts, context);
    let y = batch(cts, &lambdas);
    let e = challenge(&tr, &y, &proof.nonce);
    let lhs = EdwardsProjective::generator() * proof.response;
    if lhs == proof.nonce.into_group() + y.into_group() * e {
        Ok(())
    } else {
        Err(Error::InvalidRandomnessProof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::PublicKey;
    use ark_ec::AffineRepr;
    use rand::SeedableRng;

    #[test]
    fn an_honest_vector_verifies_and_a_rogue_one_cannot() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let g = EdwardsAffine::generator();
        let pk = PublicKey((g * Scalar::rand(&mut rng)).into_affine()).precompute();
        let (honest, proof) = pk.encrypt_vec_proven(&[3, 4, 5], b"session 1", &mut rng);
        verify(&honest, b"session 1", &proof).expect("verifies");
        // Another session, another vector, a changed element: refused.
        assert!(verify(&honest, b"session 2", &proof).is_err());
        let mut changed = honest.clone();
        changed[1] = changed[1].add_plain(1);
        changed[1].c1 = (changed[1].c1 + g).into_affine();
        assert!(verify(&changed, b"session 1", &proof).is_err());
        // A rogue vector Enc(v) - honest: its c1 is r·G - c1_honest, whose randomness the
        // rogue does not know; a proof over the part it knows does not verify.
        let (mine, _) = pk.encrypt_vec_proven(&[100, 100, 100], b"session 1", &mut rng);
        let rogue: Vec<Ciphertext> = mine
            .iter()
            .zip(&honest)
            .map(|(m, h)| Ciphertext {
                c1: (m.c1.into_group() - h.c1).into_affine(),
                c2: (m.c2.into_group() - h.c2).into_affine(),
            })
            .collect();
        let pretend = prove(&rogue, &[Scalar::from(1u64); 3], b"session 1", &mut rng);
        assert!(verify(&rogue, b"session 1", &pretend).is_err());
    }
}
